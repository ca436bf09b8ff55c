// `wasme list --remote REPO`: a repository's tags from a real registry.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Sandbox, FIXTURES, expectStatus } from './lib/harness.mjs';
import { startRegistry } from './lib/registry.mjs';

const sb = new Sandbox();
let registry;
after(() => { registry?.stop(); sb.cleanup(); });

test('list --remote shows the tags pushed, in text and json', async () => {
  registry = await startRegistry(sb);
  const repo = `${registry.host}/team/filter`;
  for (const tag of ['v1', 'v2']) {
    const ref = `${repo}:${tag}`;
    expectStatus(assert, sb.run(['build', 'precompiled', path.join(FIXTURES, 'abi_0_2_1.wasm'), '-t', ref]), 0);
    expectStatus(assert, sb.run(['push', ref, '--plain-http']), 0);
  }
  const json = sb.run(['list', '--remote', repo, '--plain-http', '-o', 'json']);
  expectStatus(assert, json, 0);
  assert.deepEqual(json.json(), { repository: repo, tags: ['v1', 'v2'] });
  const text = sb.run(['list', '--remote', repo, '--plain-http']);
  expectStatus(assert, text, 0);
  assert.deepEqual(text.stdout.trim().split('\n').map((l) => l.split(/\s+/)), [['NAME', 'TAG'], [repo, 'v1'], [repo, 'v2']]);
  const missing = sb.run(['list', '--remote', `${registry.host}/no/such`, '--plain-http']);
  expectStatus(assert, missing, 1);
  assert.match(missing.stderr, /no\/such/);
  // Never a silent Docker Hub lookup: a host without a repository, or a tag, is a usage error.
  for (const [arg, why] of [[registry.host, /names no repository/], [`${repo}:v1`, /has a tag or digest/], ['', /a repository is required/]]) {
    const r = sb.run(['list', '--remote', arg, '--plain-http']);
    expectStatus(assert, r, 2);
    assert.match(r.stderr, why);
  }
});
