// Opens many tabs that each mount a route, then holds them open until the
// process is killed or stopped, for the tests of connections that vanish.
//
// Usage: node hold_tabs.mjs <server base URL> <tabs> <route>
//
// Prints checkpoint `mounted` once every tab has its route mounted, then
// waits at checkpoint `hold`; the Rust test sends the process SIGKILL or
// SIGSTOP from there.
import { baseUrlArgument, run, step } from './common.mjs';
import { Tab, checkpoint, fetchPage } from './session_client.mjs';

const usage = 'node hold_tabs.mjs <server base URL> <tabs> <route>';
const base = baseUrlArgument(usage);
const tabCount = Number(process.argv[3]);
const route = process.argv[4];
if (!(tabCount > 0) || !route?.startsWith('/')) {
  console.error(`usage: ${usage}`);
  process.exit(2);
}

async function openTab(index, cookie) {
  const tab = await Tab.connect(base, { label: `tab ${index}`, cookie });
  await tab.next('session', 30000);
  const answer = await tab.mount(route, null);
  if (answer.name !== 'render') throw new Error(`tab ${index}: mount ${route} got ${answer.name} ${JSON.stringify(answer.data)}`);
  return tab;
}

async function main() {
  const { cookie } = await fetchPage(base, route);
  step(`open ${tabCount} tabs that mount ${route}`);
  // Twenty connection attempts at a time keep the server's accept queue short.
  for (let start = 0; start < tabCount; start += 20) {
    const batch = [];
    for (let i = start; i < Math.min(tabCount, start + 20); i++) batch.push(openTab(i, cookie));
    await Promise.all(batch);
  }
  await checkpoint('mounted');
  await checkpoint('hold');
}

run('hold tabs', main, { timeoutMs: 600000 });
