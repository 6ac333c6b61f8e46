// Opens and closes many short-lived tabs, a few at a time, each of which
// mounts /churn (whose render allocates and frees 1 MiB).
//
// Usage: node tab_churn.mjs <server base URL> <tabs> <warm-up tabs> <concurrency>
//
// Stops at checkpoint `warm` after the first <warm-up tabs> tabs have
// closed, and at `done` after all of them, so the Rust test can read the
// server's memory at both points.
import { baseUrlArgument, fail, run, step } from './common.mjs';
import { Tab, checkpoint, fetchPage } from './session_client.mjs';

const usage = 'node tab_churn.mjs <server base URL> <tabs> <warm-up tabs> <concurrency>';
const base = baseUrlArgument(usage);
const total = Number(process.argv[3]);
const warmup = Number(process.argv[4]);
const concurrency = Number(process.argv[5]);
if (!(total > 0 && warmup > 0 && warmup < total && concurrency > 0)) {
  console.error(`usage: ${usage}`);
  process.exit(2);
}

async function openAndClose(index, cookie) {
  const tab = await Tab.connect(base, { label: `tab ${index}`, cookie });
  try {
    await tab.next('session');
    const answer = await tab.mount('/churn', null);
    if (answer.name !== 'render') fail(`tab ${index}: mount /churn got ${answer.name} ${JSON.stringify(answer.data)}`);
  } finally {
    tab.close();
  }
}

// Runs tabs `from` to `to` (exclusive), `concurrency` at a time.
async function churn(from, to, cookie) {
  let next = from;
  const worker = async () => {
    while (next < to) {
      const index = next++;
      await openAndClose(index, cookie);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function main() {
  const { cookie } = await fetchPage(base, '/churn');
  const started = Date.now();
  step(`warm-up: ${warmup} tabs, ${concurrency} at a time`);
  await churn(0, warmup, cookie);
  await checkpoint('warm');
  step(`${total - warmup} more tabs`);
  await churn(warmup, total, cookie);
  console.log(`@figure ${total} tabs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await checkpoint('done');
}

run('tab churn', main, { timeoutMs: 3600000 });
