// Issue 14's classes, as a hostile or careless input would meet them through the binary:
// files named by --out that are not regular files, interrupted pulls, looping tag lists.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Sandbox, expectStatus, sha256Hex } from './lib/harness.mjs';
import { startRegistry, pushRawImage } from './lib/registry.mjs';
import { startFaultProxy } from './lib/faults.mjs';
import { moduleOfSize, startCache, waitFor } from './cache_helpers.mjs';

const sb = new Sandbox('wasme-hard-');
let reg;
const REF = () => `${reg.host}/hard/f:v1`;

before(async () => {
  reg = await startRegistry(sb, { name: 'reg' });
  const file = sb.write('f.wasm', moduleOfSize(4096));
  expectStatus(assert, sb.run(['build', 'precompiled', file, '-t', REF(), '--root-id', 'root']), 0);
  expectStatus(assert, sb.run(['push', REF()]), 0);
});

after(async () => {
  await reg.stop();
  sb.cleanup();
});

const tempFiles = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('.wasme-tmp-')) : []);
const tempDirsOf = (pid) => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('wasme-') && n.includes(`-${pid}-`));

test('--out writes through devices and FIFOs, follows symlinks, and refuses directories', async () => {
  const render = (out) => sb.run(['deploy', 'envoy', REF(), '--id', 'f', '--out', out]);
  // A regular file is replaced whole; a new one is created.
  const plain = sb.write('out/plain.yaml', 'old');
  expectStatus(assert, render(plain), 0);
  assert.match(fs.readFileSync(plain, 'utf8'), /static_resources/);
  // A character device stays one (as root this once replaced /dev/full with a file).
  expectStatus(assert, render('/dev/null'), 0);
  assert.ok(fs.statSync('/dev/null').isCharacterDevice());
  // A FIFO is written through to its reader.
  const fifo = sb.path('out/fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const reader = new Promise((resolve) => { fs.readFile(fifo, 'utf8', (err, data) => resolve(err ? String(err) : data)); });
  const writer = sb.runAsync(['deploy', 'envoy', REF(), '--id', 'f', '--out', fifo]);
  assert.match(await reader, /static_resources/);
  expectStatus(assert, await writer, 0);
  assert.ok(fs.lstatSync(fifo).isFIFO());
  // A symlink is followed: the target changes, the link stays.
  const target = sb.write('out/target.yaml', 'old');
  const link = sb.path('out/link.yaml');
  fs.symlinkSync(target, link);
  expectStatus(assert, render(link), 0);
  assert.ok(fs.lstatSync(link).isSymbolicLink());
  assert.match(fs.readFileSync(target, 'utf8'), /static_resources/);
  // A link to a device writes through too.
  const devlink = sb.path('out/devnull');
  fs.symlinkSync('/dev/null', devlink);
  expectStatus(assert, render(devlink), 0);
  assert.ok(fs.lstatSync(devlink).isSymbolicLink());
  // A directory, or a link loop, is refused with nothing written.
  const dir = sb.path('out/dir');
  fs.mkdirSync(dir);
  const refused = render(dir);
  expectStatus(assert, refused, 1);
  assert.match(refused.stderr, /is a directory|is not a regular file/);
  fs.symlinkSync(sb.path('out/loop-b'), sb.path('out/loop-a'));
  fs.symlinkSync(sb.path('out/loop-a'), sb.path('out/loop-b'));
  const loop = render(sb.path('out/loop-a'));
  expectStatus(assert, loop, 1);
  assert.match(loop.stderr, /too many levels of symbolic links/);
  assert.deepEqual(tempFiles(sb.path('out')), []);
});

test('an interrupted pull leaves no temp files; a killed one is swept by the next command', async () => {
  const big = sb.write('big.wasm', moduleOfSize(8 << 20));
  const ref = `${reg.host}/hard/big:v1`;
  expectStatus(assert, sb.run(['build', 'precompiled', big, '-t', ref, '--root-id', 'root']), 0);
  expectStatus(assert, sb.run(['push', ref]), 0);
  const layer = sha256Hex(fs.readFileSync(big));
  // Blobs through a proxy that sends the module's first MiB, then nothing.
  const proxy = await startFaultProxy(reg.port, (req) => (req.url.includes(`/blobs/sha256:${layer}`)
    ? { stallAfterBytes: 1 << 20 } : 'forward'));
  try {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL']) {
      const store = sb.path(`pull-${signal}`);
      const child = sb.spawn(['pull', `${proxy.host}/hard/big:v1`, '--store', store, '--plain-http']);
      const blobs = path.join(store, 'blobs', 'sha256');
      await waitFor(() => tempFiles(blobs).some((f) => fs.statSync(path.join(blobs, f)).size > 0), `a temp file (${signal})`);
      const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve(sig)));
      child.kill(signal);
      assert.equal(await exited, signal);
      if (signal === 'SIGKILL') {
        assert.ok(tempFiles(blobs).length > 0, 'SIGKILL gives no chance to clean up');
        expectStatus(assert, sb.run(['list', '--store', store]), 0);  // the next command sweeps
      }
      assert.deepEqual(tempFiles(blobs), [], signal);
      assert.deepEqual(tempFiles(store), [], signal);
      assert.deepEqual(tempDirsOf(child.pid), [], signal);
    }
  } finally {
    await proxy.stop();
  }
});

test('control characters from registries and images reach the terminal inert', async () => {
  const ESC = '\u001b';
  // A registry whose tag list and error text carry escape sequences and a forged line.
  const proxy = await startFaultProxy(reg.port, (req) => {
    if (req.url.includes('/tags/list')) {
      return { status: 200, headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'hard/f', tags: [`v1${ESC}[2J${ESC}]0;pwned\u0007`, 'v2\u009b31m'] }) };
    }
    if (req.url.includes('/manifests/evil')) {
      return { status: 404, headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: `gone${ESC}[31m\ncached "x" as 0000` }] }) };
    }
    return 'forward';
  });
  try {
    // runAsync: the proxy lives in this process, whose event loop a sync spawn would block.
    const list = await sb.runAsync(['list', '--remote', `${proxy.host}/hard/f`, '--plain-http']);
    expectStatus(assert, list, 0);
    assert.ok(!list.stdout.includes(ESC) && !list.stdout.includes('\u009b'), JSON.stringify(list.stdout));
    assert.match(list.stdout, /v1\\x1b\[2J\\x1b\]0;pwned\\x07/);
    const pull = await sb.runAsync(['pull', `${proxy.host}/hard/f:evil`, '--plain-http', '--store', sb.path('evil-store')]);
    expectStatus(assert, pull, 1);
    assert.ok(!pull.stderr.includes(ESC), JSON.stringify(pull.stderr));
    assert.doesNotMatch(pull.stderr, /^cached "x"/m);  // no forged line
    // The cache's log quotes the same error on one inert line.
    const cache = await startCache(sb, { dir: sb.path('evil-cache'), refs: [`${proxy.host}/hard/f:evil`], args: ['--plain-http'] });
    try {
      await waitFor(() => cache.stderr().includes('cannot pull'), 'the failure in the log');
      assert.ok(!cache.stderr().includes(ESC), JSON.stringify(cache.stderr()));
      assert.doesNotMatch(cache.stderr(), /^cached "x"/m);
    } finally {
      await cache.stop();
    }
  } finally {
    await proxy.stop();
  }
  // An image whose layer title annotation carries a terminal title sequence.
  await pushRawImage(reg, 'hard/annotated', 'v1', {
    config: { mediaType: 'application/vnd.module.wasm.config.v1+json', bytes: JSON.stringify({ type: 'envoy_proxy', abiVersions: [], config: { rootIds: ['r'] } }) },
    layers: [{ mediaType: 'application/vnd.module.wasm.content.layer.v1+wasm', bytes: moduleOfSize(2048),
      annotations: { 'org.opencontainers.image.title': `f${ESC}]0;pwned\u0007.wasm` } }],
  });
  const store = sb.path('annotated-store');
  expectStatus(assert, sb.run(['pull', `${reg.host}/hard/annotated:v1`, '--store', store]), 0);
  const inspect = sb.run(['inspect', `${reg.host}/hard/annotated:v1`, '--store', store]);
  expectStatus(assert, inspect, 0);
  assert.ok(!inspect.stdout.includes(ESC), JSON.stringify(inspect.stdout));
  assert.match(inspect.stdout, /f\\x1b\]0;pwned\\x07\.wasm/);
});

test('a store path through a file or a symlink loop is an error, not an empty list', () => {
  const file = sb.write('not-a-dir', 'x');
  const through = sb.run(['list', '--store', path.join(file, 'sub')]);
  expectStatus(assert, through, 1);
  assert.match(through.stderr, /the store \S+not-a-dir\/sub: Not a directory/);
  fs.symlinkSync(sb.path('loop-2'), sb.path('loop-1'));
  fs.symlinkSync(sb.path('loop-1'), sb.path('loop-2'));
  const loop = sb.run(['list', '--store', sb.path('loop-1')]);
  expectStatus(assert, loop, 1);
  assert.match(loop.stderr, /Too many levels of symbolic links/);
  expectStatus(assert, sb.run(['list', '--store', sb.path('absent-store')]), 0);  // absent: empty
});

test('the cache answers a range past the end with 416 and a write with 405, at once', async () => {
  const dir = sb.path('cache-416');
  const cache = await startCache(sb, { dir, refs: [REF()] });
  try {
    await waitFor(async () => (await cache.get('/ready')).status === 200, 'ready');
    const [hex] = fs.readdirSync(dir).filter((n) => /^[0-9a-f]{64}$/.test(n));
    const size = fs.statSync(path.join(dir, hex)).size;
    const past = await cache.get(`/${hex}`, { headers: { Range: `bytes=${size + 10}-` } });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get('content-range'), `bytes */${size}`);
    const inside = await cache.get(`/${hex}`, { headers: { Range: 'bytes=0-3' } });
    assert.equal(inside.status, 206);
    assert.equal((await inside.arrayBuffer()).byteLength, 4);
    // A POST that announces a body and never sends it is refused before the body is awaited.
    const started = Date.now();
    const status = await new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: cache.port, method: 'POST', path: '/x',
        headers: { 'Content-Length': '1000' } }, (res) => { res.resume(); resolve(res.statusCode); });
      req.on('error', reject);
      req.flushHeaders();  // headers only: the body never comes
    });
    assert.equal(status, 405);
    assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
  } finally {
    await cache.stop();
  }
});

test('the smaller ones: an invalid listed ref is logged once and never pulled; a missing manifest is "?", not an age; 1e400 is named', async () => {
  const dir = sb.path('cache-invalid');
  const refFile = sb.write('invalid-refs.txt', `${REF()}\nNot A Ref!!\n`);
  const cache = await startCache(sb, { dir, refFile });
  try {
    await waitFor(async () => (await cache.get('/ready')).status === 200, 'the valid ref cached');
    await new Promise((r) => setTimeout(r, 800));  // several ticks and backoffs
    assert.equal(cache.stderr().split('ignoring "Not A Ref!!"').length - 1, 1, cache.stderr());
    assert.doesNotMatch(cache.stderr(), /cannot pull "Not A Ref!!"/);
  } finally {
    await cache.stop();
  }
  const store = sb.path('missing-manifest-store');
  expectStatus(assert, sb.run(['pull', REF(), '--store', store]), 0);
  const digest = sb.run(['inspect', REF(), '--store', store, '-o', 'json']).json().manifestDigest;
  fs.rmSync(path.join(store, 'blobs', 'sha256', digest.slice(7)));
  const list = sb.run(['list', '--store', store]);
  expectStatus(assert, list, 0);
  assert.doesNotMatch(list.stdout, /days ago/);
  assert.match(list.stderr, /its manifest blob sha256:[0-9a-f]{64} is missing from the store/);
  const huge = sb.run(['deploy', 'istio', REF(), '--id', 'x', '--mode', 'wasmplugin', '--config', '{"a": 1e400}']);
  expectStatus(assert, huge, 1);
  assert.match(huge.stderr, /--config is not valid JSON: .*number overflow parsing '1e400'/);
});

test('push warns, before uploading, when the module is over the 256 MiB pull limit', () => {
  const big = sb.write('huge.wasm', moduleOfSize((256 << 20) + 4096));
  try {
    const stored = sb.run(['build', 'precompiled', big, '-t', '127.0.0.1:1/huge/f:v1', '--root-id', 'r']);
    expectStatus(assert, stored, 0);
    for (const args of [['127.0.0.1:1/huge/f:v1'], ['127.0.0.1:1/huge/g:v1', big]]) {
      const r = sb.run(['push', ...args, '--plain-http']);
      expectStatus(assert, r, 1);  // nothing listens there: the warning came first
      assert.match(r.stderr, /warning: the module is \d+ bytes, over the 256 MiB \(268435456 bytes\) Istio's agent, wasme pull and the cache accept/);
    }
    const small = sb.run(['push', REF()]);
    assert.doesNotMatch(small.stderr, /over the 256 MiB/);
  } finally {
    expectStatus(assert, sb.run(['rm', '127.0.0.1:1/huge/f:v1']), 0);
    fs.rmSync(big);
  }
});
