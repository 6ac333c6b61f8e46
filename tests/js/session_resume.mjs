// A tab's render session outlives its connection for the reconnect grace
// period: a new connection that sends the session token resumes it.
//
// Usage: node session_resume.mjs <server base URL> <case> [wait ms]
//
// Cases:
//   keeps-state            mount /, click #increment, disconnect, resume
//                          with the token and the last seq: expect
//                          `resumed`, then a click shows 2
//   after-grace <ms>       as keeps-state, but resume <ms> after the
//                          disconnect: expect `reload`
//   late-disconnect <ms>   connection B resumes A's token while A is still
//                          connected; then A disconnects; <ms> later a
//                          click through B still gets a patch
//
// Assumes the counter example at `/`: #increment has a click listener and
// #count shows the count, 0 at mount.
import { baseUrlArgument, fail, run, step } from './common.mjs';
import { Tab, expectText, fetchPage, sleep } from './session_client.mjs';

const usage = 'node session_resume.mjs <server base URL> keeps-state|after-grace|late-disconnect [wait ms]';
const base = baseUrlArgument(usage);
const testCase = process.argv[3];
const waitMs = Number(process.argv[4] ?? 0);
const tabs = [];

async function connect(label, cookie, auth) {
  const tab = await Tab.connect(base, { label, cookie, auth });
  tabs.push(tab);
  return tab;
}

// Opens a tab, mounts / and clicks #increment once; returns the tab, its
// render session token and the tree model of /.
async function counterAtOne(cookie) {
  step('connect; expect `session` with a token');
  const tab = await connect('first connection', cookie);
  const { token } = await tab.next('session');
  if (typeof token !== 'string' || token.length === 0) fail(`session token is ${JSON.stringify(token)}`);

  step('mount /, click #increment; expect #count 1');
  const root = await tab.mountExpectingRender('/', null);
  await tab.click('/', root, 'increment');
  expectText(root, 'count', '1', 'after the first click');
  if (tab.seq === 0) fail('no host message carried a `seq` number');
  return { tab, token, root };
}

async function disconnectAndClose(tab) {
  tab.close();
  // Gives the host time to see the close before the next connection opens.
  await sleep(100);
}

async function keepsState() {
  const { cookie } = await fetchPage(base, '/');
  const { tab, token, root } = await counterAtOne(cookie);

  step(`disconnect, then resume with the token and seq ${tab.seq}`);
  await disconnectAndClose(tab);
  const resumed = await connect('resumed connection', cookie, { resume: token, seq: tab.seq });
  const answer = await resumed.nextOf(['resumed', 'reload', 'session', 'session-expired']);
  if (answer.name !== 'resumed') fail(`resume got "${answer.name}" ${JSON.stringify(answer.data)}, expected "resumed"`);
  if (answer.data?.token !== token) fail(`resumed carries token ${JSON.stringify(answer.data?.token)}, expected the first one`);

  step('click #increment without mounting again; expect #count 2');
  await resumed.click('/', root, 'increment');
  expectText(root, 'count', '2', 'after a click on the resumed session');
}

async function reloadAfterGrace() {
  const { cookie } = await fetchPage(base, '/');
  const { tab, token } = await counterAtOne(cookie);

  step(`disconnect, wait ${waitMs} ms, then resume; expect \`reload\``);
  await disconnectAndClose(tab);
  await sleep(waitMs);
  const late = await connect('late connection', cookie, { resume: token, seq: tab.seq });
  const answer = await late.nextOf(['resumed', 'reload', 'session', 'session-expired']);
  if (answer.name !== 'reload') fail(`resume after the grace period got "${answer.name}" ${JSON.stringify(answer.data)}, expected "reload"`);
}

async function lateDisconnect() {
  const { cookie } = await fetchPage(base, '/');
  const { tab: first, token, root } = await counterAtOne(cookie);

  step('connection B resumes the token while A is still connected; expect `resumed`');
  const second = await connect('connection B', cookie, { resume: token, seq: first.seq });
  const answer = await second.nextOf(['resumed', 'reload', 'session', 'session-expired']);
  if (answer.name !== 'resumed') fail(`B's resume got "${answer.name}" ${JSON.stringify(answer.data)}, expected "resumed"`);

  step(`connection A disconnects; wait ${waitMs} ms`);
  first.close();
  await sleep(waitMs);

  step('click #increment through B; expect a patch to #count 2');
  await second.click('/', root, 'increment');
  expectText(root, 'count', '2', "after a click through B, past the grace period of A's disconnect");
}

const cases = { 'keeps-state': keepsState, 'after-grace': reloadAfterGrace, 'late-disconnect': lateDisconnect };
if (!cases[testCase]) {
  console.error(`usage: ${usage}`);
  process.exit(2);
}
run(`session_resume ${testCase}`, cases[testCase], {
  cleanup: async () => tabs.forEach((tab) => tab.close()),
});
