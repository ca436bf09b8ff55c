// Issue 2: build precompiled, list, tag, rm, inspect against the local OCI-layout store,
// driven through the real binary in a private HOME; skopeo reads the store.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Sandbox, FIXTURES, expectStatus, snapshotTree, sha256Hex } from './lib/harness.mjs';

const sb = new Sandbox();
after(() => sb.cleanup());
const WASM = path.join(FIXTURES, 'abi_0_2_1.wasm');
const WASM_SHA = sha256Hex(fs.readFileSync(WASM));

function build(ref, extra = [], opts = {}) {
  return sb.run(['build', 'precompiled', WASM, '-t', ref, '--root-id', 'add_header_root_id', ...extra], opts);
}

test('an empty or missing store lists an empty table, and [] as json', () => {
  const r = sb.run(['list', '--store', sb.path('no-store-here')]);
  expectStatus(assert, r, 0);
  assert.deepEqual(r.stdout.trim().split(/\s+/), ['NAME', 'TAG', 'SIZE', 'SHA', 'UPDATED']);
  const j = sb.run(['list', '--store', sb.path('no-store-here'), '-o', 'json']);
  expectStatus(assert, j, 0);
  assert.deepEqual(j.json(), []);
  assert.equal(fs.existsSync(sb.path('no-store-here')), false, 'listing must not create the store');
});

test('build precompiled stores the module and records the ABI read from it', () => {
  const r = build('localhost:5000/team/filter:v1', ['-o', 'json']);
  expectStatus(assert, r, 0);
  const img = r.json();
  assert.equal(img.reference, 'localhost:5000/team/filter:v1');
  assert.equal(img.wasmDigest, `sha256:${WASM_SHA}`);
  assert.equal(img.size, fs.statSync(WASM).size);
  assert.deepEqual(img.rootIds, ['add_header_root_id']);
  assert.deepEqual(img.abiVersions, ['v0.2.1']);
  assert.equal(img.moduleAbi, 'v0.2.1');
  assert.equal(img.istioAccepts, true);
  assert.match(img.manifestDigest, /^sha256:[0-9a-f]{64}$/);
  // The layout is an OCI image layout.
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(sb.store, 'oci-layout'))), { imageLayoutVersion: '1.0.0' });
  const index = JSON.parse(fs.readFileSync(path.join(sb.store, 'index.json')));
  const entry = index.manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === img.reference);
  assert.ok(entry, 'index.json names the image by its full reference');
  assert.equal(entry.digest, img.manifestDigest);
  assert.equal(sha256Hex(fs.readFileSync(path.join(sb.store, 'blobs/sha256', WASM_SHA))), WASM_SHA);

  const text = build('localhost:5000/team/filter:v1');
  expectStatus(assert, text, 0);
  assert.match(text.stdout, new RegExp(`wasm sha256: +${WASM_SHA}`));
  assert.match(text.stdout, new RegExp(img.manifestDigest.replace(':', ':')));
});

test('the manifest is exactly the wasme artifact of wasme-facts §2', () => {
  const img = build('localhost:5000/team/filter:v1', ['-o', 'json']).json();
  const manifest = JSON.parse(fs.readFileSync(path.join(sb.store, 'blobs/sha256', img.manifestDigest.slice(7))));
  assert.equal(manifest.schemaVersion, 2);
  assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(manifest.config.mediaType, 'application/vnd.module.wasm.config.v1+json');
  assert.equal(manifest.config.annotations['org.opencontainers.image.title'], 'runtime-config.json');
  assert.equal(manifest.layers.length, 2);
  assert.deepEqual(manifest.layers[0], manifest.config);
  assert.equal(manifest.layers[1].mediaType, 'application/vnd.module.wasm.content.layer.v1+wasm');
  assert.equal(manifest.layers[1].digest, img.wasmDigest);
  assert.equal(manifest.layers[1].annotations['org.opencontainers.image.title'], 'filter.wasm');
  assert.equal(manifest.annotations['module.wasm.runtime/type'], 'envoy_proxy');
  assert.equal(manifest.annotations['module.wasm.runtime/abi_version'], 'v0.2.1');
  const config = fs.readFileSync(path.join(sb.store, 'blobs/sha256', manifest.config.digest.slice(7)), 'utf8');
  assert.equal(config, '{"type":"envoy_proxy","abiVersions":["v0.2.1"],"config":{"rootIds":["add_header_root_id"]}}');
});

test('packaging the same module twice, even into two stores, gives the same manifest digest', () => {
  const a = build('localhost:5000/same:v1', ['-o', 'json', '--store', sb.path('store-a')]).json();
  const b = build('localhost:5000/same:v1', ['-o', 'json', '--store', sb.path('store-b')]).json();
  const c = build('localhost:5000/same:v1', ['-o', 'json', '--store', sb.path('store-a')]).json();
  assert.equal(a.manifestDigest, b.manifestDigest);
  assert.equal(a.manifestDigest, c.manifestDigest);
  assert.deepEqual(snapshotTree(path.join(sb.path('store-a'), 'blobs')), snapshotTree(path.join(sb.path('store-b'), 'blobs')));
});

test('a text file is refused and the store is byte-for-byte unchanged', () => {
  build('localhost:5000/team/filter:v1');
  const before = snapshotTree(sb.store);
  const r = sb.run(['build', 'precompiled', path.join(FIXTURES, 'not_wasm.txt'), '-t', 'localhost:5000/bad:v1']);
  expectStatus(assert, r, 1);
  assert.match(r.stderr, /^wasme: error: .*not_wasm\.txt.*not a wasm module/m);
  assert.deepEqual(snapshotTree(sb.store), before);
  const missing = sb.run(['build', 'precompiled', sb.path('nope.wasm'), '-t', 'localhost:5000/bad:v1']);
  expectStatus(assert, missing, 1);
  assert.match(missing.stderr, /nope\.wasm does not exist/);
  assert.deepEqual(snapshotTree(sb.store), before);
});

test('a bad reference or bad runtime config is refused with exit 1, store unchanged', () => {
  build('localhost:5000/team/filter:v1');
  const before = snapshotTree(sb.store);
  const upper = sb.run(['build', 'precompiled', WASM, '-t', 'localhost:5000/Team/filter:v1']);
  expectStatus(assert, upper, 1);
  assert.match(upper.stderr, /Team\/filter:v1.*lowercase/);
  const cfg = sb.write('bad-config.json', '{"type":"envoy_proxy","rootIDs":["x"]}');
  const bad = sb.run(['build', 'precompiled', WASM, '-t', 'localhost:5000/x:v1', '--config', cfg]);
  expectStatus(assert, bad, 1);
  assert.match(bad.stderr, /bad-config\.json.*rootIDs/);
  assert.deepEqual(snapshotTree(sb.store), before);
});

test('--config is used as given, and a disagreeing ABI is warned about', () => {
  const cfg = sb.write('runtime-config.json', JSON.stringify({ type: 'envoy_proxy', abi_versions: ['v0.2.0'], config: { root_ids: ['my_root'] } }));
  const r = sb.run(['build', 'precompiled', WASM, '-t', 'localhost:5000/cfg:v1', '--config', cfg, '-o', 'json']);
  expectStatus(assert, r, 0);
  assert.deepEqual(r.json().rootIds, ['my_root']);
  assert.deepEqual(r.json().abiVersions, ['v0.2.0']);
  assert.match(r.stderr, /warning: .*declares ABI v0\.2\.0.*exports v0\.2\.1/);
});

test('usage errors exit 2; a mistyped command gets a suggestion', () => {
  expectStatus(assert, sb.run(['build', 'precompiled', WASM]), 2);
  expectStatus(assert, sb.run(['list', '--no-such-flag']), 2);
  const typo = sb.run(['lsit']);
  expectStatus(assert, typo, 2);
  assert.match(typo.stderr, /unknown command "lsit"/);
  assert.match(typo.stderr, /Did you mean "list"\?/);
  const nested = sb.run(['build', 'precompild']);
  expectStatus(assert, nested, 2);
  assert.match(nested.stderr, /Did you mean "precompiled"\?/);
  expectStatus(assert, sb.run([]), 2);

  // A mistyped flag is named with the closest one of that command, even when it hides a
  // required flag; a bad choice lists the choices.
  const flag = sb.run(['deploy', 'istio', 'r/x:v1', '--idd', 'a']);
  expectStatus(assert, flag, 2);
  assert.match(flag.stderr, /unknown flag "--idd" for "wasme deploy istio"/);
  assert.match(flag.stderr, /Did you mean "--id"\?/);
  assert.match(flag.stderr, /Run 'wasme deploy istio --help'/);
  const choice = sb.run(['list', '-o', 'yaml']);
  expectStatus(assert, choice, 2);
  assert.match(choice.stderr, /--output: "yaml" is not one of: text, json/);
  assert.doesNotMatch(choice.stderr, /FAILED|->/);
  const viaHelp = sb.run(['help', 'build', 'precompiled']);  // as git and kubectl take it
  expectStatus(assert, viaHelp, 0);
  assert.match(viaHelp.stdout, /Usage: wasme build precompiled/);
  const helpTypo = sb.run(['help', 'lsit']);
  expectStatus(assert, helpTypo, 2);
  assert.match(helpTypo.stderr, /unknown command "lsit"/);
  const help = sb.run(['--help']);
  assert.match(help.stdout, /deploy +Deploy a filter/);
  assert.match(help.stdout, /undeploy +Remove what deploy added/);
});

test('inspect names a missing file or a directory instead of reading it as a reference', () => {
  const missing = sb.run(['inspect', './nonexist.wasm']);
  expectStatus(assert, missing, 1);
  assert.match(missing.stderr, /no such file: \.\/nonexist\.wasm/);
  const dir = sb.run(['inspect', FIXTURES]);
  expectStatus(assert, dir, 1);
  assert.match(dir.stderr, /is a directory/);
  // A repository may end in ".wasm": that is still a reference.
  const ref = sb.run(['inspect', 'localhost:5000/me/filter.wasm']);
  expectStatus(assert, ref, 1);
  assert.match(ref.stderr, /localhost:5000\/me\/filter\.wasm/);
  assert.doesNotMatch(ref.stderr, /no such file/);
  const bare = sb.run(['inspect', 'Missing.wasm']);
  expectStatus(assert, bare, 1);
  assert.match(bare.stderr, /no such file: Missing\.wasm/);
});

test('--version and --help on every command', () => {
  const v = sb.run(['--version']);
  expectStatus(assert, v, 0);
  assert.match(v.stdout, /^wasme \d+\.\d+\.\d+/);
  for (const cmd of [['list'], ['tag'], ['rm'], ['inspect'], ['build', 'precompiled'], ['build']]) {
    const h = sb.run([...cmd, '--help']);
    expectStatus(assert, h, 0);
    assert.match(h.stdout, /Usage:/, `${cmd.join(' ')} --help`);
  }
  const top = sb.run(['--help']);
  for (const name of ['build', 'list', 'tag', 'rm', 'inspect']) assert.match(top.stdout, new RegExp(`\\b${name}\\b`));
});

test('list shows NAME TAG SIZE SHA UPDATED, with -w and -d', () => {
  const s = ['--store', sb.path('list-store')];
  build('localhost:5000/team/filter:v1', s);
  build('ghcr.io/acme/hdr:2.0', s);
  const r = sb.run(['list', ...s]);
  expectStatus(assert, r, 0);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines[0].split(/\s+/), ['NAME', 'TAG', 'SIZE', 'SHA', 'UPDATED']);
  assert.equal(lines.length, 3);
  assert.match(lines[1], new RegExp(`^ghcr\\.io/acme/hdr +2\\.0 +[0-9.]+ (B|KiB) +${WASM_SHA.slice(0, 8)} +just now`));
  assert.match(lines[2], /^localhost:5000\/team\/filter +v1 /);
  const wide = sb.run(['list', '-w', '-d', ...s]);
  assert.match(wide.stdout, new RegExp(WASM_SHA));
  assert.match(wide.stdout, /add_header_root_id/);
  assert.match(wide.stdout, /blobs\/sha256\//);
  const j = sb.run(['list', '-o', 'json', ...s]).json();
  assert.equal(j.length, 2);
  for (const key of ['reference', 'manifestDigest', 'wasmDigest', 'size', 'rootIds', 'abiVersions', 'moduleAbi']) {
    assert.ok(key in j[0], `list json has ${key}`);
  }
});

test('tag shares blobs; rm removes only the blobs no other image uses', () => {
  const s = ['--store', sb.path('tag-store')];
  const store = sb.path('tag-store');
  build('localhost:5000/a:v1', s);
  const blobsBefore = fs.readdirSync(path.join(store, 'blobs/sha256')).sort();
  expectStatus(assert, sb.run(['tag', 'localhost:5000/a:v1', 'localhost:5000/b:v2', ...s]), 0);
  assert.deepEqual(fs.readdirSync(path.join(store, 'blobs/sha256')).sort(), blobsBefore, 'tag copies no blob');
  const missing = sb.run(['rm', 'localhost:5000/a:v1', 'localhost:5000/nothere:v1', ...s]);
  expectStatus(assert, missing, 1);
  assert.match(missing.stderr, /no image localhost:5000\/nothere:v1 in the store/);
  assert.match(missing.stderr, /hint: see what is stored with `wasme list`/);
  assert.equal(sb.run(['list', '-o', 'json', ...s]).json().length, 2, 'a failed rm removes nothing');
  expectStatus(assert, sb.run(['rm', 'localhost:5000/a:v1', ...s]), 0);
  assert.deepEqual(fs.readdirSync(path.join(store, 'blobs/sha256')).sort(), blobsBefore, 'blobs still used by b:v2 stay');
  expectStatus(assert, sb.run(['rm', 'localhost:5000/b:v2', ...s, '-o', 'json']), 0);
  assert.deepEqual(fs.readdirSync(path.join(store, 'blobs/sha256')), []);
  assert.deepEqual(sb.run(['list', '-o', 'json', ...s]).json(), []);
});

test('inspect a stored image and a file', () => {
  const img = build('localhost:5000/team/filter:v1', ['-o', 'json']).json();
  const r = sb.run(['inspect', 'localhost:5000/team/filter:v1', '-o', 'json']);
  expectStatus(assert, r, 0);
  const j = r.json();
  assert.equal(j.reference, img.reference);
  assert.equal(j.manifestDigest, img.manifestDigest);
  assert.equal(j.wasmDigest, img.wasmDigest);
  assert.equal(j.istioAccepts, true);
  assert.equal(j.moduleAbi, 'v0.2.1');
  assert.ok(j.exports.some((e) => e.name === 'proxy_abi_version_0_2_1' && e.kind === 'function'));
  assert.ok(j.imports.some((i) => i.module === 'env' && i.name === 'proxy_log'));
  assert.deepEqual(j.wasi, ['wasi_snapshot_preview1']);
  assert.equal(j.layers.length, 2);
  const text = sb.run(['inspect', 'localhost:5000/team/filter:v1']);
  expectStatus(assert, text, 0);
  assert.match(text.stdout, /Istio accepts: +yes/);
  assert.match(text.stdout, /Module ABI: +v0\.2\.1/);
  assert.match(text.stdout, /Root ids: +add_header_root_id/);
  // The export count and the names listed agree: functions by name, the rest counted.
  const kinds = sb.run(['inspect', path.join(FIXTURES, 'all_import_kinds.wasm')]);
  assert.match(kinds.stdout, /Exports: +6 \(f_again, run; 4 non-function\)/);
  const file = sb.run(['inspect', path.join(FIXTURES, 'istio_1_4.wasm'), '-o', 'json']).json();
  assert.equal(file.reference, null);
  assert.match(file.moduleAbi, /istio-1\.4/);
  const missing = sb.run(['inspect', 'localhost:5000/not/there:v1']);
  expectStatus(assert, missing, 1);
  assert.match(missing.stderr, /not\/there:v1/);
  assert.match(missing.stderr, /hint: /);
});

test('eight build precompiled processes at once leave a valid index.json listing all eight', async () => {
  const s = sb.path('concurrent-store');
  const runs = [];
  for (let i = 0; i < 8; i++) {
    const child = sb.spawn(['build', 'precompiled', WASM, '-t', `localhost:5000/c/img${i}:v1`, '--store', s, '--root-id', `r${i}`]);
    runs.push(new Promise((resolve) => child.on('exit', (code) => resolve(code))));
  }
  assert.deepEqual(await Promise.all(runs), [0, 0, 0, 0, 0, 0, 0, 0]);
  const index = JSON.parse(fs.readFileSync(path.join(s, 'index.json')));
  const names = index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']).sort();
  assert.deepEqual(names, [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `localhost:5000/c/img${i}:v1`));
  assert.deepEqual(fs.readdirSync(s).filter((f) => f.startsWith('.wasme-tmp')), [], 'no temp files left');
});

test('skopeo reads the store (inspect --raw, copy to dir:)', () => {
  const img = build('localhost:5000/team/filter:v1', ['-o', 'json']).json();
  const refName = img.reference;
  const raw = spawnSync('skopeo', ['inspect', '--raw', `oci:${sb.store}:${refName}`], { encoding: 'utf8' });
  assert.equal(raw.status, 0, raw.stderr);
  assert.equal(sha256Hex(Buffer.from(raw.stdout)), img.manifestDigest.slice(7));
  const dir = sb.path('skopeo-dir');
  const copy = spawnSync('skopeo', ['copy', `oci:${sb.store}:${refName}`, `dir:${dir}`], { encoding: 'utf8' });
  assert.equal(copy.status, 0, copy.stderr);
  assert.equal(sha256Hex(fs.readFileSync(path.join(dir, WASM_SHA))), WASM_SHA);
});
