// wasme cache against what would starve it or leak through it: clients that send their
// request a byte at a time, a registry that trickles blobs, and requests for refs nobody
// listed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Sandbox, expectStatus, sha256Hex } from './lib/harness.mjs';
import { startRegistry } from './lib/registry.mjs';
import { startFaultProxy } from './lib/faults.mjs';
import { moduleOfSize, startCache, trickleRequest, waitFor } from './cache_helpers.mjs';

const sb = new Sandbox('wasme-cache-limits-');
let reg;
before(async () => { reg = await startRegistry(sb, { name: 'reg' }); });
after(async () => { await reg?.stop(); sb.cleanup(); });

// Pushes bytes as a module to the registry under name:tag; returns {ref, hex, bytes}.
function push(name, bytes) {
  const file = sb.write(`modules/${name.replace(/[/:]/g, '_')}.wasm`, bytes);
  const ref = `${reg.host}/${name}`;
  expectStatus(assert, sb.run(['push', ref, file]), 0);
  return { ref, hex: sha256Hex(bytes), bytes };
}

const fileOf = (dir, hex) => path.join(dir, hex);
const reEscape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ready = (cache) => waitFor(async () => (await cache.get('/ready')).status === 200, 'ready', 30_000);

test('32 clients sending a request a byte a second starve neither /healthz nor /ready, and are cut off at the deadline', async (t) => {
  const a = push('limits/probed:v1', moduleOfSize(3000));
  const cache = await startCache(sb, { dir: sb.path('slow-clients/cache'), refs: [a.ref] });
  let slow = [];
  try {
    await ready(cache);
    // Twice the 16 threads httplib used to be given; each read is quick, no request completes.
    const started = Date.now();
    slow = await Promise.all(Array.from({ length: 32 }, () =>
      trickleRequest(cache.port, 'GET /ready HTTP/1.1\r\nHost: cache\r\n\r\n', 1000)));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const probe of ['/healthz', '/ready']) {
      const t0 = Date.now();
      const res = await fetch(cache.url + probe, { signal: AbortSignal.timeout(5000) });
      const took = Date.now() - t0;
      assert.equal(res.status, 200, probe);
      await res.text();
      assert.ok(took < 2000, `${probe} answered after ${took} ms`);
    }
    assert.ok(slow.every((c) => !c.closed), 'the slow clients still hold their connections');
    // Bytes keep coming, but a request must arrive within 10 s of its first byte.
    await waitFor(() => slow.every((c) => c.closed), 'every slow connection closed', 25_000);
    const held = Date.now() - started;
    t.diagnostic(`32 slow connections closed after ${held} ms`);
    assert.ok(held < 16_000, `slow connections held for ${held} ms`);
    for (const c of slow) assert.match(c.received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  } finally {
    for (const c of slow) c.destroy();
    assert.equal((await cache.stop()).code, 0);
  }
});

test('four refs trickling from their registry do not hold back a fifth; a trickle fails the minimum rate', async (t) => {
  const slow = [1, 2, 3, 4].map((i) => push(`limits/trickle${i}:v1`, moduleOfSize(20_000 + i)));
  const healthy = push('limits/healthy:v1', moduleOfSize(5000));
  const trickled = slow.map((m) => `/blobs/sha256:${m.hex}`);
  // About 10 B/s (the proxy's smallest slice is a byte every 100 ms): far under 1 KiB/s,
  // far above the old 1 B/s stall limit.
  const proxy = await startFaultProxy(reg.port, (req) =>
    (req.method === 'GET' && trickled.some((p) => req.url.includes(p)) ? { bytesPerSecond: 1 } : 'forward'));
  const via = (m) => m.ref.replace(reg.host, proxy.host);
  const dir = sb.path('slow-registry/cache');
  // --concurrency 4 (the default) and the trickles listed first: they take every slot.
  const cache = await startCache(sb, { dir, refs: [...slow.map(via), via(healthy)] });
  // The minimum rate, with a 1 s window instead of 30 s; -v logs each failed request.
  const strict = await startCache(sb, { dir: sb.path('slow-registry/strict'), refs: [via(slow[0])],
    args: ['-v'], env: { WASME_STALL_TIMEOUT: '1' } });
  try {
    const t0 = Date.now();
    await waitFor(() => fs.existsSync(fileOf(dir, healthy.hex)), 'the healthy module', 30_000);
    const took = Date.now() - t0;
    t.diagnostic(`the healthy ref was cached after ${took} ms, beside four trickling pulls`);
    assert.ok(took < 20_000, `the healthy ref waited ${took} ms`);
    assert.equal(sha256Hex(fs.readFileSync(fileOf(dir, healthy.hex))), healthy.hex);
    // Not by cutting the trickles short: they still run (the 30 s window has not passed).
    const images = await cache.images();
    for (const m of slow) assert.equal(images[via(m)].state, 'pulling', via(m));
    assert.ok(proxy.requests.filter((r) => r.action === 'bytesPerSecond').length >= 4);

    const tooSlow = new RegExp(`GET \\S+/v2/limits/trickle1/blobs/sha256:${slow[0].hex} failed \\d+ms: ` +
      'the transfer was too slow: under 1\\.0 KiB/s for 1 s \\(minimum rate\\)');
    await waitFor(() => tooSlow.test(strict.stderr()), 'the minimum rate to end a trickling transfer', 15_000);
    assert.doesNotMatch(strict.stderr(), /no data for 1 s/);
  } finally {
    assert.equal((await strict.stop()).code, 0);
    assert.equal((await cache.stop()).code, 0);
    await proxy.stop();
  }
});

test('only listed refs and their modules are served; --serve-unlisted serves the rest', async () => {
  const a = push('limits/listed:v1', moduleOfSize(3100));
  const u = push('limits/unlisted:v1', moduleOfSize(3200));
  const dir = sb.path('unlisted/cache');
  const strict = await startCache(sb, { dir, refs: [a.ref] });
  try {
    await ready(strict);
    const refused = await strict.get(`/${encodeURIComponent(u.ref)}`);
    assert.equal(refused.status, 403);
    const text = await refused.text();
    assert.match(text, new RegExp(`"${reEscape(u.ref)}" is not listed`));
    assert.match(text, /--serve-unlisted/);
    assert.ok(!fs.existsSync(fileOf(dir, u.hex)), 'nothing was pulled');
    assert.equal((await strict.images())[u.ref], undefined);
    const listed = await strict.get(`/${encodeURIComponent(a.ref)}`);
    assert.equal(listed.status, 200);
    assert.deepEqual(Buffer.from(await listed.arrayBuffer()), a.bytes);
    assert.equal((await strict.get(`/${a.hex}`)).status, 200);
  } finally {
    assert.equal((await strict.stop()).code, 0);
  }

  const open = await startCache(sb, { dir, refs: [a.ref], args: ['--serve-unlisted'] });
  try {
    const byRef = await open.get(`/${encodeURIComponent(u.ref)}`);
    assert.equal(byRef.status, 200);
    assert.deepEqual(Buffer.from(await byRef.arrayBuffer()), u.bytes);
    assert.equal((await open.get(`/${u.hex}`)).status, 200);
  } finally {
    assert.equal((await open.stop()).code, 0);
  }

  // Without the flag again: u's module is still in DIR, but no listed ref points at it.
  const again = await startCache(sb, { dir, refs: [a.ref] });
  try {
    await ready(again);
    assert.ok(fs.existsSync(fileOf(dir, u.hex)));
    const hidden = await again.get(`/${u.hex}`);
    assert.equal(hidden.status, 404);
    assert.match(await hidden.text(), /not the module of a listed ref/);
    assert.equal((await again.get(`/${encodeURIComponent(u.ref)}`)).status, 403);
    assert.equal((await again.get(`/${a.hex}`)).status, 200);
  } finally {
    assert.equal((await again.stop()).code, 0);
  }
});
