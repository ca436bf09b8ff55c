// 50 refs through one cache: pulls stay within --concurrency and the daemon's memory stays
// flat (it streams modules to disk; it never holds one in memory). The RSS figures are
// printed as test diagnostics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Sandbox, WASME_BIN, sha256Hex } from './lib/harness.mjs';
import { startRegistry } from './lib/registry.mjs';
import { moduleFiles, moduleOfSize, startCache, startGate, tempFiles, waitFor } from './cache_helpers.mjs';

const REFS = 50;
const MODULE_SIZE = 2 << 20;
const CONCURRENCY = 4;

const sb = new Sandbox('wasme-cache-scale-');
let reg;
before(async () => { reg = await startRegistry(sb, { name: 'reg' }); });
after(async () => { await reg?.stop(); sb.cleanup(); });

const rssKiB = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
};

// Pushes the modules, four wasme processes at a time.
async function pushAll(modules) {
  const run = promisify(execFile);
  for (let i = 0; i < modules.length; i += 4) {
    await Promise.all(modules.slice(i, i + 4).map((m) =>
      run(WASME_BIN, ['push', m.pushRef, m.file], { env: sb.env, cwd: sb.dir })));
  }
}

test(`${REFS} refs of ${MODULE_SIZE >> 20} MiB: at most ${CONCURRENCY} downloads at once, flat memory`, async (t) => {
  const gate = await startGate(reg.port);
  const modules = [];
  for (let i = 0; i < REFS; i++) {
    const bytes = moduleOfSize(MODULE_SIZE);
    modules.push({
      file: sb.write(`modules/m${i}.wasm`, bytes), hex: sha256Hex(bytes),
      pushRef: `${reg.host}/load/m${i}:v1`, ref: `${gate.host}/load/m${i}:v1`,
    });
  }
  await pushAll(modules);
  const dir = sb.path('cache');
  const refFile = sb.write('images.txt', '');
  const cache = await startCache(sb, { dir, refFile, args: ['--concurrency', String(CONCURRENCY)] });
  try {
    await waitFor(async () => (await cache.get('/ready')).status === 200, 'ready with no refs');
    const idle = rssKiB(cache.proc.pid);
    // Warm up with the first ten: threads, TLS and HTTP state are set up once.
    const warmup = 10;
    fs.writeFileSync(refFile, modules.slice(0, warmup).map((m) => m.ref).join('\n') + '\n');
    await waitFor(() => moduleFiles(dir).length === warmup, `${warmup} modules on disk`, 300_000);
    const warm = rssKiB(cache.proc.pid);
    fs.writeFileSync(refFile, modules.map((m) => m.ref).join('\n') + '\n');
    let peak = warm;
    await waitFor(() => {
      peak = Math.max(peak, rssKiB(cache.proc.pid));
      return moduleFiles(dir).length === REFS && tempFiles(dir).length === 0;
    }, `${REFS} modules on disk`, 300_000);
    await waitFor(async () => (await cache.get('/ready')).status === 200, 'ready with every ref');
    const done = rssKiB(cache.proc.pid);
    const rest = ((REFS - warmup) * MODULE_SIZE) >> 10;
    const figures = `daemon RSS: idle ${idle} KiB, ${warm} KiB after ${warmup} pulls, peak ${peak} KiB ` +
      `while pulling ${REFS - warmup} more (${rest} KiB), ${done} KiB after; ` +
      `blob downloads at once: at most ${gate.state.maxInFlight}`;
    t.diagnostic(figures);

    for (const m of modules) assert.equal(sha256Hex(fs.readFileSync(path.join(dir, m.hex))), m.hex);
    assert.ok(gate.state.maxInFlight <= CONCURRENCY, `${gate.state.maxInFlight} downloads at once`);
    assert.ok(gate.state.maxInFlight >= 2, 'pulls ran in parallel');
    // Each module's config is fetched too (and validated) before the module lands.
    assert.equal(gate.state.blobGets, 2 * REFS, 'one download per module and one per config');
    // Flat: 80 MiB more pulled, and the daemon grows by less than three modules' worth (per-pull
    // clients, the config each pull now validates, thread stacks: bounded by concurrency, not
    // by what was pulled).
    assert.ok(peak - warm < (3 * MODULE_SIZE) >> 10,
      `RSS grew by ${peak - warm} KiB while pulling ${rest} KiB (warm: ${warm} KiB)`);
    const images = await cache.images();
    assert.equal(Object.values(images).filter((s) => s.state === 'cached').length, REFS);
  } finally {
    assert.equal((await cache.stop()).code, 0);
    await gate.stop();
  }
});
