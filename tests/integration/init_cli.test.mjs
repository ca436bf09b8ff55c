// wasme init: templates, choices without a terminal, the prompt on one, refusing non-empty
// directories, writing nothing outside the project, and the examples/ copy of cpp-istio-1.4.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Sandbox, expectStatus, WASME_BIN, SOURCE_DIR } from './lib/harness.mjs';

const sb = new Sandbox('wasme-init-');
after(() => sb.cleanup());

// Every file under dir with its bytes and whether it is executable; symlinks (not
// followed) with their targets, directories as entries of their own.
function tree(dir) {
  const out = {};
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isSymbolicLink()) out[rel] = { link: fs.readlinkSync(p) };
      else if (e.isDirectory()) walk(p);
      else out[rel] = { bytes: fs.readFileSync(p).toString('base64'), exec: (fs.statSync(p).mode & 0o100) !== 0 };
    }
    out[`${path.relative(dir, d)}/`] = { dir: true };
  };
  walk(dir);
  return out;
}
const files = (dir) => Object.fromEntries(Object.entries(tree(dir)).filter(([k]) => !k.endsWith('/')));
const snapshotTree = (dir) => (fs.existsSync(dir) ? tree(dir) : {});

test('init --list names every template with language, platforms and ABI', () => {
  const text = sb.run(['init', '--list']);
  expectStatus(assert, text, 0);
  assert.match(text.stdout, /^NAME\s+LANGUAGE\s+PLATFORMS\s+ABI\s+BUILD\n/);
  assert.match(text.stdout, /\ncpp-istio-1\.4\s+cpp\s+istio 1\.4\s+v0-6d525c67f39b36cdff9d688697f266c1b55e9cb7\s+downloads SDK\n/);
  assert.match(text.stdout, /\ncpp-offline\s+cpp\s+istio 1\.9\+, envoy 1\.17\+, gloo 1\.6\+\s+v0\.2\.1\s+offline\n/);
  const json = sb.run(['init', '--list', '-o', 'json']);
  expectStatus(assert, json, 0);
  const list = json.json();
  assert.deepEqual(list.map((t) => t.name), ['assemblyscript', 'cpp', 'cpp-istio-1.4', 'cpp-offline']);
  assert.match(text.stdout, /\nassemblyscript\s+assemblyscript\s+istio 1\.7\+, envoy 1\.15\+\s+v0\.2\.0\s+downloads SDK\n/);
  const offline = list.find((t) => t.name === 'cpp-offline');
  assert.equal(offline.abi, 'v0.2.1');
  assert.equal(offline.language, 'cpp');
  assert.equal(offline.needsNetwork, false);
  assert.deepEqual(offline.platforms[0], { name: 'istio', min: '1.9', max: '' });
});

test('every template renders: files, valid runtime-config.json, no placeholders, the target build expects', () => {
  const list = sb.run(['init', '--list', '-o', 'json']).json();
  for (const t of list) {
    const dir = sb.path('render', t.name);
    const r = sb.run(['init', dir, '--template', t.name, '--root-id', 'my_root', '-o', 'json']);
    expectStatus(assert, r, 0);
    const out = r.json();
    assert.equal(out.template, t.name);
    assert.equal(out.rootId, 'my_root');
    const written = files(dir);
    assert.deepEqual(Object.keys(written).sort(), [...out.files].sort(), t.name);
    const npm = t.language === 'assemblyscript';
    for (const must of npm ? ['package.json', 'package-lock.json', 'assembly/index.ts', 'README.md', 'runtime-config.json']
      : ['WORKSPACE', 'BUILD', 'README.md', 'runtime-config.json']) {
      assert.ok(written[must], `${t.name} has ${must}`);
    }
    assert.ok(!written['template.json'] && !written['.bazelversion'], `${t.name}: no template.json, no .bazelversion`);
    for (const [name, f] of Object.entries(written)) {
      const text = Buffer.from(f.bytes, 'base64').toString();
      assert.doesNotMatch(text, /\{\{[A-Z][A-Z0-9_]*\}\}/, `${t.name}/${name} has a leftover placeholder`);
      assert.equal(f.exec, name.endsWith('.sh'), `${t.name}/${name} mode`);
    }
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'runtime-config.json'), 'utf8'));
    assert.deepEqual(config, { type: 'envoy_proxy', abiVersions: [t.abi], config: { rootIds: ['my_root'] } });
    if (npm) {
      assert.ok(fs.readFileSync(path.join(dir, 'assembly', 'index.ts'), 'utf8').includes('"my_root"'),
        `${t.name}: the filter registers the root id`);
      continue;
    }
    // The stored image's config is what `build cpp` reads: the binary itself must accept it.
    const build = fs.readFileSync(path.join(dir, 'BUILD'), 'utf8');
    assert.match(build, /name = "filter\.wasm"|outs = \["filter\.wasm"\]/, `${t.name}: BUILD makes :filter.wasm`);
    assert.match(fs.readFileSync(path.join(dir, 'WORKSPACE'), 'utf8'), /workspace\(name = "[a-z][a-z0-9_]*"\)/);
    const sources = Object.keys(written).filter((f) => f.endsWith('.cc'));
    assert.ok(sources.some((f) => fs.readFileSync(path.join(dir, f), 'utf8').includes('"my_root"')),
      `${t.name}: the filter registers the root id`);
  }
});

test('examples/cpp-istio-1.4 is exactly what the cpp-istio-1.4 template renders', () => {
  // One source of truth: the template. Regenerate the example with
  //   rm -rf examples/cpp-istio-1.4 && wasme init examples/cpp-istio-1.4 --template cpp-istio-1.4
  const dir = sb.path('examples', 'cpp-istio-1.4');
  expectStatus(assert, sb.run(['init', dir, '--template', 'cpp-istio-1.4']), 0);
  const example = path.join(SOURCE_DIR, 'examples', 'cpp-istio-1.4');
  assert.deepEqual(files(example), files(dir),
    'examples/cpp-istio-1.4 drifted from templates/cpp-istio-1.4; regenerate it (see this test)');
});

test('without a terminal and without flags, init lists the choices and exits 2', () => {
  const before = snapshotTree(sb.dir);
  for (const args of [['init', sb.path('p1')], ['init', sb.path('p1'), '--language', 'cpp'],
    ['init', sb.path('p1'), '--platform', 'istio', '--disable-prompt']]) {
    const r = sb.run(args);
    expectStatus(assert, r, 2);
    assert.match(r.stderr, /wasme: error: (no template chosen|\d templates fit), and init may not ask \(no terminal, or --disable-prompt\)/);
    assert.match(r.stderr, /hint: pick one with --template NAME/);
    assert.match(r.stderr, /\n  cpp-offline \(cpp; istio 1\.9\+, envoy 1\.17\+, gloo 1\.6\+; ABI v0\.2\.1\)/);
    assert.equal(r.stdout, '');
  }
  assert.deepEqual(snapshotTree(sb.dir), before, 'a refused init writes nothing');
});

test('flags that leave one template need no question', () => {
  const r = sb.run(['init', 'old-istio', '--platform', 'istio', '--platform-version', '1.4.x']);
  expectStatus(assert, r, 0);
  assert.match(r.stdout, /^Created old-istio from template cpp-istio-1\.4 \(16 files\)\.\nNext:\n  wasme build cpp old-istio -t localhost:5000\/old-istio:v0\.1\n  wasme inspect localhost:5000\/old-istio:v0\.1\n$/);
  assert.match(r.stderr, /needs network access/);
  assert.ok(fs.existsSync(sb.path('old-istio', 'toolchain', 'emcc.sh')));
});

test('bad choices are usage errors naming what exists', () => {
  const cases = [
    [['--template', 'cpp-offlne'], /unknown template "cpp-offlne"/, /cpp, cpp-istio-1\.4, cpp-offline/],
    [['--language', 'rust'], /unknown language "rust"/, /choose one of: assemblyscript, cpp/],
    [['--platform', 'nginx'], /unknown platform "nginx"/, /envoy, gloo, istio/],
    [['--platform', 'istio', '--platform-version', 'one'], /"one" is not a version like 1\.9/, /./],
    [['--platform', 'istio', '--platform-version', '1.6'], /no template fits/, /cpp-istio-1\.4/],
    [['--template', 'cpp-offline', '--root-id', 'has space'], /root id "has space" contains ' '/, /letters, digits/],
  ];
  for (const [flags, message, hint] of cases) {
    const r = sb.run(['init', sb.path('bad'), ...flags]);
    expectStatus(assert, r, 2);
    assert.match(r.stderr, message);
    assert.match(r.stderr, hint);
  }
  assert.ok(!fs.existsSync(sb.path('bad')));
  const noDir = sb.run(['init']);
  expectStatus(assert, noDir, 2);
  assert.match(noDir.stderr, /init needs the directory to create/);
});

test('a non-empty directory is refused unless --force; --force keeps unrelated files', () => {
  const dir = sb.path('busy');
  sb.write('busy/notes.md', 'mine');
  sb.write('busy/BUILD', 'old');
  const r = sb.run(['init', dir, '--template', 'cpp-offline']);
  expectStatus(assert, r, 1);
  assert.match(r.stderr, /busy is not empty/);
  assert.match(r.stderr, /--force/);
  assert.equal(fs.readFileSync(path.join(dir, 'BUILD'), 'utf8'), 'old');
  const forced = sb.run(['init', dir, '--template', 'cpp-offline', '--force']);
  expectStatus(assert, forced, 0);
  assert.equal(fs.readFileSync(path.join(dir, 'notes.md'), 'utf8'), 'mine');
  assert.match(fs.readFileSync(path.join(dir, 'BUILD'), 'utf8'), /genrule\(/);
});

test('init writes nothing outside the project directory, even through a symlink inside it', () => {
  const outside = sb.path('outside');
  fs.mkdirSync(outside);
  fs.mkdirSync(sb.path('trap'));
  fs.symlinkSync(outside, sb.path('trap', 'toolchain'));
  const before = snapshotTree(sb.dir);
  const r = sb.run(['init', sb.path('trap'), '--template', 'cpp-istio-1.4', '--force']);
  expectStatus(assert, r, 1);
  assert.match(r.stderr, /trap\/toolchain is a symbolic link/);
  assert.deepEqual(snapshotTree(sb.dir), before);

  const home = snapshotTree(sb.home);
  expectStatus(assert, sb.run(['init', 'inside', '--template', 'cpp-offline']), 0);
  assert.deepEqual(snapshotTree(sb.home), home, 'init leaves HOME alone');
  const top = fs.readdirSync(sb.dir).sort();
  assert.ok(top.includes('inside'));
});

test('on a terminal, init asks which template to use', (t) => {
  // util-linux script(1) gives wasme a pseudo-terminal; the answer "4" picks cpp-offline.
  const dir = sb.path('asked');
  const cmd = `${WASME_BIN} init ${dir}`;
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { input: '4\n', encoding: 'utf8',
    env: sb.env, cwd: sb.dir, timeout: 60_000 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /Which template do you want to start from\?/);
  assert.match(r.stdout, /1\) assemblyscript: /);
  assert.match(r.stdout, /2\) cpp: /);
  assert.match(r.stdout, /4\) cpp-offline: /);
  assert.match(r.stdout, /Created .*asked from template cpp-offline/);
  assert.ok(fs.existsSync(path.join(dir, 'proxy_wasm_0_2_1.h')));

  // --disable-prompt never asks, terminal or not.
  const r2 = spawnSync('script', ['-qec', `${WASME_BIN} init ${sb.path('asked2')} --disable-prompt`, '/dev/null'],
    { input: '3\n', encoding: 'utf8', env: sb.env, cwd: sb.dir, timeout: 60_000 });
  assert.doesNotMatch(r2.stdout, /Which template/);
  assert.match(r2.stdout, /no template chosen, and init may not ask/);
  assert.ok(!fs.existsSync(sb.path('asked2')));
});
