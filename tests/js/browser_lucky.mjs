// Checks that the client runtime keeps the prerendered `/lucky` route of the
// counter example. The route draws a random number and reads the clock on
// every render. So the values that the page was served with stay only when
// the host replies `attached` to the mount, reusing the prerender's instance.
//
// Usage: node browser_lucky.mjs <server base URL>
//
// Assumes the counter example at `/lucky`: #lucky-number whose text is a
// number from 1 to 100 and #now whose text is the Unix time in seconds at
// render.
import {
  baseUrlArgument, fail, forwardPageErrors, launchChromium, run, step, textOf, waitForReady,
} from './common.mjs';

const base = baseUrlArgument('node browser_lucky.mjs <server base URL>');
let browser = null;

// How far the prerender's clock may be from this script's, in seconds. The
// server runs on the same machine, so this only covers the time the request
// takes.
const CLOCK_SLACK_S = 30;

// Runs in the page before any of its scripts. readystatechange to
// "interactive" fires after parsing and before deferred scripts such as
// client.js run, so the texts and nodes stored here are the prerendered ones.
function recordPrerenderedValues() {
  window.__readyDetails = [];
  window.__patchCount = 0;
  document.addEventListener('trellis:ready', (event) => { window.__readyDetails.push(event.detail ?? null); });
  document.addEventListener('trellis:patched', () => { window.__patchCount++; });
  document.addEventListener('readystatechange', () => {
    if (document.readyState !== 'interactive') return;
    const number = document.getElementById('lucky-number');
    const now = document.getElementById('now');
    window.__prerendered = {
      clientRanBefore: window.trellis !== undefined,
      number,
      now,
      numberText: number?.textContent ?? null,
      nowText: now?.textContent ?? null,
    };
  });
}

// Checks the two texts and returns them as numbers.
function parseValues(numberText, nowText, stage) {
  if (!/^\d+$/.test(numberText ?? '')) fail(`${stage}: #lucky-number is ${JSON.stringify(numberText)}, expected a number`);
  const number = Number(numberText);
  if (number < 1 || number > 100) fail(`${stage}: #lucky-number is ${number}, expected 1 to 100`);
  if (!/^\d+$/.test(nowText ?? '')) fail(`${stage}: #now is ${JSON.stringify(nowText)}, expected seconds since 1970`);
  const now = Number(nowText);
  const local = Date.now() / 1000;
  if (Math.abs(now - local) > CLOCK_SLACK_S) {
    fail(`${stage}: #now is ${now}, more than ${CLOCK_SLACK_S} s away from this machine's clock (${Math.round(local)})`);
  }
  return { number, now };
}

async function checkWithoutJavaScript() {
  step('without JavaScript: GET /lucky shows #lucky-number and #now');
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const response = await page.goto(`${base}/lucky`);
  if (!response?.ok()) fail(`GET /lucky returned status ${response?.status()}`);
  parseValues(await textOf(page, '#lucky-number'), await textOf(page, '#now'), 'prerendered page without JavaScript');
  await context.close();
}

async function checkWithJavaScript() {
  step('with JavaScript: load /lucky in a fresh context, wait for trellis:ready');
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors = forwardPageErrors(page, 'lucky');
  await page.addInitScript(recordPrerenderedValues);
  await page.goto(`${base}/lucky`);
  await waitForReady(page);

  step('the prerendered values were recorded before client.js ran');
  const prerendered = await page.evaluate(() => {
    const p = window.__prerendered;
    return p ? { clientRanBefore: p.clientRanBefore, numberText: p.numberText, nowText: p.nowText } : null;
  });
  if (prerendered === null) fail('the init script recorded nothing at readystatechange "interactive"');
  if (prerendered.clientRanBefore) fail('client.js ran before parsing finished, so the recorded values prove nothing');
  parseValues(prerendered.numberText, prerendered.nowText, 'prerendered page with JavaScript');

  step('trellis:ready reports attached: the host attached to the prerender and sent no render');
  const details = await page.evaluate(() => window.__readyDetails);
  if (details.length !== 1) fail(`expected one trellis:ready event, got ${details.length}: ${JSON.stringify(details)}`);
  if (details[0]?.attached !== true) {
    fail(`trellis:ready has detail ${JSON.stringify(details[0])}, expected {"attached":true}: the host rendered the route again`);
  }

  // A render or patch that arrived after ready would change the values, and
  // #now differs from a new render after at most one second.
  await page.waitForTimeout(1200);

  step('after mount, #lucky-number and #now are the prerendered nodes with the prerendered texts');
  const after = await page.evaluate(() => {
    const p = window.__prerendered;
    const number = document.getElementById('lucky-number');
    const now = document.getElementById('now');
    return {
      numberText: number?.textContent ?? null,
      nowText: now?.textContent ?? null,
      sameNumberNode: number === p.number,
      sameNowNode: now === p.now,
      patchCount: window.__patchCount,
    };
  });
  if (after.numberText !== prerendered.numberText) {
    fail(`#lucky-number changed from ${JSON.stringify(prerendered.numberText)} to ${JSON.stringify(after.numberText)} after mount`);
  }
  if (after.nowText !== prerendered.nowText) {
    fail(`#now changed from ${JSON.stringify(prerendered.nowText)} to ${JSON.stringify(after.nowText)} after mount`);
  }
  if (!after.sameNumberNode) fail('#lucky-number is a new node: the prerendered one was replaced');
  if (!after.sameNowNode) fail('#now is a new node: the prerendered one was replaced');
  if (after.patchCount !== 0) fail(`${after.patchCount} patch(es) arrived after mount, expected none without user input`);

  if (pageErrors.length > 0) fail(`the page logged errors: ${pageErrors.join(' | ')}`);
  await context.close();
}

async function main() {
  browser = await launchChromium();
  await checkWithoutJavaScript();
  await checkWithJavaScript();
}

run('browser_lucky', main, {
  cleanup: async () => {
    await browser?.close();
  },
});
