// wasme deploy istio (render mode): the seed's objects from one command, accepted by real
// kubectl and by the published Kubernetes and Istio schemas.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import YAML from 'yaml';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { EnvoyFilter } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter';
import { WasmPlugin } from '@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin';
import { Sandbox, collectOutput, expectStatus } from './lib/harness.mjs';
import { startDiscoveryServer } from './lib/kube.mjs';
import { startRegistry } from './lib/registry.mjs';
import { SEED_REF, SEED_MODULE, SEED_MODULE_SHA, DETAILS_YAML, SEED_ANNOTATIONS, seedEnvoyFilter } from './lib/seed.mjs';

const SEED_CONFIG = '{"value":"hi-from-wasme"}';
let sb;
let manifestDigest;
let details;

before(() => {
  sb = new Sandbox('wasme-deploy-render-');
  const built = sb.run(['build', 'precompiled', SEED_MODULE, '-t', SEED_REF, '--root-id', 'add_header_root_id', '-o', 'json']);
  expectStatus(assert, built, 0);
  manifestDigest = built.json().manifestDigest;
  details = sb.write('details.yaml', DETAILS_YAML);
});
after(() => sb.cleanup());

function deploy(args, opts) {
  return sb.run(['deploy', 'istio', SEED_REF, '--id', 'test', ...args], opts);
}

function docs(text) {
  return YAML.parseAllDocuments(text).map((d) => {
    assert.equal(d.errors.length, 0, String(d.errors));
    return d.toJS();
  }).filter(Boolean);
}

function kubectl(args, input) {
  const r = spawnSync('kubectl', args, { input, encoding: 'utf8', env: { ...process.env, KUBECONFIG: '/dev/null' } });
  return r;
}

// kubectl talking to a server in this process: spawned asynchronously so the server can answer.
function kubectlAsync(args, input) {
  return collectOutput(spawn('kubectl', args, { env: { ...process.env, KUBECONFIG: '/dev/null' } }), input);
}

const models = { Namespace, ServiceAccount, ConfigMap, DaemonSet, Deployment, EnvoyFilter, WasmPlugin };
function validateAll(objects) {
  for (const o of objects) {
    const Model = models[o.kind];
    assert.ok(Model, `no schema for ${o.kind}`);
    new Model(o).validate();  // throws with the failing field path
  }
}

test('golden: Istio 1.4 rendering of the seed inputs equals the seed EnvoyFilter', () => {
  const r = deploy(['--labels', 'app=details', '--port', '9080', '--istio-version', '1.4', '--config', SEED_CONFIG]);
  expectStatus(assert, r, 0);
  const objects = docs(r.stdout);
  assert.deepEqual(objects.map((o) => o.kind), ['Namespace', 'ServiceAccount', 'ConfigMap', 'DaemonSet', 'EnvoyFilter']);
  const filter = objects[4];
  const seed = seedEnvoyFilter();
  assert.equal(filter.apiVersion, seed.apiVersion);
  assert.deepEqual(filter.spec, seed.spec);
  assert.equal(filter.metadata.name, 'wasme-test');  // no workload known: wasme-<id>
  assert.equal(filter.spec.configPatches[0].patch.value.config.config.vm_config.code.filename,
               `/var/local/lib/wasme-cache/${SEED_MODULE_SHA}`);
  // the cache lists the image; the patch and its command go to stderr
  assert.equal(objects[2].data.images, `${SEED_REF}\n`);
  assert.match(r.stderr, /kubectl -n default patch \$\(kubectl -n default get deployment -l app=details -o name\) --type=merge -p='\{"spec"/);
});

test('real kubectl patch --local applies our patch to the seed details-v1: exactly the seed annotations', () => {
  const r = deploy(['--labels', 'app=details', '--port', '9080', '--istio-version', '1.4']);
  expectStatus(assert, r, 0);
  const line = r.stderr.split('\n').find((l) => l.startsWith('{"spec"'));
  assert.ok(line, r.stderr);
  const patched = kubectl(['patch', '--local', '--type=merge', '-f', details, '-p', line, '-o', 'json']);
  assert.equal(patched.status, 0, patched.stderr);
  const out = JSON.parse(patched.stdout);
  assert.deepEqual(out.spec.template.metadata.annotations, SEED_ANNOTATIONS);
  assert.deepEqual(out.spec.template.metadata.labels, { app: 'details', version: 'v1' });
  // the command on stderr, with the patch quoted for a shell, is the one the seed wrote by hand
  const command = r.stderr.split('\n').find((l) => l.startsWith('kubectl -n default patch'));
  const quoted = command.slice(command.indexOf("-p='") + 4, -1);
  assert.equal(quoted, line);
});

test('-f includes the workload patched with the seed annotations and names the filter <workload>-<id>', () => {
  const r = deploy(['-f', details, '--istio-version', '1.4', '--config', SEED_CONFIG, '--labels', 'app=details']);
  expectStatus(assert, r, 0);
  const objects = docs(r.stdout);
  assert.deepEqual(objects.map((o) => o.kind), ['Namespace', 'ServiceAccount', 'ConfigMap', 'DaemonSet', 'Deployment', 'EnvoyFilter']);
  assert.deepEqual(objects[4].spec.template.metadata.annotations, SEED_ANNOTATIONS);
  const filter = objects[5];
  assert.equal(filter.metadata.name, 'details-v1-test');
  assert.deepEqual(filter.spec, seedEnvoyFilter().spec);  // port 9080 read from the manifest
  assert.equal(filter.metadata.annotations['wasme.io/workload'], 'deployment/details-v1');
  // without --labels the selector is the pod template's labels
  const noLabels = docs(deploy(['-f', details, '--istio-version', '1.7']).stdout);
  assert.deepEqual(noLabels.at(-1).spec.workloadSelector.labels, { app: 'details', version: 'v1' });
});

test('kubectl apply --dry-run=client accepts the whole stream (and the -o json List)', async () => {
  const server = await startDiscoveryServer();
  try {
    for (const args of [['-f', details, '--istio-version', '1.4'], ['--labels', 'app=details', '--istio-version', '1.7'],
                        ['--labels', 'app=details', '--mode', 'wasmplugin', '--config', SEED_CONFIG]]) {
      const r = deploy(args);
      expectStatus(assert, r, 0);
      const count = docs(r.stdout).length;
      const applied = await kubectlAsync(['apply', '--dry-run=client', '--validate=false', '-s', server.url, '-f', '-'], r.stdout);
      assert.equal(applied.status, 0, applied.stderr);
      const lines = applied.stdout.trim().split('\n');
      assert.equal(lines.length, count, applied.stdout);
      for (const l of lines) assert.match(l, /created \(dry run\)$/);
      const json = deploy([...args, '-o', 'json']);
      const fromJson = await kubectlAsync(['apply', '--dry-run=client', '--validate=false', '-s', server.url, '-f', '-'], json.stdout);
      assert.equal(fromJson.status, 0, fromJson.stderr);
      assert.equal(fromJson.stdout, applied.stdout);
    }
  } finally {
    await server.stop();
  }
});

test('every rendered object validates against the Kubernetes and Istio schemas', () => {
  for (const version of ['1.4', '1.5', '1.6', '1.7', '1.20']) {
    for (const context of ['inbound', 'outbound', 'gateway', 'any']) {
      const r = deploy(['-f', details, '--istio-version', version, '--patch-context', context, '--config', SEED_CONFIG,
                        '--cache-pull-secret', 'regcred']);
      expectStatus(assert, r, 0);
      validateAll(docs(r.stdout));
    }
  }
  const plugin = deploy(['--mode', 'wasmplugin', '--labels', 'app=details', '--config', SEED_CONFIG, '--port', '9080',
                         '--image-pull-policy', 'Always', '--image-pull-secret', 's', '--phase', 'AUTHZ', '--priority', '5']);
  expectStatus(assert, plugin, 0);
  validateAll(docs(plugin.stdout));
});

test('schema validation can fail: a broken object is refused', () => {
  const objects = docs(deploy(['-f', details, '--istio-version', '1.7']).stdout);
  const filter = structuredClone(objects.at(-1));
  filter.spec.configPatches[0].applyTo = 'NOT_A_TARGET';
  assert.throws(() => validateAll([filter]));
  const ds = structuredClone(objects[3]);
  ds.spec.template.spec.containers[0].resources.limits = 'lots';
  assert.throws(() => validateAll([ds]));
});

test('Istio 1.5 and 1.7 forms and the WasmPlugin, field by field', () => {
  const v15 = docs(deploy(['--labels', 'app=details', '--istio-version', '1.5', '--config', SEED_CONFIG]).stdout).at(-1);
  const c15 = v15.spec.configPatches[0].patch.value.config.config;
  assert.deepEqual(c15, {
    name: 'test', rootId: 'add_header_root_id', configuration: SEED_CONFIG,
    vmConfig: { vmId: 'test', runtime: 'envoy.wasm.runtime.v8', code: { local: { filename: `/var/local/lib/wasme-cache/${SEED_MODULE_SHA}` } } },
  });
  assert.equal(v15.spec.configPatches[0].match.listener.portNumber, undefined);

  const v17 = docs(deploy(['--labels', 'app=details', '--istio-version', '1.7', '--config', SEED_CONFIG]).stdout).at(-1);
  const typed = v17.spec.configPatches[0].patch.value.typedConfig;
  assert.equal(typed['@type'], 'type.googleapis.com/udpa.type.v1.TypedStruct');
  assert.equal(typed.typeUrl, 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm');
  assert.deepEqual(typed.value.config.configuration, { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: SEED_CONFIG });
  assert.equal(typed.value.config.vmConfig.code.local.filename, `/var/local/lib/wasme-cache/${SEED_MODULE_SHA}`);
  // the annotations patch for 1.5+ only adds the volume
  const r = deploy(['--labels', 'app=details', '--istio-version', '1.7']);
  const patch = JSON.parse(r.stderr.split('\n').find((l) => l.startsWith('{"spec"')));
  assert.deepEqual(Object.keys(patch.spec.template.metadata.annotations),
                   ['sidecar.istio.io/userVolume', 'sidecar.istio.io/userVolumeMount']);

  const plugin = docs(deploy(['--mode', 'wasmplugin', '--labels', 'app=details', '--config', SEED_CONFIG,
                              '--image-pull-policy', 'IfNotPresent', '--phase', 'STATS', '--priority', '3']).stdout);
  assert.equal(plugin.length, 1);  // no cache objects
  assert.deepEqual(plugin[0].spec, {
    selector: { matchLabels: { app: 'details' } },
    url: `oci://${SEED_REF}`,
    sha256: manifestDigest.replace('sha256:', ''),
    imagePullPolicy: 'IfNotPresent',
    pluginName: 'add_header_root_id',
    pluginConfig: { value: 'hi-from-wasme' },
    phase: 'STATS',
    priority: 3,
    match: [{ mode: 'SERVER' }],  // the newest Istio: an empty match would be all traffic
  });
});

test('a config with quotes, newlines, #, ": " and unicode survives a YAML parse unchanged', () => {
  const config = `{"q": "it's \\"quoted\\""}\n# not a comment\nkey: value\ttab ✓ 😀 \\ backslash`;
  for (const version of ['1.4', '1.5', '1.7']) {
    const r = deploy(['--labels', 'app=details', '--port', '9080', '--istio-version', version, '--config', config]);
    expectStatus(assert, r, 0);
    const value = docs(r.stdout).at(-1).spec.configPatches[0].patch.value;
    const got = version === '1.7' ? value.typedConfig.value.config.configuration.value : value.config.config.configuration;
    assert.equal(got, config);
  }
});

test('bad input: usage errors exit 2, a missing image exits 1 with a hint, nothing on stdout', () => {
  const noPort = deploy(['--labels', 'app=details', '--istio-version', '1.4']);
  expectStatus(assert, noPort, 2);
  assert.match(noPort.stderr, /--port/);
  assert.equal(noPort.stdout, '');
  for (const args of [['--istio-version', '1.3'], ['--istio-version', 'latest'], ['--patch-context', 'sideways'],
                      ['--mode', 'helm'], ['-t', 'pod'], ['--labels', 'app'], ['-n', 'Bad_NS'],
                      ['--mode', 'wasmplugin', '--istio-version', '1.9'], ['--phase', 'AUTHN']]) {
    const r = deploy(args);
    expectStatus(assert, r, 2);
    assert.equal(r.stdout, '');
  }
  const badId = sb.run(['deploy', 'istio', SEED_REF, '--id', 'Bad ID']);
  expectStatus(assert, badId, 2);
  assert.match(badId.stderr, /--id "Bad ID" is not a valid Kubernetes name/);
  // Checked before the image is looked up or pulled: no network for a bad flag.
  const beforePull = sb.run(['deploy', 'istio', '127.0.0.1:1/none/such:v1', '--id', 'x', '--phase', 'AUTHN', '--plain-http']);
  expectStatus(assert, beforePull, 2);
  assert.doesNotMatch(beforePull.stderr, /pulling|127\.0\.0\.1:1\//);
  const notJson = deploy(['--mode', 'wasmplugin', '--config', 'plain text']);
  expectStatus(assert, notJson, 1);
  assert.match(notJson.stderr, /--config is not valid JSON: parse error at line 1, column 1/);
  const notWorkload = sb.write('svc.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\n');
  const r = deploy(['-f', notWorkload]);
  expectStatus(assert, r, 1);
  assert.match(r.stderr, /svc\.yaml: no Deployment/);
  const missing = sb.run(['deploy', 'istio', '127.0.0.1:1/none/such:v1', '--id', 'x', '--plain-http']);
  expectStatus(assert, missing, 1);
  assert.match(missing.stderr, /127\.0\.0\.1:1\/none\/such:v1/);
  assert.equal(missing.stdout, '');
});

test('the default root id is the image\'s first; a module for another ABI warns', () => {
  const r = deploy(['--labels', 'app=details', '--istio-version', '1.7']);
  expectStatus(assert, r, 0);
  assert.equal(docs(r.stdout).at(-1).spec.configPatches[0].patch.value.typedConfig.value.config.rootId, 'add_header_root_id');
  assert.match(r.stderr, /Istio 1\.4's camelCase ABI/);
  const old = deploy(['--labels', 'app=details', '--istio-version', '1.4', '--port', '9080']);
  assert.doesNotMatch(old.stderr, /ABI/);
});

test('must show: from a pushed image, one command renders the seed objects and kubectl accepts them', async () => {
  const reg = await startRegistry(sb);
  const server = await startDiscoveryServer();
  const fresh = new Sandbox('wasme-deploy-fresh-');
  try {
    const ref = `${reg.host}/yuval-k/istio-example:1.4.2`;
    expectStatus(assert, sb.run(['build', 'precompiled', SEED_MODULE, '-t', ref, '--root-id', 'add_header_root_id']), 0);
    expectStatus(assert, sb.run(['push', ref]), 0);
    // an empty store: deploy pulls the image first
    const r = fresh.run(['deploy', 'istio', ref, '--id', 'test', '-f', details, '--istio-version', '1.4',
                         '--config', SEED_CONFIG, '-l', 'app=details']);
    expectStatus(assert, r, 0);
    assert.match(r.stderr, /pulling/);
    const objects = docs(r.stdout);
    assert.deepEqual(objects[4].spec.template.metadata.annotations, SEED_ANNOTATIONS);
    assert.deepEqual(objects[5].spec, seedEnvoyFilter().spec);
    assert.equal(objects[2].data.images, `${ref}\n`);
    const applied = await kubectlAsync(['apply', '--dry-run=client', '--validate=false', '-s', server.url, '-f', '-'], r.stdout);
    assert.equal(applied.status, 0, applied.stderr);
    assert.match(applied.stdout, /envoyfilter\.networking\.istio\.io\/details-v1-test created \(dry run\)/);
    assert.match(applied.stdout, /deployment\.apps\/details-v1 created \(dry run\)/);
  } finally {
    fresh.cleanup();
    await server.stop();
    await reg.stop();
  }
});
