// Helpers shared by the test clients in this folder.
import { chromium } from 'playwright-core';

// Chromium comes from the system package, because playwright-core cannot
// download its own build on these machines.
const CHROMIUM_PATH = process.env.TRELLIS_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-quic',
  '--no-first-run',
  '--disable-sync',
];

// Prints a check as it starts, so a failure shows which one was running.
export function step(message) {
  console.log(`- ${message}`);
}

export function fail(message) {
  throw new CheckError(message);
}

export class CheckError extends Error {}

// Reads the server base URL (first argument) without a trailing slash.
export function baseUrlArgument(usage) {
  const base = process.argv[2];
  if (!base || !/^https?:\/\//.test(base)) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return base.replace(/\/+$/, '');
}

// Runs `main` and exits 0 when it resolves, 1 when it throws or takes longer
// than `timeoutMs`. `cleanup` runs in both cases.
export function run(name, main, { timeoutMs = 30000, cleanup = async () => {} } = {}) {
  const timer = setTimeout(async () => {
    console.error(`FAIL ${name}: timed out after ${timeoutMs} ms`);
    await cleanup().catch(() => {});
    process.exit(1);
  }, timeoutMs);

  main().then(
    async () => {
      clearTimeout(timer);
      await cleanup();
      console.log(`PASS ${name}`);
      process.exit(0);
    },
    async (error) => {
      clearTimeout(timer);
      console.error(`FAIL ${name}: ${describeError(error)}`);
      await cleanup().catch(() => {});
      process.exit(1);
    },
  );
}

// A failed check is described by its message. Other errors keep the top of
// their stack, which points at the script line that raised them.
function describeError(error) {
  if (error instanceof CheckError) return error.message;
  if (!(error instanceof Error)) return String(error);
  const frames = (error.stack ?? '').split('\n').filter((line) => line.trim().startsWith('at '));
  return [error.message, ...frames.slice(0, 3)].join('\n');
}

export async function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

// Forwards the page's console errors and uncaught exceptions, so a failing
// browser test shows what the client runtime logged.
export function forwardPageErrors(page, label) {
  const errors = [];
  page.on('console', (message) => {
    // Chromium requests /favicon.ico by itself, and a 404 for it is no fault.
    if (message.location().url.endsWith('/favicon.ico')) return;
    if (message.type() === 'error' || message.type() === 'warning') {
      console.log(`  [${label} console.${message.type()}] ${message.text()}`);
      if (message.type() === 'error') errors.push(message.text());
    }
  });
  page.on('pageerror', (error) => {
    console.log(`  [${label} uncaught] ${error.message}`);
    errors.push(error.message);
  });
  return errors;
}

// Resolves once the client runtime has attached to or rendered the route.
export async function waitForReady(page, timeoutMs = 10000) {
  try {
    await page.waitForFunction(() => window.trellis?.ready === true, null, { timeout: timeoutMs });
  } catch {
    fail(`the client runtime did not report ready (trellis:ready) within ${timeoutMs} ms`);
  }
}

// Waits until `predicate(arg)` is true in the page, and fails with `message`
// otherwise.
export async function waitInPage(page, predicate, arg, message, timeoutMs = 5000) {
  try {
    await page.waitForFunction(predicate, arg, { timeout: timeoutMs });
  } catch {
    fail(`${message} (timed out after ${timeoutMs} ms)`);
  }
}

export async function textOf(page, selector) {
  return page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);
}
