// Trellis client runtime, served at /_trellis/client.js with `defer`.
//
// It attaches to the prerendered route under #trellis-root, talks to the host
// over Socket.IO v5 / Engine.IO v4 on a plain WebSocket, sends DOM events as
// handler calls and applies the patches that come back. docs/protocol.md is
// the contract for every message and JSON form used here.
(() => {
  'use strict';

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const MATHML_NS = 'http://www.w3.org/1998/Math/MathML';
  const HTML_NS = 'http://www.w3.org/1999/xhtml';
  const XLINK_NS = 'http://www.w3.org/1999/xlink';
  const XML_NS = 'http://www.w3.org/XML/1998/namespace';
  const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

  const RECONNECT_MIN_MS = 500;
  const RECONNECT_MAX_MS = 10000;

  // Input types whose `value` property is separate from the `value`
  // attribute (the HTML "value" mode). For the other types the property
  // reflects the attribute, and writing it would add the attribute back.
  const VALUE_MODE_TYPES = new Set([
    'text', 'search', 'url', 'tel', 'email', 'password', 'number', 'range',
    'color', 'date', 'month', 'week', 'time', 'datetime-local',
  ]);

  const DELEGATED_EVENTS = ['click', 'input', 'change', 'submit'];

  // ---- Creating DOM nodes from JSON -------------------------------------

  // Returns the namespace that children of `parent` are created in, as the
  // HTML parser would: foreign content stays foreign except under
  // <foreignObject>, which switches back to HTML.
  function childNamespace(parent) {
    if (!parent || parent.nodeType !== Node.ELEMENT_NODE) return HTML_NS;
    const ns = parent.namespaceURI;
    if (ns === SVG_NS && parent.localName === 'foreignObject') return HTML_NS;
    return ns === SVG_NS || ns === MATHML_NS ? ns : HTML_NS;
  }

  // Creates a DOM node from its JSON form (a string, or [tag, attrs,
  // children]). `namespace` is that of the future parent's children.
  // Throws a TypeError on a malformed node.
  function createNode(json, namespace = HTML_NS) {
    if (typeof json === 'string') return document.createTextNode(json);
    if (!Array.isArray(json) || json.length !== 3 || typeof json[0] !== 'string' ||
        !Array.isArray(json[1]) || !Array.isArray(json[2])) {
      throw new TypeError(`invalid node ${JSON.stringify(json)}`);
    }
    const [tag, attrs, children] = json;
    let ns = namespace;
    if (tag === 'svg') ns = SVG_NS;
    else if (tag === 'math') ns = MATHML_NS;
    const element = ns === HTML_NS
      ? document.createElement(tag)
      : document.createElementNS(ns, tag);
    for (const attr of attrs) {
      if (!Array.isArray(attr) || typeof attr[0] !== 'string' || typeof attr[1] !== 'string') {
        throw new TypeError(`invalid attribute ${JSON.stringify(attr)} on <${tag}>`);
      }
      writeAttribute(element, attr[0], attr[1]);
    }
    const inner = childNamespace(element);
    for (const child of children) element.appendChild(createNode(child, inner));
    return element;
  }

  // Sets an attribute. On SVG and MathML elements the prefixed names that the
  // HTML parser puts into a namespace (xlink:href, xml:lang, xmlns:xlink) go
  // into that namespace too, so created and parsed nodes compare equal.
  function writeAttribute(element, name, value) {
    const ns = foreignAttributeNamespace(element, name);
    if (ns) element.setAttributeNS(ns, name, value);
    else element.setAttribute(name, value);
  }

  function deleteAttribute(element, name) {
    const ns = foreignAttributeNamespace(element, name);
    if (ns) element.removeAttributeNS(ns, name.slice(name.indexOf(':') + 1));
    else element.removeAttribute(name);
  }

  function foreignAttributeNamespace(element, name) {
    if (element.namespaceURI === HTML_NS) return null;
    if (name.startsWith('xlink:')) return XLINK_NS;
    if (name.startsWith('xml:')) return XML_NS;
    if (name === 'xmlns' || name.startsWith('xmlns:')) return XMLNS_NS;
    return null;
  }

  // ---- Live properties --------------------------------------------------

  function hasValueProperty(element) {
    if (element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement) return true;
    return element instanceof HTMLInputElement && VALUE_MODE_TYPES.has(element.type);
  }

  // Writes `.value` only when it differs, because every write moves the
  // caret of a focused input to the end.
  function setValueProperty(element, value) {
    if (element.value !== value) element.value = value;
  }

  // Brings the live property in line after attribute `name` was set
  // (`present`) or removed, so a patch also reaches controls that the user
  // has already edited.
  function syncProperty(element, name, value, present) {
    if (name === 'value' && hasValueProperty(element)) {
      if (present) setValueProperty(element, value);
      // After removal the control falls back to its default value. A select
      // has none of its own: its options' `selected` decides.
      else if (!(element instanceof HTMLSelectElement)) setValueProperty(element, element.defaultValue);
    } else if (name === 'checked' && element instanceof HTMLInputElement) {
      element.checked = present;
    } else if (name === 'selected' && element instanceof HTMLOptionElement) {
      element.selected = present;
    }
  }

  // A textarea's text child is only its default value. Once the user has
  // typed, the live value no longer follows it, so copy it over.
  function syncTextarea(node) {
    if (node instanceof HTMLTextAreaElement) setValueProperty(node, node.defaultValue);
  }

  // ---- Applying patch operations ----------------------------------------

  class PatchError extends Error {}

  function isIndex(value) {
    return Number.isInteger(value) && value >= 0;
  }

  // Resolves a path of childNodes indices below `root`. The empty path is
  // `root` itself, which is valid only as a parent.
  function resolve(root, path) {
    if (!Array.isArray(path) || !path.every(isIndex)) {
      throw new PatchError(`invalid path ${JSON.stringify(path)}`);
    }
    let node = root;
    for (let depth = 0; depth < path.length; depth++) {
      const child = node.childNodes[path[depth]];
      if (!child) {
        throw new PatchError(`path ${JSON.stringify(path)} has no node at depth ${depth}`);
      }
      node = child;
    }
    return node;
  }

  function resolveTarget(root, path) {
    if (Array.isArray(path) && path.length === 0) {
      throw new PatchError('empty path: the root element is not part of the route');
    }
    return resolve(root, path);
  }

  function resolveElement(root, path) {
    const node = resolve(root, path);
    if (node.nodeType !== Node.ELEMENT_NODE) {
      throw new PatchError(`path ${JSON.stringify(path)} is not an element`);
    }
    return node;
  }

  function requireIndex(value, max, label) {
    if (!isIndex(value) || value > max) {
      throw new PatchError(`${label} ${JSON.stringify(value)} is out of range 0..${max}`);
    }
  }

  function requireString(value, label) {
    if (typeof value !== 'string') throw new PatchError(`${label} is not a string`);
  }

  function applyOp(root, op) {
    if (!Array.isArray(op)) throw new PatchError('op is not an array');
    switch (op[0]) {
      case 0: { // [0, path, node]: replace
        const target = resolveTarget(root, op[1]);
        const parent = target.parentNode;
        parent.replaceChild(createNode(op[2], childNamespace(parent)), target);
        syncTextarea(parent);
        break;
      }
      case 1: { // [1, parent, index, node]: insert
        const parent = resolveElement(root, op[1]);
        requireIndex(op[2], parent.childNodes.length, 'insert index');
        const node = createNode(op[3], childNamespace(parent));
        parent.insertBefore(node, parent.childNodes[op[2]] ?? null);
        syncTextarea(parent);
        break;
      }
      case 2: { // [2, parent, index]: remove
        const parent = resolveElement(root, op[1]);
        requireIndex(op[2], parent.childNodes.length - 1, 'remove index');
        parent.removeChild(parent.childNodes[op[2]]);
        syncTextarea(parent);
        break;
      }
      case 3: { // [3, parent, from, to]: move
        const parent = resolveElement(root, op[1]);
        const last = parent.childNodes.length - 1;
        requireIndex(op[2], last, 'move source index');
        requireIndex(op[3], last, 'move target index');
        moveChild(parent, op[2], op[3]);
        break;
      }
      case 4: { // [4, path, name, value]: set attribute
        requireString(op[2], 'attribute name');
        requireString(op[3], 'attribute value');
        const element = resolveElement(root, op[1]);
        if (element === root) throw new PatchError('cannot set attributes of the root element');
        writeAttribute(element, op[2], op[3]);
        syncProperty(element, op[2], op[3], true);
        break;
      }
      case 5: { // [5, path, name]: remove attribute
        requireString(op[2], 'attribute name');
        const element = resolveElement(root, op[1]);
        if (element === root) throw new PatchError('cannot remove attributes of the root element');
        deleteAttribute(element, op[2]);
        syncProperty(element, op[2], '', false);
        break;
      }
      case 6: { // [6, path, text]: set text
        requireString(op[2], 'text');
        const node = resolveTarget(root, op[1]);
        if (node.nodeType !== Node.TEXT_NODE) {
          throw new PatchError(`path ${JSON.stringify(op[1])} is not a text node`);
        }
        node.data = op[2];
        syncTextarea(node.parentNode);
        break;
      }
      default:
        throw new PatchError(`unknown op code ${JSON.stringify(op[0])}`);
    }
  }

  // Moves child `from` so that it becomes child `to`. Chromium's moveBefore
  // keeps focus and other state of the moved subtree. insertBefore is the
  // fallback where it is missing or rejects the move.
  function moveChild(parent, from, to) {
    if (from === to) return;
    const child = parent.childNodes[from];
    // The reference node is counted as if `child` were already taken out.
    const reference = parent.childNodes[to < from ? to : to + 1] ?? null;
    if (typeof parent.moveBefore === 'function') {
      try {
        parent.moveBefore(child, reference);
        return;
      } catch {
        // Falls through, for example when the parent is not connected.
      }
    }
    parent.insertBefore(child, reference);
  }

  // Applies patch ops in order under `root`. Throws a PatchError naming the
  // first op that does not fit the DOM. The ops before it stay applied.
  function applyOps(root, ops) {
    if (!Array.isArray(ops)) throw new PatchError('ops is not an array');
    ops.forEach((op, index) => {
      try {
        applyOp(root, op);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new PatchError(`op ${index} ${JSON.stringify(op)} failed: ${reason}`);
      }
    });
  }

  // ---- Events from the DOM ----------------------------------------------

  // Reads the payload of a DOM event as docs/protocol.md defines it.
  // `listener` is the element that carries the data-trellis-<event> attribute.
  function eventPayload(event, listener) {
    if (event.type === 'click') return {};
    if (event.type === 'submit') {
      const form = listener instanceof HTMLFormElement ? listener : event.target;
      const data = new FormData(form, event.submitter ?? null);
      const fields = [];
      for (const [name, value] of data) {
        fields.push([name, typeof value === 'string' ? value : value.name]);
      }
      return { form: fields };
    }
    // input and change: a listener on a wrapper reports the control that
    // fired the event.
    const control = isControl(listener) ? listener : event.target;
    return { value: controlValue(control) };
  }

  function isControl(element) {
    return element instanceof HTMLInputElement || element instanceof HTMLSelectElement ||
      element instanceof HTMLTextAreaElement;
  }

  function controlValue(control) {
    if (control instanceof HTMLInputElement && (control.type === 'checkbox' || control.type === 'radio')) {
      return control.checked ? 'on' : '';
    }
    return isControl(control) ? control.value : '';
  }

  // Returns true for elements whose click would navigate or submit natively.
  function hasNativeClickAction(element) {
    if (element instanceof HTMLAnchorElement || element instanceof HTMLAreaElement) {
      return element.hasAttribute('href');
    }
    if (element instanceof HTMLButtonElement) return element.type === 'submit' && element.form !== null;
    if (element instanceof HTMLInputElement) {
      return (element.type === 'submit' || element.type === 'image') && element.form !== null;
    }
    return false;
  }

  // Finds the nearest element from the event target up to (not including)
  // the route's root element that listens to this event type.
  function findListener(event, root) {
    const attribute = `data-trellis-${event.type}`;
    let node = event.target;
    if (node && node.nodeType !== Node.ELEMENT_NODE) node = node.parentElement;
    if (!node || !root.contains(node)) return null;
    for (; node && node !== root; node = node.parentElement) {
      if (node.hasAttribute(attribute)) return { element: node, value: node.getAttribute(attribute) };
    }
    return null;
  }

  // ---- The connection ---------------------------------------------------

  // One page has one route and one connection. The state lives in this
  // closure, and nothing else is global but `window.trellis`.
  function startRuntime(root) {
    const renderData = readRenderData();
    // The path that event and unmount messages name. It starts as the route
    // attribute and becomes the path the host reports in attached or render.
    let routePath = root.getAttribute('data-trellis-route') ?? location.pathname;
    // The prerendered render data describes the DOM only until the first
    // render or patch changes it. Later mounts send null, so the host
    // always sends the full tree.
    let domIsPrerendered = true;
    let socket = null;
    let connected = false;       // true between `40` and the socket's close
    let reconnectAttempts = 0;
    let reconnectTimer = 0;
    let heartbeatTimer = 0;
    let heartbeatMs = 45000;     // replaced by the values of the open packet
    let resyncing = false;       // true from a failed patch to the next render
    let leaving = false;         // true after pagehide, so closing is expected
    let ready = false;
    const outbox = [];           // [name, data] pairs waiting for a connection

    setConnectionState('connecting');

    function readRenderData() {
      const script = document.getElementById('trellis-data');
      if (!script) return null;
      try {
        return JSON.parse(script.textContent);
      } catch (error) {
        console.error('trellis: invalid render data in #trellis-data, mounting without it', error);
        return null;
      }
    }

    // The connection state is an attribute of <html> that pages may style
    // (html[data-trellis-connection="lost"]). The runtime itself shows
    // nothing, so the indicator is off unless a page's CSS turns it on.
    function setConnectionState(state) {
      document.documentElement.setAttribute('data-trellis-connection', state);
    }

    function mountMessage() {
      return { path: location.pathname + location.search, render: domIsPrerendered ? renderData : null };
    }

    function send(name, data) {
      if (connected && socket.readyState === WebSocket.OPEN) {
        socket.send('42' + JSON.stringify([name, data]));
      } else {
        outbox.push([name, data]);
      }
    }

    // Sends mount first on every new connection, then the messages that
    // waited, in the order they were queued. Queued mounts are dropped
    // because the fresh mount replaces them.
    function onNamespaceConnected() {
      connected = true;
      reconnectAttempts = 0;
      setConnectionState('connected');
      socket.send('42' + JSON.stringify(['mount', mountMessage()]));
      const waiting = outbox.splice(0);
      for (const [name, data] of waiting) {
        if (name !== 'mount') send(name, data);
      }
    }

    function connect() {
      reconnectTimer = 0;
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const ws = new WebSocket(`${scheme}://${location.host}/socket.io/?EIO=4&transport=websocket`);
      ws.binaryType = 'arraybuffer';
      socket = ws;
      // Also bounds a handshake that never completes.
      armHeartbeat(heartbeatMs);
      ws.onmessage = (message) => {
        if (socket === ws) onFrame(ws, message.data);
      };
      ws.onclose = (close) => {
        if (socket === ws) onClosed(close);
      };
    }

    function onClosed(close) {
      clearTimeout(heartbeatTimer);
      connected = false;
      socket = null;
      if (leaving) return;
      setConnectionState('lost');
      const cap = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** reconnectAttempts);
      // Half the delay is random, so tabs that lost the same host do not
      // all come back at the same instant.
      const delay = cap / 2 + Math.random() * (cap / 2);
      reconnectAttempts++;
      console.warn(`trellis: connection closed (code ${close.code}), reconnecting in ${Math.round(delay)} ms`);
      reconnectTimer = setTimeout(connect, delay);
    }

    // Closes the socket. Its close event then schedules the reconnect.
    function dropConnection(reason) {
      console.warn(`trellis: ${reason}, closing the connection`);
      if (socket) socket.close();
    }

    // The host sends a ping every pingInterval ms and waits pingTimeout ms
    // for the pong. When no frame at all has arrived for the sum of both,
    // the connection is presumed dead.
    function armHeartbeat(timeoutMs) {
      clearTimeout(heartbeatTimer);
      heartbeatTimer = setTimeout(() => dropConnection(`no frame from the host for ${timeoutMs} ms`), timeoutMs);
    }

    // Handles one Engine.IO packet. On the WebSocket transport each frame
    // carries exactly one packet.
    function onFrame(ws, data) {
      // Binary frames are attachments of `45`/`46` packets, which are ignored.
      if (typeof data !== 'string') return;
      armHeartbeat(heartbeatMs);
      switch (data[0]) {
        case '0': { // open
          let open = null;
          try {
            open = JSON.parse(data.slice(1));
          } catch (error) {
            console.error('trellis: invalid Engine.IO open packet', data, error);
          }
          const timeoutMs = open?.pingInterval + open?.pingTimeout;
          if (Number.isFinite(timeoutMs) && timeoutMs > 0) heartbeatMs = timeoutMs;
          armHeartbeat(heartbeatMs);
          ws.send('40');
          break;
        }
        case '1': // the host closes the Engine.IO session
          ws.close();
          break;
        case '2': // ping
          ws.send('3');
          break;
        case '4':
          onSocketIoPacket(data.slice(1));
          break;
        case '6': // noop
          break;
        default:
          console.debug('trellis: ignoring Engine.IO packet', data);
      }
    }

    // Handles one Socket.IO packet: a type digit, an optional namespace
    // ("/name,"), an optional ack ID, then JSON.
    function onSocketIoPacket(packet) {
      const type = packet[0];
      let rest = packet.slice(1);
      if (rest.startsWith('/')) {
        const comma = rest.indexOf(',');
        const namespace = comma < 0 ? rest : rest.slice(0, comma);
        if (namespace !== '/') {
          console.debug('trellis: ignoring packet for namespace', namespace);
          return;
        }
        rest = comma < 0 ? '' : rest.slice(comma + 1);
      }
      switch (type) {
        case '0': // CONNECT acknowledged
          onNamespaceConnected();
          break;
        case '1': // DISCONNECT by the host
          dropConnection('the host disconnected the namespace');
          break;
        case '2': { // EVENT
          // Trellis messages use no acks, so an ack ID is skipped and not answered.
          const json = rest.replace(/^\d+/, '');
          let event;
          try {
            event = JSON.parse(json);
          } catch (error) {
            console.error('trellis: invalid event packet', packet, error);
            return;
          }
          if (Array.isArray(event) && typeof event[0] === 'string') {
            onEvent(event[0], event[1]);
          } else {
            console.error('trellis: event packet without an event name', packet);
          }
          break;
        }
        case '4': // CONNECT_ERROR
          console.error('trellis: the host rejected the connection', rest);
          dropConnection('connect error');
          break;
        default: // 3 ACK, 5 BINARY_EVENT, 6 BINARY_ACK: not used by Trellis
          console.debug('trellis: ignoring Socket.IO packet', packet.slice(0, 80));
      }
    }

    function onEvent(name, data) {
      switch (name) {
        case 'attached':
          routePath = data?.path ?? routePath;
          resyncing = false;
          markReady();
          break;
        case 'render':
          onRender(data);
          break;
        case 'patch':
          onPatch(data);
          break;
        case 'error':
          onError(data);
          break;
        default:
          console.debug('trellis: ignoring unknown event', name, data);
      }
    }

    function onRender(data) {
      if (!data || !Array.isArray(data.nodes)) {
        console.error('trellis: invalid render message', data);
        return;
      }
      let nodes;
      try {
        nodes = data.nodes.map((json) => createNode(json, HTML_NS));
      } catch (error) {
        console.error('trellis: invalid node in render message', error);
        return;
      }
      routePath = data.path ?? routePath;
      domIsPrerendered = false;
      resyncing = false;
      root.replaceChildren(...nodes);
      markReady();
    }

    // Applies a patch. When an op does not fit the DOM, the DOM and the
    // host's tree have diverged, so the runtime mounts again without render
    // data: the host then sends the full tree. The route's guest state
    // restarts with that mount. Patches that arrive before that tree are
    // based on the diverged one and are dropped.
    function onPatch(data) {
      if (!data || data.path !== routePath) {
        console.debug('trellis: ignoring patch for another route', data?.path);
        return;
      }
      if (resyncing) {
        console.debug('trellis: dropping patch while waiting for the full tree');
        return;
      }
      domIsPrerendered = false;
      try {
        applyOps(root, data.ops);
      } catch (error) {
        if (!(error instanceof PatchError)) throw error;
        console.error(`trellis: patch for ${data.path} does not fit the DOM, mounting again:`, error.message);
        resyncing = true;
        send('mount', mountMessage());
        return;
      }
      document.dispatchEvent(new CustomEvent('trellis:patched', { detail: { path: data.path } }));
    }

    function onError(data) {
      const code = data?.code ?? 'unknown';
      // The page stays as it is for every code. After render-failed the
      // host has already put the route into its error state.
      console.error(`trellis: ${code} error for route ${data?.path ?? '(none)'}: ${data?.message ?? ''}`);
    }

    function markReady() {
      if (ready) return;
      ready = true;
      document.dispatchEvent(new CustomEvent('trellis:ready'));
    }

    function onDomEvent(event) {
      const listener = findListener(event, root);
      if (!listener) return;
      if (event.type === 'submit' ||
          (event.type === 'click' && hasNativeClickAction(listener.element))) {
        event.preventDefault();
      }
      if (!/^\d+$/.test(listener.value)) {
        console.error(`trellis: invalid handler ID ${JSON.stringify(listener.value)} on`, listener.element);
        return;
      }
      const payload = eventPayload(event, listener.element);
      send('event', { path: routePath, handler: Number(listener.value), payload });
    }

    for (const type of DELEGATED_EVENTS) document.addEventListener(type, onDomEvent);

    // Leaving the page closes the socket, and that close is not a lost
    // connection. A page restored from the back/forward cache connects again.
    // The socket is forgotten at once, because a page frozen for that cache
    // may never see the close event.
    window.addEventListener('pagehide', () => {
      leaving = true;
      connected = false;
      clearTimeout(reconnectTimer);
      clearTimeout(heartbeatTimer);
      reconnectTimer = 0;
      const ws = socket;
      socket = null;
      ws?.close();
    });
    window.addEventListener('pageshow', (event) => {
      if (!event.persisted) return;
      leaving = false;
      domIsPrerendered = false;
      setConnectionState('connecting');
      connect();
    });

    connect();

    return {
      get connected() { return connected; },
      get ready() { return ready; },
    };
  }

  // ---- Start ------------------------------------------------------------

  let runtime = null;

  function start() {
    const root = document.getElementById('trellis-root');
    // Without a route root (such as a test page that loads only this
    // script) the runtime only offers applyOps and createNode.
    if (root) runtime = startRuntime(root);
  }

  window.trellis = Object.freeze({
    applyOps,
    createNode: (json) => createNode(json, HTML_NS),
    get connected() { return runtime?.connected ?? false; },
    get ready() { return runtime?.ready ?? false; },
  });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
  else start();
})();
