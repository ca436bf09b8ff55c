// wasme deploy envoy: an Envoy v3 bootstrap with the filter before the router, written with
// --out, printed when envoy is not on PATH, and run with `envoy -c` when it is.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { Sandbox, expectStatus, sha256Hex } from './lib/harness.mjs';
import { SEED_REF, SEED_MODULE, SEED_MODULE_SHA } from './lib/seed.mjs';
import { startRegistry } from './lib/registry.mjs';

let sb;
before(() => {
  sb = new Sandbox('wasme-deploy-envoy-');
  expectStatus(assert, sb.run(['build', 'precompiled', SEED_MODULE, '-t', SEED_REF, '--root-id', 'add_header_root_id']), 0);
});
after(() => sb.cleanup());

// PATH without any envoy, and with a stand-in that records how it was started.
const noEnvoy = { PATH: '/usr/bin:/bin' };

test('--out writes a v3 bootstrap: listener -> HCM -> wasm before router -> upstream; admin on loopback', () => {
  const out = sb.path('envoy.yaml');
  const r = sb.run(['deploy', 'envoy', SEED_REF, '--id', 'hdr', '--config', 'a: "b" # c', '--upstream', 'example.com:8080',
                    '--listen', '10000', '--admin-port', '10001', '--out', out]);
  expectStatus(assert, r, 0);
  assert.equal(r.stdout, '');
  const b = YAML.parse(fs.readFileSync(out, 'utf8'));
  assert.deepEqual(b.admin.address.socket_address, { address: '127.0.0.1', port_value: 10001 });
  const listener = b.static_resources.listeners[0];
  assert.equal(listener.address.socket_address.port_value, 10000);
  const hcm = listener.filter_chains[0].filters[0];
  assert.equal(hcm.name, 'envoy.filters.network.http_connection_manager');
  assert.equal(hcm.typed_config['@type'],
               'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
  assert.deepEqual(hcm.typed_config.http_filters.map((f) => f.name), ['envoy.filters.http.wasm', 'envoy.filters.http.router']);
  const wasm = hcm.typed_config.http_filters[0].typed_config;
  assert.equal(wasm['@type'], 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm');
  assert.equal(wasm.config.name, 'hdr');
  assert.equal(wasm.config.root_id, 'add_header_root_id');
  assert.deepEqual(wasm.config.configuration, { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: 'a: "b" # c' });
  assert.equal(wasm.config.vm_config.runtime, 'envoy.wasm.runtime.v8');
  const file = wasm.config.vm_config.code.local.filename;
  assert.ok(path.isAbsolute(file));
  assert.equal(sha256Hex(fs.readFileSync(file)), SEED_MODULE_SHA);  // the module itself, in the store
  assert.equal(hcm.typed_config.route_config.virtual_hosts[0].routes[0].route.cluster, 'upstream');
  const cluster = b.static_resources.clusters[0];
  assert.equal(cluster.name, 'upstream');
  assert.equal(cluster.type, 'STRICT_DNS');
  assert.deepEqual(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address,
                   { address: 'example.com', port_value: 8080 });
});

test('without envoy on PATH the bootstrap goes to stdout (YAML, or JSON with -o json)', () => {
  const r = sb.run(['deploy', 'envoy', SEED_REF, '--id', 'hdr', '--upstream', '[::1]:9080'], { env: noEnvoy });
  expectStatus(assert, r, 0);
  const b = YAML.parse(r.stdout);
  assert.equal(b.static_resources.clusters[0].type, 'STATIC');
  assert.equal(b.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address, '::1');
  assert.match(r.stderr, /envoy is not on PATH/);
  const j = sb.run(['deploy', 'envoy', SEED_REF, '--id', 'hdr', '-o', 'json'], { env: noEnvoy });
  expectStatus(assert, j, 0);
  assert.deepEqual(j.json(), YAML.parse(sb.run(['deploy', 'envoy', SEED_REF, '--id', 'hdr'], { env: noEnvoy }).stdout));
});

test('with envoy on PATH it runs `envoy -c BOOTSTRAP` and passes its exit status on', () => {
  const bin = sb.path('envoy-bin');
  fs.mkdirSync(bin, { recursive: true });
  const record = sb.path('envoy-args.txt');
  sb.write('envoy-bin/envoy', `#!/bin/sh\necho "$@" > ${record}\ncp "$2" ${record}.yaml\necho envoy-says-hi\nexit 7\n`, 0o755);
  const r = sb.run(['deploy', 'envoy', SEED_REF, '--id', 'hdr'], { env: { PATH: `${bin}:/usr/bin:/bin` } });
  assert.equal(r.status, 7, r.stderr);
  assert.equal(r.stdout, '');                 // envoy's own stdout goes to stderr
  assert.match(r.stderr, /envoy-says-hi/);
  assert.match(r.stderr, /envoy stopped: exit status 7/);
  const args = fs.readFileSync(record, 'utf8').trim().split(' ');
  assert.equal(args[0], '-c');
  const b = YAML.parse(fs.readFileSync(`${record}.yaml`, 'utf8'));
  assert.equal(b.static_resources.listeners[0].address.socket_address.port_value, 8080);
  assert.ok(!fs.existsSync(args[1]), 'the temporary bootstrap is removed afterwards');
});

test('bad --upstream, ports and a missing id are usage errors', () => {
  for (const args of [['--upstream', 'nohost'], ['--upstream', 'h:0'], ['--upstream', 'h:99999'], ['--upstream', '::1:80'],
                      ['--upstream', ':80'], ['--listen', '0'], ['--listen', '19000']]) {
    const r = sb.run(['deploy', 'envoy', SEED_REF, '--id', 'x', ...args], { env: noEnvoy });
    expectStatus(assert, r, 2);
    assert.equal(r.stdout, '');
  }
  expectStatus(assert, sb.run(['deploy', 'envoy', SEED_REF], { env: noEnvoy }), 2);
});

test('a compat image: the bootstrap names plugin.wasm extracted under WASME_HOME/modules/<sha256>', async () => {
  const reg = await startRegistry(sb, { name: 'compat' });
  try {
    const ref = `${reg.host}/team/compat:v1`;
    expectStatus(assert, sb.run(['push', '--format', 'compat', ref, SEED_MODULE]), 0);
    const env = { WASME_HOME: sb.path('compat-home') };
    expectStatus(assert, sb.run(['pull', ref], { env }), 0);
    const out = sb.path('compat-envoy.yaml');
    expectStatus(assert, sb.run(['deploy', 'envoy', ref, '--id', 'hdr', '--root-id', 'add_header_root_id', '--out', out], { env }), 0);
    const wasm = YAML.parse(fs.readFileSync(out, 'utf8')).static_resources.listeners[0].filter_chains[0].filters[0]
      .typed_config.http_filters[0].typed_config;
    const file = wasm.config.vm_config.code.local.filename;
    assert.equal(file, path.join(env.WASME_HOME, 'modules', SEED_MODULE_SHA));
    assert.equal(sha256Hex(fs.readFileSync(file)), SEED_MODULE_SHA);
  } finally {
    await reg.stop();
  }
});

test('--out naming a directory or a missing directory is an error that names it', () => {
  const dir = sb.path('outdir');
  fs.mkdirSync(dir, { recursive: true });
  const r = sb.run(['deploy', 'envoy', SEED_REF, '--id', 'hdr', '--out', dir]);
  expectStatus(assert, r, 1);
  assert.match(r.stderr, new RegExp(`writing ${dir}: it is a directory`));
  const missing = sb.run(['deploy', 'envoy', SEED_REF, '--id', 'hdr', '--out', sb.path('no/such/envoy.yaml')]);
  expectStatus(assert, missing, 1);
  assert.match(missing.stderr, /the directory \S*no\/such does not exist/);
  assert.doesNotMatch(missing.stderr + r.stderr, /wasme-tmp/);
  assert.deepEqual(fs.readdirSync(dir), []);
});
