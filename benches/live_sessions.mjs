// Load client for live sessions: opens N mounted tabs of the counter example
// and measures the server's memory per tab, the click-to-patch round trip and
// the event rate at saturation.
//
// Usage:
//   node benches/live_sessions.mjs BASE_URL SERVER_PID TABS [options]
//
//   --procs K          client processes that share the tabs (default 1)
//   --paced-secs S     length of the phase where every tab clicks once a
//                      second (default 20; 0 skips it)
//   --saturate-secs S  length of the phase where every tab clicks again as
//                      soon as its patch arrives (default 10; 0 skips it)
//   --connect-batch B  tabs that connect at the same time (default 50)
//   --json FILE        also write the results to FILE as JSON
//
// Each tab does what the browser's client runtime does on a page load. It
// sends GET / for the `trellis_session` cookie and the render data, and
// opens a Socket.IO connection with that cookie. Once `session` arrives it
// sends `mount` with the render data, then waits for `attached`. A click is an `event` message for the
// handler ID of `#increment` taken from the prerendered HTML, and its round
// trip ends when the `patch` for it arrives. Each patch must set the count to
// the tab's next value; any other patch counts as an error.
//
// The server's RSS is read from /proc/SERVER_PID/status and smaps_rollup,
// so the script must run on the server's machine. socket.io-client is taken
// from tests/js/node_modules (`npm ci` in tests/js installs it).
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const require = createRequire(new URL('../tests/js/package.json', import.meta.url));
const { io } = require('socket.io-client');

const USAGE = 'usage: node benches/live_sessions.mjs BASE_URL SERVER_PID TABS '
  + '[--procs K] [--paced-secs S] [--saturate-secs S] [--connect-batch B] [--json FILE]';

// ---- Arguments --------------------------------------------------------------

function parseArguments(argv) {
  const positional = [];
  const options = { procs: 1, pacedSecs: 20, saturateSecs: 10, connectBatch: 50, json: null };
  const names = {
    '--procs': 'procs',
    '--paced-secs': 'pacedSecs',
    '--saturate-secs': 'saturateSecs',
    '--connect-batch': 'connectBatch',
    '--json': 'json',
  };
  for (let i = 0; i < argv.length; i++) {
    const name = names[argv[i]];
    if (name === undefined) {
      positional.push(argv[i]);
      continue;
    }
    const value = argv[++i];
    if (value === undefined) usageError(`${argv[i - 1]} needs a value`);
    options[name] = name === 'json' ? value : Number(value);
    if (name !== 'json' && !(Number.isInteger(options[name]) && options[name] >= 0)) {
      usageError(`${argv[i - 1]} must be a non-negative integer, got ${JSON.stringify(value)}`);
    }
  }
  if (positional.length !== 3) usageError('expected BASE_URL, SERVER_PID and TABS');
  const [base, pid, tabs] = positional;
  if (!/^https?:\/\//.test(base)) usageError(`BASE_URL must start with http:// or https://, got ${base}`);
  options.base = base.replace(/\/+$/, '');
  options.pid = Number(pid);
  options.tabs = Number(tabs);
  if (!Number.isInteger(options.pid) || options.pid <= 0) usageError(`invalid SERVER_PID ${pid}`);
  if (!Number.isInteger(options.tabs) || options.tabs <= 0) usageError(`invalid TABS ${tabs}`);
  if (options.procs < 1 || options.connectBatch < 1) usageError('--procs and --connect-batch must be at least 1');
  return options;
}

function usageError(message) {
  console.error(`error: ${message}\n${USAGE}`);
  process.exit(2);
}

// ---- One tab ----------------------------------------------------------------

const TIMEOUT_MS = 30000;

// Waits for the first `name` message on `socket`, or rejects after TIMEOUT_MS.
function nextMessage(socket, name, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${name}" within ${TIMEOUT_MS} ms (${what})`)), TIMEOUT_MS);
    socket.once(name, (data) => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.once('error', (data) => {
      clearTimeout(timer);
      reject(new Error(`error message while waiting for "${name}": ${JSON.stringify(data)}`));
    });
  });
}

// Returns the render data and the click handler ID of #increment from a
// prerendered page.
function parsePage(html) {
  const data = html.match(/<script type="application\/json" id="trellis-data">(.*?)<\/script>/s);
  if (!data) throw new Error('the page has no trellis-data script');
  const button = (html.match(/<button[^>]*>/g) ?? []).find((tag) => tag.includes('id="increment"'));
  const handler = button?.match(/data-trellis-click="(\d+)"/);
  if (!handler) throw new Error('the page has no #increment button with a click listener');
  return { render: JSON.parse(data[1]), handler: Number(handler[1]) };
}

class Tab {
  constructor(base) {
    this.base = base;
    this.count = 0;
    this.sentAt = 0n;
    this.onPatch = null;
  }

  async open() {
    const response = await fetch(`${this.base}/`);
    if (!response.ok) throw new Error(`GET / returned ${response.status}`);
    const cookie = response.headers.get('set-cookie')?.split(';')[0];
    if (!cookie) throw new Error('GET / set no session cookie');
    const { render, handler } = parsePage(await response.text());
    this.handler = handler;

    this.socket = io(this.base, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: TIMEOUT_MS,
      extraHeaders: { cookie },
    });
    const session = nextMessage(this.socket, 'session', 'after connecting');
    await new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('connect_error', (error) => reject(new Error(`connection failed: ${error.message}`)));
    });
    await session;
    const attached = nextMessage(this.socket, 'attached', 'after mount with the render data');
    this.socket.emit('mount', { path: '/', render });
    await attached;
    this.socket.on('patch', (patch) => this.receivePatch(patch));
  }

  // Sends one click; `done(rttMs, ok)` runs when its patch arrives.
  click(done) {
    this.onPatch = done;
    this.sentAt = process.hrtime.bigint();
    this.socket.emit('event', { path: '/', handler: this.handler, payload: {} });
  }

  get busy() {
    return this.onPatch !== null;
  }

  receivePatch(patch) {
    const rttMs = Number(process.hrtime.bigint() - this.sentAt) / 1e6;
    this.count += 1;
    const expected = String(this.count);
    const ok = Array.isArray(patch?.ops) && patch.ops.some((op) => op[0] === 6 && op[2] === expected);
    const done = this.onPatch;
    this.onPatch = null;
    done?.(rttMs, ok);
  }

  close() {
    this.socket?.disconnect();
  }
}

// ---- Worker: owns a share of the tabs and runs the phases it is sent ----------

async function openTabs(base, count, batch) {
  const tabs = [];
  const failures = [];
  for (let start = 0; start < count; start += batch) {
    const group = Array.from({ length: Math.min(batch, count - start) }, () => new Tab(base));
    const results = await Promise.allSettled(group.map((tab) => tab.open()));
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') tabs.push(group[i]);
      else failures.push(result.reason.message);
    });
  }
  return { tabs, failures };
}

// Every tab clicks once a second, each at its own random offset in the
// second. A tab whose previous click has no patch yet skips that second.
function runPaced(tabs, seconds) {
  const rtts = [];
  let errors = 0;
  let skipped = 0;
  const timers = [];
  const stopAt = Date.now() + seconds * 1000;
  for (const tab of tabs) {
    const tick = () => {
      if (Date.now() >= stopAt) return;
      if (tab.busy) skipped += 1;
      else {
        tab.click((rttMs, ok) => {
          rtts.push(rttMs);
          if (!ok) errors += 1;
        });
      }
    };
    timers.push(setTimeout(() => {
      tick();
      timers.push(setInterval(tick, 1000));
    }, Math.random() * 1000));
  }
  return new Promise((resolve) => {
    setTimeout(() => {
      timers.forEach(clearInterval);
      // Patches still in flight after the phase ends are not counted.
      waitIdle(tabs).then(() => resolve({ rtts, errors, skipped }));
    }, seconds * 1000);
  });
}

// Every tab clicks again as soon as its patch arrives.
function runSaturated(tabs, seconds) {
  const rtts = [];
  let errors = 0;
  let counting = true;
  const stopAt = Date.now() + seconds * 1000;
  for (const tab of tabs) {
    const loop = () => {
      tab.click((rttMs, ok) => {
        if (counting) {
          rtts.push(rttMs);
          if (!ok) errors += 1;
        }
        if (Date.now() < stopAt) loop();
      });
    };
    loop();
  }
  return new Promise((resolve) => {
    setTimeout(() => {
      counting = false;
      waitIdle(tabs).then(() => resolve({ rtts, errors, skipped: 0 }));
    }, seconds * 1000);
  });
}

function waitIdle(tabs) {
  return new Promise((resolve) => {
    const check = () => (tabs.some((tab) => tab.busy) ? setTimeout(check, 20) : resolve());
    check();
  });
}

function runWorker() {
  let tabs = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  process.on('message', async (command) => {
    if (command.type === 'open') {
      const opened = await openTabs(command.base, command.count, command.batch);
      tabs = opened.tabs;
      process.send({ type: 'opened', opened: tabs.length, failures: opened.failures });
    } else if (command.type === 'paced' || command.type === 'saturate') {
      loopDelay.reset();
      loopDelay.enable();
      const run = command.type === 'paced' ? runPaced : runSaturated;
      const result = await run(tabs, command.seconds);
      loopDelay.disable();
      process.send({ type: 'result', ...result, loopDelayP99Ms: loopDelay.percentile(99) / 1e6 });
    } else if (command.type === 'close') {
      tabs.forEach((tab) => tab.close());
      process.send({ type: 'closed' });
      setTimeout(() => process.exit(0), 100);
    }
  });
}

// ---- Coordinator ------------------------------------------------------------

// Reads the server's memory counters in KiB.
function serverMemory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (text, name) => Number(text.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'))?.[1] ?? NaN);
  return {
    rssKiB: field(status, 'VmRSS'),
    anonKiB: field(status, 'RssAnon'),
    fileKiB: field(status, 'RssFile'),
    pssKiB: field(rollup, 'Pss'),
    threads: field(status, 'Threads'),
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summarize(results, seconds) {
  const rtts = results.flatMap((r) => r.rtts).sort((a, b) => a - b);
  return {
    events: rtts.length,
    eventsPerSec: rtts.length / seconds,
    p50Ms: percentile(rtts, 50),
    p90Ms: percentile(rtts, 90),
    p99Ms: percentile(rtts, 99),
    maxMs: rtts[rtts.length - 1] ?? NaN,
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    skipped: results.reduce((sum, r) => sum + r.skipped, 0),
    clientLoopDelayP99Ms: Math.max(...results.map((r) => r.loopDelayP99Ms)),
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Sends `command` to every worker and resolves with their replies.
function broadcast(workers, commands) {
  return Promise.all(workers.map((worker, i) => new Promise((resolve) => {
    worker.once('message', resolve);
    worker.send(commands[i]);
  })));
}

function formatMs(value) {
  return value.toFixed(2);
}

async function runCoordinator(options) {
  const script = fileURLToPath(import.meta.url);
  const workers = Array.from({ length: options.procs }, () => fork(script, ['--worker']));
  const shares = workers.map((_, i) => Math.floor(options.tabs / options.procs) + (i < options.tabs % options.procs ? 1 : 0));
  const report = { tabs: options.tabs, procs: options.procs };

  const before = serverMemory(options.pid);
  const openStarted = Date.now();
  const opened = await broadcast(workers, shares.map((count) => ({
    type: 'open', base: options.base, count, batch: options.connectBatch,
  })));
  const openSecs = (Date.now() - openStarted) / 1000;
  const mounted = opened.reduce((sum, r) => sum + r.opened, 0);
  const failures = opened.flatMap((r) => r.failures);
  // Let deferred frees and the allocator settle before reading RSS.
  await sleep(2000);
  const after = serverMemory(options.pid);

  report.memory = {
    mounted,
    failures: failures.length,
    openSecs,
    before,
    after,
    rssPerTabKiB: (after.rssKiB - before.rssKiB) / mounted,
    anonPerTabKiB: (after.anonKiB - before.anonKiB) / mounted,
    pssPerTabKiB: (after.pssKiB - before.pssKiB) / mounted,
  };
  console.log(`mounted ${mounted} of ${options.tabs} tabs in ${openSecs.toFixed(1)} s`
    + ` (${options.procs} client process${options.procs > 1 ? 'es' : ''})`);
  if (failures.length > 0) {
    console.log(`  ${failures.length} tabs failed; first: ${failures[0]}`);
  }
  console.log(`server RSS ${before.rssKiB} KiB -> ${after.rssKiB} KiB:`
    + ` ${report.memory.rssPerTabKiB.toFixed(1)} KiB per tab`
    + ` (anonymous ${report.memory.anonPerTabKiB.toFixed(1)}, PSS ${report.memory.pssPerTabKiB.toFixed(1)});`
    + ` threads ${after.threads}`);

  if (mounted > 0 && options.pacedSecs > 0) {
    const results = await broadcast(workers, workers.map(() => ({ type: 'paced', seconds: options.pacedSecs })));
    report.paced = summarize(results, options.pacedSecs);
    printPhase('paced (1 click/s per tab)', report.paced);
  }
  if (mounted > 0 && options.saturateSecs > 0) {
    const results = await broadcast(workers, workers.map(() => ({ type: 'saturate', seconds: options.saturateSecs })));
    report.saturated = summarize(results, options.saturateSecs);
    printPhase('saturated (click again on each patch)', report.saturated);
  }
  report.memory.afterEvents = serverMemory(options.pid);
  console.log(`server RSS after the click phases: ${report.memory.afterEvents.rssKiB} KiB`);

  await broadcast(workers, workers.map(() => ({ type: 'close' })));
  if (options.json) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
  const broken = failures.length > 0 || (report.paced?.errors ?? 0) > 0 || (report.saturated?.errors ?? 0) > 0;
  process.exit(broken ? 1 : 0);
}

function printPhase(name, phase) {
  console.log(`${name}: ${phase.events} events, ${phase.eventsPerSec.toFixed(0)}/s;`
    + ` round trip p50 ${formatMs(phase.p50Ms)} ms, p90 ${formatMs(phase.p90Ms)} ms,`
    + ` p99 ${formatMs(phase.p99Ms)} ms, max ${formatMs(phase.maxMs)} ms;`
    + ` ${phase.errors} wrong patches, ${phase.skipped} skipped clicks;`
    + ` client event-loop delay p99 ${formatMs(phase.clientLoopDelayP99Ms)} ms`);
}

if (process.argv[2] === '--worker') runWorker();
else runCoordinator(parseArguments(process.argv.slice(2)));
