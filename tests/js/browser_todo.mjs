// Checks the todo example in Chromium: adding, toggling and deleting items
// through forms, checkboxes and buttons, then the stats route.
//
// Usage: node browser_todo.mjs <server base URL>
//
// Assumes the todo example: at `/` a form #add-form with a submit listener,
// holding an input #new-title (name="title") and a submit button; a list
// #todo-list with one <li> per item, each holding a checkbox .toggle, a
// span .title and a button .delete, and class "done" on the <li> of a done
// item. At `/stats` an element #stats whose text contains the item count,
// such as "0 items". Global state is per render session (one tab), so a fresh load of
// `/stats` does not see the items added here.
import {
  baseUrlArgument, fail, forwardPageErrors, launchChromium, run, step, waitForReady, waitInPage,
} from './common.mjs';

const base = baseUrlArgument('node browser_todo.mjs <server base URL>');
let browser = null;

function readItems(page) {
  return page.$$eval('#todo-list > li', (items) => items.map((li) => ({
    title: li.querySelector('.title')?.textContent ?? null,
    done: li.classList.contains('done'),
    checked: li.querySelector('.toggle')?.checked ?? null,
  })));
}

// Waits until the list matches `expected` ({title, done} per item).
async function expectItems(page, expected, stage) {
  try {
    await page.waitForFunction((want) => {
      const items = [...document.querySelectorAll('#todo-list > li')];
      return items.length === want.length && items.every((li, i) =>
        li.querySelector('.title')?.textContent === want[i].title &&
        li.classList.contains('done') === want[i].done);
    }, expected, { timeout: 5000 });
  } catch {
    fail(`${stage}: expected items ${JSON.stringify(expected)}, found ${JSON.stringify(await readItems(page))}`);
  }
}

async function addItem(page, title, method) {
  await page.fill('#new-title', title);
  if (method === 'enter') await page.press('#new-title', 'Enter');
  else await page.click('#add-form [type="submit"], #add-form button:not([type])');
}

async function checkTodoList() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors = forwardPageErrors(page, 'todo');
  step('load /, wait for trellis:ready');
  await page.goto(`${base}/`);
  await waitForReady(page);
  const initial = await readItems(page);
  if (initial.length !== 0) fail(`the list starts with items: ${JSON.stringify(initial)}`);

  step('add "first" by pressing Enter in #new-title');
  await addItem(page, 'first', 'enter');
  await expectItems(page, [{ title: 'first', done: false }], 'after adding "first"');
  if (!page.url().startsWith(`${base}/`) || page.url().includes('title=')) {
    fail(`the form was submitted natively: the page is now ${page.url()}`);
  }

  step('add "second" by clicking the submit button');
  await addItem(page, 'second', 'click');
  await expectItems(page, [{ title: 'first', done: false }, { title: 'second', done: false }], 'after adding "second"');

  step('toggle "first"; expect its <li> to get class "done"');
  await page.click('#todo-list > li:nth-child(1) .toggle');
  await expectItems(page, [{ title: 'first', done: true }, { title: 'second', done: false }], 'after toggling "first"');

  step('delete "second"; expect only "first", done and checked');
  await page.click('#todo-list > li:nth-child(2) .delete');
  await expectItems(page, [{ title: 'first', done: true }], 'after deleting "second"');
  const [first] = await readItems(page);
  if (first.checked !== true) fail('the .toggle checkbox of "first" is not checked');

  if (pageErrors.length > 0) fail(`the page logged errors: ${pageErrors.join(' | ')}`);
  await context.close();
}

async function checkStats() {
  step('load /stats fresh; expect #stats with a number in it');
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.goto(`${base}/stats`);
  if (!response?.ok()) fail(`GET /stats returned status ${response?.status()}`);
  await waitForReady(page);
  await waitInPage(
    page,
    () => /\d/.test(document.getElementById('stats')?.textContent ?? ''),
    null,
    '#stats is missing or contains no number',
  );
  await context.close();
}

async function main() {
  browser = await launchChromium();
  await checkTodoList();
  await checkStats();
}

run('browser_todo', main, {
  cleanup: async () => {
    await browser?.close();
  },
});
