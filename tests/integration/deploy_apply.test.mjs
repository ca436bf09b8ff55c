// wasme deploy istio --apply and wasme undeploy istio against a recording kubectl stand-in
// (no API server can run here): the exact calls, the objects sent, merge/backup/restore rules.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { Sandbox, expectStatus } from './lib/harness.mjs';
import { installFakeKubectl } from './lib/kube.mjs';
import { SEED_REF, SEED_MODULE, SEED_MODULE_SHA, DETAILS_YAML, SEED_ANNOTATIONS, seedEnvoyFilter } from './lib/seed.mjs';

const VOLUME = 'sidecar.istio.io/userVolume';
const MOUNT = 'sidecar.istio.io/userVolumeMount';
let sb;

before(() => {
  sb = new Sandbox('wasme-deploy-apply-');
  expectStatus(assert, sb.run(['build', 'precompiled', SEED_MODULE, '-t', SEED_REF, '--root-id', 'add_header_root_id']), 0);
});
after(() => sb.cleanup());

function details(annotations) {
  const d = YAML.parse(DETAILS_YAML);
  d.metadata.namespace = 'default';
  d.metadata.resourceVersion = '7';
  if (annotations) d.spec.template.metadata.annotations = annotations;
  return d;
}

function cachePod(name) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'wasme', labels: { app: 'wasme-cache' } } };
}

const cached = { [SEED_REF]: { digest: `sha256:${SEED_MODULE_SHA}`, size: 1, state: 'cached' } };

// An istiod Deployment as Istio's Helm chart labels it (istio-discovery templates/deployment.yaml).
function istiod(revision, tag, namespace = 'istio-system') {
  const labels = { app: 'istiod', istio: 'pilot' };
  if (revision) labels['istio.io/rev'] = revision;
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: revision && revision !== 'default' ? `istiod-${revision}` : 'istiod', namespace, labels },
    spec: { template: { spec: { containers: [{ name: 'discovery', image: `docker.io/istio/pilot:${tag}` }] } } },
  };
}

function cluster(extra = {}) {
  return installFakeKubectl(sb, {
    objects: [details(), cachePod('wasme-cache-a'), cachePod('wasme-cache-b'),
              ...(extra.istiods || [istiod('default', '1.22.3')]), ...(extra.objects || [])],
    images: extra.images || { 'wasme-cache-a': cached, 'wasme-cache-b': cached },
    fail: extra.fail || [],
  });
}

const G = ['--kubeconfig=/etc/kube/config', '--context=prod'];
const APPLY = ['deploy', 'istio', SEED_REF, '--id', 'test', '-l', 'app=details', '--istio-version', '1.4',
               '--config', '{"value":"hi-from-wasme"}', '--apply', '--kubeconfig', '/etc/kube/config',
               '--context', 'prod', '--cache-timeout', '5s'];

function kinds(stdin) { return YAML.parseAllDocuments(stdin).map((d) => d.toJS().kind); }

test('--apply: the exact kubectl calls, in order, and the seed objects end up in the cluster', () => {
  const kube = cluster();
  const r = sb.run(APPLY, { env: kube.env });
  expectStatus(assert, r, 0);
  const calls = kube.calls();
  const argvs = calls.map((c) => c.argv);
  const patch = argvs[6].at(-1);
  assert.deepEqual(argvs, [
    [...G, '-n', 'default', 'get', 'deployment', '-l', 'app=details', '-o', 'json'],
    [...G, '-n', 'wasme', 'get', 'configmap', 'wasme-cache', '-o', 'json', '--ignore-not-found'],
    [...G, 'apply', '-f', '-'],
    [...G, '-n', 'wasme', 'get', 'pods', '-l', 'app=wasme-cache', '-o', 'json'],
    [...G, 'get', '--raw', '/api/v1/namespaces/wasme/pods/wasme-cache-a:9979/proxy/images'],
    [...G, 'get', '--raw', '/api/v1/namespaces/wasme/pods/wasme-cache-b:9979/proxy/images'],
    [...G, '-n', 'default', 'patch', 'deployment/details-v1', '--type=merge', patch],
    [...G, 'apply', '-f', '-'],
  ]);
  assert.deepEqual(kinds(calls[2].stdin), ['Namespace', 'ServiceAccount', 'ConfigMap', 'DaemonSet']);
  assert.deepEqual(JSON.parse(patch.slice(3)), { spec: { template: { metadata: { annotations: SEED_ANNOTATIONS } } } });
  assert.deepEqual(kinds(calls[7].stdin), ['EnvoyFilter']);

  assert.deepEqual(kube.find('Deployment', 'details-v1').spec.template.metadata.annotations, SEED_ANNOTATIONS);
  const filter = kube.find('EnvoyFilter', 'details-v1-test', 'default');
  assert.deepEqual(filter.spec.configPatches, seedEnvoyFilter().spec.configPatches);
  assert.deepEqual(filter.spec.workloadSelector.labels, { app: 'details' });
  assert.equal(kube.find('ConfigMap', 'wasme-cache', 'wasme').data.images, `${SEED_REF}\n`);
  // each step says what it did
  for (const line of ['applied daemonset/wasme-cache', 'every cache pod has', 'patched deployment/details-v1',
                      'applied envoyfilter.networking.istio.io/details-v1-test']) {
    assert.ok(r.stderr.includes(line), `missing "${line}" in:\n${r.stderr}`);
  }
  assert.match(r.stdout, /deployed default\/envoyfilter\.networking\.istio\.io\/details-v1-test/);
});

test('--apply adds the image to an existing list (optimistic lock) instead of replacing it', () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'wasme-cache', namespace: 'wasme', resourceVersion: '42' },
               data: { images: 'other.example/x:v1\n' } };
  const kube = cluster({ objects: [cm] });
  const r = sb.run([...APPLY, '-o', 'json'], { env: kube.env });
  expectStatus(assert, r, 0);
  const calls = kube.calls();
  assert.deepEqual(kinds(calls[2].stdin), ['Namespace', 'ServiceAccount', 'DaemonSet']);
  assert.deepEqual(calls[3].argv, [...G, '-n', 'wasme', 'patch', 'configmap/wasme-cache', '--type=merge',
    `-p=${JSON.stringify({ data: { images: `other.example/x:v1\n${SEED_REF}\n` }, metadata: { resourceVersion: '42' } })}`]);
  assert.equal(kube.find('ConfigMap', 'wasme-cache').data.images, `other.example/x:v1\n${SEED_REF}\n`);
  assert.deepEqual(r.json(), { workloads: ['default/deployment/details-v1'],
                               filters: ['default/envoyfilter.networking.istio.io/details-v1-test'] });
  // deploying again changes nothing but re-applies the filter
  const again = sb.run(APPLY, { env: kube.env });
  expectStatus(assert, again, 0);
  assert.match(again.stderr, /already lists/);
  assert.match(again.stderr, /already has the annotations/);
  assert.ok(!kube.calls().slice(calls.length).some((c) => c.argv.includes('patch')));
});

test('a cache that never reports the module: the step is named, nothing after it runs, undo is hinted', () => {
  const kube = cluster({ images: { 'wasme-cache-a': cached, 'wasme-cache-b': { [SEED_REF]: { state: 'error', error: 'unauthorized' } } } });
  const r = sb.run([...APPLY.slice(0, -2), '--cache-timeout', '0s'], { env: kube.env });
  expectStatus(assert, r, 1);
  assert.match(r.stderr, /step 4 \(waiting for the cache\): the cache did not report .* in time: pod wasme-cache-b does not have the module yet/);
  assert.match(r.stderr, /earlier steps were left in place; to undo them:\n  kubectl -n wasme delete daemonset\/wasme-cache/);
  assert.ok(!kube.calls().some((c) => c.argv.includes('patch')));
  assert.equal(kube.find('EnvoyFilter', 'details-v1-test'), undefined);
});

test('a failing patch names its step and hints how to undo what was done before', () => {
  const kube = cluster({ fail: [{ match: 'patch deployment/details-v1', stderr: 'Error from server (Forbidden): nope' }] });
  const r = sb.run(APPLY, { env: kube.env });
  expectStatus(assert, r, 1);
  assert.match(r.stderr, /step 5 \(patching deployment\/details-v1\): patching deployment\/details-v1: `kubectl .*` failed: exit status 1: Error from server \(Forbidden\): nope/);
  assert.match(r.stderr, /to undo them:\n  kubectl -n wasme delete daemonset\/wasme-cache configmap\/wasme-cache serviceaccount\/wasme-cache/);
  assert.equal(kube.find('EnvoyFilter', 'details-v1-test'), undefined);
});

test('no matching workload: nothing is changed', () => {
  const kube = cluster();
  const r = sb.run(['deploy', 'istio', SEED_REF, '--id', 'test', '-l', 'app=nope', '--apply'], { env: kube.env });
  expectStatus(assert, r, 1);
  assert.match(r.stderr, /step 1 \(finding the workloads\): no deployment in namespace default matches app=nope/);
  assert.deepEqual(kube.calls().length, 2);  // the Istio version, then the workloads
});

test('user volumes are merged by name and backed up; undeploy restores them exactly', () => {
  const theirs = {
    [VOLUME]: '[{"name":"certs","secret":{"secretName":"tls"}}]',
    [MOUNT]: '[{"mountPath":"/certs","name":"certs"}]',
    'sidecar.istio.io/interceptionMode': 'REDIRECT',
    'example.com/other': 'kept',
  };
  const kube = installFakeKubectl(sb, {
    objects: [details(theirs), cachePod('wasme-cache-a')], images: { 'wasme-cache-a': cached } });
  const r = sb.run(APPLY, { env: kube.env });
  expectStatus(assert, r, 0);
  const annotations = kube.find('Deployment', 'details-v1').spec.template.metadata.annotations;
  assert.deepEqual(JSON.parse(annotations[VOLUME]).map((v) => v.name), ['certs', 'cache-dir']);
  assert.deepEqual(JSON.parse(annotations[MOUNT]).map((v) => v.name), ['certs', 'cache-dir']);
  assert.equal(annotations['sidecar.istio.io/interceptionMode'], 'TPROXY');
  assert.equal(annotations[`wasme-backup.${VOLUME}`], theirs[VOLUME]);
  assert.equal(annotations[`wasme-backup.${MOUNT}`], theirs[MOUNT]);
  assert.equal(annotations['wasme-backup.sidecar.istio.io/interceptionMode'], 'REDIRECT');
  assert.equal(annotations['example.com/other'], 'kept');

  const u = sb.run(['undeploy', 'istio', '--id', 'test'], { env: kube.env });
  expectStatus(assert, u, 0);
  assert.deepEqual(kube.find('Deployment', 'details-v1').spec.template.metadata.annotations, theirs);
  assert.equal(kube.find('EnvoyFilter', 'details-v1-test'), undefined);
  assert.equal(kube.find('ConfigMap', 'wasme-cache').data.images, '');
});

test('undeploy keeps the cache volume while another wasme filter still selects the workload', () => {
  const kube = cluster();
  expectStatus(assert, sb.run(APPLY, { env: kube.env }), 0);
  const second = APPLY.map((a) => (a === 'test' ? 'second' : a));
  expectStatus(assert, sb.run(second, { env: kube.env }), 0);
  assert.ok(kube.find('EnvoyFilter', 'details-v1-second'));

  const before = kube.calls().length;
  const u1 = sb.run(['undeploy', 'istio', '--id', 'test', '--kubeconfig', '/etc/kube/config', '--context', 'prod'], { env: kube.env });
  expectStatus(assert, u1, 0);
  assert.deepEqual(kube.calls().slice(before).map((c) => c.argv), [
    [...G, 'get', 'envoyfilters.networking.istio.io', '-A', '-l', 'app.kubernetes.io/managed-by=wasme', '-o', 'json'],
    [...G, '-n', 'default', 'delete', 'envoyfilter.networking.istio.io/details-v1-test'],
    [...G, '-n', 'default', 'get', 'deployment', 'details-v1', '-o', 'json', '--ignore-not-found'],
  ]);
  assert.deepEqual(kube.find('Deployment', 'details-v1').spec.template.metadata.annotations, SEED_ANNOTATIONS);
  assert.equal(kube.find('ConfigMap', 'wasme-cache').data.images, `${SEED_REF}\n`);  // "second" uses it

  const u2 = sb.run(['undeploy', 'istio', '--id', 'second'], { env: kube.env });
  expectStatus(assert, u2, 0);
  assert.deepEqual(kube.find('Deployment', 'details-v1').spec.template.metadata.annotations, {});
  assert.equal(kube.find('ConfigMap', 'wasme-cache').data.images, '');
  assert.equal(kube.state().objects.filter((o) => o.kind === 'EnvoyFilter').length, 0);
});

test('undeploy --dry-run reads but never writes, and prints the writes it would make', () => {
  const kube = cluster();
  expectStatus(assert, sb.run(APPLY, { env: kube.env }), 0);
  const snapshot = JSON.stringify(kube.state());
  const before = kube.calls().length;
  const r = sb.run(['undeploy', 'istio', '--id', 'test', '--dry-run'], { env: kube.env });
  expectStatus(assert, r, 0);
  assert.equal(JSON.stringify(kube.state()), snapshot);
  const verbs = kube.calls().slice(before).map((c) => c.argv.find((a) => ['get', 'delete', 'patch', 'apply'].includes(a)));
  assert.ok(verbs.every((v) => v === 'get'), String(verbs));
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'kubectl -n default delete envoyfilter.networking.istio.io/details-v1-test');
  assert.match(lines[1], /^kubectl -n default patch deployment\/details-v1 --type=merge '-p=\{"spec":\{"template":\{"metadata":\{"annotations":\{"sidecar\.istio\.io\/userVolume":null/);
  assert.match(lines[2], /^kubectl -n wasme patch configmap\/wasme-cache --type=merge/);
  const missing = sb.run(['undeploy', 'istio', '--id', 'nope'], { env: kube.env });
  expectStatus(assert, missing, 1);
  assert.match(missing.stderr, /no EnvoyFilter with id "nope" in namespace default/);
});

test('--mode wasmplugin --apply only applies the WasmPlugin; undeploy removes it', () => {
  const kube = cluster();
  const r = sb.run(['deploy', 'istio', SEED_REF, '--id', 'test', '-l', 'app=details', '--mode', 'wasmplugin', '--apply'],
                   { env: kube.env });
  expectStatus(assert, r, 0);
  assert.deepEqual(kube.calls().map((c) => c.argv),
                   [['get', 'deployments', '-A', '-l', 'app=istiod', '-o', 'json'], ['apply', '-f', '-']]);
  assert.match(r.stderr, /deploying for Istio 1\.22 \(istiod istio-system\/istiod \(revision default, Istio 1\.22 from image docker\.io\/istio\/pilot:1\.22\.3\)\)/);
  const plugin = kube.find('WasmPlugin', 'wasme-test', 'default');
  assert.equal(plugin.spec.url, `oci://${SEED_REF}`);
  assert.deepEqual(plugin.spec.match, [{ mode: 'SERVER' }]);  // 1.22 has match
  const u = sb.run(['undeploy', 'istio', '--id', 'test', '--mode', 'wasmplugin'], { env: kube.env });
  expectStatus(assert, u, 0);
  assert.equal(kube.find('WasmPlugin', 'wasme-test'), undefined);
});

test('--apply reads the Istio version from istiod: one revision, two agreeing, two disagreeing, none', () => {
  const base = ['deploy', 'istio', SEED_REF, '--id', 'test', '-l', 'app=details', '--mode', 'wasmplugin', '--apply'];
  // one revision on 1.15: no match field, so the plugin has none
  let kube = cluster({ istiods: [istiod('', '1.15.7-distroless')] });
  let r = sb.run(base, { env: kube.env });
  expectStatus(assert, r, 0);
  assert.match(r.stderr, /deploying for Istio 1\.15/);
  assert.equal(kube.find('WasmPlugin', 'wasme-test', 'default').spec.match, undefined);

  // two revisions on one line agree
  kube = cluster({ istiods: [istiod('1-22-1', '1.22.1'), istiod('1-22-3', '1.22.3')] });
  r = sb.run(base, { env: kube.env });
  expectStatus(assert, r, 0);
  assert.match(r.stderr, /deploying for Istio 1\.22/);

  // two that disagree: refused, naming both, and nothing applied; --revision picks one
  kube = cluster({ istiods: [istiod('default', '1.21.0'), istiod('canary', '1.23.2')] });
  r = sb.run(base, { env: kube.env });
  expectStatus(assert, r, 2);
  assert.match(r.stderr, /more than one Istio version/);
  assert.match(r.stderr, /revision default, Istio 1\.21/);
  assert.match(r.stderr, /revision canary, Istio 1\.23/);
  assert.match(r.stderr, /hint: give --revision REV/);
  assert.equal(kube.calls().length, 1);
  r = sb.run([...base, '--revision', 'canary'], { env: kube.env });
  expectStatus(assert, r, 0);
  assert.match(r.stderr, /deploying for Istio 1\.23/);
  // --istio-version wins and asks the cluster nothing about versions
  kube = cluster({ istiods: [istiod('default', '1.21.0'), istiod('canary', '1.23.2')] });
  r = sb.run([...base, '--istio-version', '1.20'], { env: kube.env });
  expectStatus(assert, r, 0);
  assert.deepEqual(kube.calls().map((c) => c.argv), [['apply', '-f', '-']]);

  // none: refused before anything is applied
  kube = cluster({ istiods: [] });
  r = sb.run(base, { env: kube.env });
  expectStatus(assert, r, 1);
  assert.match(r.stderr, /no istiod Deployment \(label app=istiod\) in the cluster/);
  assert.match(r.stderr, /--istio-version/);
  assert.equal(kube.calls().length, 1);
  // --revision without --apply is a usage error
  expectStatus(assert, sb.run(['deploy', 'istio', SEED_REF, '--id', 'test', '--revision', 'canary']), 2);
  // --revision and --istio-version together, and a bad flag, fail before the cluster is asked
  kube = cluster();
  for (const extra of [['--revision', 'canary', '--istio-version', '1.20'], ['--phase', 'LATE']]) {
    r = sb.run([...base, ...extra], { env: kube.env });
    expectStatus(assert, r, 2);
  }
  assert.equal(kube.calls().length, 0);
});

test('deploy envoy-gateway --apply applies the EnvoyExtensionPolicy; undeploy removes it', () => {
  const kube = cluster();
  const r = sb.run(['deploy', 'envoy-gateway', SEED_REF, '--id', 'test', '--target-ref', 'Gateway/eg', '-n', 'default',
                    '--config', '{"value":"hi"}', '--apply'], { env: kube.env });
  expectStatus(assert, r, 0);
  assert.match(r.stdout, /deployed default\/envoyextensionpolicy\.gateway\.envoyproxy\.io\/wasme-test/);
  const policy = kube.find('EnvoyExtensionPolicy', 'wasme-test', 'default');
  assert.equal(policy.spec.wasm[0].code.image.url, SEED_REF);
  const dry = sb.run(['undeploy', 'envoy-gateway', '--id', 'test', '--dry-run'], { env: kube.env });
  expectStatus(assert, dry, 0);
  assert.ok(kube.find('EnvoyExtensionPolicy', 'wasme-test', 'default'));
  const u = sb.run(['undeploy', 'envoy-gateway', '--id', 'test'], { env: kube.env });
  expectStatus(assert, u, 0);
  assert.match(u.stdout, /removed default\/envoyextensionpolicy\.gateway\.envoyproxy\.io\/wasme-test/);
  assert.equal(kube.find('EnvoyExtensionPolicy', 'wasme-test'), undefined);
  const again = sb.run(['undeploy', 'envoy-gateway', '--id', 'test'], { env: kube.env });
  expectStatus(assert, again, 1);
  assert.match(again.stderr, /no EnvoyExtensionPolicy with id test in namespace default/);
});
