// Compat images (wasme-facts §2.2) across tools: ours read by skopeo and GNU tar, skopeo's and
// hand-made Docker ones read by us, and hostile layers refused by `wasme pull`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { FIXTURES, Sandbox, expectStatus, sha256Hex, snapshotTree } from './lib/harness.mjs';
import { pushRawImage, startRegistry, writeOciLayout } from './lib/registry.mjs';

const sandbox = new Sandbox('wasme-compat-');
let reg;
before(async () => { reg = await startRegistry(sandbox, { name: 'compat' }); });
after(async () => { await reg?.stop(); sandbox.cleanup(); });

const MODULE = fs.readFileSync(path.join(FIXTURES, 'clang_filter.wasm'));
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

// skopeo without blocking the event loop (the registry helper lives in this process).
const skopeo = (args) => promisify(execFile)('skopeo', args, { encoding: 'utf8', maxBuffer: 64 << 20 });

// A ustar archive from {name, data, type ('0' file, '2' symlink, '5' dir), link}: written
// by hand so tests can make the entries no honest tar tool would.
function ustar(entries) {
  const blocks = [];
  for (const e of entries) {
    const data = Buffer.from(e.data || '');
    const h = Buffer.alloc(512);
    const put = (value, offset, length) => h.write(value, offset, length, 'latin1');
    const octal = (n, width) => n.toString(8).padStart(width - 1, '0');
    put(e.name, 0, 100);
    put(octal(0o644, 8), 100, 8);
    put(octal(0, 8), 108, 8);
    put(octal(0, 8), 116, 8);
    put(octal(e.type === '2' || e.type === '5' ? 0 : data.length, 12), 124, 12);
    put(octal(0, 12), 136, 12);
    put(e.type || '0', 156, 1);
    put(e.link || '', 157, 100);
    put('ustar\0' + '00', 257, 8);
    h.fill(' ', 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    put(octal(sum, 7) + '\0', 148, 8);
    blocks.push(h);
    if (e.type !== '2' && e.type !== '5') {
      blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

// Entries of an uncompressed tar: [{name, type, data}].
function untar(buf) {
  const out = [];
  for (let off = 0; off + 512 <= buf.length;) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.toString('latin1', 0, 100).replace(/\0.*$/s, '');
    const size = parseInt(h.toString('latin1', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
    const fields = { mode: h.toString('latin1', 100, 107), uid: h.toString('latin1', 108, 115),
      gid: h.toString('latin1', 116, 123), mtime: h.toString('latin1', 136, 147),
      uname: h.toString('latin1', 265, 297).replace(/\0+$/, '') };
    out.push({ name, type: String.fromCharCode(h[156]), data: buf.subarray(off + 512, off + 512 + size), ...fields });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

function readLayout(dir) {
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json')));
  const blob = (digest) => fs.readFileSync(path.join(dir, 'blobs', 'sha256', digest.split(':')[1]));
  const manifestBytes = blob(index.manifests[0].digest);
  return { manifestBytes, manifest: JSON.parse(manifestBytes), blob };
}

test('wasme push --format compat: skopeo and GNU tar read plugin.wasm byte-identical; deterministic', async () => {
  const file = sandbox.write('in/filter.wasm', MODULE);
  const ref = `${reg.host}/compat/ours:v1`;
  const r = sandbox.run(['push', '--plain-http', '--format', 'compat', '-o', 'json', ref, file]);
  expectStatus(assert, r, 0);
  const pushed = r.json();
  assert.equal(pushed.wasmDigest, `sha256:${sha256Hex(MODULE)}`);

  const layoutDir = sandbox.path('skopeo-ours');
  await skopeo(['copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${layoutDir}:v1`]);
  const { manifestBytes, manifest, blob } = readLayout(layoutDir);
  assert.equal(`sha256:${sha256Hex(manifestBytes)}`, pushed.manifestDigest, 'skopeo kept our manifest bytes');
  assert.equal(manifest.mediaType, OCI_MANIFEST);
  assert.equal(manifest.annotations['module.wasm.image/variant'], 'compat');
  assert.equal(manifest.layers.length, 1);
  assert.equal(manifest.layers[0].mediaType, OCI_TAR_GZIP);

  const gz = blob(manifest.layers[0].digest);
  assert.deepEqual([...gz.subarray(0, 8)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0], 'gzip header: no name, mtime 0');
  const tar = zlib.gunzipSync(gz);
  const entries = untar(tar);
  assert.deepEqual(entries.map((e) => e.name), ['plugin.wasm', 'runtime-config.json']);
  assert.deepEqual(entries[0].data, MODULE);
  for (const e of entries) {
    assert.equal(e.type, '0');
    assert.equal(parseInt(e.mtime, 8), 0);
    assert.equal(parseInt(e.uid, 8), 0);
    assert.equal(e.uname, '');
  }
  JSON.parse(entries[1].data);
  const config = JSON.parse(blob(manifest.config.digest));
  assert.deepEqual(config.rootfs, { type: 'layers', diff_ids: [`sha256:${sha256Hex(tar)}`] });

  // GNU tar extracts it too.
  const out = sandbox.path('gnu-tar');
  fs.mkdirSync(out);
  fs.writeFileSync(sandbox.path('layer.tar.gz'), gz);
  execFileSync('tar', ['-xzf', sandbox.path('layer.tar.gz'), '-C', out]);
  assert.deepEqual(fs.readFileSync(path.join(out, 'plugin.wasm')), MODULE);

  // Same module, another store and repository: the same manifest digest.
  const again = sandbox.run(['push', '--plain-http', '--format', 'compat', '-o', 'json', `${reg.host}/compat/again:v2`, file],
    { env: { WASME_HOME: sandbox.path('other-home') } });
  expectStatus(assert, again, 0);
  assert.equal(again.json().manifestDigest, pushed.manifestDigest);
});

test('an OCI compat image built with GNU tar and pushed by skopeo is pulled by wasme', async () => {
  const src = sandbox.path('docker-build');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'plugin.wasm'), MODULE);
  // What `docker build` with `COPY plugin.wasm ./` gives, near enough: a gzip'd tar with ./
  const tar = execFileSync('tar', ['-C', src, '--owner=0', '--group=0', '-cf', '-', '.']);
  const layout = sandbox.path('skopeo-src');
  writeOciLayout(layout, 'v1', {
    config: { mediaType: 'application/vnd.oci.image.config.v1+json',
      bytes: JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${sha256Hex(tar)}`] } }) },
    layers: [{ mediaType: OCI_TAR_GZIP, bytes: zlib.gzipSync(tar) }],
    annotations: { 'module.wasm.image/variant': 'compat' },
  });
  const ref = `${reg.host}/compat/theirs:v1`;
  await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${ref}`]);
  const r = sandbox.run(['pull', '--plain-http', '-o', 'json', ref]);
  expectStatus(assert, r, 0);
  assert.equal(r.json().format, 'compat');
  assert.equal(r.json().wasmDigest, `sha256:${sha256Hex(MODULE)}`);
});

test('a Docker schema 2 compat image is pulled by wasme', async () => {
  const ref = `${reg.host}/compat/docker:v1`;
  const tar = ustar([{ name: 'plugin.wasm', data: MODULE }]);
  await pushRawImage(reg, 'compat/docker', 'v1', {
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json',
      bytes: JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${sha256Hex(tar)}`] } }) },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', bytes: zlib.gzipSync(tar) }],
  });
  const r = sandbox.run(['pull', '--plain-http', '-o', 'json', ref]);
  expectStatus(assert, r, 0);
  assert.equal(r.json().format, 'compat');
  assert.equal(r.json().wasmDigest, `sha256:${sha256Hex(MODULE)}`);
});

test('hostile compat layers are refused by wasme pull; store and disk unchanged', async () => {
  const home = sandbox.path('hostile-home');
  const env = { WASME_HOME: home };
  // Something already in the store, so "unchanged" means more than "still empty".
  expectStatus(assert, sandbox.run(['build', 'precompiled', sandbox.write('keep.wasm', MODULE), '-t', 'local/keep:v1'], { env }), 0);
  const outside = sandbox.path('outside');
  fs.mkdirSync(outside);
  const cases = [
    { what: 'dot-dot', entries: [{ name: '../plugin.wasm', data: MODULE }], message: /entry "\.\.\/plugin\.wasm" climbs out/ },
    { what: 'absolute', entries: [{ name: `${outside}/plugin.wasm`, data: MODULE }], message: /has an absolute path/ },
    { what: 'symlink', entries: [{ name: 'plugin.wasm', type: '2', link: '/etc/passwd' }], message: /"plugin\.wasm" is a symbolic link/ },
    { what: 'dir symlink then file', entries: [{ name: 'd', type: '2', link: outside }, { name: 'd/plugin.wasm', data: MODULE }], message: /"d" is a symbolic link/ },
    { what: 'no plugin.wasm', entries: [{ name: 'filter.wasm', data: MODULE }], message: /no plugin\.wasm in the archive/ },
  ];
  for (const c of cases) {
    const repo = `compat/hostile-${crypto.randomBytes(4).toString('hex')}`;
    const tar = ustar(c.entries);
    await pushRawImage(reg, repo, 'v1', {
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', bytes: '{"architecture":"wasm","os":"wasip1"}' },
      layers: [{ mediaType: OCI_TAR_GZIP, bytes: zlib.gzipSync(tar) }],
    });
    const before = snapshotTree(home);
    const r = sandbox.run(['pull', '--plain-http', `${reg.host}/${repo}:v1`], { env });
    assert.equal(r.status, 1, `${c.what}: expected refusal\n${r.stderr}`);
    assert.match(r.stderr, c.message, c.what);
    assert.deepEqual(snapshotTree(home), before, `${c.what}: store changed`);
    assert.deepEqual(fs.readdirSync(outside), [], `${c.what}: wrote outside`);
    assert.ok(!fs.existsSync(path.join(sandbox.dir, 'plugin.wasm')), c.what);
  }
});
