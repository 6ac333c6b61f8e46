// GETs a route page, mounts the route over Socket.IO with the page's cookie
// and render data, and checks the text of one element of the render.
//
// Usage: node mount_shows_text.mjs <server base URL> <path> <element id> <text>
//
// Expects the mount to be answered with a full `render`, as it is for a page
// that was not prerendered.
import { baseUrlArgument, fail, run, step } from './common.mjs';
import { Tab, expectText, fetchPage } from './session_client.mjs';

const usage = 'node mount_shows_text.mjs <server base URL> <path> <element id> <text>';
const base = baseUrlArgument(usage);
const [path, elementId, expected] = process.argv.slice(3);
if (expected === undefined) {
  console.error(`usage: ${usage}`);
  process.exit(2);
}
let tab = null;

async function main() {
  step(`GET ${path}`);
  const page = await fetchPage(base, path);
  if (page.status !== 200) fail(`GET ${path} returned ${page.status}`);

  step(`connect, mount ${path} with the page's render data; expect #${elementId} ${JSON.stringify(expected)}`);
  tab = await Tab.connect(base, { cookie: page.cookie });
  await tab.next('session');
  const root = await tab.mountExpectingRender(path, page.renderData);
  expectText(root, elementId, expected, `the render of ${path}`);
  await tab.expectNone('error', 200);
}

run('mount_shows_text', main, { cleanup: async () => tab?.close() });
