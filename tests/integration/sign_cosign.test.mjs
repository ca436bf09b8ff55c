// Signing and verifying with cosign's formats, against cosign itself (Debian trixie's static
// binary, fetched by lib/fetch-cosign.sh into the build directory, nothing installed) and a
// real docker-registry: each verifies what the other signs, with keys either made. Then the
// refusals: wrong key, unsigned image, a tag moved after signing, a payload naming another
// digest, a hostile signature manifest; and --verify-key on pull, deploy and the cache, which
// leave the store, the output and the cache directory untouched when nothing verifies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Sandbox, expectStatus, snapshotTree, sha256Hex, WASME_BIN, SOURCE_DIR } from './lib/harness.mjs';
import { startRegistry, pushRawImage } from './lib/registry.mjs';
import { MODULE, moduleOfSize, moduleFiles, startCache, waitFor } from './cache_helpers.mjs';

const sb = new Sandbox('wasme-sign-');
let reg;
let cosignBin;
const PW = { COSIGN_PASSWORD: 'correct horse' };

function cosign(args, env = {}) {
  const r = spawnSync(cosignBin, args, { cwd: sb.dir, env: { ...sb.env, ...PW, ...env }, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return r;
}

function push(name, bytes = MODULE) {
  const file = sb.write(`modules/${name.replace(/[/:]/g, '_')}.wasm`, bytes);
  const ref = `${reg.host}/${name}`;
  expectStatus(assert, sb.run(['build', 'precompiled', file, '-t', ref, '--root-id', 'root']), 0);
  expectStatus(assert, sb.run(['push', ref]), 0);
  const digest = sb.run(['inspect', ref, '-o', 'json']).json().manifestDigest;
  return { ref, digest, byDigest: `${ref.replace(/:[^:/]+$/, '')}@${digest}`, hex: sha256Hex(bytes) };
}

before(async () => {
  const tools = path.join(path.dirname(WASME_BIN), 'tools', 'cosign');
  const fetched = spawnSync(path.join(SOURCE_DIR, 'tests/integration/lib/fetch-cosign.sh'), [tools], { encoding: 'utf8' });
  assert.equal(fetched.status, 0, fetched.stderr);
  cosignBin = fetched.stdout.trim();
  reg = await startRegistry(sb, { name: 'reg' });
  // Keys made by each tool: wasme's in w/, cosign's in c/.
  fs.mkdirSync(sb.path('w'));
  fs.mkdirSync(sb.path('c'));
  expectStatus(assert, sb.run(['generate-key-pair', '--output-key-prefix', sb.path('w', 'cosign')], { env: PW }), 0);
  const made = cosign(['generate-key-pair'], {});
  assert.equal(made.status, 0, made.stderr);
  fs.renameSync(sb.path('cosign.key'), sb.path('c', 'cosign.key'));
  fs.renameSync(sb.path('cosign.pub'), sb.path('c', 'cosign.pub'));
});

after(async () => {
  await reg.stop();
  sb.cleanup();
});

test('generate-key-pair writes cosign\'s formats: an encrypted key (0600) and a PKIX public key', () => {
  const key = fs.readFileSync(sb.path('w', 'cosign.key'), 'utf8');
  assert.match(key, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
  const body = JSON.parse(Buffer.from(key.split('\n').slice(1, -2).join(''), 'base64').toString());
  assert.deepEqual(Object.keys(body), ['kdf', 'cipher', 'ciphertext']);
  assert.deepEqual(body.kdf.params, { N: 65536, r: 8, p: 1 });
  assert.equal(body.cipher.name, 'nacl/secretbox');
  assert.equal(fs.statSync(sb.path('w', 'cosign.key')).mode & 0o777, 0o600);
  assert.match(fs.readFileSync(sb.path('w', 'cosign.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----\n/);
  assert.equal(crypto.createPublicKey(fs.readFileSync(sb.path('w', 'cosign.pub'))).asymmetricKeyDetails.namedCurve, 'prime256v1');
  // Never over an existing key; no password, no key.
  const again = sb.run(['generate-key-pair', '--output-key-prefix', sb.path('w', 'cosign')], { env: PW });
  expectStatus(assert, again, 2);
  assert.match(again.stderr, /cosign\.key already exists; nothing was written/);
  const noPassword = sb.run(['generate-key-pair', '--output-key-prefix', sb.path('nopw')]);
  expectStatus(assert, noPassword, 2);
  assert.match(noPassword.stderr, /set COSIGN_PASSWORD/);
  assert.ok(!fs.existsSync(sb.path('nopw.key')));
});

test('cosign verifies what wasme signs, with a wasme key and with a cosign key', () => {
  for (const who of ['w', 'c']) {
    const img = push(`interop/by-wasme-${who}:v1`);
    const signed = sb.run(['sign', img.ref, '--key', sb.path(who, 'cosign.key'), '-o', 'json'], { env: PW });
    expectStatus(assert, signed, 0);
    assert.equal(signed.json().manifestDigest, img.digest);
    assert.equal(signed.json().signatureTag, `sha256-${img.digest.slice(7)}.sig`);
    const v = cosign(['verify', '--key', sb.path(who, 'cosign.pub'), '--insecure-ignore-tlog=true', '--allow-http-registry', img.ref]);
    assert.equal(v.status, 0, v.stderr);
    const [claims] = JSON.parse(v.stdout);
    assert.equal(claims.critical.image['docker-manifest-digest'], img.digest);
    assert.equal(claims.critical.identity['docker-reference'], img.ref.replace(/:v1$/, ''));
    assert.equal(claims.critical.type, 'cosign container image signature');
  }
});

test('wasme verifies what cosign signs, with either key; signatures accumulate, none is dropped', () => {
  for (const who of ['c', 'w']) {
    const img = push(`interop/by-cosign-${who}:v1`);
    const s = cosign(['sign', '--key', sb.path(who, 'cosign.key'), '--tlog-upload=false', '--allow-http-registry', '-y', img.byDigest]);
    assert.equal(s.status, 0, s.stderr);
    const v = sb.run(['verify', img.ref, '--key', sb.path(who, 'cosign.pub'), '-o', 'json']);
    expectStatus(assert, v, 0);
    assert.deepEqual([v.json().verified, v.json().signatures, v.json().manifestDigest], [1, 1, img.digest]);
    // wasme adds its signature next to cosign's; cosign then verifies with either key.
    const other = who === 'c' ? 'w' : 'c';
    const added = sb.run(['sign', img.ref, '--key', sb.path(other, 'cosign.key'), '-o', 'json'], { env: PW });
    expectStatus(assert, added, 0);
    assert.equal(added.json().signatures, 2);
    for (const k of ['c', 'w']) {
      const cv = cosign(['verify', '--key', sb.path(k, 'cosign.pub'), '--insecure-ignore-tlog=true', '--allow-http-registry', img.ref]);
      assert.equal(cv.status, 0, `${k}: ${cv.stderr}`);
    }
    // Signing again with a key already there adds nothing.
    const twice = sb.run(['sign', img.ref, '--key', sb.path(other, 'cosign.key'), '-o', 'json'], { env: PW });
    assert.deepEqual([twice.json().alreadySigned, twice.json().signatures], [true, 2]);
  }
});

test('verify refuses: wrong key, unsigned image, a tag moved after signing, a payload naming another digest', () => {
  const img = push('refuse/a:v1');
  expectStatus(assert, sb.run(['sign', img.ref, '--key', sb.path('w', 'cosign.key')], { env: PW }), 0);
  const wrong = sb.run(['verify', img.ref, '--key', sb.path('c', 'cosign.pub')]);
  expectStatus(assert, wrong, 1);
  assert.match(wrong.stderr, /none of the 1 signatures verifies; signature 1: does not verify with the key/);

  const unsigned = push('refuse/unsigned:v1');
  const none = sb.run(['verify', unsigned.ref, '--key', sb.path('w', 'cosign.pub')]);
  expectStatus(assert, none, 1);
  assert.match(none.stderr, new RegExp(`no signatures for ${unsigned.digest}`));

  // The tag now names other bytes: its digest has no signature, the old one still has.
  const moved = push('refuse/a:v1', moduleOfSize(3000));
  assert.notEqual(moved.digest, img.digest);
  const after = sb.run(['verify', img.ref, '--key', sb.path('w', 'cosign.pub')]);
  expectStatus(assert, after, 1);
  assert.match(after.stderr, new RegExp(`no signatures for ${moved.digest}`));
  expectStatus(assert, sb.run(['verify', img.byDigest, '--key', sb.path('w', 'cosign.pub')]), 0);

  // A signature manifest copied under another digest's tag: valid signature, wrong claim.
  const copy = spawnSync('skopeo', ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false',
    `docker://${reg.host}/refuse/a:sha256-${img.digest.slice(7)}.sig`,
    `docker://${reg.host}/refuse/a:sha256-${moved.digest.slice(7)}.sig`], { encoding: 'utf8' });
  assert.equal(copy.status, 0, copy.stderr);
  const claimed = sb.run(['verify', img.ref, '--key', sb.path('w', 'cosign.pub')]);
  expectStatus(assert, claimed, 1);
  assert.match(claimed.stderr, new RegExp(`the payload names ${img.digest}, not ${moved.digest}`));
});

test('hostile signature manifests: a tampered payload, huge declared sizes, too many layers', async () => {
  const img = push('hostile/a:v1');
  const tag = `sha256-${img.digest.slice(7)}.sig`;
  const payload = JSON.stringify({ critical: { identity: { 'docker-reference': `${reg.host}/hostile/a` },
    image: { 'docker-manifest-digest': img.digest }, type: 'cosign container image signature' }, optional: null });
  const key = crypto.createPrivateKey(spawnSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout'], { encoding: 'utf8' }).stdout);
  const pub = sb.write('hostile.pub', crypto.createPublicKey(key).export({ type: 'spki', format: 'pem' }));
  const sig = (bytes) => crypto.sign('sha256', Buffer.from(bytes), key).toString('base64');
  const layer = (bytes, signature) => ({ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', bytes,
    annotations: { 'dev.cosignproject.cosign/signature': signature } });
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', bytes: '{}' };
  // Signed, then one byte of the payload changed.
  await pushRawImage(reg, 'hostile/a', tag, { config, layers: [layer(payload.replace('cosign', 'cosigN'), sig(payload))] });
  const tampered = sb.run(['verify', img.ref, '--key', pub]);
  expectStatus(assert, tampered, 1);
  assert.match(tampered.stderr, /does not verify with the key/);
  // The real payload verifies: the test key works.
  await pushRawImage(reg, 'hostile/a', tag, { config, layers: [layer(payload, sig(payload))] });
  expectStatus(assert, sb.run(['verify', img.ref, '--key', pub]), 0);
  // A descriptor claiming a 10 GB payload is refused before anything is fetched.
  const raw = await fetch(`${reg.url}/v2/hostile/a/manifests/${tag}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const manifest = await raw.json();
  manifest.layers[0].size = 10_000_000_000;
  let put = await fetch(`${reg.url}/v2/hostile/a/manifests/${tag}`, { method: 'PUT', body: JSON.stringify(manifest),
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(put.status, 201);
  const huge = sb.run(['verify', img.ref, '--key', pub]);
  expectStatus(assert, huge, 1);
  assert.match(huge.stderr, /a payload of 10000000000 bytes, over the limit/);
  manifest.layers = Array.from({ length: 500 }, () => ({ ...manifest.layers[0], size: payload.length }));
  put = await fetch(`${reg.url}/v2/hostile/a/manifests/${tag}`, { method: 'PUT', body: JSON.stringify(manifest),
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(put.status, 201);
  const many = sb.run(['verify', img.ref, '--key', pub]);
  expectStatus(assert, many, 1);
  assert.match(many.stderr, /lists 500 layers, more than the 200 wasme reads/);
});

test('--verify-key: pull and deploy refuse what does not verify, with the store and output untouched', () => {
  const signed = push('gate/signed:v1');
  const unsigned = push('gate/unsigned:v1', moduleOfSize(5000));
  expectStatus(assert, sb.run(['sign', signed.ref, '--key', sb.path('w', 'cosign.key')], { env: PW }), 0);
  const store = sb.path('gate-store');
  const before = snapshotTree(store);
  const refused = sb.run(['pull', unsigned.ref, '--store', store, '--verify-key', sb.path('w', 'cosign.pub')]);
  expectStatus(assert, refused, 1);
  assert.deepEqual(snapshotTree(store), before);
  const wrongKey = sb.run(['pull', signed.ref, '--store', store, '--verify-key', sb.path('c', 'cosign.pub')]);
  expectStatus(assert, wrongKey, 1);
  assert.deepEqual(snapshotTree(store), before);
  const ok = sb.run(['pull', signed.ref, '--store', store, '--verify-key', sb.path('w', 'cosign.pub'), '-o', 'json']);
  expectStatus(assert, ok, 0);
  assert.equal(ok.json().manifestDigest, signed.digest);
  assert.equal(ok.json().verifiedSignatures, 1);

  for (const cmd of [['deploy', 'istio', '--id', 'f'], ['deploy', 'envoy-gateway', '--id', 'f', '--target-ref', 'Gateway/g']]) {
    const r = sb.run([...cmd.slice(0, 2), unsigned.ref, ...cmd.slice(2), '--verify-key', sb.path('w', 'cosign.pub')]);
    expectStatus(assert, r, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /no signatures for/);
    const good = sb.run([...cmd.slice(0, 2), signed.ref, ...cmd.slice(2), '--verify-key', sb.path('w', 'cosign.pub')]);
    expectStatus(assert, good, 0);
    assert.match(good.stderr, /verified sha256:[0-9a-f]{64}: 1 signature\(s\)/);
    assert.match(good.stdout, /kind: /);
  }
  // An image already in the store is checked too: its stored digest must carry a signature.
  const local = sb.run(['deploy', 'istio', unsigned.ref, '--id', 'f', '--verify-key', sb.path('w', 'cosign.pub')]);
  expectStatus(assert, local, 1);
});

test('the cache never writes an unverified module, reports it, and caches it once a signature appears', async () => {
  const img = push('cached/late:v1', moduleOfSize(7000));
  const dir = sb.path('cache-dir');
  const cache = await startCache(sb, { dir, refs: [img.ref], args: ['--verify-key', sb.path('w', 'cosign.pub')] });
  try {
    await waitFor(() => cache.stderr().includes('cannot pull'), 'the refusal in the log');
    const ready = await cache.get('/ready');
    assert.equal(ready.status, 503);
    assert.match(await ready.text(), new RegExp(img.ref.replace(/[.]/g, '\\.')));
    assert.deepEqual(moduleFiles(dir), []);
    assert.match(JSON.stringify(await cache.images()), /no signatures for sha256:/);
    await new Promise((r) => setTimeout(r, 1500));  // several retries
    assert.equal(cache.stderr().split('cannot pull').length - 1, 1, cache.stderr());  // logged once
    expectStatus(assert, sb.run(['sign', img.ref, '--key', sb.path('w', 'cosign.key')], { env: PW }), 0);
    await waitFor(async () => (await cache.get('/ready')).status === 200, 'ready once signed');
    assert.deepEqual(moduleFiles(dir), [img.hex]);
  } finally {
    assert.equal((await cache.stop()).code, 0);
  }
});
