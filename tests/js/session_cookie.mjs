// A connection needs a valid session cookie: without one the host sends
// `session-expired` and closes the connection.
//
// Usage: node session_cookie.mjs <server base URL> <case> [argument]
//
// Cases:
//   valid            the cookie a GET of / set: expect `session`
//   missing          no cookie: expect `session-expired`
//   forged           32 random hex digits, the shape of a bare session
//                    ID: expect `session-expired`
//   unauthenticated  a cookie a GET set, with one character near its end
//                    changed: expect `session-expired`
//   given <cookie>   the `name=value` pair given, such as a cookie that
//                    another server issued: expect `session-expired`
//   aged <ms>        the cookie a GET set, used <ms> later: expect
//                    `session-expired`
import { randomBytes } from 'node:crypto';
import { baseUrlArgument, fail, run, step } from './common.mjs';
import { Tab, fetchPage, sleep } from './session_client.mjs';

const usage = 'node session_cookie.mjs <server base URL> valid|missing|forged|unauthenticated|given <cookie>|aged <ms>';
const base = baseUrlArgument(usage);
const testCase = process.argv[3];
const argument = process.argv[4];
let tab = null;

// Changes one alphanumeric character near the end of the cookie value to
// the digit 2 (3 when it is 2), which hex, base64, base64url and base32 all
// contain. The last two characters are skipped because in base64 they can
// hold unused padding bits.
function tamper(cookie) {
  const [name, value] = cookie.split(/=(.*)/s);
  for (let index = value.length - 3; index >= 0; index -= 1) {
    if (/[A-Za-z0-9]/.test(value[index])) {
      const replacement = value[index] === '2' ? '3' : '2';
      return `${name}=${value.slice(0, index)}${replacement}${value.slice(index + 1)}`;
    }
  }
  return fail(`the cookie value ${JSON.stringify(value)} has no character to change`);
}

async function cookieFor(kind) {
  if ((kind === 'given' || kind === 'aged') && argument === undefined) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  switch (kind) {
    case 'missing':
      return null;
    case 'forged':
      return `trellis_session=${randomBytes(16).toString('hex')}`;
    case 'given':
      return argument;
    case 'valid':
    case 'unauthenticated':
    case 'aged': {
      const { cookie } = await fetchPage(base, '/');
      if (!cookie) fail('GET / set no session cookie');
      if (kind === 'unauthenticated') return tamper(cookie);
      if (kind === 'aged') {
        step(`wait ${argument} ms`);
        await sleep(Number(argument));
      }
      return cookie;
    }
    default:
      console.error(`usage: ${usage}`);
      return process.exit(2);
  }
}

async function main() {
  const cookie = await cookieFor(testCase);
  const expected = testCase === 'valid' ? 'session' : 'session-expired';

  step(`connect with cookie ${JSON.stringify(cookie)}; expect "${expected}"`);
  tab = await Tab.connect(base, { label: testCase, cookie });
  const answer = await tab.nextOf(['session', 'session-expired']);
  if (answer.name !== expected) fail(`got "${answer.name}" ${JSON.stringify(answer.data)}, expected "${expected}"`);
  if (expected === 'session') return;

  if (typeof answer.data?.message !== 'string') fail(`session-expired has no message: ${JSON.stringify(answer.data)}`);
  step('expect the host to close the connection');
  const reason = await tab.next('disconnect');
  // A Socket.IO DISCONNECT packet and a closed WebSocket both count.
  if (reason !== 'io server disconnect' && reason !== 'transport close') {
    fail(`the connection closed with reason ${JSON.stringify(reason)}, expected a close by the host`);
  }
}

run(`session_cookie ${testCase}`, main, { cleanup: async () => tab?.close() });
