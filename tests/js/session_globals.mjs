// Global state is shared by the routes of one tab, kept across navigation
// on one connection, and not shared with another tab of the same user.
//
// Usage: node session_globals.mjs <server base URL> <case>
//
// Cases:
//   tabs        one tab mounts /global-a and /global-b; a click on #bump in
//               /global-a patches /global-b to 1; a second tab with the
//               same cookie mounts /global-b and sees 0
//   navigation  one tab mounts /global-a, clicks #bump, unmounts it and
//               mounts /global-b, which shows 1
//
// Assumes the test guests: /global-a's #bump increments the global key
// `shared`, and both routes show it in #value.
import { baseUrlArgument, run, step } from './common.mjs';
import { Tab, expectText, fetchPage } from './session_client.mjs';

const usage = 'node session_globals.mjs <server base URL> tabs|navigation';
const base = baseUrlArgument(usage);
const testCase = process.argv[3];
const tabs = [];

async function openTab(label, cookie) {
  const tab = await Tab.connect(base, { label, cookie });
  tabs.push(tab);
  await tab.next('session');
  return tab;
}

async function sharedAcrossRoutesNotTabs() {
  const { cookie } = await fetchPage(base, '/global-a');
  const first = await openTab('first tab', cookie);

  step('first tab: mount /global-a and /global-b; both show 0');
  const a = await first.mountExpectingRender('/global-a', null);
  const b = await first.mountExpectingRender('/global-b', null);
  expectText(a, 'value', '0', '/global-a at mount');
  expectText(b, 'value', '0', '/global-b at mount');

  step('first tab: click #bump in /global-a; expect patches that show 1 in both routes');
  await first.click('/global-a', a, 'bump');
  expectText(a, 'value', '1', '/global-a after the click');
  await first.applyNextPatch('/global-b', b);
  expectText(b, 'value', '1', '/global-b after the click in /global-a');

  step('second tab, same cookie: mount /global-b; expect 0');
  const second = await openTab('second tab', cookie);
  const secondB = await second.mountExpectingRender('/global-b', null);
  expectText(secondB, 'value', '0', "the second tab's /global-b");
}

async function keptAcrossNavigation() {
  const { cookie } = await fetchPage(base, '/global-a');
  const tab = await openTab('tab', cookie);

  step('mount /global-a and click #bump; expect 1');
  const a = await tab.mountExpectingRender('/global-a', null);
  await tab.click('/global-a', a, 'bump');
  expectText(a, 'value', '1', '/global-a after the click');

  step('unmount /global-a, mount /global-b; expect 1');
  tab.emit('unmount', { path: '/global-a' });
  const b = await tab.mountExpectingRender('/global-b', null);
  expectText(b, 'value', '1', '/global-b after navigating from /global-a');
  await tab.expectNone('error', 200);
}

const cases = { tabs: sharedAcrossRoutesNotTabs, navigation: keptAcrossNavigation };
if (!cases[testCase]) {
  console.error(`usage: ${usage}`);
  process.exit(2);
}
run(`session_globals ${testCase}`, cases[testCase], {
  cleanup: async () => tabs.forEach((tab) => tab.close()),
});
