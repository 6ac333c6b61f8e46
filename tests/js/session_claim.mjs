// Five cookie-less GETs create five user sessions; one tab claims the last
// of them. Only the page rendered for the claiming user attaches.
//
// Usage: node session_claim.mjs <server base URL>
//
// Assumes the counter example at `/`: #increment has a click listener and
// #count shows the count, 0 at mount. Stops at checkpoint `claimed` (the
// tab is connected with the last cookie and has mounted `/`) so that the
// Rust test can wait for the unclaimed sessions to expire, then clicks
// #increment to show that the claimed session still works.
import { baseUrlArgument, fail, run, step } from './common.mjs';
import { Tab, checkpoint, expectText, fetchPage } from './session_client.mjs';

const base = baseUrlArgument('node session_claim.mjs <server base URL>');
let tab = null;

async function main() {
  step('GET / five times at once without a cookie');
  const pages = await Promise.all([0, 1, 2, 3, 4].map(() => fetchPage(base, '/')));
  for (const [index, page] of pages.entries()) {
    if (page.status !== 200) fail(`GET ${index} returned ${page.status}`);
    if (!page.cookie) fail(`GET ${index} set no session cookie`);
  }
  const cookies = new Set(pages.map((page) => page.cookie));
  if (cookies.size !== 5) fail(`the five GETs set ${cookies.size} distinct cookies, expected 5`);
  const last = pages[4];

  step('connect with the last cookie');
  tab = await Tab.connect(base, { label: 'tab', cookie: last.cookie });
  await tab.next('session');

  for (const [index, page] of pages.entries()) {
    const expected = index === 4 ? 'attached' : 'render';
    step(`mount / with the render data of page ${index}; expect "${expected}"`);
    const answer = await tab.mount('/', page.renderData);
    if (answer.name !== expected) {
      fail(`mount with page ${index}'s render data got "${answer.name}" ${JSON.stringify(answer.data)}, expected "${expected}"`);
    }
  }

  await checkpoint('claimed');

  step('mount / again without render data, click #increment; expect #count 1');
  const root = await tab.mountExpectingRender('/', null);
  await tab.click('/', root, 'increment');
  expectText(root, 'count', '1', 'after one click on the claimed session');
}

run('session_claim', main, { cleanup: async () => tab?.close() });
