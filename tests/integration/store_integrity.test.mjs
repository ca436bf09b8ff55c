// Issue 14, items 8-10, through the real binary and a real docker-registry:
//  8. builds under new tags running at the same time as `rm` of the previous tags all succeed
//     (a build pins its blobs until its index entry lands);
//  9. a flipped byte in a stored blob is reported as corrupt by inspect, list, deploy envoy and
//     push, with the fix, and `wasme pull` repairs it;
// 10. pull and the cache refuse what `build precompiled` refuses (not wasm, empty, zeros in a
//     compat layer, a config that is not JSON, not UTF-8 or over 1 MiB), changing nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { FIXTURES, Sandbox, collectOutput, expectStatus, sha256Hex, snapshotTree } from './lib/harness.mjs';
import { pushRawImage, startRegistry } from './lib/registry.mjs';
import { moduleFiles, startCache, waitFor } from './cache_helpers.mjs';

const sb = new Sandbox('wasme-integrity-');
let reg;
before(async () => { reg = await startRegistry(sb, { name: 'reg' }); });
after(async () => { await reg?.stop(); sb.cleanup(); });

const WASM = path.join(FIXTURES, 'abi_0_2_1.wasm');
const WASM_SHA = sha256Hex(fs.readFileSync(WASM));
const MODULE = fs.readFileSync(path.join(FIXTURES, 'clang_filter.wasm'));
const WASM_CONFIG = 'application/vnd.module.wasm.config.v1+json';
const WASM_LAYER = 'application/vnd.module.wasm.content.layer.v1+wasm';
const GOOD_CONFIG = '{"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["r"]}}';

const home = (name) => ({ WASME_HOME: sb.path(`home-${name}`) });
const storeOf = (env) => path.join(env.WASME_HOME, 'store');
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function flipByte(file, offset) {
  const bytes = fs.readFileSync(file);
  bytes[offset] ^= 1;
  fs.writeFileSync(file, bytes);
}


// A one-file ustar archive (plugin.wasm), as docker build would make for a compat image.
function ustar(name, data) {
  const h = Buffer.alloc(512);
  const put = (value, offset, length) => h.write(value, offset, length, 'latin1');
  const octal = (n, width) => n.toString(8).padStart(width - 1, '0');
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(data.length, 12), 124, 12);
  put(octal(0, 12), 136, 12);
  put('0', 156, 1);
  put('ustar\0' + '00', 257, 8);
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  put(octal(sum, 7) + '\0', 148, 8);
  return Buffer.concat([h, data, Buffer.alloc((512 - (data.length % 512)) % 512), Buffer.alloc(1024)]);
}

test('20 builds under new tags while rm removes the previous tags: every build succeeds', async () => {
  const s = ['--store', sb.path('race-store')];
  const ref = (tag) => `localhost:5000/race/filter:${tag}`;
  const N = 20;
  expectStatus(assert, sb.run(['build', 'precompiled', WASM, '-t', ref('old0'), ...s]), 0);
  for (let i = 1; i < N; i++) expectStatus(assert, sb.run(['tag', ref('old0'), ref(`old${i}`), ...s]), 0);
  // Two rounds: old -> a, then a -> b. Every build stores the same blobs every rm frees.
  for (const [from, to] of [['old', 'a'], ['a', 'b']]) {
    const runs = [];
    for (let i = 0; i < N; i++) {
      runs.push(collectOutput(sb.spawn(['build', 'precompiled', WASM, '-t', ref(`${to}${i}`), ...s])).then((r) => ({ what: `build ${to}${i}`, ...r })));
      runs.push(collectOutput(sb.spawn(['rm', ref(`${from}${i}`), ...s])).then((r) => ({ what: `rm ${from}${i}`, ...r })));
    }
    const results = await Promise.all(runs);
    const failed = results.filter((r) => r.status !== 0).map((r) => `${r.what}: ${r.stderr.trim()}`);
    assert.deepEqual(failed, [], `round ${from} -> ${to}`);
    const listed = sb.run(['list', '-o', 'json', ...s]);
    expectStatus(assert, listed, 0);
    const rows = listed.json();
    assert.deepEqual(rows.map((r) => r.reference).sort(), Array.from({ length: N }, (_, i) => ref(`${to}${i}`)).sort());
    for (const row of rows) {
      assert.equal(row.error, undefined, `${row.reference}: ${row.error}`);
      assert.equal(row.wasmDigest, `sha256:${WASM_SHA}`);
    }
  }
  const pins = sb.path('race-store', 'pins');
  assert.deepEqual(fs.existsSync(pins) ? fs.readdirSync(pins) : [], [], 'no pin is left behind');
});

test('a flipped byte in a stored module: inspect, list, deploy envoy and push say corrupt; pull repairs it', () => {
  const env = home('corrupt');
  const ref = `${reg.host}/integrity/filter:v1`;
  const file = sb.write('in/filter.wasm', MODULE);
  expectStatus(assert, sb.run(['push', ref, file], { env }), 0);
  const hex = sha256Hex(MODULE);
  const blob = path.join(storeOf(env), 'blobs/sha256', hex);
  flipByte(blob, Math.floor(MODULE.length / 2));
  const corrupt = new RegExp(`image "${escape(ref)}": blob sha256:${hex} is corrupt \\(its content does not match its digest\\); ` +
    `run "wasme pull ${escape(ref)}" to repair it`);

  const inspect = sb.run(['inspect', ref], { env });
  expectStatus(assert, inspect, 1);
  assert.match(inspect.stderr, corrupt);

  const wide = sb.run(['list', '-w'], { env });
  expectStatus(assert, wide, 0);
  assert.match(wide.stderr, corrupt);
  assert.doesNotMatch(wide.stdout, new RegExp(hex), 'list -w does not show the digest the manifest claims');
  const json = sb.run(['list', '-o', 'json'], { env }).json();
  assert.match(json[0].error, corrupt);

  const out = sb.path('envoy-corrupt.yaml');
  const deploy = sb.run(['deploy', 'envoy', ref, '--id', 'f', '--root-id', 'r', '--out', out], { env });
  expectStatus(assert, deploy, 1);
  assert.match(deploy.stderr, corrupt);
  assert.ok(!fs.existsSync(out), 'no bootstrap pointing Envoy at the altered file');

  const push = sb.run(['push', ref], { env });
  expectStatus(assert, push, 1);
  assert.match(push.stderr, corrupt);

  const pull = sb.run(['pull', '-o', 'json', ref], { env });
  expectStatus(assert, pull, 0);
  assert.equal(pull.json().blobsDownloaded, 1, 'the damaged blob is fetched again');
  assert.equal(pull.json().blobsRepaired, 1);
  assert.equal(sha256Hex(fs.readFileSync(blob)), hex);
  expectStatus(assert, sb.run(['inspect', ref], { env }), 0);
  assert.match(sb.run(['list', '-w'], { env }).stdout, new RegExp(hex));
  const repaired = sb.path('envoy-repaired.yaml');
  expectStatus(assert, sb.run(['deploy', 'envoy', ref, '--id', 'f', '--root-id', 'r', '--out', repaired], { env }), 0);
  assert.match(fs.readFileSync(repaired, 'utf8'), new RegExp(escape(blob)));
});

test('pull and the cache refuse what build refuses; the store and the cache directory stay unchanged', async () => {
  const bigConfig = JSON.stringify({ type: 'envoy_proxy', config: { rootIds: ['r'.repeat(2 << 20)] } });
  const notUtf8 = Buffer.concat([Buffer.from('{"type":"envoy_proxy","config":{"rootIds":["'), Buffer.from([0xff, 0xfe]),
    Buffer.from('"]}}')]);
  const wasme = (config, module) => ({
    config: { mediaType: WASM_CONFIG, bytes: config },
    layers: [{ mediaType: WASM_CONFIG, bytes: config }, { mediaType: WASM_LAYER, bytes: module }],
  });
  const zeros = zlib.gzipSync(ustar('plugin.wasm', Buffer.alloc(32 << 20)));
  const cases = [
    { what: 'text', image: wasme(GOOD_CONFIG, 'this is not a wasm module'), message: /not a wasm module/ },
    { what: 'empty', image: wasme(GOOD_CONFIG, Buffer.alloc(0)), message: /not a wasm module: the input is empty/ },
    { what: 'zeros', message: /plugin\.wasm.*not a wasm module: bad magic/,
      image: { config: { mediaType: 'application/vnd.oci.image.config.v1+json', bytes: '{"architecture":"wasm","os":"wasip1"}' },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', bytes: zeros }] } },
    { what: 'not-json', image: wasme('type: envoy_proxy', MODULE), message: /config blob sha256:[0-9a-f]+: not valid JSON/ },
    { what: 'not-utf8', image: wasme(notUtf8, MODULE), message: /config blob sha256:[0-9a-f]+: not valid JSON/ },
    { what: 'big-config', image: wasme(bigConfig, MODULE), message: /config blob sha256:[0-9a-f]+ is \d+ bytes .*over the 1 MiB limit/ },
  ];
  for (const c of cases) {
    c.ref = `${reg.host}/hostile/${c.what}:v1`;
    await pushRawImage(reg, `hostile/${c.what}`, 'v1', c.image);
  }

  const env = home('hostile');
  expectStatus(assert, sb.run(['build', 'precompiled', WASM, '-t', 'local/keep:v1'], { env }), 0);
  const before = snapshotTree(env.WASME_HOME);
  for (const c of cases) {
    const r = sb.run(['pull', c.ref], { env });
    assert.equal(r.status, 1, `${c.what}: expected a refusal\n${r.stdout}${r.stderr}`);
    assert.match(r.stderr, c.message, c.what);
    assert.doesNotMatch(r.stdout, /pulled/, c.what);
    assert.deepEqual(snapshotTree(env.WASME_HOME), before, `${c.what}: the store changed`);
  }
  // build precompiled refuses the same modules.
  for (const [name, bytes] of [['text.wasm', 'this is not a wasm module'], ['empty.wasm', '']]) {
    const r = sb.run(['build', 'precompiled', sb.write(`hostile/${name}`, bytes), '-t', 'local/bad:v1'], { env });
    expectStatus(assert, r, 1);
    assert.match(r.stderr, /not a wasm module/);
  }

  // The cache: none of them is marked cached or written under a module name; a good ref is.
  const good = `${reg.host}/integrity/good:v1`;
  expectStatus(assert, sb.run(['push', good, sb.write('in/good.wasm', MODULE)], { env: home('cache-push') }), 0);
  const dir = sb.path('cache-dir');
  const cache = await startCache(sb, { dir, refs: [good, ...cases.map((c) => c.ref)] });
  try {
    const images = await waitFor(async () => {
      const all = await cache.images();
      const settled = all[good]?.state === 'cached' && cases.every((c) => all[c.ref]?.failures >= 1);
      return settled && all;
    }, 'the good ref cached and every hostile one failed');
    for (const c of cases) {
      const s = images[c.ref];
      assert.notEqual(s.state, 'cached', c.what);
      assert.equal(s.digest, null, c.what);
      assert.match(s.last_error, c.message, c.what);
    }
    assert.deepEqual(moduleFiles(dir), [sha256Hex(MODULE)]);
  } finally {
    assert.equal((await cache.stop()).code, 0);
  }
});
