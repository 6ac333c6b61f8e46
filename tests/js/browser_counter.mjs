// Checks the counter example in Chromium: the prerendered page without
// JavaScript, then the client runtime attaching to it and applying patches.
//
// Usage: node browser_counter.mjs <server base URL>
//
// Assumes the counter example at `/`: buttons #increment and #decrement,
// #count whose only child is the count as text (0 at load), an input
// #echo-input whose value is echoed as the text of #echo on every input event.
import {
  baseUrlArgument, fail, forwardPageErrors, launchChromium, run, step, textOf, waitForReady, waitInPage,
} from './common.mjs';

const base = baseUrlArgument('node browser_counter.mjs <server base URL>');
let browser = null;

// Runs in the page before any of its scripts. readystatechange to
// "interactive" fires after parsing and before deferred scripts such as
// client.js run, so the nodes stored here are the prerendered ones.
function recordPrerenderedNodes() {
  window.__patchCount = 0;
  document.addEventListener('trellis:patched', () => { window.__patchCount++; });
  document.addEventListener('readystatechange', () => {
    if (document.readyState !== 'interactive') return;
    const count = document.getElementById('count');
    window.__prerendered = {
      clientRanBefore: window.trellis !== undefined,
      routeRoot: document.getElementById('trellis-root')?.firstChild ?? null,
      count,
      countText: count?.firstChild ?? null,
      increment: document.getElementById('increment'),
      echoInput: document.getElementById('echo-input'),
    };
  });
}

async function checkWithoutJavaScript() {
  step('without JavaScript: GET / shows #count "0"');
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const response = await page.goto(`${base}/`);
  if (!response?.ok()) fail(`GET / returned status ${response?.status()}`);
  const count = await textOf(page, '#count');
  if (count !== '0') fail(`#count is ${JSON.stringify(count)} in the prerendered page, expected "0"`);
  const route = await page.getAttribute('#trellis-root', 'data-trellis-route');
  if (route !== '/') fail(`#trellis-root has data-trellis-route=${JSON.stringify(route)}, expected "/"`);
  await context.close();
}

// Clicks `selector` and waits for the patch sent for that click.
async function clickAndWaitForPatch(page, selector) {
  const before = await page.evaluate(() => window.__patchCount);
  await page.click(selector);
  await waitInPage(page, (n) => window.__patchCount > n, before, `no patch arrived after clicking ${selector}`);
}

async function expectText(page, selector, expected) {
  await waitInPage(
    page,
    ([s, text]) => document.querySelector(s)?.textContent === text,
    [selector, expected],
    `${selector} did not become ${JSON.stringify(expected)}`,
  );
}

async function checkWithJavaScript() {
  step('with JavaScript: load /, wait for trellis:ready');
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors = forwardPageErrors(page, 'counter');
  await page.addInitScript(recordPrerenderedNodes);
  await page.goto(`${base}/`);
  await waitForReady(page);

  step('the prerendered nodes are still in the document (attached, not re-created)');
  const reuse = await page.evaluate(() => {
    const p = window.__prerendered;
    if (!p) return 'the init script recorded no nodes';
    if (p.clientRanBefore) return 'client.js ran before parsing finished, so the recorded nodes prove nothing';
    const problems = [];
    const same = (name, node, current) => {
      if (!node) problems.push(`${name} was missing in the prerendered page`);
      else if (node !== current || !node.isConnected) problems.push(`${name} was replaced`);
    };
    same('the route root node', p.routeRoot, document.getElementById('trellis-root').firstChild);
    same('#count', p.count, document.getElementById('count'));
    same('the text of #count', p.countText, document.getElementById('count')?.firstChild);
    same('#increment', p.increment, document.getElementById('increment'));
    same('#echo-input', p.echoInput, document.getElementById('echo-input'));
    return problems.join('; ');
  });
  if (reuse) fail(reuse);
  if (!(await page.evaluate(() => window.trellis.connected))) fail('window.trellis.connected is false after ready');

  step('click #increment three times; expect #count "3"');
  for (let i = 0; i < 3; i++) await clickAndWaitForPatch(page, '#increment');
  await expectText(page, '#count', '3');

  step('click #decrement once; expect #count "2"');
  await clickAndWaitForPatch(page, '#decrement');
  await expectText(page, '#count', '2');

  step('type "abc" into #echo-input; expect #echo "abc" and the caret still at the end');
  await page.locator('#echo-input').pressSequentially('abc');
  await expectText(page, '#echo', 'abc');
  const input = await page.evaluate(() => {
    const element = document.getElementById('echo-input');
    return { value: element.value, caret: element.selectionStart, focused: document.activeElement === element };
  });
  if (input.value !== 'abc') fail(`#echo-input value is ${JSON.stringify(input.value)}, expected "abc"`);
  if (!input.focused) fail('#echo-input lost focus while patches were applied');
  if (input.caret !== 3) fail(`#echo-input caret is at ${input.caret}, expected 3`);

  if (pageErrors.length > 0) fail(`the page logged errors: ${pageErrors.join(' | ')}`);
  await context.close();
}

async function main() {
  browser = await launchChromium();
  await checkWithoutJavaScript();
  await checkWithJavaScript();
}

run('browser_counter', main, {
  cleanup: async () => {
    await browser?.close();
  },
});
