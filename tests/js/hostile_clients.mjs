// Clients that misbehave on purpose: foreign origins, malformed and unknown
// messages, oversized messages, event bursts and floods. Each case checks
// how the host replies and that it keeps serving.
//
// Usage: node hostile_clients.mjs <server base URL> <case> [argument]
//
//   origin <allowed origin>  a foreign Origin gets `forbidden-origin` and is
//                            closed; no Origin, the page's own origin and
//                            the allowed origin connect
//   validation               each malformed message gets `error` with its
//                            code, and a click still patches after each one
//   oversize                 a 1 MiB message closes its connection; a 40 KB
//                            one is handled; another tab keeps working
//   ordering                 1000 clicks sent without waiting give 1000
//                            patches, in order, and a count of 1000
//   flood <clicks>           a burst far past the host's message queue ends
//                            with the tab disconnected (or all patches
//                            arrive in order); another tab keeps working
//
// Assumes the counter example at `/`: #increment has a click listener,
// #count shows the count (0 at mount) as its only child, #echo-input has an
// input listener and #echo shows the echoed text.
import { io } from 'socket.io-client';
import { baseUrlArgument, CheckError, fail, run, step } from './common.mjs';
import { Tab, applyJsonOps, expectText, fetchPage, requireElement, sleep } from './session_client.mjs';

const USAGE = 'node hostile_clients.mjs <server base URL> <origin|validation|oversize|ordering|flood> [argument]';
const base = baseUrlArgument(USAGE);
const [caseName, argument] = process.argv.slice(3);
const tabs = [];

function handlerOf(root, id, event) {
  const pair = requireElement(root, id)[1].find(([name]) => name === `data-trellis-${event}`);
  if (!pair) fail(`#${id} has no data-trellis-${event} attribute`);
  return Number(pair[1]);
}

// Opens a tab with a fresh session cookie, mounts `/` and returns the tab
// and the route's tree model.
async function mountedTab(label) {
  const page = await fetchPage(base, '/');
  const tab = await Tab.connect(base, { label, cookie: page.cookie });
  tabs.push(tab);
  await tab.next('session');
  const root = await tab.mountExpectingRender('/', null);
  return { tab, root };
}

// Clicks #increment and checks that #count becomes `expected`.
async function expectClickWorks(tab, root, expected, context) {
  await tab.click('/', root, 'increment');
  expectText(root, 'count', String(expected), context);
}

// Connects with `headers` on the upgrade request and resolves with the
// first of `session`, `error` or `connect_error`, and the socket.
function connectWithHeaders(headers) {
  const socket = io(base, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5000,
    extraHeaders: headers,
  });
  const disconnected = new Promise((resolve) => socket.on('disconnect', resolve));
  const first = new Promise((resolve) => {
    socket.on('session', (data) => resolve({ name: 'session', data }));
    socket.on('error', (data) => resolve({ name: 'error', data }));
    socket.on('connect_error', (error) => resolve({ name: 'connect_error', data: error.message }));
  });
  return { socket, first, disconnected };
}

async function originCase() {
  if (!argument) fail(`the origin case needs an allowed origin: ${USAGE}`);
  const { cookie } = await fetchPage(base, '/');

  step('connect with Origin http://evil.example; expect error forbidden-origin, then disconnect');
  const foreign = connectWithHeaders({ cookie, origin: 'http://evil.example' });
  const answer = await foreign.first;
  if (answer.name !== 'error' || answer.data?.code !== 'forbidden-origin') {
    fail(`a foreign origin got ${answer.name} ${JSON.stringify(answer.data)}, expected error with code "forbidden-origin"`);
  }
  const reason = await Promise.race([foreign.disconnected, sleep(5000).then(() => null)]);
  if (reason !== 'io server disconnect') fail(`the foreign connection ended with ${JSON.stringify(reason)}, expected "io server disconnect"`);

  const accepted = [
    ['no Origin header', { cookie }],
    [`the page's own origin ${base}`, { cookie, origin: base }],
    [`the allowed origin ${argument}`, { cookie, origin: argument }],
  ];
  for (const [label, headers] of accepted) {
    step(`connect with ${label}; expect session`);
    const connection = connectWithHeaders(headers);
    const reply = await connection.first;
    connection.socket.disconnect();
    if (reply.name !== 'session') fail(`${label} got ${reply.name} ${JSON.stringify(reply.data)}, expected session`);
  }
}

async function validationCase() {
  const { tab, root } = await mountedTab('tab');
  const click = handlerOf(root, 'increment', 'click');
  const input = handlerOf(root, 'echo-input', 'input');
  const longPath = `/${'a'.repeat(2048)}`;
  // [what is wrong, event name, data, expected code]
  const cases = [
    ['event data is a number', 'event', 5, 'bad-request'],
    ['event data is an array of the fields', 'event', ['/', click, {}], 'bad-request'],
    ['event data is missing', 'event', undefined, 'bad-request'],
    ['event handler is a string', 'event', { path: '/', handler: String(click), payload: {} }, 'bad-request'],
    ['event handler is negative', 'event', { path: '/', handler: -1, payload: {} }, 'bad-request'],
    ['event handler is above u32', 'event', { path: '/', handler: 2 ** 32, payload: {} }, 'bad-request'],
    ['event handler is missing', 'event', { path: '/', payload: {} }, 'bad-request'],
    ['event path is missing', 'event', { handler: click, payload: {} }, 'bad-request'],
    ['event has an extra field', 'event', { path: '/', handler: click, payload: {}, extra: 1 }, 'bad-request'],
    ['event payload has an extra field', 'event', { path: '/', handler: click, payload: { x: 1 } }, 'bad-request'],
    ['event payload is a string', 'event', { path: '/', handler: click, payload: 'x' }, 'bad-request'],
    ['input event without a value', 'event', { path: '/', handler: input, payload: {} }, 'bad-request'],
    ['input value is a number', 'event', { path: '/', handler: input, payload: { value: 5 } }, 'bad-request'],
    ['input value is a binary attachment (0xff 0xfe, invalid UTF-8)', 'event',
      { path: '/', handler: input, payload: { value: Buffer.from([0xff, 0xfe]) } }, 'bad-request'],
    ['event data is a binary attachment', 'event', Buffer.from([0xff, 0x00, 0xfe]), 'bad-request'],
    ['handler ID never issued', 'event', { path: '/', handler: 999999, payload: {} }, 'unknown-handler'],
    ['event for an unmounted path', 'event', { path: '/lucky', handler: click, payload: {} }, 'not-mounted'],
    ['unmount of an unmounted path', 'unmount', { path: '/lucky' }, 'not-mounted'],
    ['unmount with an extra field', 'unmount', { path: '/', extra: true }, 'bad-request'],
    ['mount path without a leading slash', 'mount', { path: 'lucky', render: null }, 'bad-request'],
    ['mount path over 2 KiB', 'mount', { path: longPath, render: null }, 'bad-request'],
    ['mount path is a number', 'mount', { path: 7, render: null }, 'bad-request'],
    ['mount render is a string', 'mount', { path: '/', render: 'x' }, 'bad-request'],
    ['mount of a path no route matches', 'mount', { path: '/no-such-route', render: null }, 'not-found'],
    ['unknown event name', 'explode', { path: '/' }, 'bad-request'],
  ];

  let count = 0;
  for (const [label, name, data, code] of cases) {
    step(`${label}: expect error ${code}, then a working click`);
    if (data === undefined) tab.emit(name);
    else tab.emit(name, data);
    const error = await tab.next('error');
    if (error?.code !== code) fail(`${label}: got error ${JSON.stringify(error)}, expected code "${code}"`);
    if (typeof error.message !== 'string' || error.message === '') fail(`${label}: error has no message: ${JSON.stringify(error)}`);
    if (name === 'explode' && error.message !== 'unknown event `explode`') {
      fail(`${label}: message is ${JSON.stringify(error.message)}, expected "unknown event \`explode\`"`);
    }
    count += 1;
    await expectClickWorks(tab, root, count, `click after "${label}"`);
  }
  await tab.expectNone('error', 200);
  if (!tab.socket.connected) fail('the connection closed during the malformed messages');
}

async function oversizeCase() {
  const { tab, root } = await mountedTab('sender');
  const click = handlerOf(root, 'increment', 'click');
  const input = handlerOf(root, 'echo-input', 'input');

  step('send a 40,000-character input value; expect #echo to show it');
  const text = 'x'.repeat(40000);
  tab.emit('event', { path: '/', handler: input, payload: { value: text } });
  await tab.applyNextPatch('/', root);
  expectText(root, 'echo', text, 'after a 40,000-character input');

  step('send a 1 MiB event message; expect the host to close the connection without handling it');
  const started = Date.now();
  tab.emit('event', { path: '/', handler: click, payload: { value: 'y'.repeat(1 << 20) } });
  const reason = await tab.next('disconnect', 10000);
  console.log(`  disconnected after ${Date.now() - started} ms with reason ${JSON.stringify(reason)}`);
  const patch = tab.inbox.find((message) => message.name === 'patch');
  if (patch) fail(`the host handled the 1 MiB message: ${JSON.stringify(patch.data).slice(0, 200)}`);

  step('a second tab mounts and clicks');
  const other = await mountedTab('second');
  await expectClickWorks(other.tab, other.root, 1, 'second tab after the oversized message');
}

// Sends `clicks` increments without waiting and reads the patches until all
// arrived or the connection closed. Each patch must set #count to one more
// than the one before. Returns how many patches arrived and whether the
// host disconnected.
async function burst(tab, root, clicks, timeoutMs) {
  const handler = handlerOf(root, 'increment', 'click');
  for (let index = 0; index < clicks; index += 1) {
    tab.emit('event', { path: '/', handler, payload: {} });
  }
  let received = 0;
  let lastSeq = null;
  const deadline = Date.now() + timeoutMs;
  while (received < clicks) {
    const message = await tab.nextOf(['patch', 'error', 'disconnect'], Math.max(0, deadline - Date.now()));
    if (message.name === 'disconnect') return { received, disconnected: message.data };
    if (message.name === 'error') fail(`error after ${received} patches: ${JSON.stringify(message.data)}`);
    const patch = message.data;
    if (lastSeq !== null && patch.seq !== lastSeq + 1) fail(`patch ${received + 1} has seq ${patch.seq}, expected ${lastSeq + 1}`);
    lastSeq = patch.seq;
    applyJsonOps(root, patch.ops);
    received += 1;
    expectText(root, 'count', String(received), `after patch ${received}`);
  }
  return { received, disconnected: null };
}

async function orderingCase() {
  const { tab, root } = await mountedTab('tab');

  step('send 1000 clicks without waiting; expect 1000 patches counting up by one');
  const started = Date.now();
  const { received, disconnected } = await burst(tab, root, 1000, 25000);
  if (disconnected) fail(`disconnected (${disconnected}) after ${received} of 1000 patches`);
  console.log(`  1000 patches in ${Date.now() - started} ms`);
  expectText(root, 'count', '1000', 'after 1000 clicks');
}

async function floodCase() {
  const clicks = Number(argument);
  if (!Number.isInteger(clicks) || clicks <= 0) fail(`the flood case needs a click count: ${USAGE}`);
  const { tab, root } = await mountedTab('flooder');

  step(`send ${clicks} clicks without waiting; expect a disconnect, or every patch in order`);
  const started = Date.now();
  const { received, disconnected } = await burst(tab, root, clicks, 25000);
  const outcome = disconnected ? `disconnected (${disconnected})` : 'not disconnected';
  console.log(`@figure flood: ${outcome} after ${received} of ${clicks} patches in ${Date.now() - started} ms`);

  step('a second tab mounts and clicks');
  const other = await mountedTab('second');
  await expectClickWorks(other.tab, other.root, 1, 'second tab after the flood');
}

const cases = {
  origin: originCase,
  validation: validationCase,
  oversize: oversizeCase,
  ordering: orderingCase,
  flood: floodCase,
};

async function main() {
  const runCase = cases[caseName];
  if (!runCase) throw new CheckError(`unknown case ${JSON.stringify(caseName)}: ${USAGE}`);
  await runCase();
}

run(`hostile_clients ${caseName}`, main, {
  timeoutMs: 60000,
  cleanup: async () => {
    for (const tab of tabs) tab.close();
  },
});
