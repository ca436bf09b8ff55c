// The registry client under faults, through a proxy that misbehaves on demand: 5xx bursts,
// 429 with Retry-After, a connection cut mid-blob, a hang (the stall timeout), tampered and
// oversized answers, and a redirect to another host (which must not get the credentials).
import { test, before, after } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, Sandbox, sha256Hex, snapshotTree } from './lib/harness.mjs';
import { startRegistry } from './lib/registry.mjs';
import { startFaultProxy, startOtherHost } from './lib/faults.mjs';

const sandbox = new Sandbox('wasme-regfault-');
const MODULE = fs.readFileSync(path.join(FIXTURES, 'clang_filter.wasm'));
const MODULE_HEX = sha256Hex(MODULE);
const FILE = sandbox.write('in/filter.wasm', MODULE);
let reg;
let proxy;

// Runs wasme -v without blocking the event loop (the proxy lives in this process).
const run = (args, { env = {}, input = '' } = {}) => sandbox.runAsync(['-v', ...args], { env, input });

function expect(result, status) {
  assert.equal(result.status, status, `expected exit ${status}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
}

before(async () => {
  reg = await startRegistry(sandbox, { name: 'faults' });
  proxy = await startFaultProxy(reg.port);
  expect(await run(['push', '--plain-http', `${reg.host}/faults/filter:v1`, FILE]), 0);
});
after(async () => {
  await proxy?.stop();
  await reg?.stop();
  sandbox.cleanup();
});

const REF = () => `${proxy.host}/faults/filter:v1`;
const isBlob = (req) => req.method === 'GET' && req.url.endsWith(`/blobs/sha256:${MODULE_HEX}`);
const isManifest = (req) => req.method === 'GET' && req.url.includes('/manifests/');

// A private store that already holds another image, so "unchanged" means more than "still
// empty" (and the module under test still has to be downloaded).
let homes = 0;
const OTHER = sandbox.write('in/other.wasm', fs.readFileSync(path.join(FIXTURES, 'abi_0_2_1.wasm')));
async function populatedHome() {
  const env = { WASME_HOME: sandbox.path(`home-${++homes}`) };
  expect(await run(['build', 'precompiled', OTHER, '-t', 'local/keep:v1'], { env }), 0);
  return env;
}

// Pulls through the proxy with `plan`; returns the result and the requests the proxy saw.
async function pullWith(plan, { env, args = [], ref = REF() } = {}) {
  proxy.requests.length = 0;
  proxy.setPlan(plan);
  const result = await run(['pull', '--plain-http', '-o', 'json', ...args, ref],
    { env: env || { WASME_HOME: sandbox.path(`home-${++homes}`) } });
  proxy.setPlan(() => 'forward');
  return { result, requests: [...proxy.requests] };
}

test('a burst of 503s is retried with backoff, then the pull succeeds', async () => {
  const unavailable = { status: 503, body: '{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}' };
  const { result, requests } = await pullWith((req, n) => (n < 3 ? unavailable : 'forward'));
  expect(result, 0);
  assert.equal(result.json().wasmDigest, `sha256:${MODULE_HEX}`);
  assert.deepEqual(requests.slice(0, 4).map((r) => r.action), ['respond', 'respond', 'respond', 'forward']);
  assert.equal(result.stderr.match(/retrying fetching manifest v1 in \d+ms \(attempt \d of 5\): .*UNAVAILABLE: try later/g).length, 3);
});

test('429 with Retry-After is honoured', async () => {
  let limited = false;
  const { result } = await pullWith((req) => {
    if (isManifest(req) && !limited) {
      limited = true;
      return { status: 429, headers: { 'Retry-After': '1' } };
    }
    return 'forward';
  });
  expect(result, 0);
  assert.match(result.stderr, /retrying fetching manifest v1 in 1000ms/);
});

test('4xx answers that will not change are not retried', async () => {
  const { result, requests } = await pullWith(() => ({ status: 404,
    body: '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}' }));
  expect(result, 1);
  assert.equal(requests.length, 1);
  assert.match(result.stderr, /MANIFEST_UNKNOWN: manifest unknown \(HTTP 404\)/);
});

test('a connection cut mid-blob is retried from the start; the stored blob is whole', async () => {
  let cut = false;
  const env = await populatedHome();
  const { result, requests } = await pullWith((req) => {
    if (isBlob(req) && !cut) {
      cut = true;
      return { cutAfterBytes: 100 };
    }
    return 'forward';
  }, { env });
  expect(result, 0);
  assert.deepEqual(requests.filter(isBlob).map((r) => r.action), ['cutAfterBytes', 'forward']);
  assert.match(result.stderr, /retrying fetching blob .* the connection broke/);
  assert.ok(fs.readFileSync(path.join(env.WASME_HOME, 'store/blobs/sha256', MODULE_HEX)).equals(MODULE));
});

test('a hang trips the stall timeout with a clear message; the store is unchanged', async () => {
  const env = await populatedHome();
  const before = snapshotTree(env.WASME_HOME);
  proxy.requests.length = 0;
  proxy.setPlan((req) => (isBlob(req) ? 'hang' : 'forward'));
  const result = await run(['pull', '--plain-http', REF()], { env: { ...env, WASME_STALL_TIMEOUT: '1' } });
  proxy.setPlan(() => 'forward');
  expect(result, 1);
  assert.match(result.stderr, /the transfer stalled: no data for 1 s \(stall timeout\) \(gave up after 5 attempts\)/);
  assert.match(result.stderr, /WASME_STALL_TIMEOUT/);
  assert.equal(proxy.requests.filter(isBlob).length, 5);
  assert.deepEqual(snapshotTree(env.WASME_HOME), before);
});

test('a registry that never accepts the connection trips the connect timeout, retried, then a clear error', async () => {
  // A listening socket whose accept queue is full and never drained: the kernel drops
  // further SYNs, so a connect neither succeeds nor fails, as with a firewalled host.
  const blackhole = spawn('python3', ['-c', `
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
fill = []
for _ in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(s.getsockname())
    except BlockingIOError: pass
    fill.append(c)
print(s.getsockname()[1], flush=True)
time.sleep(120)
`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise((resolve, reject) => {
      blackhole.stdout.once('data', (d) => resolve(Number(String(d).trim())));
      blackhole.once('exit', () => reject(new Error('the blackhole listener exited')));
    });
    const env = await populatedHome();
    const before = snapshotTree(env.WASME_HOME);
    const result = await run(['pull', '--plain-http', `127.0.0.1:${port}/faults/filter:v1`],
      { env: { ...env, WASME_CONNECT_TIMEOUT: '1' } });
    expect(result, 1);
    assert.match(result.stderr, /no connection after 1 s \(gave up after 5 attempts\)/);
    assert.match(result.stderr, /WASME_CONNECT_TIMEOUT/);
    assert.equal(result.stderr.match(/retrying .* \(attempt \d of 5\)/g)?.length, 4);
    assert.deepEqual(snapshotTree(env.WASME_HOME), before);
  } finally {
    blackhole.kill();
  }
});

test('push REF FILE that fails leaves the store as it was (no new image, or the old one back)', async () => {
  const env = await populatedHome();
  const before = snapshotTree(env.WASME_HOME);
  const down = `127.0.0.1:1/faults/new:v1`;
  const failed = await run(['push', '--plain-http', down, FILE], { env: { ...env, WASME_CONNECT_TIMEOUT: '1' } });
  expect(failed, 1);
  assert.deepEqual(snapshotTree(env.WASME_HOME), before, 'no image left behind');

  // The same name already held another module: it is still there after the failed push.
  expect(await run(['tag', 'local/keep:v1', down], { env }), 0);
  const old = (await run(['inspect', down, '-o', 'json'], { env })).json().manifestDigest;
  expect(await run(['push', '--plain-http', down, FILE], { env }), 1);
  assert.equal((await run(['inspect', down, '-o', 'json'], { env })).json().manifestDigest, old);
});

test('a tampered blob is refused, not retried, and the store is unchanged', async () => {
  const env = await populatedHome();
  const before = snapshotTree(env.WASME_HOME);
  const { result, requests } = await pullWith((req) => (isBlob(req) ? { tamperBody: true } : 'forward'), { env });
  expect(result, 1);
  assert.match(result.stderr, new RegExp(`blob sha256:${MODULE_HEX} \\(module\\): the bytes the registry sent have digest sha256:`));
  assert.equal(requests.filter(isBlob).length, 1);
  assert.deepEqual(snapshotTree(env.WASME_HOME), before);
});

test('a tampered manifest is refused, by digest and by tag', async () => {
  const env = await populatedHome();
  const before = snapshotTree(env.WASME_HOME);
  const { manifestDigest } = (await pullWith(() => 'forward')).result.json();
  const byDigest = await pullWith((req) => (isManifest(req) ? { tamperBody: true, at: 20 } : 'forward'),
    { env, ref: `${proxy.host}/faults/filter@${manifestDigest}` });
  expect(byDigest.result, 1);
  assert.match(byDigest.result.stderr, /the registry served bytes with digest sha256:[0-9a-f]{64}, not sha256:/);
  // By tag the registry's Docker-Content-Digest header still names the true digest.
  const byTag = await pullWith((req) => (isManifest(req) ? { tamperBody: true, at: 20 } : 'forward'), { env });
  expect(byTag.result, 1);
  assert.match(byTag.result.stderr, /the registry says its digest is sha256:/);
  assert.deepEqual(snapshotTree(env.WASME_HOME), before);
});

test('an oversized manifest is refused; the store is unchanged', async () => {
  const env = await populatedHome();
  const before = snapshotTree(env.WASME_HOME);
  const huge = Buffer.alloc(5 << 20, 0x20);
  const { result } = await pullWith((req) => (isManifest(req) ? { replaceBody: huge } : 'forward'), { env });
  expect(result, 1);
  assert.match(result.stderr, /larger than the limit of 4\.0 MiB/);
  assert.deepEqual(snapshotTree(env.WASME_HOME), before);
});

test('push: a failed upload restarts from a fresh POST', async () => {
  let failed = false;
  proxy.requests.length = 0;
  proxy.setPlan((req) => {
    if (req.method === 'PUT' && req.url.includes('/blobs/uploads/') && !failed) {
      failed = true;
      return { status: 503 };
    }
    return 'forward';
  });
  const result = await run(['push', '--plain-http', `${proxy.host}/faults/pushed:v1`, FILE],
    { env: { WASME_HOME: sandbox.path('home-push') } });
  proxy.setPlan(() => 'forward');
  expect(result, 0);
  const posts = proxy.requests.filter((r) => r.method === 'POST').length;
  const puts = proxy.requests.filter((r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/')).length;
  assert.equal(posts, 3, 'two blobs, one of them started twice');
  assert.equal(puts, 3);
});

test('a redirect to another host gets no credentials; the bytes it serves are still verified', async () => {
  const basic = await startRegistry(sandbox, { mode: 'basic', name: 'redirect' });
  const front = await startFaultProxy(basic.port);
  const other = await startOtherHost(() => MODULE);
  try {
    const creds = ['-u', basic.user, '--password-stdin'];
    const input = `${basic.password}\n`;
    expect(await run(['push', '--plain-http', ...creds, `${basic.host}/r/filter:v1`, FILE], { input }), 0);
    front.setPlan((req) => (isBlob(req) ? { redirect: `${other.localhostUrl}/storage/${MODULE_HEX}?sig=s3cr3t-sig` } : 'forward'));
    const result = await run(['pull', '--plain-http', '-o', 'json', ...creds, `${front.host}/r/filter:v1`],
      { input, env: { WASME_HOME: sandbox.path('home-redirect') } });
    expect(result, 0);
    assert.equal(result.json().wasmDigest, `sha256:${MODULE_HEX}`);
    assert.equal(other.requests.length, 1);
    assert.equal(other.requests[0].headers.authorization, undefined, 'credentials went to another host');
    assert.ok(front.requests.some((r) => r.headers.authorization), 'the registry itself did get them');
    for (const secret of [basic.password, 's3cr3t-sig']) {
      assert.ok(!result.stderr.includes(secret) && !result.stdout.includes(secret));
    }
  } finally {
    await other.stop();
    await front.stop();
    await basic.stop();
  }
});

// Last: the proxy's request numbers (n in plans above) count from its start.
test('one push reuses its connection for every request', async () => {
  proxy.requests.length = 0;
  const before = proxy.connections;
  const other = sandbox.write('in/reuse.wasm', fs.readFileSync(path.join(FIXTURES, 'abi_0_2_0.wasm')));
  expect(await run(['push', '--plain-http', `${proxy.host}/faults/reuse:v1`, other]), 0);
  const requests = proxy.requests.length;
  assert.ok(requests >= 6, `a push makes several requests (${requests})`);
  assert.ok(proxy.connections - before <= 2, `${requests} requests over ${proxy.connections - before} connections`);
});
