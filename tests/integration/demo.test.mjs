// The README's main job (scripts/demo.sh) runs end to end with the wasme under test: registry
// on loopback, init, real Bazel build, push, pull, deploy istio, and the cache daemon filling
// its directory from the rendered image list. The checks here are our own, not the script's.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { SOURCE_DIR, Sandbox, WASME_BIN, sha256Hex } from './lib/harness.mjs';

const sb = new Sandbox('wasme-demo-');
const work = sb.path('demo');
after(() => {
  spawnSync('chmod', ['-R', 'u+w', sb.dir]);  // Bazel leaves read-only trees behind
  sb.cleanup();
});

test('scripts/demo.sh: the module the EnvoyFilter names is in the cache directory', () => {
  const r = spawnSync('bash', [path.join(SOURCE_DIR, 'scripts/demo.sh')], {
    env: { ...sb.env, WASME_BIN, WASME_DEMO_DIR: work }, encoding: 'utf8', timeout: 900_000,
    maxBuffer: 64 << 20,
  });
  assert.equal(r.status, 0, `demo.sh failed\nstdout: ${r.stdout}\nstderr: ${r.stderr.slice(-6000)}`);
  assert.match(r.stderr, /done: the EnvoyFilter loads \/var\/local\/lib\/wasme-cache\/[0-9a-f]{64}/);
  assert.doesNotMatch(r.stderr, /wasme: warning: .*ABI/i, 'the rendered Istio version runs the module');

  const objects = YAML.parseAllDocuments(fs.readFileSync(path.join(work, 'deploy.yaml'), 'utf8'))
    .map((d) => d.toJS()).filter(Boolean);
  const kinds = objects.map((o) => o.kind);
  for (const kind of ['ConfigMap', 'DaemonSet', 'EnvoyFilter']) assert.ok(kinds.includes(kind), kind);
  // Rendered for the newest Istio: the canonical names, the only ones 1.19+ matches.
  const filter = objects.find((o) => o.kind === 'EnvoyFilter');
  assert.equal(filter.spec.configPatches[0].match.listener.filterChain.filter.name,
               'envoy.filters.network.http_connection_manager');
  const filename = /filename: (\S+)/.exec(YAML.stringify(objects.find((o) => o.kind === 'EnvoyFilter')))[1];
  const name = path.basename(filename);
  const cached = path.join(work, 'node', filename);
  assert.equal(sha256Hex(fs.readFileSync(cached)), name);
  // The same bytes are in the sandbox's local store (pulled back from the registry).
  assert.deepEqual(fs.readFileSync(cached), fs.readFileSync(path.join(sb.store, 'blobs', 'sha256', name)));
  // Nothing is left running: the registry and the cache were stopped with the script.
  const cachePids = spawnSync('pgrep', ['-f', '--', `--directory ${path.dirname(cached)}`], { encoding: 'utf8' });
  assert.equal(cachePids.status, 1, `pgrep found: ${cachePids.stdout}${cachePids.stderr}`);  // 1: no process matched
});
