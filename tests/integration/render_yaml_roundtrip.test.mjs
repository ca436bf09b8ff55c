// wasme deploy istio --mode wasmplugin with --config (and --root-id) values full of characters
// YAML treats specially: C0 and C1 controls, DEL, NEL, U+2028, U+2029, the BOM,
// noncharacters, YAML 1.1 words and indicators. The rendered YAML must read back identically
// in kubectl's own parser (sigs.k8s.io/yaml over go-yaml), run offline with
// `kubectl patch --local`, and carry none of those characters raw.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Sandbox, expectStatus } from './lib/harness.mjs';
import { SEED_REF, SEED_MODULE } from './lib/seed.mjs';

const SEED = 0x2028_0085;  // fixed, so a failure reproduces; change it locally to explore
const RANDOM_VALUES = 200;
const BATCH = 25;  // values per deploy (one --config object)

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// Characters a YAML reader refuses raw, folds as a line break or strips, and some ordinary
// non-ASCII ones next to them.
const ODD = [
  ...range(0x00, 0x1f), 0x7f, ...range(0x80, 0x9f), 0xa0, 0x2028, 0x2029, 0xfeff,
  0xfdd0, 0xfdef, 0xfffe, 0xffff, 0x1fffe, 0x10ffff,
  0xe9, 0x2713, 0x1f600, 0x200b, 0x3000, 0xe000,
];
const ASCII = [...' "\'\\:#-?,[]{}&*!|>%@`~.=+_0129aeEnoxyY'];
// Plain, these are bools, nulls, numbers, dates, merge keys or markers in YAML 1.1 or 1.2.
const WORDS = ['yes', 'no', 'on', 'off', 'y', 'n', 'Y', 'N', '~', 'null', 'Null', 'NULL', 'true', 'False',
  '1e3', '0x1f', '0o17', '0b101', '.inf', '-.Inf', '.nan', '<<', '=', '---', '...', '- ', ': ', ' #',
  '1:20', '2001-12-14', '0777', '-_1', '+_.5', '', ' ', '\r\n', '\n\n', '\t'];

// mulberry32: a small seeded generator, so the values are the same on every run.
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = generator(SEED);
const pick = (list) => list[Math.floor(rand() * list.length)];

function randomString() {
  if (rand() < 0.2) return pick(WORDS);
  const length = Math.floor(rand() * 12);
  let s = '';
  for (let i = 0; i < length; i++) {
    const r = rand();
    if (r < 0.6) s += String.fromCodePoint(pick(ODD));
    else if (r < 0.85) s += pick(ASCII);
    else s += pick(WORDS);
  }
  return s;
}

// Every odd character alone and inside text, every word, then random strings.
const VALUES = [
  ...ODD.flatMap((cp) => [String.fromCodePoint(cp), `a${String.fromCodePoint(cp)}b`]),
  ...WORDS,
  ODD.map((cp) => String.fromCodePoint(cp)).join(''),
  ...Array.from({ length: RANDOM_VALUES }, randomString),
];

// s for a failure message: printable ASCII as is, the rest as \u{…}.
const shown = (s) => [...String(s)].map((c) => {
  const cp = c.codePointAt(0);
  return cp >= 0x20 && cp < 0x7f ? c : `\\u{${cp.toString(16)}}`;
}).join('');

// The first character in YAML text that a reader would refuse, fold or strip, or that
// replaced bytes that were not UTF-8 (U+FFFD); null when there is none.
function rawOdd(yaml) {
  for (const c of yaml) {
    const cp = c.codePointAt(0);
    if (cp === 0x0a || (cp >= 0x20 && cp < 0x7f)) continue;
    if (cp < 0xa0 || cp === 0x2028 || cp === 0x2029 || cp === 0xfeff || cp === 0xfffd ||
        (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) {
      return cp;
    }
  }
  return null;
}

// JSON text with every non-ASCII character as a \u escape (surrogate pairs above U+FFFF).
const asciiJson = (value) => JSON.stringify(value).replace(/[\u007f-\uffff]/g,
  (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

let sb;
before(() => {
  sb = new Sandbox('wasme-yaml-roundtrip-');
  const built = sb.run(['build', 'precompiled', SEED_MODULE, '-t', SEED_REF, '--root-id', 'add_header_root_id']);
  expectStatus(assert, built, 0);
});
after(() => sb.cleanup());

function deploy(args) {
  return sb.run(['deploy', 'istio', SEED_REF, '--id', 'x', '--mode', 'wasmplugin', ...args]);
}

// The rendered stream as kubectl reads it: the one object, as JSON.
function kubectlRead(yaml) {
  const bad = rawOdd(yaml);
  assert.equal(bad, null, `raw U+${bad?.toString(16)} in the YAML:\n${shown(yaml)}`);
  const file = sb.write('rendered.yaml', yaml);
  const r = spawnSync('kubectl', ['patch', '--local', '-f', file, '--type=merge', '-p', '{}', '-o', 'json'],
                      { encoding: 'utf8', env: { ...process.env, KUBECONFIG: '/dev/null' } });
  assert.equal(r.status, 0, `kubectl cannot read the YAML: ${r.stderr}\n${shown(yaml)}`);
  return JSON.parse(r.stdout);
}

test(`${VALUES.length} odd --config keys and values come back identical from kubectl (seed ${SEED})`, () => {
  let next = 0;
  for (let batch = 0; next < VALUES.length; batch++) {
    const config = {};
    for (let n = 0; n < BATCH && next < VALUES.length; n++, next++) {
      const value = VALUES[next];
      // a third of the keys odd too (unique within the object); some values inside lists and maps
      let key = next % 3 === 0 ? randomString() : `v${next}`;
      if (Object.hasOwn(config, key) || key === '__proto__') key += `\u2028${next}`;
      config[key] = next % 7 === 0 ? { list: [value, { [`in${next}`]: value }] } : value;
    }
    // alternate raw UTF-8 and \u escapes in the JSON text: both reach the same strings
    const text = batch % 2 === 0 ? JSON.stringify(config) : asciiJson(config);
    const r = deploy(['--config', text]);
    expectStatus(assert, r, 0);
    const got = kubectlRead(r.stdout).spec.pluginConfig;
    for (const [key, value] of Object.entries(config)) {
      assert.deepEqual(got[key], value,
        `batch ${batch}, key "${shown(key)}": sent ${shown(JSON.stringify(value))}, ` +
        `kubectl read ${shown(JSON.stringify(got[key]))}`);
    }
    assert.deepEqual(Object.keys(got).sort(), Object.keys(config).sort());
  }
});

test('odd --root-id values come back identical as pluginName', () => {
  for (let i = 0; i < 20; i++) {
    // argv cannot hold NUL; a leading "r" keeps the value from reading as an option
    const rootId = `r${randomString()}${String.fromCodePoint(pick(ODD))}`.replace(/\0/g, '');
    const r = deploy(['--root-id', rootId, '--config', '{"k":"v"}']);
    expectStatus(assert, r, 0);
    const spec = kubectlRead(r.stdout).spec;
    assert.equal(spec.pluginName, rootId, `sent "${shown(rootId)}", kubectl read "${shown(spec.pluginName)}"`);
  }
});

test('--config nested deeper than 64 levels is refused with a message, not a crash', () => {
  // argv holds at most 128 KiB per argument: 10,000 objects, 60,000 lists
  for (const [depth, open, close] of [[10_000, '{"a":', '}'], [60_000, '[', ']'], [64, '[', ']']]) {
    const r = deploy(['--config', `{"a":${open.repeat(depth)}1${close.repeat(depth)}}`]);
    expectStatus(assert, r, 1);
    assert.equal(r.signal, null);
    assert.match(r.stderr, /--config: nested deeper than 64 levels/);
    assert.equal(r.stdout, '');
  }
  // 64 levels, the outer object included: rendered, and read back the same by kubectl
  const config = `${'{"a":'.repeat(64)}"deep\u2028"${'}'.repeat(64)}`;
  const r = deploy(['--config', config]);
  expectStatus(assert, r, 0);
  assert.deepEqual(kubectlRead(r.stdout).spec.pluginConfig, JSON.parse(config));
});
