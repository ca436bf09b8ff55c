// wasme push and pull against a real registry (plain HTTP on loopback): digests, HEAD-skip,
// chunked uploads, pull by digest, indexes, the 2019 format, size limits, and skopeo interop
// both ways. (Compat images are covered by testinfra_compat.test.mjs.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { FIXTURES, Sandbox, expectStatus, sha256Hex, snapshotTree } from './lib/harness.mjs';
import { startFaultProxy } from './lib/faults.mjs';
import { fetchRaw, pushRawImage, startRegistry, writeOciLayout } from './lib/registry.mjs';

const sandbox = new Sandbox('wasme-regpp-');
let reg;
before(async () => { reg = await startRegistry(sandbox, { name: 'pp' }); });
after(async () => { await reg?.stop(); sandbox.cleanup(); });

const MODULE = fs.readFileSync(path.join(FIXTURES, 'clang_filter.wasm'));
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const WASM_CONFIG = 'application/vnd.module.wasm.config.v1+json';
const WASM_LAYER = 'application/vnd.module.wasm.content.layer.v1+wasm';
const skopeo = (args) => promisify(execFile)('skopeo', args, { encoding: 'utf8', maxBuffer: 64 << 20 });

// The fixture filter followed by a custom section of `size` random bytes: still a valid module.
function bigModule(size) {
  const leb = (n) => { const out = []; do { let b = n % 128; n = Math.floor(n / 128); if (n) b |= 0x80; out.push(b); } while (n); return Buffer.from(out); };
  const name = Buffer.from('pad');
  const content = Buffer.concat([leb(name.length), name, crypto.randomBytes(size)]);
  return Buffer.concat([MODULE, Buffer.from([0]), leb(content.length), content]);
}

// A fresh private home (store, credentials) for one test.
function home(name) { return { WASME_HOME: sandbox.path(`home-${name}`) }; }
const storeOf = (env) => path.join(env.WASME_HOME, 'store');

test('push REF FILE prints both digests; pull into another store gives the same module', () => {
  const file = sandbox.write('in/filter.wasm', MODULE);
  const ref = `${reg.host}/team/filter:v1`;
  const pushed = sandbox.run(['push', ref, file], { env: home('a') });
  expectStatus(assert, pushed, 0);
  assert.match(pushed.stdout, new RegExp(`wasm sha256: +${sha256Hex(MODULE)}`));
  const manifestDigest = /manifest digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)[1];

  const env = home('b');
  const pulled = sandbox.run(['pull', '-o', 'json', ref], { env });
  expectStatus(assert, pulled, 0);
  const out = pulled.json();
  assert.equal(out.reference, ref);
  assert.equal(out.manifestDigest, manifestDigest);
  assert.equal(out.wasmDigest, `sha256:${sha256Hex(MODULE)}`);
  assert.equal(out.format, 'wasme');
  assert.equal(out.size, MODULE.length);
  assert.deepEqual(fs.readFileSync(path.join(storeOf(env), 'blobs/sha256', sha256Hex(MODULE))), MODULE);
  // The pulled image is in the store as any other.
  const listed = sandbox.run(['list', '-o', 'json'], { env });
  expectStatus(assert, listed, 0);
  assert.match(listed.stdout, /team\/filter/);

  // Pushing again sends no blob; the same manifest digest comes back.
  const again = sandbox.run(['push', '-o', 'json', ref], { env: home('a') });
  expectStatus(assert, again, 0);
  assert.deepEqual({ ...again.json() }, { reference: ref, manifestDigest, wasmDigest: `sha256:${sha256Hex(MODULE)}`,
    mediaType: OCI_MANIFEST, blobsUploaded: 0, blobsSkipped: 2 });
  // Pulling again downloads nothing new.
  assert.equal(sandbox.run(['pull', '-o', 'json', ref], { env }).json().blobsPresent, 2);
});

test('chunked uploads: PATCHes with Content-Range, and the registry has the exact bytes', async () => {
  const module = bigModule(3 << 20);
  const file = sandbox.write('in/big.wasm', module);
  const ref = `${reg.host}/team/big:v1`;
  const r = sandbox.run(['-v', 'push', '--chunk-size', '1MiB', ref, file], { env: home('chunk') });
  expectStatus(assert, r, 0);
  const patches = r.stderr.split('\n').filter((l) => l.startsWith('PATCH '));
  assert.equal(patches.length, 4, r.stderr);
  assert.ok(patches.every((l) => / 202 \d+ms HTTP\/1\.1$/.test(l)), patches.join('\n'));
  assert.doesNotMatch(r.stderr, /%/, 'no progress when stderr is not a terminal');
  const blob = await fetchRaw(`${reg.url}/v2/team/big/blobs/sha256:${sha256Hex(module)}`);
  assert.equal(blob.status, 200);
  assert.ok(blob.body.equals(module));
});

test('on a terminal, a transfer over a second shows a bar, bytes, rate and time left, then clears', async () => {
  const module = bigModule(3 << 20);
  const file = sandbox.write('in/progress.wasm', module);
  const ref = `${reg.host}/team/progress:v1`;
  expectStatus(assert, sandbox.run(['push', ref, file], { env: home('tty-push') }), 0);
  // Blob downloads trickle through a proxy at 1 MiB/s: the module takes about 3 s.
  const proxy = await startFaultProxy(reg.port, (req) =>
    (req.method === 'GET' && req.url.includes('/blobs/') ? { bytesPerSecond: 1 << 20 } : 'forward'));
  try {
    const slowRef = `127.0.0.1:${proxy.port}/team/progress:v1`;
    const pulled = await sandbox.runOnTerminal(['pull', '--plain-http', slowRef], { env: home('tty-pull') });
    assert.equal(pulled.status, 0, pulled.output);
    const drawn = [...pulled.output.matchAll(/\r([^\r\n]*) \[(=*)>? *\] ([\d.]+ [KM]i?B)\/3\.0 MiB ([\d.]+ [KM]i?B)\/s (\d+:\d\d) left\x1b\[K/g)];
    assert.ok(drawn.length >= 2, `the line is redrawn: ${JSON.stringify(pulled.output)}`);
    assert.match(drawn[0][1], /^[0-9a-f]{8}/);  // the blob, its label cut to the terminal width
    // Cleared when done: no progress left on screen, the summary starts a clean line.
    assert.match(pulled.output, /\r\x1b\[Kpulled 127\.0\.0\.1/);
    // Quick transfers draw nothing.
    const quick = await sandbox.runOnTerminal(['pull', ref], { env: home('tty-quick') });
    assert.equal(quick.status, 0, quick.output);
    assert.doesNotMatch(quick.output, /\x1b\[K|\] /);
    // Nothing of it reaches a pipe, however slow.
    const piped = await sandbox.runAsync(['pull', '--plain-http', slowRef], { env: home('pipe-pull') });
    expectStatus(assert, piped, 0);
    assert.doesNotMatch(piped.stderr, /\r|\x1b/);
  } finally {
    await proxy.stop();
  }
});

test('pull by digest; a digest the registry lacks is an error', () => {
  const file = sandbox.write('in/filter.wasm', MODULE);
  const ref = `${reg.host}/team/bydigest:v1`;
  const pushed = sandbox.run(['push', '-o', 'json', ref, file], { env: home('d1') });
  expectStatus(assert, pushed, 0);
  const { manifestDigest } = pushed.json();
  const env = home('d2');
  const r = sandbox.run(['pull', '-o', 'json', `${reg.host}/team/bydigest@${manifestDigest}`], { env });
  expectStatus(assert, r, 0);
  assert.equal(r.json().manifestDigest, manifestDigest);
  const missing = `sha256:${'0'.repeat(64)}`;
  const bad = sandbox.run(['pull', `${reg.host}/team/bydigest@${missing}`], { env });
  expectStatus(assert, bad, 1);
  assert.match(bad.stderr, /MANIFEST_UNKNOWN|not found|unknown/i);
});

test('a missing tag or repository is a clear not-found error', () => {
  const r = sandbox.run(['pull', `${reg.host}/nobody/here:v9`], { env: home('nf') });
  expectStatus(assert, r, 1);
  assert.match(r.stderr, /pulling "127\.0\.0\.1:\d+\/nobody\/here:v9": fetching manifest v9: .*(MANIFEST_UNKNOWN|NAME_UNKNOWN)/);
});

test('our push, copied by skopeo to an OCI layout: byte-identical module and manifest', async () => {
  const file = sandbox.write('in/filter.wasm', MODULE);
  const ref = `${reg.host}/interop/ours:v1`;
  const pushed = sandbox.run(['push', '-o', 'json', ref, file], { env: home('sk1') });
  expectStatus(assert, pushed, 0);
  const dir = sandbox.path('skopeo-layout');
  await skopeo(['copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${dir}:v1`]);
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json')));
  const blob = (d) => fs.readFileSync(path.join(dir, 'blobs/sha256', d.split(':')[1]));
  const manifestBytes = blob(index.manifests[0].digest);
  assert.equal(`sha256:${sha256Hex(manifestBytes)}`, pushed.json().manifestDigest);
  const manifest = JSON.parse(manifestBytes);
  const layer = manifest.layers.find((l) => l.mediaType === WASM_LAYER);
  assert.ok(blob(layer.digest).equals(MODULE));
});

test('images skopeo pushed from OCI layouts (wasme shape) are pulled', async () => {
  const config = Buffer.from('{"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["r"]}}');
  const title = (t) => ({ 'org.opencontainers.image.title': t });
  const layout = sandbox.path('theirs-layout');
  writeOciLayout(layout, 'v1', {
    config: { mediaType: WASM_CONFIG, bytes: config, annotations: title('runtime-config.json') },
    layers: [{ mediaType: WASM_CONFIG, bytes: config, annotations: title('runtime-config.json') },
      { mediaType: WASM_LAYER, bytes: MODULE, annotations: title('filter.wasm') }],
  });
  const ref = `${reg.host}/interop/theirs:v1`;
  await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${ref}`]);
  const env = home('sk2');
  const r = sandbox.run(['pull', '-o', 'json', ref], { env });
  expectStatus(assert, r, 0);
  assert.equal(r.json().format, 'wasme');
  assert.equal(r.json().wasmDigest, `sha256:${sha256Hex(MODULE)}`);
  const inspect = sandbox.run(['inspect', '-o', 'json', ref], { env });
  expectStatus(assert, inspect, 0);
  assert.match(inspect.stdout, /"r"/);
});

test('the 2019 wasme format (application/vnd.io.solo.wasm.*) is pulled', async () => {
  await pushRawImage(reg, 'old/filter', 'v0.0.1', {
    config: { mediaType: 'application/vnd.io.solo.wasm.config.v1+json', bytes: '{"roots":[{"id":"add_header_root_id"}]}' },
    layers: [{ mediaType: 'application/vnd.io.solo.wasm.code.v1+wasm', bytes: MODULE }],
  });
  const r = sandbox.run(['pull', '-o', 'json', `${reg.host}/old/filter:v0.0.1`], { env: home('solo') });
  expectStatus(assert, r, 0);
  assert.equal(r.json().format, 'solo_2019');
  assert.equal(r.json().wasmDigest, `sha256:${sha256Hex(MODULE)}`);
});

test('a tag naming an OCI index pulls its first manifest', async () => {
  const file = sandbox.write('in/filter.wasm', MODULE);
  const ref = `${reg.host}/team/indexed:v1`;
  const pushed = sandbox.run(['push', '-o', 'json', ref, file], { env: home('i1') });
  expectStatus(assert, pushed, 0);
  const { manifestDigest } = pushed.json();
  const manifest = await fetchRaw(`${reg.url}/v2/team/indexed/manifests/v1`, { headers: { Accept: OCI_MANIFEST } });
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: OCI_MANIFEST, digest: manifestDigest, size: manifest.body.length }] }));
  const put = await fetchRaw(`${reg.url}/v2/team/indexed/manifests/multi`, { method: 'PUT', body: index,
    headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' } });
  assert.equal(put.status, 201, put.body.toString());
  const r = sandbox.run(['-v', 'pull', '-o', 'json', `${reg.host}/team/indexed:multi`], { env: home('i2') });
  expectStatus(assert, r, 0);
  assert.equal(r.json().manifestDigest, manifestDigest);
  assert.match(r.stderr, /index lists 1 manifest/);
});

test('--max-size: a module over the limit is refused before download, store unchanged', () => {
  const module = bigModule(2 << 20);
  const ref = `${reg.host}/team/limit:v1`;
  expectStatus(assert, sandbox.run(['push', ref, sandbox.write('in/limit.wasm', module)], { env: home('l1') }), 0);
  const env = home('l2');
  expectStatus(assert, sandbox.run(['build', 'precompiled', sandbox.write('keep.wasm', MODULE), '-t', 'local/keep:v1'], { env }), 0);
  const before = snapshotTree(env.WASME_HOME);
  const r = sandbox.run(['-v', 'pull', '--max-size', '1MiB', ref], { env });
  expectStatus(assert, r, 1);
  assert.match(r.stderr, /larger than the limit of 1\.0 MiB/);
  assert.match(r.stderr, /--max-size/);
  assert.ok(!/GET \S+\/blobs\/sha256:[0-9a-f]+ 200/.test(r.stderr.split('\n').filter((l) => l.includes(sha256Hex(module))).join('\n')),
    'the module was not downloaded');
  assert.deepEqual(snapshotTree(env.WASME_HOME), before);
  expectStatus(assert, sandbox.run(['pull', '--max-size', '4MiB', ref], { env }), 0);
});

test('an ordinary container image is refused with a clear message', async () => {
  await pushRawImage(reg, 'containers/app', 'v1', {
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', bytes: '{"architecture":"amd64","os":"linux"}' },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', bytes: Buffer.alloc(1024) }],
  });
  const env = home('container');
  const r = sandbox.run(['pull', `${reg.host}/containers/app:v1`], { env });
  expectStatus(assert, r, 1);
  assert.match(r.stderr, /no wasm module in this image/);
  assert.ok(!fs.existsSync(path.join(storeOf(env), 'index.json')) ||
    !fs.readFileSync(path.join(storeOf(env), 'index.json'), 'utf8').includes('containers/app'));
});

test('push of an image the store lacks names it and suggests build or pull', () => {
  const r = sandbox.run(['push', `${reg.host}/team/absent:v1`], { env: home('absent') });
  expectStatus(assert, r, 1);
  assert.match(r.stderr, /not in the store/);
});

test('bad usage exits 2', () => {
  for (const args of [['push'], ['pull'], ['push', 'x', 'y', 'z'], ['push', '--format', 'zip', 'r/x:v1'],
    ['pull', '--max-size', 'lots', 'r/x:v1'], ['push', '-p', 'x', '--password-stdin', `${reg.host}/a/b:v1`]]) {
    const r = sandbox.run(args, { env: home('usage') });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
  }
});
