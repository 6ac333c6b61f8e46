// Trellis client runtime, served at /_trellis/client.js with `defer`.
//
// It attaches to the prerendered route under #trellis-root, talks to the host
// over Socket.IO v5 / Engine.IO v4 on a plain WebSocket, sends DOM events as
// handler calls and applies the patches that come back. It resumes its
// render session after a dropped connection and moves between routes on
// same-origin link clicks without loading a new page. docs/protocol.md is
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

  // An automatic reload (after `reload` or `session-expired`) is skipped when
  // the tab did one less than this long ago, so a host that keeps asking
  // cannot put the tab into a reload loop. The time of the last one is kept
  // in sessionStorage, which survives the reload but is per tab.
  const RELOAD_GUARD_MS = 10000;
  const RELOAD_TIME_KEY = 'trellis:auto-reload-at';

  // Host messages that carry a `seq` number within their render session.
  const SEQUENCED_EVENTS = new Set(['attached', 'render', 'patch', 'error', 'navigate']);

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

  // ---- Links --------------------------------------------------------------

  // Returns the URL that a click should navigate to inside the tab, or null
  // when the browser should handle the click itself. The browser keeps
  // modified and non-primary clicks, links to another window or origin,
  // downloads and links that have their own click listener.
  function linkTarget(event) {
    if (event.defaultPrevented || event.button !== 0) return null;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return null;
    let node = event.target;
    if (node && node.nodeType !== Node.ELEMENT_NODE) node = node.parentElement;
    const link = node?.closest('a[href]');
    if (!(link instanceof HTMLAnchorElement)) return null;
    const target = link.getAttribute('target');
    if (target && target.toLowerCase() !== '_self') return null;
    if (link.hasAttribute('download') || link.hasAttribute('data-trellis-click')) return null;
    let url;
    try {
      url = new URL(link.href);
    } catch {
      return null;
    }
    if (url.origin !== location.origin) return null;
    return url;
  }

  // ---- The connection ---------------------------------------------------

  // One page shows one route at a time over one connection. The state lives
  // in this closure, and nothing else is global but `window.trellis`.
  function startRuntime(root) {
    const renderData = readRenderData();
    // The path that event and unmount messages name. It starts as the route
    // attribute and becomes the path the host reports in attached or render.
    let routePath = root.getAttribute('data-trellis-route') ?? location.pathname;
    // Path and query of the route the root element shows. A new render
    // session mounts it.
    let routeUrl = location.pathname + location.search;
    // The path of the route that the host has active, or will have once it
    // handles the mount already sent. The next navigation unmounts it.
    let mountedPath = routePath;
    // The navigation waiting for its render: {url, path, hash, push}, where
    // `url` is path and query. Null when the root shows the route in `url`.
    let navigation = null;
    // The prerendered render data describes the DOM only until the first
    // render or patch changes it. Later mounts send null, so the host
    // always sends the full tree.
    let domIsPrerendered = true;
    let socket = null;
    let connected = false;       // true between `40` and the socket's close
    // True from `session` or `resumed` to the socket's close. Messages wait in
    // the outbox before that, so none reaches the host ahead of the mount.
    let inSession = false;
    let sessionToken = null;     // render session token, in memory only
    let highestSeq = 0;          // of the host messages handled in this render session
    let reconnectAttempts = 0;
    let reconnectTimer = 0;
    let heartbeatTimer = 0;
    let heartbeatMs = 45000;     // replaced by the values of the open packet
    let resyncing = false;       // true from a failed patch to the next render
    let leaving = false;         // true after pagehide, so closing is expected
    let stopped = false;         // true after reload or session-expired: no reconnects
    let ready = false;
    const outbox = [];           // [name, data] pairs waiting for a render session

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

    // Mounts the route that the tab shows or is navigating to.
    function mountMessage() {
      const url = navigation?.url ?? routeUrl;
      return { path: url, render: domIsPrerendered ? renderData : null };
    }

    function send(name, data) {
      if (inSession && socket?.readyState === WebSocket.OPEN) {
        socket.send('42' + JSON.stringify([name, data]));
      } else {
        outbox.push([name, data]);
      }
    }

    // The CONNECT packet. With a token it requests that the host resume the
    // render session after the highest `seq` handled.
    function connectPacket() {
      if (sessionToken === null) return '40';
      return '40' + JSON.stringify({ resume: sessionToken, seq: highestSeq });
    }

    function onNamespaceConnected() {
      connected = true;
      reconnectAttempts = 0;
      setConnectionState('connected');
    }

    // A new render session has nothing mounted, so the runtime sends mount
    // first, then the messages that waited, in the order they were queued.
    // Queued mount and unmount messages are dropped because the fresh mount
    // replaces them. Queued events are dropped while a navigation waits,
    // because they name the route being left.
    function onSession(data) {
      if (typeof data?.token !== 'string') {
        console.error('trellis: session message without a token', data);
        return;
      }
      if (sessionToken !== null) {
        console.warn('trellis: the host started a new render session, so the tab state is reset; mounting again');
        // The new render session has no route mounted, and the host's state
        // may differ from the prerender's even if the DOM never changed.
        domIsPrerendered = false;
      }
      sessionToken = data.token;
      highestSeq = 0;
      inSession = true;
      const waiting = outbox.splice(0);
      send('mount', mountMessage());
      mountedPath = navigation?.path ?? routePath;
      for (const [name, message] of waiting) {
        if (name === 'event' && navigation === null) send(name, message);
      }
    }

    // The host kept the render session and resends what this tab missed, so
    // the messages that waited go out unchanged and nothing is mounted.
    function onResumed(data) {
      if (typeof data?.token === 'string') sessionToken = data.token;
      inSession = true;
      const waiting = outbox.splice(0);
      for (const [name, message] of waiting) send(name, message);
      // NOTE: client messages have no sequence numbers, so one sent just
      // before the old socket closed may be lost without notice. A lost
      // navigation mount leaves the navigation waiting until the next one.
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
      inSession = false;
      socket = null;
      if (leaving || stopped) return;
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

    // Closes the socket for good: the tab reloads or has no session left.
    function stop() {
      stopped = true;
      clearTimeout(reconnectTimer);
      clearTimeout(heartbeatTimer);
      reconnectTimer = 0;
      socket?.close();
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
          ws.send(connectPacket());
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
        case 'session':
          onSession(data);
          return;
        case 'resumed':
          onResumed(data);
          return;
        case 'reload':
        case 'session-expired':
          reloadPage(name, data);
          return;
        case 'shutdown':
          // The host process is stopping. The close that follows schedules
          // a reconnect with backoff, and the CONNECT packet asks to resume,
          // so the tab continues if the process it reaches next still has
          // the render session and gets `reload` if not.
          console.warn(`trellis: the host is shutting down (${data?.message ?? 'no message'}), reconnecting`);
          dropConnection('the host is shutting down');
          return;
        default:
          if (!SEQUENCED_EVENTS.has(name)) {
            console.debug('trellis: ignoring unknown event', name, data);
            return;
          }
      }
      // After a resume the host resends from the `seq` in the CONNECT packet,
      // so a message already handled may come again and is skipped. The
      // number counts as handled before the handler runs, so a message that
      // throws is not asked for again.
      const seq = data?.seq;
      if (Number.isInteger(seq)) {
        if (seq <= highestSeq) {
          console.debug(`trellis: skipping ${name} with seq ${seq}, already handled up to ${highestSeq}`);
          return;
        }
        highestSeq = seq;
      }
      switch (name) {
        case 'attached':
          onAttached(data);
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
        case 'navigate':
          onNavigate(data);
          break;
      }
    }

    function onAttached(data) {
      // A navigation mounts with `render: null`, to which the host replies
      // with render, so this attached is for the route being left.
      if (navigation !== null) {
        console.debug('trellis: ignoring attached while a navigation waits for its render', data?.path);
        return;
      }
      routePath = data?.path ?? routePath;
      mountedPath = routePath;
      resyncing = false;
      markReady(true);
    }

    function onRender(data) {
      if (!data || !Array.isArray(data.nodes)) {
        console.error('trellis: invalid render message', data);
        return;
      }
      // While a navigation waits, a render of another path belongs to the
      // route being left or to an earlier navigation that this one replaced.
      if (navigation !== null && data.path !== navigation.path) {
        console.debug('trellis: ignoring render for', data.path, 'while navigating to', navigation.path);
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
      if (navigation !== null) finishNavigation();
      markReady(false);
    }

    // Applies a patch. When an op does not fit the DOM, the DOM and the
    // host's tree have diverged, so the runtime mounts again without render
    // data: the host then sends the full tree. The route's guest state
    // restarts with that mount. Patches that arrive before that tree are
    // based on the diverged one and are dropped.
    function onPatch(data) {
      if (navigation !== null) {
        console.debug('trellis: dropping patch for', data?.path, 'while a navigation waits for its render');
        return;
      }
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
      // A route path that the host does not serve may still be a file or a
      // page of its own, so the browser loads it. A popstate navigation
      // replaces the entry that already has this URL.
      if (code === 'not-found' && navigation !== null &&
          (data.path == null || data.path === navigation.path || data.path === navigation.url)) {
        const href = navigation.url + navigation.hash;
        console.warn(`trellis: no route for ${navigation.url}, loading it as a page`);
        if (navigation.push) location.assign(href);
        else location.replace(href);
        return;
      }
      // The page stays as it is for every other code. After render-failed
      // the host has already put the route into its error state.
      console.error(`trellis: ${code} error for route ${data?.path ?? '(none)'}: ${data?.message ?? ''}`);
    }

    function onNavigate(data) {
      if (typeof data?.path !== 'string') {
        console.error('trellis: navigate message without a path', data);
        return;
      }
      navigateTo(data.path);
    }

    // Reloads the page once, for `reload` (the render session is gone) or
    // `session-expired` (no valid user session cookie). The socket stays
    // closed in both cases, because reconnecting would get the same reply.
    function reloadPage(name, data) {
      const message = data?.message ?? '';
      stop();
      const now = Date.now();
      let last = NaN;
      try {
        last = Number(sessionStorage.getItem(RELOAD_TIME_KEY));
        if (!(now - last < RELOAD_GUARD_MS)) {
          sessionStorage.setItem(RELOAD_TIME_KEY, String(now));
          console.warn(`trellis: ${name} from the host (${message}), reloading the page`);
          location.reload();
          return;
        }
      } catch (error) {
        // Without sessionStorage the guard cannot work, so no reload is safe.
        console.error('trellis: sessionStorage is not available for the reload guard', error);
      }
      console.error(`trellis: ${name} from the host (${message}), but the page was reloaded ` +
        `automatically less than ${RELOAD_GUARD_MS / 1000} s ago or the reload guard failed; ` +
        'not reloading again. Reload the page to continue.');
      setConnectionState('expired');
    }

    function markReady(attached) {
      if (ready) return;
      ready = true;
      document.dispatchEvent(new CustomEvent('trellis:ready', { detail: { attached } }));
    }

    // ---- Navigation -------------------------------------------------------

    // Navigates to `path` (relative to the page URL) as a same-origin link
    // click would. Other origins, and a new hash on the route shown, are left
    // to the browser.
    function navigateTo(path) {
      let url;
      try {
        url = new URL(path, location.href);
      } catch {
        console.error(`trellis: cannot navigate to invalid URL ${JSON.stringify(path)}`);
        return;
      }
      if (url.origin !== location.origin || isHashChange(url)) {
        location.assign(url.href);
        return;
      }
      startNavigation(url, true);
    }

    // True when `url` differs from the route shown (or being navigated to)
    // only in its fragment. A serialized URL has `#` only before a fragment,
    // so an empty fragment (`href="#"`) counts too.
    function isHashChange(url) {
      return url.pathname + url.search === (navigation?.url ?? routeUrl) && url.href.includes('#');
    }

    // Unmounts the route that the host has active and mounts the new one
    // without render data. `push` adds a history entry once the render
    // arrives; popstate passes false, because the entry exists already.
    function startNavigation(url, push) {
      const target = url.pathname + url.search;
      navigation = { url: target, path: url.pathname, hash: url.hash, push };
      domIsPrerendered = false;
      resyncing = false;
      send('unmount', { path: mountedPath });
      send('mount', { path: target, render: null });
      mountedPath = url.pathname;
    }

    // Runs after the render of the navigation's route replaced the DOM.
    function finishNavigation() {
      const { url, hash, push } = navigation;
      navigation = null;
      routeUrl = url;
      mountedPath = routePath;
      root.setAttribute('data-trellis-route', routePath);
      if (push) {
        const href = url + hash;
        // A link to the URL shown remounts the route without a second entry.
        if (href === location.pathname + location.search + location.hash) history.replaceState(history.state, '', href);
        else history.pushState(null, '', href);
      }
      const anchor = hash ? document.getElementById(decodeURIComponent(hash.slice(1))) : null;
      if (anchor) anchor.scrollIntoView();
      else window.scrollTo(0, 0);
      document.dispatchEvent(new CustomEvent('trellis:navigated', { detail: { path: routePath, url } }));
    }

    function onLinkClick(event) {
      const url = linkTarget(event);
      if (url === null || isHashChange(url)) return;
      event.preventDefault();
      startNavigation(url, true);
    }

    // Back and forward. A traversal between entries of the route shown
    // differs only in the hash, which the browser has already handled.
    function onPopState() {
      const url = new URL(location.href);
      if (url.pathname + url.search === (navigation?.url ?? routeUrl)) return;
      startNavigation(url, false);
    }

    // ---- DOM events -------------------------------------------------------

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
      // The route on screen is being unmounted, so the host would reject
      // the event as not-mounted.
      if (navigation !== null) {
        console.debug(`trellis: dropping ${event.type} on the route being left`);
        return;
      }
      const payload = eventPayload(event, listener.element);
      send('event', { path: routePath, handler: Number(listener.value), payload });
    }

    for (const type of DELEGATED_EVENTS) document.addEventListener(type, onDomEvent);
    // Registered after onDomEvent, so a link with its own click listener is
    // already defaultPrevented here.
    document.addEventListener('click', onLinkClick);
    window.addEventListener('popstate', onPopState);

    // Leaving the page closes the socket, and that close is not a lost
    // connection. A page restored from the back/forward cache connects again
    // and resumes its render session if the host still keeps it.
    // The socket is forgotten at once, because a page frozen for that cache
    // may never see the close event.
    window.addEventListener('pagehide', () => {
      leaving = true;
      connected = false;
      inSession = false;
      clearTimeout(reconnectTimer);
      clearTimeout(heartbeatTimer);
      reconnectTimer = 0;
      const ws = socket;
      socket = null;
      ws?.close();
    });
    window.addEventListener('pageshow', (event) => {
      if (!event.persisted || stopped) return;
      leaving = false;
      domIsPrerendered = false;
      setConnectionState('connecting');
      connect();
    });

    connect();

    return {
      get connected() { return connected; },
      get ready() { return ready; },
      get routePath() { return routePath; },
      navigate: navigateTo,
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
    // The path of the route shown, as the host reported it; null without a route root.
    get routePath() { return runtime?.routePath ?? null; },
    // Navigates as a same-origin link click would (no-op without a route root).
    navigate: (path) => runtime?.navigate(path),
  });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
  else start();
})();
