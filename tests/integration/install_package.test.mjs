// Issue 15, for users: `cmake --install` and the .deb give a working wasme with completions
// and a man page; `wasme completion bash|zsh|fish` completes commands, flags, flag values and
// stored images in the real shells; every command and flag of the command table appears in
// each script and in the man page; the rendered cache image carries the binary's version.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Sandbox, WASME_BIN, SOURCE_DIR, FIXTURES, expectStatus } from './lib/harness.mjs';

// ctest runs the binary from the build directory; cmake --install and cpack read it.
const BUILD_DIR = path.dirname(WASME_BIN);
const VERSION = /project\(wasme VERSION ([0-9.]+)/.exec(
  fs.readFileSync(path.join(SOURCE_DIR, 'CMakeLists.txt'), 'utf8'))[1];
const SHELLS = ['bash', 'zsh', 'fish'];

const sb = new Sandbox('wasme-install-');
after(() => sb.cleanup());

// Runs a program; returns {status, stdout, stderr}.
function sh(program, args, { env = {}, input, cwd } = {}) {
  const r = spawnSync(program, args, {
    cwd: cwd || sb.dir, env: { ...sb.env, ...env }, input, encoding: 'utf8', maxBuffer: 64 << 20,
    timeout: 300_000,
  });
  if (r.error) throw r.error;
  return r;
}
const have = (program) => sh('sh', ['-c', `command -v ${program}`]).status === 0;
// scripts/install-deps.sh installs every tool these tests use: a missing one fails the test
// (naming its package) rather than skipping checks that would then pass without running.
const need = (program, pkg) => assert.ok(have(program), `${program} is missing: scripts/install-deps.sh installs ${pkg}`);
function ok(r, what) {
  assert.equal(r.status, 0, `${what} exited ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

// `wasme` on PATH, as a user has it (the scripts run it to list stored images).
const binDir = sb.path('bin');
fs.mkdirSync(binDir);
fs.symlinkSync(WASME_BIN, path.join(binDir, 'wasme'));
sb.env.PATH = `${binDir}:${sb.env.PATH}`;

const IMAGE = 'localhost:5000/complete/filter:v1';
const scripts = {};
let tree;
before(() => {
  expectStatus(assert, sb.run(['build', 'precompiled', path.join(FIXTURES, 'abi_0_2_1.wasm'), '-t', IMAGE,
    '--root-id', 'add_header_root_id']), 0);
  sb.write('work/key.pub', 'x');
  sb.write('work/filter.wasm', 'x');
  for (const shell of SHELLS) {
    const r = sb.run(['completion', shell]);
    expectStatus(assert, r, 0);
    scripts[shell] = sb.write(`completion.${shell}`, r.stdout);
  }
  const dump = sb.run(['__commands']);
  expectStatus(assert, dump, 0);
  tree = dump.json();
});

// Every command of the tree, depth first, root included.
function commands(node = tree) {
  return [node, ...node.commands.flatMap((c) => commands(c))];
}
const flagNames = (command) => command.flags.flatMap((f) => f.names);
// The declared values of a command's flag.
const choices = (commandPath, flag) => commands().find((c) => c.path === commandPath)
  .flags.find((f) => f.names.includes(flag)).choices;
// The root's flags a subcommand accepts too (CLI11 falls through to the root).
const globalFlags = () => flagNames(tree).filter((n) => !['-h', '--help', '--version'].includes(n));

// --- bash ---------------------------------------------------------------------------------

// COMP_WORDS as bash splits the line: at blanks, and around its COMP_WORDBREAKS characters
// (':' and '=' here), each run of them a word of its own.
function compWords(line) {
  const words = [];
  for (const token of line.split(/\s+/).filter(Boolean)) words.push(...token.split(/([:=]+)/).filter(Boolean));
  if (line === '' || /\s$/.test(line)) words.push('');
  return words;
}

// What `_wasme` puts in COMPREPLY for the line typed so far, in a real non-interactive bash.
function bashComplete(line, { cwd } = {}) {
  const words = compWords(line);
  const program = `source "$1"; shift
    COMP_LINE="$1"; COMP_POINT=\${#COMP_LINE}; shift
    COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
    _wasme
    printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = ok(sh('bash', ['--norc', '--noprofile', '-c', program, 'bash', scripts.bash, line, ...words], { cwd }),
    `bash completing "${line}"`);
  return r.stdout.split('\n').filter(Boolean);
}

test('bash: wasme dep<TAB> completes deploy', () => {
  assert.deepEqual(bashComplete('wasme dep'), ['deploy']);
  assert.ok(bashComplete('wasme ').includes('completion'));
});

test('bash: nested commands, their flags and the global ones', () => {
  const sub = bashComplete('wasme deploy ');
  for (const name of ['istio', 'envoy', 'envoy-gateway']) assert.ok(sub.includes(name), `${name} in ${sub}`);
  const flags = bashComplete('wasme deploy istio --');
  for (const name of ['--id', '--mode', '--patch-context', '--cache-image', '--output', '--store', '--verbose', '--help']) {
    assert.ok(flags.includes(name), `${name} in ${flags}`);
  }
  assert.ok(!flags.includes('--remote'), 'a flag of another command');
  assert.deepEqual(bashComplete('wasme deploy istio --patch'), ['--patch-context']);
});

test('bash: flag values complete from the declared choices, with or without "="', () => {
  assert.deepEqual(bashComplete('wasme deploy istio --mode '), ['envoyfilter', 'wasmplugin']);
  assert.deepEqual(bashComplete('wasme deploy istio --mode=wa'), ['wasmplugin']);
  assert.deepEqual(bashComplete('wasme deploy istio --patch-context '), ['inbound', 'outbound', 'gateway', 'any']);
  // Choices enforced with one_of (output.hpp) are found on the option too.
  assert.deepEqual(bashComplete('wasme push --format '), choices('push', '--format'));
  assert.ok(choices('push', '--format').includes('compat'));
  assert.deepEqual(bashComplete('wasme list -o '), ['text', 'json']);
  assert.deepEqual(bashComplete('wasme undeploy istio -t d'), ['deployment', 'daemonset']);
  assert.deepEqual(bashComplete('wasme completion '), ['bash', 'zsh', 'fish']);
  // A flag without choices completes file names.
  assert.deepEqual(bashComplete('wasme verify --key ke', { cwd: sb.path('work') }), ['key.pub']);
});

test('bash: a REF position completes the stored images, the store the line names included', () => {
  assert.deepEqual(bashComplete('wasme push '), [IMAGE]);
  assert.deepEqual(bashComplete('wasme deploy istio --id x '), [IMAGE], 'the value of --id is no positional');
  assert.deepEqual(bashComplete('wasme tag '), [IMAGE]);
  assert.deepEqual(bashComplete(`wasme tag ${IMAGE} `), [], 'DST is a new name');
  assert.deepEqual(bashComplete('wasme rm other '), [IMAGE], 'rm takes several');
  // Bash replaces what follows the last ':' of the word: the reply is the rest of the ref.
  assert.deepEqual(bashComplete('wasme pull localhost:5000/comp'), ['5000/complete/filter:v1']);
  assert.deepEqual(bashComplete('wasme sign localhost:5000/complete/filter:'), [':v1']);
  // inspect and test take a stored image or a .wasm file.
  assert.deepEqual(bashComplete('wasme inspect ', { cwd: sb.path('work') }).sort(),
    [IMAGE, 'filter.wasm', 'key.pub'].sort());
  // --store names another store: its images, not the default one's.
  const other = sb.path('other-store');
  expectStatus(assert, sb.run(['build', 'precompiled', path.join(FIXTURES, 'abi_0_2_1.wasm'), '-t', 'r.example/o:v2', '--store', other]), 0);
  assert.deepEqual(bashComplete(`wasme push --store ${other} `), ['r.example/o:v2']);
  assert.deepEqual(bashComplete(`wasme push --store=${other} r`), ['r.example/o:v2']);
});

// --- zsh and fish -------------------------------------------------------------------------

test('zsh: the script parses, and completes commands, flags, choices and images', () => {
  need('zsh', 'zsh');
  ok(sh('zsh', ['-n', scripts.zsh]), 'zsh -n');
  // The completion system's builtins stood in for by functions that print what they get.
  const program = `
    compdef() { :; }
    _describe() { local -a items; items=("\${(@P)4}"); print -rl -- \${items%%:*}; }
    compadd() { [[ $1 == -a ]] && print -rl -- "\${(@P)2}"; }
    compset() { [[ $2 == '*=' ]] && words[CURRENT]=\${words[CURRENT]#*=}; }
    _files() { print -r -- '<files>'; }
    source "$1"; shift
    words=("$@"); CURRENT=$#words
    _wasme`;
  const complete = (...words) => ok(sh('zsh', ['-f', '-c', program, 'zsh', scripts.zsh, 'wasme', ...words]),
    `zsh completing ${words}`).stdout.split('\n').filter(Boolean);
  assert.ok(complete('').includes('deploy'));
  assert.deepEqual(complete('deploy', '').sort(), ['envoy', 'envoy-gateway', 'istio']);
  assert.ok(complete('deploy', 'istio', '--').includes('--patch-context'));
  assert.deepEqual(complete('deploy', 'istio', '--mode', ''), ['envoyfilter', 'wasmplugin']);
  assert.deepEqual(complete('push', ''), [IMAGE]);
  assert.deepEqual(complete('inspect', ''), [IMAGE, '<files>']);
});

test('fish: the script parses, and completes commands, flags, choices and images', () => {
  need('fish', 'fish');
  ok(sh('fish', ['--no-execute', scripts.fish]), 'fish -n');
  const complete = (line) => ok(sh('fish', ['--no-config', '-c', `source $argv[1]; complete -C "$argv[2]"`, scripts.fish, line]),
    `fish completing "${line}"`).stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
  assert.deepEqual(complete('wasme dep'), ['deploy']);
  assert.deepEqual(complete('wasme deploy ').sort(), ['envoy', 'envoy-gateway', 'istio']);
  assert.ok(complete('wasme deploy istio --').includes('--patch-context'));
  assert.deepEqual(complete('wasme deploy istio --mode '), ['envoyfilter', 'wasmplugin']);
  assert.deepEqual(complete('wasme deploy istio --mode=w'), ['--mode=wasmplugin']);
  assert.deepEqual(complete('wasme push '), [IMAGE]);
});

// --- every command and flag, in every script and the man page ------------------------------

// Each shell's lookup functions, asked about every command: {path: {commands, flags}}.
function lookups(shell) {
  const paths = commands().map((c) => c.path);
  const programs = {
    bash: 'source "$1"; shift; for p in "$@"; do printf "%s\\t%s\\t%s\\n" "$p" "$(_wasme_commands "$p")" "$(_wasme_flags "$p")"; done',
    zsh: 'compdef() { :; }; source "$1"; shift; local -a c f; for p in "$@"; do c=(${(f)"$(_wasme_commands "$p")"}); f=(${(f)"$(_wasme_flags "$p")"}); c=(${c%%:*}); f=(${f%%:*}); printf "%s\\t%s\\t%s\\n" "$p" "${(j: :)c}" "${(j: :)f}"; done',
    fish: 'source $argv[1]; for p in $argv[2..-1]; printf "%s\\t%s\\t%s\\n" "$p" "$(__wasme_commands "$p" | string replace -r "\\t.*" "" | string join " ")" "$(__wasme_flags "$p" | string replace -r "\\t.*" "" | string join " ")"; end',
  };
  const args = {
    bash: ['--norc', '--noprofile', '-c', programs.bash, 'bash', scripts.bash, ...paths],
    zsh: ['-f', '-c', programs.zsh, 'zsh', scripts.zsh, ...paths],
    fish: ['--no-config', '-c', programs.fish, scripts.fish, ...paths],
  };
  const out = {};
  for (const line of ok(sh(shell, args[shell]), `${shell} lookups`).stdout.split('\n').filter(Boolean)) {
    const [p, cmds, flags] = line.split('\t');
    out[p] = { commands: cmds.split(' ').filter(Boolean).sort(), flags: flags.split(' ').filter(Boolean).sort() };
  }
  return out;
}

for (const shell of SHELLS) {
  test(`${shell}: every command and every flag of the command table`, () => {
    need(shell, shell);
    const found = lookups(shell);
    for (const command of commands()) {
      const expected = {
        commands: command.commands.map((c) => c.path.split(' ').pop()).sort(),
        flags: [...flagNames(command), ...(command.path ? globalFlags() : [])].sort(),
      };
      assert.deepEqual(found[command.path], expected, `"wasme ${command.path}" in the ${shell} script`);
    }
  });
}

test('the command table JSON says what each --help says', () => {
  for (const command of commands()) {
    const help = sb.run([...command.path.split(' ').filter(Boolean), '--help']);
    expectStatus(assert, help, 0);
    const names = flagNames(command);
    // Option lines start with two blanks and a dash: "  -o,--output ENUM", "  --mode TEXT".
    for (const line of help.stdout.split('\n').filter((l) => /^ {2}-/.test(l))) {
      for (const flag of line.trim().split(/\s/)[0].split(',')) {
        assert.ok(names.includes(flag), `${flag} of "wasme ${command.path} --help" in __commands`);
      }
    }
    const listed = help.stdout.split('Subcommands:\n')[1] || '';
    for (const line of listed.split('\n').filter((l) => /^ {2}\S/.test(l))) {
      const name = line.trim().split(/\s/)[0];
      assert.ok(command.commands.some((c) => c.path.split(' ').pop() === name), `${name} under "wasme ${command.path}"`);
    }
  }
  // Hidden helpers stay out of help, completion and the page.
  assert.ok(!tree.commands.some((c) => c.path.startsWith('__') || c.path === 'man'));
});

const roff = (text) => text.replace(/\\/g, '\\e').replace(/-/g, '\\-');

test('the man page has a section for every command, naming each of its flags and arguments', () => {
  const r = sb.run(['man']);
  expectStatus(assert, r, 0);
  const page = r.stdout;
  for (const heading of ['.TH WASME 1', '.SH NAME', '.SH SYNOPSIS', '.SH DESCRIPTION', '.SH OPTIONS', '.SH COMMANDS', '.SH EXIT STATUS']) {
    assert.ok(page.includes(heading), heading);
  }
  assert.ok(page.includes(`"wasme ${VERSION}"`));
  const sections = page.split('\n.SS ');
  for (const command of commands().slice(1)) {
    const section = sections.find((s) => s.startsWith(`"${roff(`wasme ${command.path}`)}"\n`));
    assert.ok(section, `a section for wasme ${command.path}`);
    for (const flag of flagNames(command).filter((n) => n !== '-h' && n !== '--help')) {
      assert.ok(section.includes(`\\fB${roff(flag)}\\fR`), `${flag} in the section of wasme ${command.path}`);
    }
    for (const p of command.positionals) assert.ok(section.includes(`\\fI${roff(p.name)}\\fR`), p.name);
    for (const f of command.flags) {
      for (const choice of f.choices) assert.ok(section.includes(roff(choice)), `${choice} of ${f.names}`);
    }
  }
  for (const flag of flagNames(tree)) assert.ok(sections[0].includes(`\\fB${roff(flag)}\\fR`), `${flag} in OPTIONS`);
  // -ww: every warning; a page the formatter complains about is a broken page.
  need('groff', 'groff-base');
  const lint = ok(sh('groff', ['-man', '-ww', '-z'], { input: page }), 'groff');
  assert.equal(lint.stderr, '', 'groff warnings');
});

// --- cmake --install and the .deb ---------------------------------------------------------

const INSTALLED = {
  completions: {
    bash: 'share/bash-completion/completions/wasme',
    zsh: 'share/zsh/site-functions/_wasme',
    fish: 'share/fish/vendor_completions.d/wasme.fish',
  },
  man: 'share/man/man1/wasme.1',
  docs: ['share/doc/wasme/README.md', 'share/doc/wasme/LICENSE'],
};

test('cmake --install puts the binary, completions, man page and docs under the prefix', () => {
  const prefix = sb.path('prefix');
  ok(sh('cmake', ['--install', BUILD_DIR, '--prefix', prefix]), 'cmake --install');
  const wasme = path.join(prefix, 'bin/wasme');
  assert.equal(ok(sh(wasme, ['--version']), 'installed wasme').stdout.trim(), `wasme ${VERSION}`);
  // Generated at build time from the binary, so the same as what it prints now.
  for (const [shell, rel] of Object.entries(INSTALLED.completions)) {
    assert.equal(fs.readFileSync(path.join(prefix, rel), 'utf8'), ok(sh(wasme, ['completion', shell]), shell).stdout, rel);
  }
  const page = path.join(prefix, INSTALLED.man);
  assert.equal(fs.readFileSync(page, 'utf8'), ok(sh(wasme, ['man']), 'wasme man').stdout);
  for (const rel of INSTALLED.docs) assert.ok(fs.statSync(path.join(prefix, rel)).size > 0, rel);
  assert.match(fs.readFileSync(path.join(prefix, 'share/doc/wasme/LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
  // What a user reads: `man -l` through groff, plain ASCII so flags read as typed.
  need('man', 'man-db');
  const shown = ok(sh('man', ['-l', page], { env: { MANPAGER: 'cat', MANWIDTH: '200', LANG: 'C', LC_ALL: 'C' } }), 'man -l').stdout
    .replace(/.\x08/g, '');
  for (const text of ['NAME', 'wasme - build, push, pull and deploy', 'SYNOPSIS', 'wasme deploy istio', '--patch-context',
    'One of: envoyfilter, wasmplugin', 'EXIT STATUS']) {
    assert.ok(shown.includes(text), `"${text}" in man -l`);
  }
  // With MANPATH at the prefix, `man wasme` finds it as an installed page.
  const found = sh('man', ['-w', 'wasme'], { env: { MANPATH: path.join(prefix, 'share/man') } });
  assert.equal(found.stdout.trim(), page);
});

test('cpack -G DEB: Depends from the real libraries, the files where Debian wants them, a wasme that runs',
  () => {
    need('dpkg-deb', 'dpkg');
    need('dpkg-shlibdeps', 'dpkg-dev');
    const out = sb.path('package');
    ok(sh('cpack', ['-G', 'DEB', '-B', out, '--config', path.join(BUILD_DIR, 'CPackConfig.cmake')]), 'cpack');
    const debs = fs.readdirSync(out).filter((f) => /^wasme_.*\.deb$/.test(f));
    assert.equal(debs.length, 1, `one .deb in ${fs.readdirSync(out)}`);
    const deb = path.join(out, debs[0]);
    assert.match(debs[0], new RegExp(`^wasme_${VERSION}_[a-z0-9]+\\.deb$`));

    const info = ok(sh('dpkg-deb', ['-I', deb]), 'dpkg-deb -I').stdout;
    const field = (name) => (new RegExp(`^ ${name}: (.*)$`, 'm').exec(info) || [])[1] || '';
    assert.equal(field('Package'), 'wasme');
    assert.equal(field('Version'), VERSION);
    assert.equal(field('Section'), 'devel');
    assert.match(field('Maintainer'), /<.+@.+>/);
    assert.match(field('Description'), /WebAssembly filters/);
    // dpkg-shlibdeps: each library the binary links, by its Debian package, with a version.
    const depends = field('Depends');
    for (const pkg of ['libc6', 'libcurl4', 'libssl3', 'libyaml-cpp0.7', 'libarchive13', 'libsodium23', 'libstdc++6']) {
      assert.match(depends, new RegExp(`(^|, )${pkg.replace(/[+.]/g, '\\$&')} \\(>= `), `${pkg} in Depends: ${depends}`);
    }

    const listing = ok(sh('dpkg-deb', ['-c', deb]), 'dpkg-deb -c').stdout;
    for (const rel of ['bin/wasme', ...Object.values(INSTALLED.completions), INSTALLED.man, ...INSTALLED.docs]) {
      assert.ok(listing.includes(` ./usr/${rel}\n`), `/usr/${rel} in the package`);
    }
    // Unpacked into a throwaway root, it runs on this system's libraries.
    const root = sb.path('root');
    ok(sh('dpkg-deb', ['-x', deb, root]), 'dpkg-deb -x');
    assert.equal(ok(sh(path.join(root, 'usr/bin/wasme'), ['--version']), 'packaged wasme').stdout.trim(), `wasme ${VERSION}`);
    // apt resolves its Depends against this system (a simulation: nothing is installed).
    need('apt-get', 'apt');
    ok(sh('apt-get', ['install', '--simulate', '--no-install-recommends', deb]), 'apt-get --simulate');
  });

// --- the version reaches the library ------------------------------------------------------

test('the rendered cache image is the binary\'s version, never :latest; --cache-image still overrides', () => {
  const pinned = `ghcr.io/wasme/wasme:${VERSION}`;
  const rendered = sb.run(['deploy', 'istio', IMAGE, '--id', 'pin']);
  expectStatus(assert, rendered, 0);
  assert.ok(rendered.stdout.includes(`image: ${pinned}\n`), rendered.stdout);
  assert.ok(!rendered.stdout.includes('wasme:latest'));
  const help = sb.run(['deploy', 'istio', '--help']);
  assert.ok(help.stdout.includes(`(default ${pinned})`));
  const other = sb.run(['deploy', 'istio', IMAGE, '--id', 'pin', '--cache-image', 'registry.example/wasme:custom']);
  expectStatus(assert, other, 0);
  assert.ok(other.stdout.includes('image: registry.example/wasme:custom\n'));
  assert.ok(!other.stdout.includes(pinned));
});
