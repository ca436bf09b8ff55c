// wasme build cpp with real Bazel and real clang: `init` makes the offline template, one
// Bazel build (shared by the tests in this file) turns it into a stored image, `inspect`
// reports its root id and ABI, and `wasme test` runs the built module in wasme's own
// proxy-wasm host. Failure paths: no Bazel, a compile error, a missing output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Sandbox, expectStatus, snapshotTree, sha256Hex } from './lib/harness.mjs';

const sb = new Sandbox('wasme-build-');
const ws = sb.path('filter');
const REF = 'localhost:5000/filter:v0.1';
// Bazel's server and caches live in the sandbox; no sandboxing of actions (noise only).
const outputRoot = sb.path('bazel-root');
const bazelFlags = [`--bazel-startup-opt=--output_user_root=${outputRoot}`, '--bazel-opt=--spawn_strategy=local'];
let built;  // the first build's result

function build(args = [], opts = {}) {
  return sb.run(['build', 'cpp', ws, ...bazelFlags, ...args], opts);
}

before(() => {
  expectStatus(assert, sb.run(['init', ws, '--template', 'cpp-offline']), 0);
  built = build(['-t', REF, '-o', 'json']);
});

after(() => {
  spawnSync('bazel', [`--output_user_root=${outputRoot}`, 'shutdown'], { cwd: ws, env: sb.env, stdio: 'ignore' });
  spawnSync('chmod', ['-R', 'u+w', sb.dir]);  // Bazel leaves read-only trees behind
  sb.cleanup();
});

test('real Bazel builds the offline template and the image is stored', () => {
  expectStatus(assert, built, 0);
  const out = built.json();  // stdout is only the JSON: Bazel's output went to stderr
  assert.equal(out.reference, 'localhost:5000/filter:v0.1');
  assert.deepEqual(out.rootIds, ['add_header_root_id']);
  assert.deepEqual(out.abiVersions, ['v0.2.1']);
  assert.equal(out.builtFile, path.join(ws, 'bazel-bin', 'filter.wasm'));
  assert.match(built.stderr, /wasme: running: \S*bazel\S* --output_user_root=\S+ build :filter\.wasm --spawn_strategy=local \(in /);
  assert.match(built.stderr, /Build completed successfully/);
  assert.doesNotMatch(built.stderr, /wasme: warning/);
  const bytes = fs.readFileSync(path.join(ws, 'bazel-bin', 'filter.wasm'));
  assert.equal(`sha256:${sha256Hex(bytes)}`, out.wasmDigest);
});

test('inspect shows the root id and ABI 0.2.1', () => {
  const json = sb.run(['inspect', REF, '-o', 'json']);
  expectStatus(assert, json, 0);
  const info = json.json();
  assert.deepEqual(info.rootIds, ['add_header_root_id']);
  assert.equal(info.moduleAbi, 'v0.2.1');
  assert.deepEqual(info.abiVersions, ['v0.2.1']);
  assert.ok(info.exports.some((e) => e.name === 'proxy_abi_version_0_2_1'));
  assert.ok(info.imports.every((i) => i.module === 'env' && i.name.startsWith('proxy_')));
  const text = sb.run(['inspect', REF]);
  expectStatus(assert, text, 0);
  assert.match(text.stdout, /add_header_root_id/);
  assert.match(text.stdout, /0\.2\.1/);
  const list = sb.run(['list', '-o', 'json']);
  expectStatus(assert, list, 0);
  assert.match(list.stdout, /localhost:5000\/filter/);
});

test('wasme test runs the stored filter without Envoy: it adds the configured header', () => {
  const cases = (config, extra = '') => sb.write(`cases-${Math.random().toString(36).slice(2)}.yaml`, `config: '${config}'
cases:
  - name: adds the header
    request: {headers: {":method": GET, ":path": /, ":authority": example.com}}
    upstream: {status: 200, headers: {content-type: text/plain}, body: hello}
    expect:
      status: 200
      headers: {newheader: hi, content-type: text/plain, server: null}
      body: hello
      upstreamHeaders: {newheader: null}
      logs: ["add-header filter started, root id add_header_root_id"]
  - name: every stream gets it
    expect: {headers: {newheader: hi}}
${extra}`);
  // The cases the template ships pass as they are.
  const shipped = sb.run(['test', REF, path.join(ws, 'cases.yaml')]);
  expectStatus(assert, shipped, 0);
  assert.match(shipped.stdout, /^2 passed, 0 failed$/m);

  const r = sb.run(['test', REF, cases('{"value":"hi"}')]);
  expectStatus(assert, r, 0);
  assert.equal(r.stdout, 'PASS adds the header\nPASS every stream gets it\n2 passed, 0 failed\n');

  // A wrong expectation fails with what was expected and what came, exit 1.
  const wrong = sb.run(['test', REF, cases('{"value":"hi"}', '  - {name: wrong, expect: {headers: {newheader: bye}}}\n')]);
  expectStatus(assert, wrong, 1);
  assert.match(wrong.stdout, /^FAIL wrong: header newheader: expected "bye", got "hi"$/m);
  assert.match(wrong.stdout, /^2 passed, 1 failed$/m);

  const named = sb.run(['test', REF, sb.write('named.yaml', `config: '{"name": "x-greeting", "value": "h\\u00e9llo", "extra": [1, {"a": null}]}'
cases: [{name: named, expect: {headers: {x-greeting: "héllo", newheader: null}}}]
`)]);
  expectStatus(assert, named, 0);

  // A configuration the filter refuses fails every case with the reason and the filter's log.
  for (const bad of ['', 'not json', '{"value": 7}', '{"name": "x"}', '{"value": "x"} trailing']) {
    const refused = sb.run(['test', REF, cases(bad), '-o', 'json']);
    expectStatus(assert, refused, 1);
    const report = refused.json();
    assert.equal(report.failed, 2, bad);
    assert.match(report.files[0].cases[0].failures[0], /proxy_on_configure returned false/);
    assert.ok(report.files[0].cases[0].logs.some((l) => l.startsWith('error: add-header: bad configuration')), bad);
  }
});

test('a rebuild is cached and reproducible; startup options also come from WASME_BAZEL_STARTUP_OPTS', () => {
  const r = sb.run(['build', 'cpp', ws, '--bazel-opt=--spawn_strategy=local', '-t', 'localhost:5000/filter:v0.2', '-o', 'json'],
    { env: { WASME_BAZEL_STARTUP_OPTS: `--output_user_root=${outputRoot}` } });
  expectStatus(assert, r, 0);
  assert.equal(r.json().wasmDigest, built.json().wasmDigest);
  assert.equal(r.json().manifestDigest, built.json().manifestDigest);
  assert.match(r.stderr, /--output_user_root=/);
});

test('a config whose ABI disagrees with the module is stored with a warning', () => {
  sb.write('istio14.json', JSON.stringify({ type: 'envoy_proxy',
    abiVersions: ['v0-6d525c67f39b36cdff9d688697f266c1b55e9cb7'], config: { rootIds: ['add_header_root_id'] } }));
  const r = build(['-t', 'localhost:5000/filter:mismatch', '-c', sb.path('istio14.json')]);
  expectStatus(assert, r, 0);
  assert.match(r.stderr, /wasme: warning: .*0\.2\.1/);
  assert.match(r.stdout, /^stored localhost:5000\/filter:mismatch\nmanifest digest: sha256:[0-9a-f]{64}\nwasm sha256: +[0-9a-f]{64}\n$/);
});

test('a compile error: Bazel\'s message and exit status reach the user, nothing is stored', () => {
  const source = path.join(ws, 'filter.cc');
  const good = fs.readFileSync(source, 'utf8');
  const store = snapshotTree(sb.store);
  try {
    fs.writeFileSync(source, `${good}\nthis_is_not_cpp;\n`);
    const r = build(['-t', 'localhost:5000/filter:broken']);
    expectStatus(assert, r, 1);  // Bazel's "build failed" status
    assert.match(r.stderr, /filter\.cc:\d+:\d+: error: /);  // clang's message, through Bazel
    assert.match(r.stderr, /this_is_not_cpp/);
    assert.match(r.stderr, /wasme: error: building \S+: bazel build :filter\.wasm failed: exit status 1\n/);
    assert.equal(r.stdout, '');
  } finally {
    fs.writeFileSync(source, good);
  }
  // Bazel's own status, whatever it is: 2 for a bad command line.
  const badFlag = build(['-t', 'localhost:5000/filter:broken', '--bazel-opt=--no_such_bazel_flag']);
  expectStatus(assert, badFlag, 2);
  assert.match(badFlag.stderr, /no_such_bazel_flag/);
  assert.match(badFlag.stderr, /bazel build :filter\.wasm failed: exit status 2/);
  assert.deepEqual(snapshotTree(sb.store), store);
});

test('an output the target does not write is reported with what to do', () => {
  const r = build(['-t', 'localhost:5000/filter:x', '-f', 'missing.wasm']);
  expectStatus(assert, r, 1);
  assert.match(r.stderr, /Bazel built :filter\.wasm but bazel-bin\/missing\.wasm does not exist/);
  assert.match(r.stderr, /hint: name the file the target writes with --bazel-output/);
});

test('no Bazel: say so and how to install it', () => {
  const emptyBin = sb.path('empty-bin');
  fs.mkdirSync(emptyBin, { recursive: true });
  const r = sb.run(['build', 'cpp', ws, '-t', 'localhost:5000/filter:x'], { env: { PATH: emptyBin } });
  expectStatus(assert, r, 1);
  assert.match(r.stderr, /wasme: error: building \S+: Bazel is not installed: neither bazelisk nor bazel is on PATH/);
  assert.match(r.stderr, /hint: install Bazel: `apt-get install bazel-bootstrap`.*bazelisk/);
  const flag = sb.run(['build', 'cpp', ws, '-t', 'localhost:5000/filter:x', '--bazel', sb.path('nope', 'bazel')]);
  expectStatus(assert, flag, 1);
  assert.match(flag.stderr, /--bazel names \S+nope\/bazel, which is not an executable file/);
});

test('the emscripten toolchain of cpp-istio-1.4 passes Bazel analysis offline', () => {
  // Its build needs network, but the C++ toolchain definition (toolchain/) loads only
  // @bazel_tools: Bazel can analyze it here, inside the offline workspace's server.
  const old = sb.path('istio14');
  expectStatus(assert, sb.run(['init', old, '--template', 'cpp-istio-1.4']), 0);
  fs.cpSync(path.join(old, 'toolchain'), path.join(ws, 'toolchain'), { recursive: true });
  try {
    const r = spawnSync('bazel', [`--output_user_root=${outputRoot}`, 'build', '--spawn_strategy=local',
      '//toolchain:wasm_toolchain_config'], { cwd: ws, env: sb.env, encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    const q = spawnSync('bazel', [`--output_user_root=${outputRoot}`, 'query', 'kind("cc_toolchain", //toolchain:*)'],
      { cwd: ws, env: sb.env, encoding: 'utf8', timeout: 300_000 });
    assert.equal(q.status, 0, q.stderr);
    assert.match(q.stdout, /\/\/toolchain:wasm_toolchain\n/);
  } finally {
    fs.rmSync(path.join(ws, 'toolchain'), { recursive: true, force: true });
  }
});

test('a directory that is not a Bazel workspace is refused before anything runs', () => {
  fs.mkdirSync(sb.path('plain'), { recursive: true });
  const r = sb.run(['build', 'cpp', sb.path('plain'), '-t', 'localhost:5000/filter:x']);
  expectStatus(assert, r, 1);
  assert.match(r.stderr, /plain is not a Bazel workspace \(it has no WORKSPACE file\)/);
  assert.match(r.stderr, /wasme init DIR/);
  const usage = sb.run(['build', 'cpp', ws]);
  expectStatus(assert, usage, 2);
});
