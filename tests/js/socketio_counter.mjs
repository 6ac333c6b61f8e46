// Drives the counter example over Socket.IO alone, with the official client.
//
// Usage: node socketio_counter.mjs <server base URL>
//
// Assumes the counter example at `/`. Buttons #increment and #decrement have
// click listeners. The only child of #count is the count as text, 0 at
// mount. The input #echo-input has an input listener, and its value is
// echoed as the text of #echo.
import { io } from 'socket.io-client';
import { baseUrlArgument, CheckError, fail, run, step } from './common.mjs';

const base = baseUrlArgument('node socketio_counter.mjs <server base URL>');
let socket = null;

// Messages from the host, in arrival order, each resolving a waiter.
const inbox = [];
const waiters = [];

function receive(name, data) {
  const waiter = waiters.findIndex((w) => w.name === name);
  if (waiter >= 0) waiters.splice(waiter, 1)[0].resolve(data);
  else inbox.push({ name, data });
}

function nextMessage(name, timeoutMs = 5000) {
  const queued = inbox.findIndex((m) => m.name === name);
  if (queued >= 0) return Promise.resolve(inbox.splice(queued, 1)[0].data);
  return new Promise((resolve, reject) => {
    const waiter = { name, resolve };
    waiters.push(waiter);
    setTimeout(() => {
      const index = waiters.indexOf(waiter);
      if (index < 0) return;
      waiters.splice(index, 1);
      const seen = inbox.map((m) => `${m.name} ${JSON.stringify(m.data)}`).join('\n  ');
      reject(new CheckError(`no "${name}" message within ${timeoutMs} ms; other messages received:\n  ${seen || '(none)'}`));
    }, timeoutMs);
  });
}

// ---- A pure-JSON model of the route's DOM, patched like client.js does ----

function childrenOf(node) {
  if (typeof node === 'string') fail(`a path descends into the text node ${JSON.stringify(node)}`);
  return node[2];
}

// Returns [container, index] for a non-empty path below the root container.
function locate(root, path) {
  if (path.length === 0) fail('an op targets the root element itself');
  let container = root;
  for (const index of path.slice(0, -1)) {
    const child = childrenOf(container)[index];
    if (child === undefined) fail(`path ${JSON.stringify(path)} does not exist`);
    container = child;
  }
  const last = path[path.length - 1];
  if (childrenOf(container)[last] === undefined) fail(`path ${JSON.stringify(path)} does not exist`);
  return [childrenOf(container), last];
}

function resolveNode(root, path) {
  if (path.length === 0) return root;
  const [siblings, index] = locate(root, path);
  return siblings[index];
}

function applyJsonOps(root, ops) {
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
        const attrs = element[1].filter(([name]) => name !== op[2]);
        attrs.push([op[2], op[3]]);
        element[1] = attrs;
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

function requireElement(root, id) {
  const element = findById(root, id);
  if (!element) fail(`no element with id="${id}" in the rendered tree`);
  return element;
}

function textContent(node) {
  return typeof node === 'string' ? node : node[2].map(textContent).join('');
}

function handlerId(element, event) {
  const value = attribute(element, `data-trellis-${event}`);
  if (value === undefined || !/^\d+$/.test(value)) {
    fail(`#${attribute(element, 'id')} has no valid data-trellis-${event} attribute (found ${JSON.stringify(value)})`);
  }
  return Number(value);
}

// ---- The checks -------------------------------------------------------

// Sends one event and applies the patch sent for it to `root`.
async function sendEvent(root, elementId, event, payload) {
  const element = requireElement(root, elementId);
  socket.emit('event', { path: '/', handler: handlerId(element, event), payload });
  const patch = await nextMessage('patch');
  if (patch?.path !== '/') fail(`patch names path ${JSON.stringify(patch?.path)}, expected "/"`);
  if (!Array.isArray(patch.ops)) fail(`patch has no ops array: ${JSON.stringify(patch)}`);
  applyJsonOps(root, patch.ops);
  return patch.ops;
}

function expectCount(root, expected) {
  const count = requireElement(root, 'count');
  if (count[2].length !== 1 || count[2][0] !== expected) {
    fail(`#count children are ${JSON.stringify(count[2])}, expected ["${expected}"]`);
  }
}

async function main() {
  step('GET / for a session cookie; the host closes sockets without one');
  const page = await fetch(`${base}/`);
  const setCookie = page.headers.get('set-cookie');
  if (!setCookie) throw new CheckError('GET / set no session cookie');
  const cookie = setCookie.split(';')[0];

  step(`connect to ${base} with socket.io-client (WebSocket transport)`);
  socket = io(base, {
    transports: ['websocket'],
    reconnection: false,
    timeout: 5000,
    extraHeaders: { cookie },
  });
  socket.onAny(receive);
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', (error) => {
      reject(new CheckError(`the Socket.IO connection to ${base} failed: ${error.message}`));
    });
  });

  step('mount "/" without render data; expect a full render');
  socket.emit('mount', { path: '/', render: null });
  const render = await nextMessage('render');
  if (render?.path !== '/') fail(`render names path ${JSON.stringify(render?.path)}, expected "/"`);
  if (!Array.isArray(render.nodes) || render.nodes.length === 0) {
    fail(`render has no nodes: ${JSON.stringify(render)}`);
  }
  // The root container contains the route's nodes, like #trellis-root does.
  const root = ['div', [], render.nodes];
  expectCount(root, '0');

  step('click #increment; expect a set-text op "1" that lands in #count');
  const ops = await sendEvent(root, 'increment', 'click', {});
  if (!ops.some((op) => op[0] === 6 && op[2] === '1')) {
    fail(`patch has no set-text op with "1": ${JSON.stringify(ops)}`);
  }
  expectCount(root, '1');

  step('click #decrement; expect #count "0"');
  await sendEvent(root, 'decrement', 'click', {});
  expectCount(root, '0');

  step('input "abc" into #echo-input; expect #echo "abc"');
  await sendEvent(root, 'echo-input', 'input', { value: 'abc' });
  const echo = textContent(requireElement(root, 'echo'));
  if (echo !== 'abc') fail(`#echo text is ${JSON.stringify(echo)}, expected "abc"`);

  step('send an unknown handler ID; expect an unknown-handler error');
  socket.emit('event', { path: '/', handler: 999999, payload: {} });
  const error = await nextMessage('error');
  if (error?.code !== 'unknown-handler') fail(`expected code "unknown-handler", got ${JSON.stringify(error)}`);
}

run('socketio_counter', main, {
  cleanup: async () => {
    socket?.disconnect();
  },
});
