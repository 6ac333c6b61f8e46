// One tab mounted on a server that is about to shut down: expects the
// host's `shutdown` message and then the close of the connection.
//
// Usage: node shutdown_client.mjs <server base URL> <route>
//
// Prints checkpoint `mounted` once the route is mounted and waits there;
// the Rust test then sends SIGTERM to the server and lets the script go on.
import { baseUrlArgument, fail, run, step } from './common.mjs';
import { Tab, checkpoint, fetchPage } from './session_client.mjs';

const usage = 'node shutdown_client.mjs <server base URL> <route>';
const base = baseUrlArgument(usage);
const route = process.argv[3] ?? '/';
let tab = null;

async function main() {
  const { cookie } = await fetchPage(base, route);
  tab = await Tab.connect(base, { label: 'tab', cookie });
  await tab.next('session');
  const answer = await tab.mount(route, null);
  if (answer.name !== 'render') fail(`mount ${route} got ${answer.name} ${JSON.stringify(answer.data)}`);
  await checkpoint('mounted');

  step('expect `shutdown` with a message, then the close of the connection');
  const shutdown = await tab.next('shutdown', 10000);
  if (typeof shutdown?.message !== 'string' || shutdown.message === '') {
    fail(`shutdown has no message: ${JSON.stringify(shutdown)}`);
  }
  console.log(`shutdown message: ${shutdown.message}`);
  const reason = await tab.next('disconnect', 10000);
  console.log(`disconnect reason: ${reason}`);
}

run('shutdown notice', main, { cleanup: async () => tab?.close() });
