// Click-to-patch latency of many tabs, first alone and then while one more
// tab keeps a guest looping until its CPU deadline.
//
// Usage: node click_latency.mjs <server base URL> <tabs> <phase seconds> <max factor> <slack ms>
//
// Each of <tabs> tabs mounts /global-a and clicks #bump in a closed loop
// with a random 100-300 ms pause after each patch, for <phase seconds> in
// each phase. In the second phase another tab mounts /event-loop, clicks
// #boom (whose handler never returns), waits for the render-failed error
// and mounts the route again, over and over. The script prints the p50 and
// p99 of both phases and fails unless the loaded p50 is below
// <max factor> x the baseline p50 + <slack ms>.
import { baseUrlArgument, fail, run, step } from './common.mjs';
import { Tab, fetchPage, sleep } from './session_client.mjs';

const usage = 'node click_latency.mjs <server base URL> <tabs> <phase seconds> <max factor> <slack ms>';
const base = baseUrlArgument(usage);
const tabCount = Number(process.argv[3]);
const phaseMs = Number(process.argv[4]) * 1000;
const maxFactor = Number(process.argv[5]);
const slackMs = Number(process.argv[6]);
if (![tabCount, phaseMs, maxFactor, slackMs].every((value) => value > 0)) {
  console.error(`usage: ${usage}`);
  process.exit(2);
}
const tabs = [];

function percentile(sorted, fraction) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

// Clicks #bump in every tab until `until`, and returns the sorted latencies
// in milliseconds.
async function measure(counters, until) {
  const latencies = [];
  await Promise.all(counters.map(async ({ tab, root }) => {
    await sleep(Math.random() * 200);
    while (Date.now() < until) {
      const started = performance.now();
      await tab.click('/global-a', root, 'bump');
      latencies.push(performance.now() - started);
      await sleep(100 + Math.random() * 200);
    }
  }));
  return latencies.sort((a, b) => a - b);
}

// Makes /event-loop run into its CPU deadline again and again until `until`;
// returns how many times it failed.
async function keepLooping(tab, until) {
  let failures = 0;
  while (Date.now() < until) {
    const root = await tab.mountExpectingRender('/event-loop', null);
    await tab.click('/event-loop', root, 'boom', 30000);
    const error = await tab.next('error', 30000);
    if (error.code !== 'render-failed') fail(`/event-loop failed with ${JSON.stringify(error)}, expected render-failed`);
    failures++;
  }
  return failures;
}

function describe(label, sorted) {
  return `${label}: ${sorted.length} clicks, p50 ${percentile(sorted, 0.5).toFixed(2)} ms, p99 ${percentile(sorted, 0.99).toFixed(2)} ms`;
}

async function main() {
  const { cookie } = await fetchPage(base, '/global-a');
  step(`open ${tabCount} tabs that mount /global-a`);
  const counters = [];
  for (let i = 0; i < tabCount; i++) {
    const tab = await Tab.connect(base, { label: `tab ${i}`, cookie });
    tabs.push(tab);
    await tab.next('session');
    counters.push({ tab, root: await tab.mountExpectingRender('/global-a', null) });
  }
  const hostile = await Tab.connect(base, { label: 'looping tab', cookie });
  tabs.push(hostile);
  await hostile.next('session');

  step(`baseline: click for ${phaseMs / 1000} s`);
  const baseline = await measure(counters, Date.now() + phaseMs);

  step(`under load: click for ${phaseMs / 1000} s while /event-loop runs into its deadline`);
  const until = Date.now() + phaseMs;
  const [loaded, failures] = await Promise.all([measure(counters, until), keepLooping(hostile, until)]);

  console.log(`@figure ${describe('baseline', baseline)}`);
  console.log(`@figure ${describe('under load', loaded)}; /event-loop hit its deadline ${failures} times`);
  if (failures === 0) fail('/event-loop never hit its deadline during the loaded phase');
  const bound = maxFactor * percentile(baseline, 0.5) + slackMs;
  const p50 = percentile(loaded, 0.5);
  if (p50 >= bound) {
    fail(`the loaded p50 of ${p50.toFixed(2)} ms is not below ${maxFactor} x the baseline p50 + ${slackMs} ms = ${bound.toFixed(2)} ms`);
  }
}

run('click latency under a looping guest', main, {
  timeoutMs: 120000 + 4 * phaseMs,
  cleanup: async () => tabs.forEach((tab) => tab.close()),
});
