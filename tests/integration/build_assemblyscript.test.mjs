// AssemblyScript from init to a stored image, with the real compiler and runtime from npm:
// `init --language assemblyscript`, `wasme build DIR` (picks the language), `inspect` (ABI
// 0.2.0, the root id), and `wasme test` running the built module adding its header. Failure
// paths: a compile error, node_modules missing or stale, no npm, a directory of no language.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Sandbox, expectStatus, snapshotTree } from './lib/harness.mjs';

const sb = new Sandbox('wasme-as-');
const dir = sb.path('as-filter');
const REF = 'localhost:5000/as-filter:v0.1';
let built;

before(() => {
  expectStatus(assert, sb.run(['init', dir, '--language', 'assemblyscript']), 0);
  built = sb.run(['build', dir, '-t', REF, '-o', 'json']);  // no language named: package.json says it
});

after(() => sb.cleanup());

test('init and build: npm ci fetches the pinned compiler, asc compiles, the image is stored', () => {
  expectStatus(assert, built, 0);
  const out = built.json();  // stdout is only the JSON: npm's and asc's output went to stderr
  assert.deepEqual(out.rootIds, ['add_header_root_id']);
  assert.deepEqual(out.abiVersions, ['v0.2.0']);
  assert.equal(out.builtFile, path.join(dir, 'build', 'filter.wasm'));
  assert.match(built.stderr, /wasme: running: npm ci --no-audit --no-fund \(in /);
  assert.match(built.stderr, /wasme: running: node \S+node_modules\/\.bin\/asc assembly\/index\.ts -b build\/filter\.wasm --use abort=abort_proc_exit --optimize/);
  const lock = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', '.package-lock.json'), 'utf8'));
  assert.equal(lock.packages['node_modules/assemblyscript'].version, '0.14.9');
  assert.equal(lock.packages['node_modules/@solo-io/proxy-runtime'].version, '0.1.8');
});

test('inspect reads ABI 0.2.0 from the module and the root id from runtime-config.json', () => {
  const info = sb.run(['inspect', REF, '-o', 'json']).json();
  assert.equal(info.moduleAbi, 'v0.2.0');
  assert.deepEqual(info.rootIds, ['add_header_root_id']);
  assert.ok(info.exports.some((e) => e.name === 'proxy_abi_version_0_2_0'));
});

test('wasme test runs the built filter: it adds the configured header, and refuses bad configuration', () => {
  const shipped = sb.run(['test', REF, path.join(dir, 'cases.yaml')]);
  expectStatus(assert, shipped, 0);
  assert.equal(shipped.stdout, 'PASS adds the configured header to responses\nPASS leaves requests alone\n2 passed, 0 failed\n');
  const named = sb.write('named.yaml', `config: '{"name": "x-greeting", "value": "h\\u00e9llo"}'
cases: [{name: named, expect: {headers: {x-greeting: "héllo", newheader: null}}}]
`);
  expectStatus(assert, sb.run(['test', REF, named]), 0);
  const bad = sb.write('bad.yaml', `config: '{"value": 7}'
cases: [{name: refused, expect: {status: 200}}]
`);
  const r = sb.run(['test', REF, bad, '-o', 'json']);
  expectStatus(assert, r, 1);
  const c = r.json().files[0].cases[0];
  assert.match(c.failures[0], /proxy_on_configure returned false/);
  assert.ok(c.logs.includes('error: add-header: bad configuration: "value" must be a string'), c.logs.join('\n'));
});

test('node_modules is installed only when missing or older than the lock', () => {
  const again = sb.run(['build', 'assemblyscript', dir, '-t', 'localhost:5000/as-filter:v0.2', '-o', 'json']);
  expectStatus(assert, again, 0);
  assert.doesNotMatch(again.stderr, /npm ci/);
  assert.equal(again.json().wasmDigest, built.json().wasmDigest);  // the same input compiles to the same bytes

  const future = new Date(Date.now() + 60_000);
  fs.utimesSync(path.join(dir, 'package-lock.json'), future, future);  // the lock changed after the install
  const stale = sb.run(['build', 'assemblyscript', dir, '-t', 'localhost:5000/as-filter:v0.3']);
  expectStatus(assert, stale, 0);
  assert.match(stale.stderr, /running: npm ci/);

  fs.rmSync(path.join(dir, 'node_modules'), { recursive: true });
  const fresh = sb.run(['build', 'assemblyscript', dir, '-t', 'localhost:5000/as-filter:v0.4']);
  expectStatus(assert, fresh, 0);
  assert.match(fresh.stderr, /running: npm ci/);
  assert.ok(fs.existsSync(path.join(dir, 'node_modules', '.bin', 'asc')));
});

test('a compile error exits with the compiler\'s status and message; nothing is stored', () => {
  const source = path.join(dir, 'assembly', 'index.ts');
  const good = fs.readFileSync(source, 'utf8');
  fs.writeFileSync(source, `${good}\nlet broken: i32 = "not a number";\n`);
  try {
    const before = snapshotTree(sb.store);
    const r = sb.run(['build', 'assemblyscript', dir, '-t', 'localhost:5000/as-filter:broken']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /ERROR TS2322: Type '~lib\/string\/String' is not assignable to type 'i32'/);
    assert.match(r.stderr, /wasme: error: building \S+: asc assembly\/index\.ts failed: exit status \d+/);
    assert.equal(r.status, Number(/exit status (\d+)/.exec(r.stderr)[1]));
    assert.deepEqual(snapshotTree(sb.store), before);
    assert.ok(!fs.existsSync(path.join(dir, 'build', 'filter.wasm')), 'no stale module is left to be stored');
  } finally {
    fs.writeFileSync(source, good);
  }
});

test('no npm, no project, no language: clear errors naming what to do', () => {
  const other = sb.path('no-modules');
  expectStatus(assert, sb.run(['init', other, '--language', 'assemblyscript']), 0);
  const noNpm = sb.run(['build', 'assemblyscript', other, '-t', 'localhost:5000/x:v1'], { env: { PATH: sb.path('empty-bin') } });
  expectStatus(assert, noNpm, 1);
  assert.match(noNpm.stderr, /npm is not installed/);
  assert.match(noNpm.stderr, /hint: install Node\.js and npm \(Debian: apt-get install nodejs npm\)/);

  fs.mkdirSync(sb.path('plain'));
  const notAs = sb.run(['build', 'assemblyscript', sb.path('plain'), '-t', 'localhost:5000/x:v1']);
  expectStatus(assert, notAs, 1);
  assert.match(notAs.stderr, /is not an AssemblyScript project \(no package\.json depending on assemblyscript\)/);
  const unknown = sb.run(['build', sb.path('plain'), '-t', 'localhost:5000/x:v1']);
  expectStatus(assert, unknown, 2);
  assert.match(unknown.stderr, /cannot tell the language of \S+plain/);
});
