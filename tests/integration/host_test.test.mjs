// `wasme test` and `wasme run` without Envoy: a proxy-wasm filter written in C against the
// bare ABI (tests/fixtures/src/host_filter.c), built by clang, runs in wasme's host. Each of
// its behaviours (local replies, HTTP calls, metrics, shared data, queues, ticks, bodies,
// properties, WASI) passes the cases that describe it and fails the ones that do not; traps,
// endless loops and runaway memory fail the stream as Envoy would, and never the process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Sandbox, expectStatus, FIXTURES } from './lib/harness.mjs';

const sb = new Sandbox('wasme-host-');
const SOURCE = path.join(FIXTURES, 'src', 'host_filter.c');
let plain;  // host_filter.wasm, no libc
let wasi;   // the same filter built for wasm32-wasi against wasi-libc

function clang(args) {
  const r = spawnSync('clang', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

before(() => {
  plain = sb.path('host_filter.wasm');
  clang(['--target=wasm32-unknown-unknown', '-O2', '-nostdlib', '-Wl,--no-entry', '-o', plain, SOURCE]);
  wasi = sb.path('host_filter_wasi.wasm');
  clang(['--target=wasm32-wasi', '-DWITH_WASI', '-O2', '-mexec-model=reactor', '-Wl,--export=malloc', '-o', wasi, SOURCE]);
});

after(() => sb.cleanup());

function cases(name, text) { return sb.write(`${name}.yaml`, text); }

// Runs `wasme test` and returns {status, lines} with the report's lines.
function wasmeTest(module, file, extra = []) {
  const r = sb.run(['test', module, file, ...extra]);
  return { ...r, lines: r.stdout.trim().split('\n') };
}

test('each behaviour passes the cases that describe it', () => {
  const files = {
    deny: `config: deny
cases:
  - name: denied without x-allow
    expect: {status: 403, headers: {x-denied: "1", content-type: text/plain}, body: forbidden}
  - name: allowed with x-allow
    request: {headers: {x-allow: "yes"}}
    upstream: {body: ok}
    expect: {status: 200, body: ok, upstreamHeaders: {x-allow: "yes"}}
`,
    call: `config: call
cases:
  - name: authorized
    httpCalls: [{cluster: auth, status: 200, body: alice}]
    expect: {status: 200, upstreamHeaders: {x-auth: alice}}
  - name: refused
    httpCalls: [{cluster: auth, status: 403}]
    expect: {status: 401, body: unauthorized}
  - name: the call fails
    httpCalls: [{fail: true}]
    expect: {status: 401}
`,
    metrics: `config: metrics
cases:
  - name: one
    request: {headers: {":path": /abc}}
    expect: {metrics: {requests_total: 1, last_path_length: 4}}
  - name: two
    expect: {metrics: {requests_total: 2, last_path_length: 1}}
`,
    shared: `config: shared
cases:
  - {name: first, expect: {headers: {x-hits: "1"}}}
  - {name: second, expect: {headers: {x-hits: "2"}}}
`,
    tick: `config: tick
cases:
  - {name: three ticks, ticks: 3, expect: {metrics: {ticks: 3}, logs: [tick]}}
`,
    queue: `config: queue
cases:
  - {name: queued, request: {headers: {":path": /q1}}, expect: {logs: ["dequeued /q1"]}}
`,
    body: `config: body
cases:
  - name: bodies
    request: {headers: {":method": POST}, body: hello}
    upstream: {body: world}
    expect: {status: 200, upstreamBody: HELLO, body: "world (seen by wasme)"}
`,
    props: `config: props
rootId: my_root
cases:
  - name: properties
    request: {headers: {":path": "/p?x=1", ":method": PUT}}
    expect: {upstreamHeaders: {x-path: "/p?x=1", x-root: my_root, x-method: PUT, x-source: "127.0.0.1:40001"}}
`,
  };
  for (const [name, text] of Object.entries(files)) {
    const r = wasmeTest(plain, cases(name, text));
    expectStatus(assert, r, 0);
    assert.ok(r.lines.slice(0, -1).every((l) => l.startsWith('PASS ')), `${name}: ${r.stdout}`);
    assert.match(r.lines.at(-1), /^\d+ passed, 0 failed$/);
  }
  const w = wasmeTest(wasi, cases('wasi', `config: wasi
cases: [{name: wasi, expect: {logs: ["info: configured through wasi at"]}}]
`), ['-o', 'json']);
  expectStatus(assert, w, 0);
});

test('and fails the cases that do not, saying what was expected and what came', () => {
  const r = wasmeTest(plain, cases('wrong', `config: call
cases:
  - name: wrong status
    httpCalls: [{cluster: auth, status: 200, body: alice}]
    expect: {status: 201, upstreamHeaders: {x-auth: bob}}
  - name: unanswered call
    expect: {status: 401}
  - name: wrong cluster and an answer too many
    httpCalls: [{cluster: other, status: 200, body: x}, {status: 200}]
  - name: logs and metrics
    httpCalls: [{status: 500}]
    expect: {logs: [never said], metrics: {nothing: 1}, body: unauthorized, headers: {content-type: null}}
`));
  expectStatus(assert, r, 1);
  assert.deepEqual(r.lines, [
    'FAIL wrong status: status: expected 201, got 200; upstream header x-auth: expected "bob", got "alice"',
    'FAIL unanswered call: the filter made HTTP call 1 (to "auth") but the case answers only 0',
    'FAIL wrong cluster and an answer too many: the case answers 2 HTTP calls but the filter made 1; HTTP call 1: expected cluster "other", got "auth"',
    'FAIL logs and metrics: header content-type: expected absent, got "text/plain"; log: no line contains "never said"; metric nothing: expected 1, it was never defined',
    '0 passed, 4 failed',
  ]);
});

test('a trap, an endless loop and runaway memory fail the stream with 503 and name the callback', () => {
  const trap = wasmeTest(plain, cases('trap', `config: trap
cases:
  - {name: trap fails the stream, expect: {status: 503, vmFailure: "proxy_on_request_headers: unreachable"}}
  - {name: the VM stays failed, expect: {status: 503, vmFailure: "failed earlier"}}
  - {name: unexpected, expect: {status: 200}}
`));
  expectStatus(assert, trap, 1);
  assert.equal(trap.lines[0], 'PASS trap fails the stream');
  assert.equal(trap.lines[1], 'PASS the VM stays failed');
  assert.match(trap.lines[2], /^FAIL unexpected: status: expected 200, got 503 \(the VM failed earlier: proxy_on_request_headers: unreachable executed\)/);

  const loop = wasmeTest(plain, cases('loop', `config: loop
cases: [{name: endless loop, expect: {status: 503, vmFailure: "proxy_on_request_headers: ran out of its budget of 2000000 instructions"}}]
`), ['--max-instructions', '2000000']);
  expectStatus(assert, loop, 0);

  const grow = wasmeTest(plain, cases('grow', `config: grow
cases: [{name: memory, expect: {status: 503, vmFailure: "MiB of the 8 MiB allowed; if it ran out, raise --max-memory"}}]
`), ['--max-memory', '8MiB']);
  expectStatus(assert, grow, 0);
});

test('modules the host cannot run are refused at load, naming why', () => {
  const wat = (name, text) => {
    const src = sb.write(`${name}.wat`, text);
    const out = sb.path(`${name}.wasm`);
    const r = spawnSync('wat2wasm', [src, '-o', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return out;
  };
  const file = cases('one', 'cases: [{name: one}]\n');
  const noAbi = sb.run(['test', wat('noabi', '(module (memory (export "memory") 1) (func (export "malloc") (param i32) (result i32) i32.const 0))'), file]);
  expectStatus(assert, noAbi, 1);
  assert.match(noAbi.stderr, /exports no proxy_abi_version_\* function: it is not a proxy-wasm filter/);
  const unknown = sb.run(['test', wat('unknown', `(module
    (import "env" "proxy_teleport" (func (param i32)))
    (import "env" "proxy_log" (func (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "proxy_abi_version_0_2_1"))
    (func (export "malloc") (param i32) (result i32) i32.const 0))`), file]);
  expectStatus(assert, unknown, 1);
  assert.match(unknown.stderr, /imports what wasme's host does not provide: env\.proxy_teleport, env\.proxy_log/);
  const missing = sb.run(['test', sb.path('nope.wasm'), file]);
  expectStatus(assert, missing, 1);
  assert.match(missing.stderr, /nope\.wasm: not a readable \.wasm file/);
});

test('a malformed cases file exits 2 naming the file, line and field; nothing runs', () => {
  const bad = {
    'cases: [{name: a, expect: {stauts: 200}}]\n': /bad\.yaml:1: cases\[0\]\.expect\.stauts: unknown field/,
    'cases:\n  - name: a\n    expect:\n      status: 99\n': /bad\.yaml:4: cases\[0\]\.expect\.status: must be an HTTP status from 100 to 599, not "99"/,
    'cases: []\n': /bad\.yaml:1: cases: missing or empty/,
    'cases:\n  - name: a\n  - name: a\n': /bad\.yaml:3: cases\[1\]\.name: "a" is used twice/,
    'cases: [{name: a\n': /bad\.yaml: line \d+: not valid YAML/,
    [`cases: ${'['.repeat(5000)}`]: /nested deeper than 256 levels/,
    [`cases:\n${'- '.repeat(5000)}x\n`]: /nested deeper than 256 levels/,
    'config: &a {k: *a}\ncases: [{name: a}]\n': /config: nested deeper than 256 levels \(an alias loop\?\)/,
    'cases: [{name: a, expect: {headers: {? [x] : "1"}}}]\n': /cases\[0\]\.expect\.headers: keys must be strings/,
    'cases: [{name: a, ticks: 2, expect: {upstreamBody: x}}]\n': /a ticks-only case \(no request\) cannot expect/,
  };
  for (const [text, message] of Object.entries(bad)) {
    const r = sb.run(['test', plain, cases('bad', text)]);
    expectStatus(assert, r, 2);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
});

test('--junit writes a report CI systems read; -o json carries the same', () => {
  const file = cases('mixed', `config: deny
cases:
  - {name: "denied <&>", expect: {status: 403}}
  - {name: wrong, expect: {status: 200}}
`);
  const junit = sb.path('report.xml');
  const r = sb.run(['test', plain, file, '--junit', junit, '-o', 'json']);
  expectStatus(assert, r, 1);
  const xml = fs.readFileSync(junit, 'utf8');
  assert.match(xml, /<testsuite name="[^"]*mixed\.yaml" tests="2" failures="1"/);
  assert.match(xml, /<testcase name="denied &lt;&amp;&gt;"/);
  assert.match(xml, /<failure message="status: expected 200, got 403">/);
  const json = r.json();
  assert.equal(json.passed, 1);
  assert.equal(json.failed, 1);
  assert.deepEqual(json.files[0].cases[1].failures, ['status: expected 200, got 403']);
});

test('the ABI comes from the exports: 0.1.0, 0.2.0 and 0.2.1 run with their own callbacks, older ones are refused', () => {
  const source = path.join(FIXTURES, 'src', 'abi_filter.c');
  const build = (name, flags) => {
    const out = sb.path(`${name}.wasm`);
    clang(['--target=wasm32-unknown-unknown', '-O2', '-nostdlib', '-Wl,--no-entry', ...flags, '-o', out, source]);
    return out;
  };
  const file = cases('abi', `cases:
  - {name: get, expect: {status: 200, logs: [configured, "request headers"]}}
  - {name: post, request: {body: x}, expect: {status: 200}}
`);
  const runs = {
    '0.1.0': [['-DABI_VERSION=proxy_abi_version_0_1_0', '-DABI_0_1_0_CALLBACKS'], 'request headers (0.1.0)'],
    '0.2.0': [['-DABI_VERSION=proxy_abi_version_0_2_0'], 'request headers, end of stream'],
    '0.2.1': [['-DABI_VERSION=proxy_abi_version_0_2_1'], 'request headers, end of stream'],
  };
  for (const [abi, [flags, line]] of Object.entries(runs)) {
    const r = sb.run(['test', build(abi, flags), file, '-o', 'json']);
    expectStatus(assert, r, 0);
    const logs = r.json().files[0].cases.flatMap((c) => c.logs);
    assert.ok(logs.includes(`info: ${line}`), `${abi}: ${logs}`);
    // With a body, end_of_stream is false on the headers (0.2.x), as Envoy passes it.
    if (abi !== '0.1.0') assert.ok(logs.includes('info: request headers'), `${abi}: ${logs}`);
  }
  for (const [name, flags, message] of [['istio-1.4', ['-DABI_ISTIO_1_4'], /istio-1\.4.* ABI, which predates proxy-wasm 0\.1\.0/],
                                        ['pre', ['-DABI_PRE_0_1_0'], /predates proxy-wasm 0\.1\.0/]]) {
    const r = sb.run(['test', build(name, flags), file]);
    expectStatus(assert, r, 1);
    assert.match(r.stderr, message);
  }
});
