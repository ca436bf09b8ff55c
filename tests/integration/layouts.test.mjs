// Every layout consumers read (docs/LAYOUTS.md): CNCF images made by hand pulled, inspected and
// converted; `push --format cncf` read back by skopeo with the spec's media types; `copy`
// between two real registries (plain and htpasswd), keeping digests or converting; `save` and
// `load` through skopeo's oci-archive both ways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { FIXTURES, Sandbox, expectStatus, sha256Hex, snapshotTree } from './lib/harness.mjs';
import { fetchRaw, pushRawImage, startRegistry } from './lib/registry.mjs';

const sandbox = new Sandbox('wasme-layouts-');
let plain;
let basic;
before(async () => {
  plain = await startRegistry(sandbox, { name: 'plain' });
  basic = await startRegistry(sandbox, { mode: 'basic', name: 'basic' });
});
after(async () => {
  await Promise.all([plain, basic].filter(Boolean).map((r) => r.stop()));
  sandbox.cleanup();
});

const MODULE = fs.readFileSync(path.join(FIXTURES, 'abi_0_2_1.wasm'));
const MODULE_DIGEST = `sha256:${sha256Hex(MODULE)}`;
// The CNCF TAG Runtime wasm OCI artifact (cncf/tag-runtime wgs/wasm/deliverables/
// wasm-oci-artifact), exactly as bytecodealliance/rust-oci-wasm writes it.
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const CNCF_CONFIG = 'application/vnd.wasm.config.v0+json';
const CNCF_LAYER = 'application/wasm';
const cncfConfig = (digest = MODULE_DIGEST) => JSON.stringify({
  created: '2024-10-25T16:56:12.123456789Z', author: null, architecture: 'wasm', os: 'wasip1',
  layerDigests: [digest], component: null,
});

const skopeo = (args) => promisify(execFile)('skopeo', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
const home = (name) => ({ WASME_HOME: sandbox.path(`home-${name}`) });
const storeOf = (env) => path.join(env.WASME_HOME, 'store');
const run = (args, env) => sandbox.runAsync(args, { env });

async function pushCncf(repo, tag) {
  return pushRawImage(plain, repo, tag, {
    config: { mediaType: CNCF_CONFIG, bytes: cncfConfig() },
    layers: [{ mediaType: CNCF_LAYER, bytes: MODULE }],
  });
}

async function manifestOf(reg, repo, ref, headers = {}) {
  const res = await fetchRaw(`${reg.url}/v2/${repo}/manifests/${ref}`, {
    headers: { Accept: OCI_MANIFEST, ...headers },
  });
  assert.equal(res.status, 200, `${repo}:${ref}: ${res.body}`);
  return { bytes: res.body, json: JSON.parse(res.body), digest: `sha256:${sha256Hex(res.body)}` };
}

test('a hand-made CNCF image pulls, inspects with its consumers, and converts', async () => {
  const { digest } = await pushCncf('cncf/filter', 'v1');
  const ref = `${plain.host}/cncf/filter:v1`;
  const env = home('cncf');
  const pulled = await run(['pull', '-o', 'json', ref], env);
  expectStatus(assert, pulled, 0);
  assert.equal(pulled.json().format, 'cncf');
  assert.equal(pulled.json().manifestDigest, digest);
  assert.equal(pulled.json().wasmDigest, MODULE_DIGEST);

  const inspected = await run(['inspect', '-o', 'json', ref], env);
  expectStatus(assert, inspected, 0);
  const consumers = inspected.json().consumers;
  assert.deepEqual(Object.keys(consumers), ['envoy-gateway', 'image-volume', 'istio-1.12-1.15', 'istio-1.16+', 'spin/wkg']);
  assert.equal(consumers['spin/wkg'].accepts, true);
  assert.equal(consumers['istio-1.16+'].accepts, false);
  assert.match(consumers['istio-1.16+'].reason, /number of layers must be 2 but got 1/);
  assert.equal(consumers['envoy-gateway'].accepts, false);
  assert.match(consumers['image-volume'].reason, /not a tar layer/);
  const text = await run(['inspect', ref], env);
  expectStatus(assert, text, 0);
  assert.match(text.stdout, /CONSUMER +ACCEPTS +WHY/);
  assert.match(text.stdout, /spin\/wkg +yes/);
  assert.match(text.stdout, /istio-1\.16\+ +no +.*invalid format/);

  // Converted for Istio by `push --format wasme` from the store, and by `copy --format compat`.
  const forIstio = `${plain.host}/cncf/filter-istio:v1`;
  await run(['tag', ref, forIstio], env);
  const pushed = await run(['push', '--format', 'wasme', '--for', 'istio', '-o', 'json', forIstio], env);
  expectStatus(assert, pushed, 0);
  assert.doesNotMatch(pushed.stderr, /warning/);
  const wasmeManifest = await manifestOf(plain, 'cncf/filter-istio', 'v1');
  assert.equal(wasmeManifest.json.layers[1].mediaType, 'application/vnd.module.wasm.content.layer.v1+wasm');
  assert.equal(wasmeManifest.json.layers[1].digest, MODULE_DIGEST);

  const copied = await run(['copy', '--format', 'compat', '-o', 'json', ref, `${plain.host}/cncf/filter-compat:v1`], env);
  expectStatus(assert, copied, 0);
  assert.equal(copied.json().converted, true);
  assert.equal(copied.json().sourceFormat, 'cncf');
  const back = await run(['pull', '-o', 'json', `${plain.host}/cncf/filter-compat:v1`], home('cncf-compat'));
  expectStatus(assert, back, 0);
  assert.equal(back.json().format, 'compat');
  assert.equal(back.json().wasmDigest, MODULE_DIGEST);
  assert.equal(back.json().manifestDigest, copied.json().manifestDigest);
});

test('deploy envoy-gateway warns when Envoy Gateway cannot fetch the layout or load the ABI', async () => {
  const env = home('eg');
  const file = sandbox.write('eg/filter.wasm', MODULE);
  const deploy = (ref) => run(['deploy', 'envoy-gateway', ref, '--id', 'f', '--target-ref', 'Gateway/eg'], env);
  expectStatus(assert, await run(['build', 'precompiled', file, '-t', 'example.com/eg:cncf', '--format', 'cncf'], env), 0);
  const cncf = await deploy('example.com/eg:cncf');
  expectStatus(assert, cncf, 0);
  assert.match(cncf.stderr, /warning: Envoy Gateway will not fetch example\.com\/eg:cncf \(cncf layout\): .*number of layers must be 2 but got 1\); push it with --format wasme or --format compat/);
  assert.match(cncf.stdout, /kind: EnvoyExtensionPolicy/);
  for (const format of ['wasme', 'compat']) {
    expectStatus(assert, await run(['build', 'precompiled', file, '-t', `example.com/eg:${format}`, '--format', format], env), 0);
    const ok = await deploy(`example.com/eg:${format}`);
    expectStatus(assert, ok, 0);
    assert.doesNotMatch(ok.stderr, /warning/);
  }
  const plainModule = sandbox.write('eg/plain.wasm', fs.readFileSync(path.join(FIXTURES, 'plain.wasm')));
  expectStatus(assert, await run(['build', 'precompiled', plainModule, '-t', 'example.com/eg:plain'], env), 0);
  const noAbi = await deploy('example.com/eg:plain');
  expectStatus(assert, noAbi, 0);
  assert.match(noAbi.stderr, /exports no proxy-wasm ABI version Envoy loads \(module ABI: none\)/);
});

test('a CNCF image whose config does not list its layer is refused, the store unchanged', async () => {
  await pushRawImage(plain, 'cncf/liar', 'v1', {
    config: { mediaType: CNCF_CONFIG, bytes: cncfConfig(`sha256:${'0'.repeat(64)}`) },
    layers: [{ mediaType: CNCF_LAYER, bytes: MODULE }],
  });
  const env = home('liar');
  const file = sandbox.write('liar/filter.wasm', MODULE);
  expectStatus(assert, await run(['build', 'precompiled', file, '-t', 'example.com/kept:v1'], env), 0);
  const before = snapshotTree(storeOf(env));
  const pulled = await run(['pull', `${plain.host}/cncf/liar:v1`], env);
  expectStatus(assert, pulled, 1);
  assert.match(pulled.stderr, /layerDigests\[0\] is "sha256:0+", but the module layer is sha256:/);
  assert.deepEqual(snapshotTree(storeOf(env)), before);
});

test('push --format cncf writes exactly the CNCF layout, as skopeo reads it; --for warns', async () => {
  const env = home('push-cncf');
  const file = sandbox.write('push-cncf/filter.wasm', MODULE);
  const ref = `${plain.host}/made/cncf:v1`;
  expectStatus(assert, await run(['build', 'precompiled', file, '-t', ref], env), 0);
  const pushed = await run(['push', '--format', 'cncf', '--for', 'istio', ref], env);
  expectStatus(assert, pushed, 0);
  assert.match(pushed.stderr,
    /warning: no istio consumer accepts the cncf layout just pushed \(istio-1\.12-1\.15: .*; istio-1\.16\+: .*number of layers must be 2 but got 1\)\); push it with --format wasme or --format compat/);

  const raw = JSON.parse((await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout);
  assert.equal(raw.schemaVersion, 2);
  assert.equal(raw.mediaType, OCI_MANIFEST);
  assert.equal(raw.config.mediaType, CNCF_CONFIG);
  assert.equal(raw.layers.length, 1);
  assert.equal(raw.layers[0].mediaType, CNCF_LAYER);
  assert.equal(raw.layers[0].digest, MODULE_DIGEST);
  assert.equal(raw.artifactType, undefined);
  const config = JSON.parse((await skopeo(['inspect', '--config', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout);
  assert.deepEqual(Object.keys(config), ['created', 'author', 'architecture', 'os', 'layerDigests', 'component']);
  assert.equal(config.architecture, 'wasm');
  assert.equal(config.os, 'wasip1');
  assert.deepEqual(config.layerDigests, [MODULE_DIGEST]);

  // build --format cncf stores the same layout: the same digest when pushed.
  const env2 = home('build-cncf');
  const built = await run(['build', 'precompiled', file, '-t', `${plain.host}/made/cncf:v2`, '--format', 'cncf', '-o', 'json'], env2);
  expectStatus(assert, built, 0);
  const again = await run(['push', '--for', 'spin', '-o', 'json', `${plain.host}/made/cncf:v2`], env2);
  expectStatus(assert, again, 0);
  assert.doesNotMatch(again.stderr, /warning/);
  assert.equal(again.json().manifestDigest, (await manifestOf(plain, 'made/cncf', 'v1')).digest);
  const badFormat = await run(['push', '--format', 'oci', ref], env);
  expectStatus(assert, badFormat, 2);
  assert.match(badFormat.stderr, /"oci" is not one of: wasme, compat, cncf/);
});

test('copy keeps the digest between two registries (plain to htpasswd), mounts within one', async () => {
  const env = home('copy');
  const file = sandbox.write('copy/filter.wasm', MODULE);
  const src = `${plain.host}/team/filter:v1`;
  expectStatus(assert, await run(['push', src, file], env), 0);
  const source = await manifestOf(plain, 'team/filter', 'v1');

  const dst = `${basic.host}/mirror/filter:v1`;
  const denied = await run(['copy', src, dst], env);
  expectStatus(assert, denied, 1);
  assert.match(denied.stderr, /unauthorized|credentials/i);
  const creds = `--dest-creds=${basic.user}:${basic.password}`;
  const copied = await run(['copy', '-o', 'json', creds, src, dst], env);
  expectStatus(assert, copied, 0);
  assert.doesNotMatch(copied.stderr + copied.stdout, new RegExp(basic.password));
  assert.equal(copied.json().manifestDigest, source.digest);
  assert.equal(copied.json().converted, false);
  assert.equal(copied.json().blobsCopied, 2);
  const auth = { Authorization: `Basic ${Buffer.from(`${basic.user}:${basic.password}`).toString('base64')}` };
  const mirrored = await manifestOf(basic, 'mirror/filter', 'v1', auth);
  assert.deepEqual(mirrored.bytes, source.bytes);
  // Again: everything is there already.
  const again = await run(['copy', '-o', 'json', creds, src, dst], env);
  expectStatus(assert, again, 0);
  assert.equal(again.json().blobsSkipped, 2);

  // Within one registry, blobs are mounted, not moved.
  const mounted = await run(['copy', '-o', 'json', src, `${plain.host}/other/filter:v1`], env);
  expectStatus(assert, mounted, 0);
  assert.equal(mounted.json().blobsMounted, 2);
  assert.equal(mounted.json().manifestDigest, source.digest);

  // Converting from the htpasswd side back to the plain one, credentials on the source side.
  const converted = await run(['copy', '-o', 'json', '--format', 'cncf', `--src-creds=${basic.user}:${basic.password}`,
    dst, `${plain.host}/team/filter-cncf:v1`], env);
  expectStatus(assert, converted, 0);
  assert.notEqual(converted.json().manifestDigest, source.digest);
  const cncf = await manifestOf(plain, 'team/filter-cncf', 'v1');
  assert.equal(cncf.json.config.mediaType, CNCF_CONFIG);
  assert.equal(cncf.digest, converted.json().manifestDigest);

  // A missing source names itself.
  const missing = await run(['copy', `${plain.host}/team/nothing:v1`, `${plain.host}/team/x:v1`], env);
  expectStatus(assert, missing, 1);
  assert.match(missing.stderr, /copying "127\.0\.0\.1:\d+\/team\/nothing:v1"/);
});

test('copy converts the 2019 wasme format (root ids kept) and copies an index whole', async () => {
  await pushRawImage(plain, 'old/filter', 'v0.0.1', {
    config: { mediaType: 'application/vnd.io.solo.wasm.config.v1+json', bytes: '{"roots":[{"id":"add_header_root_id"}]}' },
    layers: [{ mediaType: 'application/vnd.io.solo.wasm.code.v1+wasm', bytes: MODULE }],
  });
  const env = home('copy-2019');
  const converted = await run(['copy', '--format', 'wasme', '-o', 'json', `${plain.host}/old/filter:v0.0.1`,
    `${plain.host}/old/filter:v1`], env);
  expectStatus(assert, converted, 0);
  assert.equal(converted.json().sourceFormat, 'solo_2019');
  const inspected = await run(['pull', `${plain.host}/old/filter:v1`], env);
  expectStatus(assert, inspected, 0);
  const shown = (await run(['inspect', '-o', 'json', `${plain.host}/old/filter:v1`], env)).json();
  assert.equal(shown.format, 'wasme');
  assert.deepEqual(shown.rootIds, ['add_header_root_id']);
  assert.deepEqual(shown.abiVersions, ['v0.2.1']);

  // An index over a CNCF image: copied with its manifest, digest kept.
  const { manifestBytes, digest } = await pushCncf('idx/filter', 'single');
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: OCI_MANIFEST, digest, size: manifestBytes.length,
      platform: { architecture: 'wasm', os: 'wasip1' } }] }));
  const put = await fetchRaw(`${plain.url}/v2/idx/filter/manifests/multi`, {
    method: 'PUT', body: index, headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' } });
  assert.equal(put.status, 201);
  const copied = await run(['copy', '-o', 'json', `${plain.host}/idx/filter:multi`, `${plain.host}/idx/copy:multi`], env);
  expectStatus(assert, copied, 0);
  assert.equal(copied.json().manifestDigest, `sha256:${sha256Hex(index)}`);
  assert.equal(copied.json().mediaType, 'application/vnd.oci.image.index.v1+json');
  const child = await fetchRaw(`${plain.url}/v2/idx/copy/manifests/${digest}`, { headers: { Accept: OCI_MANIFEST } });
  assert.equal(child.status, 200);
  const listed = await run(['list', '-o', 'json'], home('cncf'));
  expectStatus(assert, listed, 0);
  assert.match(listed.stdout, /"format": "cncf"/);
});

test('save and load round-trip through skopeo oci-archive both ways, and through a pipe', async () => {
  const env = home('save');
  const file = sandbox.write('save/filter.wasm', MODULE);
  const ref = `${plain.host}/air/filter:v1`;
  const cncfRef = `${plain.host}/air/filter-cncf:v1`;
  expectStatus(assert, await run(['build', 'precompiled', file, '-t', ref], env), 0);
  expectStatus(assert, await run(['build', 'precompiled', file, '-t', cncfRef, '--format', 'cncf'], env), 0);
  const archive = sandbox.path('save/images.tar');
  const saved = await run(['save', ref, cncfRef, '-o', archive], env);
  expectStatus(assert, saved, 0);
  assert.match(saved.stdout, /wrote .*images\.tar: 2 images/);
  const digestOf = async (e, r) => (await run(['inspect', '-o', 'json', r], e)).json().manifestDigest;
  const wanted = await digestOf(env, ref);
  expectStatus(assert, await run(['push', ref], env), 0);

  // skopeo reads ours: by the full name it carries.
  await skopeo(['copy', '--dest-tls-verify=false', `oci-archive:${archive}:${ref}`, `docker://${plain.host}/air/from-archive:v1`]);
  const viaSkopeo = await run(['pull', '-o', 'json', `${plain.host}/air/from-archive:v1`], home('save-b'));
  expectStatus(assert, viaSkopeo, 0);
  assert.equal(viaSkopeo.json().manifestDigest, wanted);

  // We read skopeo's, which names the image by its tag only.
  const theirs = sandbox.path('save/skopeo.tar');
  await skopeo(['copy', '--src-tls-verify=false', `docker://${ref}`, `oci-archive:${theirs}:v1`]);
  const target = home('save-c');
  const unnamed = await run(['load', '-i', theirs], target);
  expectStatus(assert, unnamed, 2);
  assert.match(unnamed.stderr, /named only "v1".*\n.*--name REPO/);
  const loaded = await run(['load', '-i', theirs, '--name', `${plain.host}/air/loaded`, '-o', 'json'], target);
  expectStatus(assert, loaded, 0);
  assert.equal(loaded.json().images[0].reference, `${plain.host}/air/loaded:v1`);
  assert.equal(loaded.json().images[0].manifestDigest, wanted);

  // - for stdout and stdin: save | load.
  const piped = await new Promise((resolve, reject) => {
    const saver = sandbox.spawn(['save', cncfRef, '-o', '-'], { env });
    const loader = sandbox.spawn(['load', '-i', '-', '-o', 'json'], { env: home('save-d') });
    saver.stdout.pipe(loader.stdin);
    let out = '';
    let err = '';
    loader.stdout.on('data', (d) => { out += d; });
    loader.stderr.on('data', (d) => { err += d; });
    loader.on('error', reject);
    loader.on('close', (status) => resolve({ status, out, err }));
  });
  assert.equal(piped.status, 0, piped.err);
  assert.equal(JSON.parse(piped.out).images[0].format, 'cncf');
  assert.equal(JSON.parse(piped.out).images[0].reference, cncfRef);

  // A damaged archive changes nothing.
  const damaged = sandbox.path('save/damaged.tar');
  const bytes = fs.readFileSync(archive);
  const at = bytes.indexOf(MODULE.subarray(64, 96));
  bytes[at] ^= 0xff;
  fs.writeFileSync(damaged, bytes);
  const fresh = home('save-e');
  expectStatus(assert, await run(['build', 'precompiled', file, '-t', 'example.com/kept:v1'], fresh), 0);
  const before = snapshotTree(storeOf(fresh));
  const refused = await run(['load', '-i', damaged], fresh);
  expectStatus(assert, refused, 1);
  assert.match(refused.stderr, /does not match its name/);
  assert.deepEqual(snapshotTree(storeOf(fresh)), before);
});
