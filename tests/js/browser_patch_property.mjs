// Checks that client.js applies patch ops exactly: for each case of a fixture
// it parses `before` into a container, applies `ops` with
// window.trellis.applyOps, and compares the result with `after` parsed into
// another container (Node.isEqualNode, so attributes and text must match).
//
// Usage: node browser_patch_property.mjs <server base URL> <fixture.json>
//
// The fixture is a JSON array of {"before": "<html>", "ops": [...],
// "after": "<html>"}, where the HTML is the serialized children of the
// route's root element. The server is only needed for /_trellis/client.js.
import { readFile } from 'node:fs/promises';
import { baseUrlArgument, fail, launchChromium, run, step } from './common.mjs';

const usage = 'node browser_patch_property.mjs <server base URL> <fixture.json>';
const base = baseUrlArgument(usage);
const fixturePath = process.argv[3];
if (!fixturePath) {
  console.error(`usage: ${usage}`);
  process.exit(2);
}
let browser = null;

// Runs in the page. Returns null when every case passes, or a description of
// the first failing case.
function checkCases(cases) {
  const actual = document.createElement('div');
  const expected = document.createElement('div');
  document.body.append(actual, expected);
  for (let index = 0; index < cases.length; index++) {
    const { before, ops, after } = cases[index];
    actual.innerHTML = before;
    expected.innerHTML = after;
    try {
      window.trellis.applyOps(actual, ops);
    } catch (error) {
      return { index, reason: `applyOps threw: ${error.message}`, actual: actual.innerHTML, expected: after };
    }
    if (!actual.isEqualNode(expected)) {
      return { index, reason: 'the patched DOM differs', actual: actual.innerHTML, expected: expected.innerHTML };
    }
  }
  return null;
}

async function main() {
  step(`read cases from ${fixturePath}`);
  let cases;
  try {
    cases = JSON.parse(await readFile(fixturePath, 'utf8'));
  } catch (error) {
    fail(`cannot read the fixture ${fixturePath}: ${error.message}`);
  }
  if (!Array.isArray(cases)) fail(`the fixture ${fixturePath} is not a JSON array`);
  cases.forEach((c, i) => {
    if (typeof c?.before !== 'string' || typeof c?.after !== 'string' || !Array.isArray(c?.ops)) {
      fail(`case ${i} lacks string "before"/"after" or array "ops": ${JSON.stringify(c).slice(0, 200)}`);
    }
  });

  step(`load ${base}/_trellis/client.js into a blank page`);
  browser = await launchChromium();
  const page = await browser.newPage();
  await page.setContent('<!DOCTYPE html><html><head><title>patch cases</title></head><body></body></html>');
  await page.addScriptTag({ url: `${base}/_trellis/client.js` });
  if (!(await page.evaluate(() => typeof window.trellis?.applyOps === 'function'))) {
    fail('client.js did not define window.trellis.applyOps');
  }

  step(`apply ${cases.length} cases`);
  const failure = await page.evaluate(checkCases, cases);
  if (failure) {
    const c = cases[failure.index];
    fail([
      `case ${failure.index}: ${failure.reason}`,
      `  before:   ${c.before}`,
      `  ops:      ${JSON.stringify(c.ops)}`,
      `  actual:   ${failure.actual}`,
      `  expected: ${failure.expected}`,
    ].join('\n'));
  }
}

run('browser_patch_property', main, {
  cleanup: async () => {
    await browser?.close();
  },
});
