// The seed's flow on one machine: `wasme deploy istio` renders the cache; `wasme cache` run
// with the rendered arguments and the rendered ref list fills the directory; the file the
// EnvoyFilter loads exists there and its sha256 is its name. Also: deploy/cache.yaml holds
// the objects deploy renders for the cache, and the Dockerfile's runtime libraries match.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { SOURCE_DIR, Sandbox, WASME_BIN, expectStatus, sha256Hex } from './lib/harness.mjs';
import { startRegistry } from './lib/registry.mjs';
import { SEED_MODULE, SEED_MODULE_SHA } from './lib/seed.mjs';
import { startCache, waitFor } from './cache_helpers.mjs';

const SEED_CONFIG = '{"value":"hi-from-wasme"}';
const NODE_DIR = '/var/local/lib/wasme-cache';
const CONFIG_DIR = '/etc/wasme-cache';

const sb = new Sandbox('wasme-cache-seed-');
let reg;
let ref;
let objects;
before(async () => {
  reg = await startRegistry(sb, { name: 'reg' });
  ref = `${reg.host}/yuval-k/istio-example:1.4.2`;
  expectStatus(assert, sb.run(['build', 'precompiled', SEED_MODULE, '-t', ref, '--root-id', 'add_header_root_id']), 0);
  expectStatus(assert, sb.run(['push', ref]), 0);
  const r = sb.run(['deploy', 'istio', ref, '--id', 'test', '--labels', 'app=details', '--port', '9080',
    '--istio-version', '1.4', '--config', SEED_CONFIG]);
  expectStatus(assert, r, 0);
  objects = YAML.parseAllDocuments(r.stdout).map((d) => d.toJS()).filter(Boolean);
});
after(async () => { await reg?.stop(); sb.cleanup(); });

const find = (kind) => objects.find((o) => o.kind === kind);

// Every value under key `name` in a nested object.
function valuesOf(value, name, out = []) {
  if (Array.isArray(value)) value.forEach((v) => valuesOf(v, name, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === name) out.push(v);
      valuesOf(v, name, out);
    }
  }
  return out;
}

test('deploy istio renders the cache; wasme cache with its arguments fills the directory', async () => {
  const daemonSet = find('DaemonSet');
  const container = daemonSet.spec.template.spec.containers[0];
  // The node's directories, moved into the sandbox, as the pod's mounts place them.
  const nodeDir = sb.path('node/var/local/lib/wasme-cache');
  const configDir = sb.path('node/etc/wasme-cache');
  const item = daemonSet.spec.template.spec.volumes.find((v) => v.configMap).configMap.items[0];
  fs.mkdirSync(configDir, { recursive: true });
  fs.writeFileSync(path.join(configDir, item.path), find('ConfigMap').data[item.key]);
  const args = container.args.map((a) => a.replace(NODE_DIR, nodeDir).replace(CONFIG_DIR, configDir));
  assert.equal(args[0], 'cache');
  const cache = await startCache(sb, { args: args.slice(1) });
  try {
    const probe = container.readinessProbe.httpGet.path;
    await waitFor(async () => (await cache.get(probe)).status === 200, `${probe} answering 200`);
    const filenames = valuesOf(find('EnvoyFilter'), 'filename');
    assert.equal(filenames.length, 1);
    assert.equal(path.dirname(filenames[0]), NODE_DIR);
    const name = path.basename(filenames[0]);
    const file = path.join(nodeDir, name);
    assert.ok(fs.existsSync(file), `${name} is in the cache directory`);
    assert.equal(sha256Hex(fs.readFileSync(file)), name);
    assert.equal(name, SEED_MODULE_SHA);
    assert.deepEqual(fs.readFileSync(file), fs.readFileSync(SEED_MODULE));
  } finally {
    assert.equal((await cache.stop()).code, 0);
  }
});

test('deploy/cache.yaml holds the cache objects deploy renders (with no images listed)', () => {
  const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(SOURCE_DIR, 'deploy/cache.yaml'), 'utf8'));
  for (const d of docs) assert.equal(d.errors.length, 0, String(d.errors));
  const manifest = docs.map((d) => d.toJS()).filter(Boolean);
  const rendered = structuredClone(objects.slice(0, 4));
  assert.deepEqual(rendered.map((o) => o.kind), ['Namespace', 'ServiceAccount', 'ConfigMap', 'DaemonSet']);
  rendered[2].data.images = '';
  assert.deepEqual(manifest, rendered);
});

test('the Dockerfile runtime stage installs exactly the libraries the binary links', () => {
  const script = path.join(SOURCE_DIR, 'scripts/check-dockerfile-libs.sh');
  const ok = spawnSync(script, [WASME_BIN, path.join(SOURCE_DIR, 'Dockerfile')], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  // A Dockerfile that forgets libcurl4 and adds libxml2 is caught, naming both.
  const broken = fs.readFileSync(path.join(SOURCE_DIR, 'Dockerfile'), 'utf8')
    .replace('libcurl4 ', '').replace('libyaml-cpp0.7"', 'libyaml-cpp0.7 libxml2"');
  const file = sb.write('Dockerfile.broken', broken);
  const bad = spawnSync(script, [WASME_BIN, file], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /lacks packages the binary links: libcurl4/);
  assert.match(bad.stderr, /does not link: libxml2/);
});
