// A mount attaches to the prerendered markup only when the render data's
// render ID matches the route's new render for the connecting user.
//
// Usage: node session_render_id.mjs <server base URL> <case>
//
// Cases:
//   unchanged   GET / and mount it with its render data: expect `attached`
//               without a tree, and no `render`
//   changing    GET /changing and mount it with its render data: expect a
//               `render`, whose #random and #wall equal the prerendered
//               ones (the host replays the random seed and the wall clock)
//               and whose #monotonic differs
//   other-user  user B mounts /params/same and /changing with the render
//               data of user A's pages: expect `render`, and a #random that
//               is not A's
//
// The case unchanged needs the counter example at `/`, whose first render
// depends on nothing but the path. The cases changing and
// other-user need the test guests: `/params/:id` renders only its path, and
// `/changing` shows the monotonic clock in #monotonic, a random u64 in
// #random and the wall clock in #wall.
import { baseUrlArgument, fail, run, step } from './common.mjs';
import { Tab, fetchPage, htmlTextById, textById } from './session_client.mjs';

const usage = 'node session_render_id.mjs <server base URL> unchanged|changing|other-user';
const base = baseUrlArgument(usage);
const testCase = process.argv[3];
const tabs = [];

async function openTab(label, cookie) {
  const tab = await Tab.connect(base, { label, cookie });
  tabs.push(tab);
  await tab.next('session');
  return tab;
}

function expectAnswer(answer, expected, context) {
  if (answer.name !== expected) fail(`${context} got "${answer.name}" ${JSON.stringify(answer.data)}, expected "${expected}"`);
}

async function unchanged() {
  const page = await fetchPage(base, '/');
  if (typeof page.renderData.replay !== 'string') fail(`render data has no replay string: ${JSON.stringify(page.renderData)}`);
  const tab = await openTab('tab', page.cookie);

  step('mount / with its own render data; expect `attached` without a tree');
  const answer = await tab.mount('/', page.renderData);
  expectAnswer(answer, 'attached', 'mount of an unchanged route');
  if ('nodes' in answer.data) fail(`attached carries nodes: ${JSON.stringify(answer.data)}`);
  if (answer.data.path !== '/') fail(`attached names path ${JSON.stringify(answer.data.path)}, expected "/"`);
  await tab.expectNone('render', 300);
}

async function changing() {
  const page = await fetchPage(base, '/changing');
  const tab = await openTab('tab', page.cookie);

  step('mount /changing with its own render data; expect `render`');
  const answer = await tab.mount('/changing', page.renderData);
  expectAnswer(answer, 'render', 'mount of a route whose output changed');
  const root = ['div', [], answer.data.nodes];

  step('expect the replayed #random and #wall, and a new #monotonic');
  for (const id of ['random', 'wall']) {
    const prerendered = htmlTextById(page.html, 'span', id);
    const mounted = textById(root, id);
    if (mounted !== prerendered) fail(`#${id} is ${mounted} at mount but ${prerendered} in the prerender`);
  }
  const monotonic = textById(root, 'monotonic');
  if (monotonic === htmlTextById(page.html, 'span', 'monotonic')) fail(`#monotonic is ${monotonic} in both renders`);
}

async function otherUser() {
  const paramsOfA = await fetchPage(base, '/params/same');
  const changingOfA = await fetchPage(base, '/changing', paramsOfA.cookie);
  const { cookie: cookieOfB } = await fetchPage(base, '/params/same');
  if (cookieOfB === paramsOfA.cookie) fail('users A and B got the same cookie');
  const tab = await openTab('user B', cookieOfB);

  step("user B mounts /params/same with user A's render data; expect `render`");
  const params = await tab.mount('/params/same', paramsOfA.renderData);
  expectAnswer(params, 'render', "mount with another user's render data");

  step("user B mounts /changing with user A's render data; expect `render` with another #random");
  const answer = await tab.mount('/changing', changingOfA.renderData);
  expectAnswer(answer, 'render', "mount of /changing with another user's render data");
  const random = textById(['div', [], answer.data.nodes], 'random');
  if (random === htmlTextById(changingOfA.html, 'span', 'random')) {
    fail(`user B's render shows user A's #random ${random}: A's replay values were used`);
  }
}

const cases = { unchanged, changing, 'other-user': otherUser };
if (!cases[testCase]) {
  console.error(`usage: ${usage}`);
  process.exit(2);
}
run(`session_render_id ${testCase}`, cases[testCase], {
  cleanup: async () => tabs.forEach((tab) => tab.close()),
});
