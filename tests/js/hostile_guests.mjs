// A guest that traps during an event, in a tab that also mounts another
// route: only the failing route shows its error state, the other keeps
// working, and mounting the failing route again gets a fresh instance.
//
// Usage: node hostile_guests.mjs <server base URL> <route>
//
// <route> is one of the test guests whose `#boom` click handler traps:
// /event-panic, /event-loop, /event-alloc or /recurse. The script stops at
// checkpoint `failed` after the route failed and at `remounted` after the
// second mount, so the Rust test can count the live guest instances.
//
// Assumes the test guests: /global-a's #bump increments the global key
// `shared` and shows it in #value.
import { baseUrlArgument, fail, run, step } from './common.mjs';
import { Tab, checkpoint, expectText, fetchPage, requireElement } from './session_client.mjs';

const usage = 'node hostile_guests.mjs <server base URL> <route>';
const base = baseUrlArgument(usage);
const route = process.argv[3];
if (!route?.startsWith('/')) {
  console.error(`usage: ${usage}`);
  process.exit(2);
}
let tab = null;

// True when the first node of the route's tree is the host's error node.
function showsErrorNode(root) {
  const first = root[2][0];
  return typeof first !== 'string' && first[1].some(([name, value]) => name === 'class' && value === 'trellis-error');
}

async function main() {
  const { cookie } = await fetchPage(base, '/global-a');
  tab = await Tab.connect(base, { label: 'tab', cookie });
  await tab.next('session');

  step(`mount /global-a and ${route}`);
  const counter = await tab.mountExpectingRender('/global-a', null);
  const hostile = await tab.mountExpectingRender(route, null);
  expectText(counter, 'value', '0', '/global-a at mount');

  step(`click #boom in ${route}; expect the error node and a render-failed error`);
  // The CPU deadline of /event-loop is up to a few seconds in these tests.
  await tab.click(route, hostile, 'boom', 15000);
  if (!showsErrorNode(hostile)) fail(`${route} does not show the error node after the trap: ${JSON.stringify(hostile[2])}`);
  const error = await tab.next('error');
  if (error.path !== route || error.code !== 'render-failed') {
    fail(`expected a render-failed error for ${route}, got ${JSON.stringify(error)}`);
  }
  await checkpoint('failed');

  step('click #bump in /global-a; expect it to show 1');
  await tab.click('/global-a', counter, 'bump');
  expectText(counter, 'value', '1', '/global-a after the other route failed');

  step(`mount ${route} again; expect its normal tree from a fresh instance`);
  const fresh = await tab.mountExpectingRender(route, null);
  if (showsErrorNode(fresh)) fail(`${route} still shows the error node after a new mount`);
  requireElement(fresh, 'boom');
  await checkpoint('remounted');
}

run(`hostile guest ${route}`, main, { timeoutMs: 60000, cleanup: async () => tab?.close() });
