// Helpers for the session and sandbox test clients: fetching a route page
// with its session cookie and render data, a Socket.IO connection that
// queues the host's messages, a JSON model of a route's DOM that applies
// patches, and checkpoints at which the Rust test inspects the server.
import readline from 'node:readline';
import { io } from 'socket.io-client';
import { CheckError, fail } from './common.mjs';

const SESSION_COOKIE = 'trellis_session';
const RENDER_DATA_START = '<script type="application/json" id="trellis-data">';

// GETs `path` and returns {status, cookie, renderData, html}. `cookie` is the
// `name=value` pair to send back: the one the response sets, else the one
// given. `renderData` is the parsed #trellis-data object.
export async function fetchPage(base, path, cookie = null) {
  const response = await fetch(base + path, { headers: cookie ? { cookie } : {} });
  const html = await response.text();
  const set = response.headers
    .getSetCookie()
    .map((header) => header.split(';')[0])
    .find((pair) => pair.startsWith(`${SESSION_COOKIE}=`));
  return { status: response.status, cookie: set ?? cookie, renderData: renderDataOf(html), html };
}

export function renderDataOf(html) {
  const start = html.indexOf(RENDER_DATA_START);
  if (start < 0) fail(`the page has no #trellis-data script:\n${html}`);
  const end = html.indexOf('</script>', start);
  return JSON.parse(html.slice(start + RENDER_DATA_START.length, end));
}

// One Socket.IO connection (one tab) with the WebSocket transport and no
// automatic reconnection. Every host message, and the client-side
// `disconnect` with its reason, lands in an inbox in arrival order.
export class Tab {
  constructor(label) {
    this.label = label;
    this.socket = null;
    this.inbox = [];
    this.waiters = [];
    // The highest `seq` among the host's messages, which a resume sends.
    this.seq = 0;
  }

  // Opens a connection that sends `cookie` (a `name=value` pair, or null
  // for none) on the upgrade request and `auth` in the CONNECT packet.
  // Resolves when the connection is open; throws when it is refused.
  static async connect(base, { label = 'tab', cookie = null, auth = undefined } = {}) {
    const tab = new Tab(label);
    const socket = io(base, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: 5000,
      extraHeaders: cookie ? { cookie } : {},
      auth,
    });
    tab.socket = socket;
    socket.onAny((name, data) => tab.receive(name, data));
    socket.on('disconnect', (reason) => tab.receive('disconnect', reason));
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', (error) => {
        reject(new CheckError(`${label}: the Socket.IO connection to ${base} failed: ${error.message}`));
      });
    });
    return tab;
  }

  receive(name, data) {
    if (typeof data?.seq === 'number') this.seq = Math.max(this.seq, data.seq);
    const waiter = this.waiters.findIndex((w) => w.name === name);
    if (waiter >= 0) this.waiters.splice(waiter, 1)[0].resolve(data);
    else this.inbox.push({ name, data });
  }

  // Returns the first unread message called `name`, waiting up to
  // `timeoutMs` for it, and fails with the other messages read so far.
  next(name, timeoutMs = 5000) {
    const queued = this.inbox.findIndex((m) => m.name === name);
    if (queued >= 0) return Promise.resolve(this.inbox.splice(queued, 1)[0].data);
    return new Promise((resolve, reject) => {
      const waiter = { name, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index < 0) return;
        this.waiters.splice(index, 1);
        reject(new CheckError(`${this.label}: no "${name}" message within ${timeoutMs} ms; unread messages:\n  ${this.describeInbox()}`));
      }, timeoutMs);
    });
  }

  // Returns the next unread message of any of `names` as {name, data}.
  nextOf(names, timeoutMs = 5000) {
    const queued = this.inbox.findIndex((m) => names.includes(m.name));
    if (queued >= 0) return Promise.resolve(this.inbox.splice(queued, 1)[0]);
    return new Promise((resolve, reject) => {
      const entries = names.map((name) => ({ name, resolve: (data) => settle({ name, data }) }));
      const timer = setTimeout(() => {
        remove();
        reject(new CheckError(`${this.label}: none of ${names.join(', ')} within ${timeoutMs} ms; unread messages:\n  ${this.describeInbox()}`));
      }, timeoutMs);
      const remove = () => {
        this.waiters = this.waiters.filter((w) => !entries.includes(w));
      };
      const settle = (message) => {
        clearTimeout(timer);
        remove();
        resolve(message);
      };
      this.waiters.push(...entries);
    });
  }

  // Fails when a message called `name` arrives within `ms`, or is unread.
  async expectNone(name, ms) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const found = this.inbox.find((m) => m.name === name);
    if (found) fail(`${this.label}: unexpected "${name}" message: ${JSON.stringify(found.data)}`);
  }

  describeInbox() {
    return this.inbox.map((m) => `${m.name} ${JSON.stringify(m.data)}`).join('\n  ') || '(none)';
  }

  emit(name, data) {
    this.socket.emit(name, data);
  }

  // Sends `mount` and returns the answer as {name, data}: `attached`,
  // `render` or `error`.
  async mount(path, render) {
    this.emit('mount', { path, render });
    return this.nextOf(['attached', 'render', 'error']);
  }

  // Mounts `path` and fails unless the host answers with a full render;
  // returns the route's tree model.
  async mountExpectingRender(path, render) {
    const answer = await this.mount(path, render);
    if (answer.name !== 'render') fail(`${this.label}: mount ${path} got "${answer.name}" ${JSON.stringify(answer.data)}, expected "render"`);
    if (answer.data.path !== path) fail(`${this.label}: render names path ${JSON.stringify(answer.data.path)}, expected ${JSON.stringify(path)}`);
    return rootOf(answer.data.nodes);
  }

  // Clicks the element `elementId` of the route at `path` whose tree model
  // is `root`, and applies the patch the host sends for `path` to `root`.
  // Patches for other paths stay in the inbox.
  async click(path, root, elementId, timeoutMs = 5000) {
    const handler = handlerId(requireElement(root, elementId), 'click');
    this.emit('event', { path, handler, payload: {} });
    await this.applyNextPatch(path, root, timeoutMs);
  }

  // Waits for the next patch of the route at `path` and applies it to
  // `root`. Patches of other paths stay in the inbox.
  async applyNextPatch(path, root, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    const skipped = [];
    try {
      for (;;) {
        const patch = await this.next('patch', Math.max(0, deadline - Date.now()));
        if (patch?.path === path) {
          applyJsonOps(root, patch.ops);
          return patch;
        }
        skipped.push(patch);
      }
    } finally {
      for (const patch of skipped) this.inbox.push({ name: 'patch', data: patch });
    }
  }

  close() {
    this.socket?.disconnect();
  }
}

// Prints `@checkpoint <name>` and waits for a line on stdin, which the Rust
// test (`NodeScript::resume`) sends once it has inspected the server.
let stdinLines = null;
export async function checkpoint(name) {
  console.log(`@checkpoint ${name}`);
  stdinLines ??= readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const { done } = await stdinLines.next();
  if (done) fail(`stdin closed while waiting at checkpoint ${name}`);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- A JSON model of a route's DOM, patched as client.js patches it ----

// Wraps a render's nodes in a container, as #trellis-root contains them.
export function rootOf(nodes) {
  if (!Array.isArray(nodes) || nodes.length === 0) fail(`render has no nodes: ${JSON.stringify(nodes)}`);
  return ['div', [], structuredClone(nodes)];
}

function childrenOf(node) {
  if (typeof node === 'string') fail(`a path descends into the text node ${JSON.stringify(node)}`);
  return node[2];
}

// Returns [siblings, index] for a non-empty path below the root container.
function locate(root, path) {
  if (path.length === 0) fail('an op targets the root element itself');
  let container = root;
  for (const index of path.slice(0, -1)) {
    container = childrenOf(container)[index];
    if (container === undefined) fail(`path ${JSON.stringify(path)} does not exist`);
  }
  const siblings = childrenOf(container);
  const last = path[path.length - 1];
  if (siblings[last] === undefined) fail(`path ${JSON.stringify(path)} does not exist`);
  return [siblings, last];
}

function resolveNode(root, path) {
  if (path.length === 0) return root;
  const [siblings, index] = locate(root, path);
  return siblings[index];
}

export function applyJsonOps(root, ops) {
  if (!Array.isArray(ops)) fail(`patch has no ops array: ${JSON.stringify(ops)}`);
  for (const op of ops) {
    switch (op[0]) {
      case 0: {
        const [siblings, index] = locate(root, op[1]);
        siblings[index] = op[2];
        break;
      }
      case 1:
        childrenOf(resolveNode(root, op[1])).splice(op[2], 0, op[3]);
        break;
      case 2:
        childrenOf(resolveNode(root, op[1])).splice(op[2], 1);
        break;
      case 3: {
        const children = childrenOf(resolveNode(root, op[1]));
        const [moved] = children.splice(op[2], 1);
        children.splice(op[3], 0, moved);
        break;
      }
      case 4: {
        const element = resolveNode(root, op[1]);
        element[1] = element[1].filter(([name]) => name !== op[2]);
        element[1].push([op[2], op[3]]);
        break;
      }
      case 5: {
        const element = resolveNode(root, op[1]);
        element[1] = element[1].filter(([name]) => name !== op[2]);
        break;
      }
      case 6: {
        const [siblings, index] = locate(root, op[1]);
        if (typeof siblings[index] !== 'string') fail(`set-text op ${JSON.stringify(op)} targets an element`);
        siblings[index] = op[2];
        break;
      }
      default:
        fail(`unknown op ${JSON.stringify(op)}`);
    }
  }
}

function attribute(node, name) {
  return typeof node === 'string' ? undefined : node[1].find(([n]) => n === name)?.[1];
}

function findById(node, id) {
  if (typeof node === 'string') return null;
  if (attribute(node, 'id') === id) return node;
  for (const child of node[2]) {
    const found = findById(child, id);
    if (found) return found;
  }
  return null;
}

export function requireElement(root, id) {
  const element = findById(root, id);
  if (!element) fail(`no element with id="${id}" in the tree ${JSON.stringify(root[2])}`);
  return element;
}

function textContent(node) {
  return typeof node === 'string' ? node : node[2].map(textContent).join('');
}

// Returns the text content of the element with `id` in the tree `root`.
export function textById(root, id) {
  return textContent(requireElement(root, id));
}

// Fails unless the element with `id` in `root` has the text `expected`.
export function expectText(root, id, expected, context) {
  const actual = textById(root, id);
  if (actual !== expected) fail(`${context}: #${id} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

function handlerId(element, event) {
  const value = attribute(element, `data-trellis-${event}`);
  if (value === undefined || !/^\d+$/.test(value)) {
    fail(`#${attribute(element, 'id')} has no valid data-trellis-${event} attribute (found ${JSON.stringify(value)})`);
  }
  return Number(value);
}

// Returns the text of the element `<tag id="id">` in an HTML page, which
// must contain only text.
export function htmlTextById(html, tag, id) {
  const start = html.indexOf(`<${tag} id="${id}">`);
  if (start < 0) fail(`the page has no <${tag} id="${id}">`);
  const from = html.indexOf('>', start) + 1;
  return html.slice(from, html.indexOf('<', from));
}
