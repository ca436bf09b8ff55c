// Shared flags parse as users write them: repeated -c before the positionals.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Sandbox, FIXTURES, expectStatus } from './lib/harness.mjs';
import { startRegistry } from './lib/registry.mjs';

const sb = new Sandbox();
let registry;
after(() => { registry?.stop(); sb.cleanup(); });

test('-c FILE takes one file each time, leaving REF and FILE positional', async () => {
  registry = await startRegistry(sb);
  const a = sb.write('a.json', '{"auths":{}}');
  const b = sb.write('b.json', '{"auths":{}}');
  const ref = `${registry.host}/flags/filter:v1`;
  const push = sb.run(['push', '-c', a, '-c', b, ref, path.join(FIXTURES, 'abi_0_2_1.wasm'), '--plain-http', '-o', 'json']);
  expectStatus(assert, push, 0);
  assert.equal(push.json().reference, ref);
  const pull = sb.run(['pull', '-c', a, ref, '--plain-http', '--store', sb.path('other-store')]);
  expectStatus(assert, pull, 0);
});
