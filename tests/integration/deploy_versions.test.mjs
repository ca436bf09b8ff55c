// deploy istio for every Istio line of the version table, checked against the real CRD schemas
// of that line (tests/fixtures/crds, extracted from istio/istio's release branches; see its
// README), deploy envoy-gateway against Envoy Gateway's CRD, and modules of every ABI built by
// real clang, inspected and deployed with no false ABI warning.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import YAML from 'yaml';
import Ajv from 'ajv';
import { Sandbox, FIXTURES, expectStatus } from './lib/harness.mjs';
import { SEED_REF, SEED_MODULE, DETAILS_YAML } from './lib/seed.mjs';

const CRDS = path.join(FIXTURES, 'crds');
const CONFIG = '{"value":"hi-from-wasme"}';
// One line per boundary of the table (render/istio_versions.cpp), the newest release, and the
// release-1.31 candidate.
const LINES = ['1.4', '1.5', '1.6', '1.7', '1.8', '1.12', '1.14', '1.15', '1.16', '1.19', '1.20', '1.22', '1.27', '1.30', '1.31'];
const OLD_NAMES = new Set(['1.4', '1.5', '1.6']);
const at = (v, minor) => Number(v.split('.')[1]) >= minor;

let sb;
let details;
before(() => {
  sb = new Sandbox('wasme-deploy-versions-');
  // A 0.1.0 module loads on every line from 1.5; the seed's 1.4 module is used for 1.4.
  expectStatus(assert, sb.run(['build', 'precompiled', path.join(FIXTURES, 'abi_0_1_0.wasm'), '-t', 'localhost:5000/f/any:v1',
                               '--root-id', 'root']), 0);
  expectStatus(assert, sb.run(['build', 'precompiled', SEED_MODULE, '-t', SEED_REF, '--root-id', 'add_header_root_id']), 0);
  details = sb.write('details.yaml', DETAILS_YAML);
});
after(() => sb.cleanup());

// A CRD's structural schema as the API server applies it with strict field validation: an
// object with properties takes no others unless it preserves unknown fields. CEL rules
// (x-kubernetes-validations) are not evaluated here.
function strict(schema) {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-')) continue;
    out[key] = key === 'properties'
      ? Object.fromEntries(Object.entries(value).map(([name, s]) => [name, strict(s)]))
      : strict(value);
  }
  if (out.properties && out.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const validators = new Map();
function validator(dir, file) {
  const key = `${dir}/${file}`;
  if (!validators.has(key)) {
    const schema = JSON.parse(fs.readFileSync(path.join(CRDS, dir, file), 'utf8'));
    // The API server itself adds these to every CRD's root.
    schema.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' },
                          ...schema.properties };
    validators.set(key, ajv.compile(strict(schema)));
  }
  return validators.get(key);
}
function problems(object, dir, file) {
  const validate = validator(dir, file);
  return validate(object) ? [] : validate.errors.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}
const envoyFilterProblems = (o, v) => problems(o, `istio-${v}`, 'envoyfilter.v1alpha3.json');
const wasmPluginProblems = (o, v) => problems(o, `istio-${v}`, 'wasmplugin.v1alpha1.json');

function docs(text) {
  return YAML.parseAllDocuments(text).map((d) => {
    assert.equal(d.errors.length, 0, String(d.errors));
    return d.toJS();
  }).filter(Boolean);
}

function render(args) {
  const r = sb.run(['deploy', 'istio', ...args]);
  expectStatus(assert, r, 0);
  return { objects: docs(r.stdout), stderr: r.stderr };
}

// The WasmPlugin flags each line has a field for.
function pluginArgs(v) {
  const args = ['--mode', 'wasmplugin', '--istio-version', v, '--labels', 'app=details', '--config', CONFIG,
                '--image-pull-policy', 'Always', '--phase', 'AUTHZ', '--priority', '5'];
  if (at(v, 14)) args.push('--vm-env', 'LEVEL=debug');
  if (at(v, 16)) args.push('--port', '9080');
  if (at(v, 19)) args.push('--fail-strategy', at(v, 27) ? 'FAIL_RELOAD' : 'FAIL_OPEN');
  if (at(v, 20)) args.push('--type', 'HTTP');
  return args;
}

test('EnvoyFilter for every line validates against that line\'s CRD and uses the names it matches', () => {
  for (const v of LINES) {
    const image = v === '1.4' ? SEED_REF : 'localhost:5000/f/any:v1';
    for (const context of ['inbound', 'outbound', 'gateway', 'any']) {
      const { objects, stderr } = render([image, '--id', 'test', '-f', details, '--istio-version', v, '--patch-context', context,
                                          '--config', CONFIG]);
      const filter = objects.find((o) => o.kind === 'EnvoyFilter');
      assert.deepEqual(envoyFilterProblems(filter, v), [], `Istio ${v} ${context}`);
      assert.doesNotMatch(stderr, /warning: the module/, `no ABI warning on ${v}`);
      for (const patch of filter.spec.configPatches) {
        const f = patch.match.listener.filterChain.filter;
        const old = OLD_NAMES.has(v);
        assert.equal(f.name, old ? 'envoy.http_connection_manager' : 'envoy.filters.network.http_connection_manager', v);
        assert.equal(f.subFilter.name, old ? 'envoy.router' : 'envoy.filters.http.router', v);
        const value = patch.patch.value;
        if (at(v, 8)) assert.equal(value.typedConfig['@type'], 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm');
        else if (v === '1.7') assert.equal(value.typedConfig['@type'], 'type.googleapis.com/udpa.type.v1.TypedStruct');
        else assert.ok(value.config, v);
      }
      // 1.5 cannot select inbound traffic by port: one patch, no portNumber
      if (v === '1.5' && context === 'inbound') {
        assert.equal(filter.spec.configPatches.length, 1);
        assert.equal(filter.spec.configPatches[0].match.listener.portNumber, undefined);
      }
    }
  }
});

test('schema validation can fail: a field or value a line lacks is refused by its CRD', () => {
  const filter = render(['localhost:5000/f/any:v1', '--id', 'test', '-l', 'app=details', '--istio-version', '1.30']).objects.at(-1);
  const broken = structuredClone(filter);
  broken.spec.configPatches[0].applyTo = 'NOT_A_TARGET';
  assert.notDeepEqual(envoyFilterProblems(broken, '1.30'), []);
  const extra = structuredClone(filter);
  extra.spec.notAField = true;
  assert.notDeepEqual(envoyFilterProblems(extra, '1.30'), []);
  // Each WasmPlugin field is refused by the CRD of the line before the one that added it.
  for (const [v, before, field] of [['1.14', '1.12', 'vmConfig'], ['1.16', '1.15', 'match'], ['1.19', '1.16', 'failStrategy'],
                                    ['1.20', '1.19', 'type'], ['1.27', '1.22', 'failStrategy']]) {
    const plugin = render(['localhost:5000/f/any:v1', '--id', 'test', ...pluginArgs(v)]).objects.at(-1);
    assert.ok(plugin.spec[field] !== undefined, `${v} renders ${field}`);
    assert.deepEqual(wasmPluginProblems(plugin, v), [], v);
    assert.notDeepEqual(wasmPluginProblems(plugin, before), [], `${field} is not in the ${before} CRD`);
  }
});

test('WasmPlugin for every line from 1.12 validates against that line\'s CRD', () => {
  for (const v of LINES.filter((l) => at(l, 12))) {
    const { objects } = render(['localhost:5000/f/any:v1', '--id', 'test', ...pluginArgs(v)]);
    assert.equal(objects.length, 1);
    const plugin = objects[0];
    assert.deepEqual(wasmPluginProblems(plugin, v), [], `Istio ${v}`);
    assert.equal(plugin.spec.match !== undefined, at(v, 16), `match on ${v}`);
    if (at(v, 16)) assert.deepEqual(plugin.spec.match, [{ mode: 'SERVER', ports: [{ number: 9080 }] }]);
  }
  // targets: one targetRef on 1.20, targetRefs from 1.22
  const one = render(['localhost:5000/f/any:v1', '--id', 'w', '--mode', 'wasmplugin', '--istio-version', '1.20',
                      '--target-ref', 'Gateway/waypoint']).objects[0];
  assert.deepEqual(one.spec.targetRef, { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' });
  assert.deepEqual(wasmPluginProblems(one, '1.20'), []);
  for (const [v, second] of [['1.22', 'Gateway/ingress'], ['1.30', 'Service/reviews']]) {
    const two = render(['localhost:5000/f/any:v1', '--id', 'w', '--mode', 'wasmplugin', '--istio-version', v,
                        '--target-ref', 'Gateway/waypoint', '--target-ref', second]).objects[0];
    assert.equal(two.spec.targetRefs.length, 2);
    assert.deepEqual(wasmPluginProblems(two, v), [], v);
    assert.notDeepEqual(wasmPluginProblems(two, '1.20'), [], 'targetRefs is not in the 1.20 CRD');
  }
  // what a line lacks is a usage error naming the line that has it
  for (const [v, args, text] of [['1.15', ['--port', '80'], /--port .* needs Istio 1\.16 or later, not 1\.15/],
                                 ['1.12', ['--patch-context', 'outbound'], /needs Istio 1\.16/],
                                 ['1.18', ['--fail-strategy', 'FAIL_OPEN'], /--fail-strategy needs Istio 1\.19/],
                                 ['1.26', ['--fail-strategy', 'FAIL_RELOAD'], /FAIL_RELOAD needs Istio 1\.27/],
                                 ['1.19', ['--type', 'NETWORK'], /--type needs Istio 1\.20/],
                                 ['1.13', ['--vm-env', 'A=b'], /--vm-env .* needs Istio 1\.14/],
                                 ['1.21', ['--target-ref', 'Gateway/a', '--target-ref', 'Gateway/b'], /needs Istio 1\.22/],
                                 ['1.11', [], /--mode wasmplugin needs Istio 1\.12/]]) {
    const r = sb.run(['deploy', 'istio', 'localhost:5000/f/any:v1', '--id', 'test', '--mode', 'wasmplugin', '--istio-version', v, ...args]);
    expectStatus(assert, r, 2);
    assert.match(r.stderr, text);
  }
});

test('the default rendering is for the newest Istio: canonical names, the v3 Wasm type, valid for 1.30 and 1.31', () => {
  const { objects, stderr } = render(['localhost:5000/f/any:v1', '--id', 'test', '-l', 'app=details', '--config', CONFIG]);
  const filter = objects.at(-1);
  const f = filter.spec.configPatches[0].match.listener.filterChain.filter;
  assert.equal(f.name, 'envoy.filters.network.http_connection_manager');
  assert.equal(f.subFilter.name, 'envoy.filters.http.router');
  assert.equal(filter.spec.configPatches[0].patch.value.typedConfig['@type'],
               'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm');
  assert.deepEqual(envoyFilterProblems(filter, '1.30'), []);
  assert.deepEqual(envoyFilterProblems(filter, '1.31'), []);
  assert.doesNotMatch(stderr, /warning: the module/);
  const help = sb.run(['deploy', 'istio', '--help']);
  assert.match(help.stdout, /--istio-version TEXT=1\.30/);
});

test('deploy envoy-gateway renders an EnvoyExtensionPolicy valid for Envoy Gateway v1.9', () => {
  const r = sb.run(['deploy', 'envoy-gateway', 'localhost:5000/f/any:v1', '--id', 'add-header', '-n', 'gw',
                    '--target-ref', 'Gateway/eg', '--target-ref', 'HTTPRoute/backend', '--config', CONFIG,
                    '--fail-open', '--pull-secret', 'regcred', '--image-pull-policy', 'IfNotPresent']);
  expectStatus(assert, r, 0);
  const [policy] = docs(r.stdout);
  const eg = (o) => problems(o, 'envoy-gateway-v1.9.0', 'envoyextensionpolicy.v1alpha1.json');
  assert.deepEqual(eg(policy), []);
  assert.equal(policy.metadata.namespace, 'gw');
  assert.deepEqual(policy.spec.targetRefs.map((t) => `${t.kind}/${t.name}`), ['Gateway/eg', 'HTTPRoute/backend']);
  const wasm = policy.spec.wasm[0];
  const inspect = sb.run(['inspect', 'localhost:5000/f/any:v1', '-o', 'json']).json();
  // sha256 is the manifest digest: Envoy Gateway compares it with the image's digest
  assert.equal(wasm.code.image.sha256, inspect.manifestDigest.replace('sha256:', ''));
  assert.deepEqual(wasm.config, { value: 'hi-from-wasme' });
  assert.equal(wasm.failOpen, true);
  assert.equal(wasm.rootID, 'root');
  const broken = structuredClone(policy);
  broken.spec.wasm[0].code.type = 'Tarball';
  assert.notDeepEqual(eg(broken), []);
  const json = sb.run(['deploy', 'envoy-gateway', 'localhost:5000/f/any:v1', '--id', 'add-header', '--target-ref', 'Gateway/eg', '-o', 'json']);
  expectStatus(assert, json, 0);
  assert.equal(json.json().kind, 'EnvoyExtensionPolicy');
  for (const [args, text] of [[['--target-ref', 'Service/x'], /invalid --target-ref "Service\/x"/],
                              [['--target-ref', 'Gateway/eg', '--config', '{oops'], /must be JSON/],
                              [[], /--target-ref is required/]]) {
    const bad = sb.run(['deploy', 'envoy-gateway', 'localhost:5000/f/any:v1', '--id', 'x', ...args]);
    expectStatus(assert, bad, 2);
    assert.match(bad.stderr, text);
  }
});

test('modules of every ABI built by clang: inspect names the ABI, deploy warns exactly where Istio cannot load it', () => {
  const source = path.join(FIXTURES, 'src', 'abi_filter.c');
  const abis = {
    'istio-1.4': ['-DABI_ISTIO_1_4'],
    'pre-0.1.0': ['-DABI_PRE_0_1_0'],
    'v0.1.0': ['-DABI_VERSION=proxy_abi_version_0_1_0'],
    'v0.2.0': ['-DABI_VERSION=proxy_abi_version_0_2_0'],
    'v0.2.1': ['-DABI_VERSION=proxy_abi_version_0_2_1'],
  };
  // The first line that loads each ABI (none: no release does).
  const first = { 'istio-1.4': '1.4', 'pre-0.1.0': null, 'v0.1.0': '1.5', 'v0.2.0': '1.7', 'v0.2.1': '1.8' };
  const loads = (abi, v) => (abi === 'istio-1.4' ? v === '1.4' : first[abi] !== null && at(v, Number(first[abi].split('.')[1])));
  for (const [abi, flags] of Object.entries(abis)) {
    const out = sb.path(`${abi}.wasm`);
    const cc = spawnSync('clang', ['--target=wasm32-unknown-unknown', '-O2', '-nostdlib', '-Wl,--no-entry', ...flags, '-o', out, source],
                         { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const ref = `localhost:5000/abi/${abi.replace(/\./g, '-')}:v1`;
    const built = sb.run(['build', 'precompiled', out, '-t', ref, '--root-id', 'root']);
    expectStatus(assert, built, 0);
    assert.equal(/no Istio release loads it/.test(built.stderr), abi === 'pre-0.1.0', built.stderr);
    for (const v of ['1.4', '1.5', '1.6', '1.7', '1.8', '1.16', '1.30']) {
      const inspect = sb.run(['inspect', ref, '--istio-version', v, '-o', 'json']).json();
      assert.match(inspect.moduleAbi, new RegExp(`^${abi.replace(/\./g, '\\.')}`));
      assert.equal(inspect.istio.loadsModule, loads(abi, v), `${abi} on ${v}`);
      const r = sb.run(['deploy', 'istio', ref, '--id', 'test', '-l', 'app=x', '--port', '9080', '--istio-version', v]);
      expectStatus(assert, r, 0);
      assert.equal(/warning: the module/.test(r.stderr), !loads(abi, v), `${abi} on ${v}: ${r.stderr}`);
    }
  }
});
