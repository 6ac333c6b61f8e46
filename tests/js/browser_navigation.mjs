// Checks navigation between the routes of the todo example in Chromium: a
// link click, back and forward move between routes over the same connection
// without loading a new page, and the tab's global state survives.
//
// Usage: node browser_navigation.mjs <server base URL>
//
// Assumes the todo example: at `/` a form #add-form holding an input
// #new-title (name="title"), a list #todo-list with one <li> per item whose
// span .title contains the item's title, and a link a[href="/stats"]. At
// `/stats` an element #stats whose text starts with the item count, such as
// "2 items, 0 done", and a link a[href="/"].
import {
  baseUrlArgument, fail, forwardPageErrors, launchChromium, run, step, textOf, waitForReady, waitInPage,
} from './common.mjs';

const base = baseUrlArgument('node browser_navigation.mjs <server base URL>');
let browser = null;

// Runs in the page before its scripts. A full page load starts a new
// document without these properties, so they prove that none happened.
function recordNavigations() {
  window.__pageMarker = 'set before the first navigation';
  window.__navigated = [];
  document.addEventListener('trellis:navigated', (event) => {
    window.__navigated.push({ path: event.detail?.path ?? null, pathname: location.pathname });
  });
}

function readTitles(page) {
  return page.$$eval('#todo-list > li', (items) => items.map((li) => li.querySelector('.title')?.textContent ?? null));
}

async function expectTitles(page, expected, stage) {
  try {
    await page.waitForFunction((want) => {
      const titles = [...document.querySelectorAll('#todo-list > li')]
        .map((li) => li.querySelector('.title')?.textContent);
      return titles.length === want.length && titles.every((title, i) => title === want[i]);
    }, expected, { timeout: 5000 });
  } catch {
    fail(`${stage}: expected titles ${JSON.stringify(expected)}, found ${JSON.stringify(await readTitles(page))}`);
  }
}

// Waits for the `count`-th trellis:navigated event and checks that it
// reported `path` and that the URL was already `path` when it fired.
async function expectNavigated(page, count, path, stage) {
  await waitInPage(
    page,
    (n) => window.__navigated?.length >= n,
    count,
    `${stage}: trellis:navigated was not dispatched (expected event number ${count})`,
  );
  const events = await page.evaluate(() => window.__navigated);
  if (events.length !== count) fail(`${stage}: expected ${count} trellis:navigated events, got ${JSON.stringify(events)}`);
  const last = events[count - 1];
  if (last.path !== path) fail(`${stage}: trellis:navigated reported path ${JSON.stringify(last.path)}, expected ${JSON.stringify(path)}`);
  if (last.pathname !== path) {
    fail(`${stage}: location.pathname was ${JSON.stringify(last.pathname)} when trellis:navigated fired, expected ${JSON.stringify(path)}`);
  }
}

// Checks that the page is the same document as at the start and shows `path`.
async function expectSameDocumentAt(page, path, stage) {
  const state = await page.evaluate(() => ({
    marker: window.__pageMarker ?? null,
    pathname: location.pathname,
    route: document.getElementById('trellis-root')?.getAttribute('data-trellis-route') ?? null,
    routePath: window.trellis?.routePath ?? null,
  }));
  if (state.marker === null) fail(`${stage}: the window marker is gone, so the browser loaded a new page`);
  if (state.pathname !== path) fail(`${stage}: location.pathname is ${JSON.stringify(state.pathname)}, expected ${JSON.stringify(path)}`);
  if (state.route !== path) fail(`${stage}: #trellis-root has data-trellis-route=${JSON.stringify(state.route)}, expected ${JSON.stringify(path)}`);
  if (state.routePath !== path) fail(`${stage}: window.trellis.routePath is ${JSON.stringify(state.routePath)}, expected ${JSON.stringify(path)}`);
}

async function expectStats(page, itemCount, stage) {
  const pattern = new RegExp(`^${itemCount} items?\\b`);
  try {
    await page.waitForFunction((source) => new RegExp(source).test(document.getElementById('stats')?.textContent ?? ''),
      pattern.source, { timeout: 5000 });
  } catch {
    fail(`${stage}: #stats is ${JSON.stringify(await textOf(page, '#stats'))}, expected it to start with "${itemCount} items"`);
  }
}

async function addItem(page, title) {
  await page.fill('#new-title', title);
  await page.press('#new-title', 'Enter');
}

async function main() {
  browser = await launchChromium();
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors = forwardPageErrors(page, 'navigation');
  await page.addInitScript(recordNavigations);
  // Counts load events, which fire for new documents only, so a navigation
  // that fell back to a page load shows even if the marker check missed it.
  let documentLoads = 0;
  page.on('load', () => { documentLoads++; });

  step('load /, wait for trellis:ready, add "first" and "second"');
  const response = await page.goto(`${base}/`);
  if (!response?.ok()) fail(`GET / returned status ${response?.status()}`);
  await waitForReady(page);
  await addItem(page, 'first');
  await expectTitles(page, ['first'], 'after adding "first"');
  await addItem(page, 'second');
  await expectTitles(page, ['first', 'second'], 'after adding "second"');
  const loadsAfterStart = documentLoads;

  step('click a[href="/stats"]; expect /stats in the same document, with 2 items');
  await page.click('a[href="/stats"]');
  await expectNavigated(page, 1, '/stats', 'after clicking the link to /stats');
  await expectSameDocumentAt(page, '/stats', 'after clicking the link to /stats');
  await expectStats(page, 2, 'after clicking the link to /stats (global state kept)');

  step('go back; expect / with both items, mounted afresh');
  await page.goBack();
  await expectNavigated(page, 2, '/', 'after going back');
  await expectSameDocumentAt(page, '/', 'after going back');
  await expectTitles(page, ['first', 'second'], 'after going back to /');

  step('go forward; expect /stats with 2 items');
  await page.goForward();
  await expectNavigated(page, 3, '/stats', 'after going forward');
  await expectSameDocumentAt(page, '/stats', 'after going forward');
  await expectStats(page, 2, 'after going forward to /stats');

  step('click a[href="/"] on /stats; expect / with both items and a new history entry');
  const historyLength = await page.evaluate(() => history.length);
  await page.click('a[href="/"]');
  await expectNavigated(page, 4, '/', 'after clicking the link to /');
  await expectSameDocumentAt(page, '/', 'after clicking the link to /');
  await expectTitles(page, ['first', 'second'], 'after clicking the link to /');
  const historyLengthAfter = await page.evaluate(() => history.length);
  // /stats was the last entry, so pushing / adds one.
  if (historyLengthAfter !== historyLength + 1) {
    fail(`history.length went from ${historyLength} to ${historyLengthAfter} after the link click, expected one more`);
  }

  step('the route under / still handles events after the navigations');
  await addItem(page, 'third');
  await expectTitles(page, ['first', 'second', 'third'], 'after adding "third" following the navigations');

  if (documentLoads !== loadsAfterStart) {
    fail(`the page fired ${documentLoads - loadsAfterStart} load event(s) during the navigations, so it loaded new documents`);
  }
  if (pageErrors.length > 0) fail(`the page logged errors: ${pageErrors.join(' | ')}`);
  await context.close();
}

run('browser_navigation', main, {
  cleanup: async () => {
    await browser?.close();
  },
});
