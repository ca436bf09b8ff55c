// wasme cache against a real registry: refs added while running (also by kubelet's symlink
// swap), the registry going away and coming back, a tampered blob, kill -9 and SIGTERM in
// the middle of a download, and the HTTP API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Sandbox, expectStatus, sha256Hex } from './lib/harness.mjs';
import { startRegistry } from './lib/registry.mjs';
import { startFaultProxy } from './lib/faults.mjs';
import { MODULE, moduleFiles, moduleOfSize, restartRegistry, startCache, startGate, tempFiles,
  waitFor } from './cache_helpers.mjs';

const sb = new Sandbox('wasme-cache-');
let reg;
before(async () => { reg = await startRegistry(sb, { name: 'reg' }); });
after(async () => { await reg?.stop(); sb.cleanup(); });

// Pushes bytes as a module to registry under name:tag; returns {ref, hex, bytes}.
function push(name, bytes, registry = reg) {
  const file = sb.write(`modules/${registry.port}-${name.replace(/[/:]/g, '_')}.wasm`, bytes);
  const ref = `${registry.host}/${name}`;
  expectStatus(assert, sb.run(['push', ref, file]), 0);
  return { ref, hex: sha256Hex(bytes), bytes };
}

const fileOf = (dir, hex) => path.join(dir, hex);
const sha = (file) => sha256Hex(fs.readFileSync(file));
const count = (text, needle) => text.split(needle).length - 1;

test('refs added to the ref file while running land on disk with the right sha256', async () => {
  const a = push('team/a:v1', MODULE);
  const b = push('team/b:v1', moduleOfSize(4096));
  const dir = sb.path('c1/cache');
  const refFile = sb.write('c1/images.txt', `# cached by wasme\n${a.ref}\n`);
  const cache = await startCache(sb, { dir, refFile });
  try {
    await waitFor(() => fs.existsSync(fileOf(dir, a.hex)), 'the first module');
    fs.appendFileSync(refFile, `\n${b.ref}   # added later\n`);
    await waitFor(() => fs.existsSync(fileOf(dir, b.hex)), 'the added module');
    assert.equal(sha(fileOf(dir, a.hex)), a.hex);
    assert.equal(sha(fileOf(dir, b.hex)), b.hex);
    assert.equal(fs.statSync(fileOf(dir, b.hex)).mode & 0o777, 0o644);
    assert.deepEqual(moduleFiles(dir).sort(), [a.hex, b.hex].sort());
    await waitFor(async () => (await cache.get('/ready')).status === 200, 'ready');
    assert.equal(count(cache.stderr(), 'ref list changed'), 1, cache.stderr());
  } finally {
    assert.equal((await cache.stop()).code, 0);
  }
});

test('the HTTP API (with --serve-unlisted) serves modules by digest and by ref, and nothing else', async () => {
  const a = push('team/http:v1', moduleOfSize(100_000));
  const c = push('team/ondemand:v1', moduleOfSize(2000));
  const dir = sb.path('c2/cache');
  // Unlisted refs are pulled on demand only with --serve-unlisted (cache_limits tests the default).
  const cache = await startCache(sb, { dir, refs: [a.ref], args: ['--serve-unlisted'] });
  try {
    await waitFor(async () => (await cache.get('/ready')).status === 200, 'ready');
    const got = await cache.get(`/${a.hex}`);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'application/vnd.module.wasm.content.layer.v1+wasm');
    assert.equal(got.headers.get('etag'), `"sha256:${a.hex}"`);
    assert.equal(got.headers.get('content-length'), String(a.bytes.length));
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), a.bytes);
    const head = await cache.get(`/${a.hex}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(a.bytes.length));

    const byRef = await cache.get(`/${encodeURIComponent(c.ref)}`);  // not listed: pulled now
    assert.equal(byRef.status, 200);
    assert.deepEqual(Buffer.from(await byRef.arrayBuffer()), c.bytes);
    assert.equal(sha(fileOf(dir, c.hex)), c.hex);

    const images = await cache.images();
    assert.equal(images[a.ref].state, 'cached');
    assert.equal(images[a.ref].digest, `sha256:${a.hex}`);
    assert.equal(images[a.ref].size, a.bytes.length);
    assert.equal(images[a.ref].last_error, null);
    assert.equal(images[c.ref].listed, false);
    assert.equal((await cache.get('/healthz')).status, 200);

    // On demand, only the registries of listed refs: the daemon's credentials never go to a
    // host a client names. (The other registry has the module; it is still not pulled.)
    const other = await startRegistry(sb, { name: 'other' });
    try {
      const elsewhere = push('team/elsewhere:v1', moduleOfSize(2100), other);
      const refused = await cache.get(`/${encodeURIComponent(elsewhere.ref)}`);
      assert.equal(refused.status, 404);
      assert.match(await refused.text(), new RegExp(`only from the registries of its listed refs \\(${reg.host.replace(/\./g, '\\.')}\\)`));
      assert.ok(!fs.existsSync(fileOf(dir, elsewhere.hex)));
    } finally {
      await other.stop();
    }

    // A symlink planted in DIR under a module's name is not followed.
    const planted = '0'.repeat(64);
    fs.symlinkSync(path.join(dir, fs.readdirSync(dir).find((n) => n === a.hex)), path.join(dir, planted));
    assert.equal((await cache.get(`/${planted}`)).status, 404);

    fs.writeFileSync(path.join(dir, 'secret'), 'secret');
    for (const p of ['/secret', '/..%2Fsecret', `/${a.hex.toUpperCase()}`, `/${a.hex}.wasm`, '/favicon.ico',
      '/.wasme-cache-index.json', `/${reg.host}%2Fteam%2Fmissing:v1`]) {
      const r = await cache.get(p);
      assert.equal(r.status, 404, p);
      assert.ok(!(await r.text()).includes('secret'), p);
    }
  } finally {
    assert.equal((await cache.stop()).code, 0);
  }
});

test('kubelet swapping the ..data symlink of a ConfigMap volume is noticed', async () => {
  const a = push('team/swap-a:v1', moduleOfSize(3000));
  const b = push('team/swap-b:v1', moduleOfSize(3001));
  const vol = sb.path('c3/config');
  const publish = (stamp, content) => {
    fs.mkdirSync(path.join(vol, stamp), { recursive: true });
    fs.writeFileSync(path.join(vol, stamp, 'images.txt'), content);
    fs.symlinkSync(stamp, path.join(vol, '..data_tmp'));
    fs.renameSync(path.join(vol, '..data_tmp'), path.join(vol, '..data'));
    if (!fs.existsSync(path.join(vol, 'images.txt'))) fs.symlinkSync('..data/images.txt', path.join(vol, 'images.txt'));
  };
  publish('..2024_06_01_10_00_00.000000001', `${a.ref}\n`);
  const dir = sb.path('c3/cache');
  const cache = await startCache(sb, { dir, refFile: path.join(vol, 'images.txt') });
  try {
    await waitFor(() => fs.existsSync(fileOf(dir, a.hex)), 'the first module');
    publish('..2024_06_01_10_01_00.000000002', `${a.ref}\n${b.ref}\n`);
    fs.rmSync(path.join(vol, '..2024_06_01_10_00_00.000000001'), { recursive: true });
    await waitFor(() => fs.existsSync(fileOf(dir, b.hex)), 'the module listed after the swap');
    assert.equal(sha(fileOf(dir, b.hex)), b.hex);
    assert.match(cache.stderr(), /ref list changed \(.*\.\.2024_06_01_10_01_00\.000000002\/images\.txt\)/);
  } finally {
    assert.equal((await cache.stop()).code, 0);
  }
});

test('registry down: /ready names the new ref and old modules are served; back: it arrives', async (t) => {
  const own = await startRegistry(sb, { name: 'flaky' });
  let again = null;
  try {
    const a = push('team/up:v1', moduleOfSize(5000), own);
    const b = push('team/later:v1', moduleOfSize(5001), own);
    const dir = sb.path('c4/cache');
    const refFile = sb.write('c4/images.txt', `${a.ref}\n`);
    const cache = await startCache(sb, { dir, refFile });
    try {
      await waitFor(() => fs.existsSync(fileOf(dir, a.hex)), 'the first module');
      await own.stop();
      fs.appendFileSync(refFile, `${b.ref}\n`);
      await waitFor(async () => ((await cache.images())[b.ref]?.failures ?? 0) >= 3, 'three failed attempts');
      const ready = await cache.get('/ready');
      assert.equal(ready.status, 503);
      const body = await ready.text();
      assert.ok(body.includes(b.ref), body);
      assert.ok(!body.includes(a.ref), body);
      const served = await cache.get(`/${a.hex}`);
      assert.equal(served.status, 200);
      assert.deepEqual(Buffer.from(await served.arrayBuffer()), a.bytes);
      const status = (await cache.images())[b.ref];
      assert.equal(status.state === 'failed' || status.state === 'pulling', true);
      assert.ok(status.last_error, 'the failure is reported');
      t.diagnostic(`while down: ${status.last_error}`);

      again = await restartRegistry(own);
      await waitFor(() => fs.existsSync(fileOf(dir, b.hex)), 'the module once the registry is back');
      assert.equal(sha(fileOf(dir, b.hex)), b.hex);
      assert.equal((await cache.get('/ready')).status, 200);
      // Several failed attempts, one log line about them (and one about the recovery).
      assert.equal(count(cache.stderr(), `cannot pull "${b.ref}"`), 1, cache.stderr());
      assert.match(cache.stderr(), new RegExp(`cached "${b.ref.replace(/[.]/g, '\\.')}" .* after \\d+ failed attempt`));
    } finally {
      assert.equal((await cache.stop()).code, 0);
    }
  } finally {
    await again?.stop();
    await own.stop();
  }
});

test('a tampered blob is never written and /images shows the error', async () => {
  const m = push('team/tampered:v1', moduleOfSize(20_000));
  let tamper = true;
  const proxy = await startFaultProxy(reg.port, (req) =>
    (tamper && req.method === 'GET' && req.url.includes(`/blobs/sha256:${m.hex}`) ? { tamperBody: true } : 'forward'));
  const ref = `${proxy.host}/team/tampered:v1`;
  const dir = sb.path('c5/cache');
  const cache = await startCache(sb, { dir, refs: [ref] });
  try {
    const status = await waitFor(async () => {
      const s = (await cache.images())[ref];
      return s?.failures >= 2 && s;
    }, 'two failed attempts');
    assert.match(status.last_error, /digest|sha256|integrity/i);
    assert.equal(status.digest, null);
    assert.deepEqual(moduleFiles(dir), []);
    assert.equal((await cache.get(`/${m.hex}`)).status, 404);
    assert.ok(proxy.requests.some((r) => r.action === 'tamperBody'));
    tamper = false;
    await waitFor(() => fs.existsSync(fileOf(dir, m.hex)), 'the module once the blob is intact');
    assert.equal(sha(fileOf(dir, m.hex)), m.hex);
  } finally {
    assert.equal((await cache.stop()).code, 0);
    await proxy.stop();
  }
});

test('kill -9 during a large download, then a restart: no partial file, the final file is right', async () => {
  const m = push('team/large:v1', moduleOfSize(24 << 20));
  const gate = await startGate(reg.port);
  const ref = `${gate.host}/team/large:v1`;
  const dir = sb.path('c6/cache');
  const refFile = sb.write('c6/images.txt', `${ref}\n`);
  try {
    gate.stallBlobsAfter(3 << 20);
    const first = await startCache(sb, { dir, refFile });
    await waitFor(() => tempFiles(dir).some((n) => fs.statSync(path.join(dir, n)).size > 0), 'a partial download');
    const killed = await first.stop('SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    assert.deepEqual(moduleFiles(dir), [], 'nothing under a module name');
    assert.ok(tempFiles(dir).length > 0, 'the partial download is still there, under a temp name');

    gate.open();
    const second = await startCache(sb, { dir, refFile });
    try {
      await waitFor(() => fs.existsSync(fileOf(dir, m.hex)), 'the module after the restart');
      assert.equal(sha(fileOf(dir, m.hex)), m.hex);
      assert.equal(fs.statSync(fileOf(dir, m.hex)).size, m.bytes.length);
      assert.deepEqual(tempFiles(dir), []);
      assert.match(second.stderr(), /removed 1 unfinished download/);
    } finally {
      assert.equal((await second.stop()).code, 0);
    }
  } finally {
    await gate.stop();
  }
});

test('SIGTERM (and a second signal) during a download exits 0 and leaves neither a partial nor a temp file', async () => {
  const m = push('team/term:v1', moduleOfSize(8 << 20));
  const gate = await startGate(reg.port);
  const ref = `${gate.host}/team/term:v1`;
  const dir = sb.path('c7/cache');
  try {
    gate.stallBlobsAfter(1 << 20);
    const cache = await startCache(sb, { dir, refs: [ref], args: ['--shutdown-grace', '20s'] });
    await waitFor(() => tempFiles(dir).length > 0, 'a download in progress');
    // An impatient second signal (kubelet, or a second Ctrl-C) does not change the outcome.
    cache.proc.kill('SIGTERM');
    cache.proc.kill('SIGINT');
    const { code, signal } = await cache.exited;
    assert.equal(code, 0, `${signal ?? ''} ${cache.stderr()}`);
    assert.deepEqual(tempFiles(dir), []);
    assert.deepEqual(moduleFiles(dir), []);
    assert.match(cache.stderr(), /received SIG(TERM|INT)/);
    assert.match(cache.stderr(), /stopped/);
    assert.ok(!fs.existsSync(fileOf(dir, m.hex)));
  } finally {
    await gate.stop();
  }
});

test('bad flags and a second cache on the same directory are refused', async () => {
  const dir = sb.path('c8/cache');
  const r = sb.run(['cache', '--directory', dir, '--interval', 'soon', '--port', '0']);
  expectStatus(assert, r, 2);
  assert.match(r.stderr, /--interval: invalid duration "soon"/);
  const badRef = sb.run(['cache', '--directory', dir, '--port', '0', 'Bad/Ref:v1']);
  expectStatus(assert, badRef, 2);
  assert.match(badRef.stderr, /Bad\/Ref:v1/);
  const missing = sb.run(['cache', '--directory', dir, '--ref-file', sb.path('nope.txt'), '--port', '0']);
  expectStatus(assert, missing, 1);
  assert.match(missing.stderr, /nope\.txt/);
  const first = await startCache(sb, { dir });
  try {
    const second = sb.run(['cache', '--directory', dir, '--port', '0']);
    expectStatus(assert, second, 1);
    assert.match(second.stderr, /used by another wasme cache/);
  } finally {
    assert.equal((await first.stop('SIGINT')).code, 0);
  }
});

// Inodes of the TCP sockets process pid is listening on (state 0A in /proc/net/tcp{,6}).
function listeningSockets(pid) {
  const listening = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(table)) continue;
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') listening.add(cols[9]);
    }
  }
  const fdDir = `/proc/${pid}/fd`;
  return fs.readdirSync(fdDir).map((fd) => { try { return fs.readlinkSync(path.join(fdDir, fd)); } catch { return ''; } })
    .map((link) => /^socket:\[(\d+)\]$/.exec(link)?.[1]).filter((inode) => inode && listening.has(inode));
}

test('--port 0 caches without listening on any port', async () => {
  const a = push('team/noport:v1', moduleOfSize(3000));
  const dir = sb.path('c11/cache');
  const quiet = sb.spawn(['cache', '--directory', dir, '--port', '0', '--interval', '100ms', a.ref]);
  const exited = new Promise((resolve) => quiet.once('exit', (code) => resolve(code)));
  const listening = await startCache(sb, { dir: sb.path('c11/other'), refs: [a.ref] });
  try {
    await waitFor(() => fs.existsSync(fileOf(dir, a.hex)), 'the module, with HTTP off');
    assert.equal(sha(fileOf(dir, a.hex)), a.hex);
    assert.deepEqual(listeningSockets(quiet.pid), []);
    assert.equal(listeningSockets(listening.proc.pid).length, 1, 'the check sees a listening cache');
  } finally {
    quiet.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal((await listening.stop()).code, 0);
  }
});

test('a private registry: refused without credentials, pulled with a docker config file', async () => {
  const priv = await startRegistry(sb, { name: 'private', mode: 'basic' });
  try {
    const bytes = moduleOfSize(7000);
    const file = sb.write('modules/private.wasm', bytes);
    const ref = `${priv.host}/team/private:v1`;
    expectStatus(assert, sb.run(['push', ref, file, '-u', priv.user, '--password-stdin'], { input: `${priv.password}\n` }), 0);
    const hex = sha256Hex(bytes);

    const anonymous = await startCache(sb, { dir: sb.path('c9/anon'), refs: [ref] });
    try {
      const status = await waitFor(async () => {
        const s = (await anonymous.images())[ref];
        return s?.failures >= 1 && s;
      }, 'a refused attempt');
      assert.match(status.last_error, /401|unauthori[sz]ed|credentials/i);
      assert.deepEqual(moduleFiles(sb.path('c9/anon')), []);
    } finally {
      assert.equal((await anonymous.stop()).code, 0);
    }

    // What the DaemonSet mounts from a kubernetes.io/dockerconfigjson Secret.
    const auth = Buffer.from(`${priv.user}:${priv.password}`).toString('base64');
    const creds = sb.write('c9/secret/.dockerconfigjson', JSON.stringify({ auths: { [priv.host]: { auth } } }), 0o600);
    const dir = sb.path('c9/cache');
    // -v logs every registry request: still no credential in the log.
    const cache = await startCache(sb, { dir, refs: [ref], args: ['-v', '-c', creds] });
    try {
      await waitFor(() => fs.existsSync(fileOf(dir, hex)), 'the private module');
      assert.equal(sha(fileOf(dir, hex)), hex);
      assert.match(cache.stderr(), /GET http:\/\/127\.0\.0\.1:\d+\/v2\/team\/private\/blobs\/sha256:[0-9a-f]{64} 200/);
      assert.ok(!cache.stderr().includes(priv.password), 'the password never reaches the log');
      assert.ok(!cache.stderr().includes(auth), 'nor does the encoded credential');
      assert.doesNotMatch(cache.stderr(), /authorization/i);
    } finally {
      assert.equal((await cache.stop()).code, 0);
    }
  } finally {
    await priv.stop();
  }
});

test('--prune removes a module once no ref lists it; -o json logs one JSON object a line', async () => {
  const a = push('team/keep:v1', moduleOfSize(6000));
  const b = push('team/drop:v1', moduleOfSize(6001));
  const dir = sb.path('c10/cache');
  const refFile = sb.write('c10/images.txt', `${a.ref}\n${b.ref}\n`);
  const cache = await startCache(sb, { dir, refFile, args: ['--prune', '--prune-grace', '300ms', '-o', 'json'] });
  try {
    await waitFor(() => moduleFiles(dir).length === 2, 'both modules');
    fs.writeFileSync(refFile, `${a.ref}\n`);
    await waitFor(() => !fs.existsSync(fileOf(dir, b.hex)), 'the unlisted module to go');
    assert.ok(fs.existsSync(fileOf(dir, a.hex)));
    assert.equal((await cache.get(`/${b.hex}`)).status, 404);
    assert.equal((await cache.images())[b.ref], undefined);
  } finally {
    assert.equal((await cache.stop()).code, 0);
  }
  const lines = cache.stderr().trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.every((l) => typeof l.time === 'string' && typeof l.msg === 'string'));
  assert.equal(lines.filter((l) => l.msg.startsWith(`pruned ${b.hex}`)).length, 1);
});
