// Credentials and TLS against real registries: htpasswd basic auth, a self-signed TLS
// registry, and token auth with an ACL; login/logout; the credentials chain (-c files,
// docker config, credential helpers, identity tokens). Every -v output is kept and searched
// for passwords and tokens at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, Sandbox, sha256Hex } from './lib/harness.mjs';
import { startRegistry } from './lib/registry.mjs';

const sandbox = new Sandbox('wasme-regauth-');
const MODULE = fs.readFileSync(path.join(FIXTURES, 'clang_filter.wasm'));
const FILE = sandbox.write('in/filter.wasm', MODULE);
let basic;
let tls;
let token;
let noOauth;
const outputs = [];  // every stdout and stderr, for the secrets check

before(async () => {
  basic = await startRegistry(sandbox, { mode: 'basic', name: 'basic' });
  tls = await startRegistry(sandbox, { mode: 'tls', name: 'tls' });
  token = await startRegistry(sandbox, { mode: 'token', name: 'token', users: { reader: 'reader-pw-7f3a' },
    acl: { wasme: { 'team/*': ['pull', 'push'] }, reader: { 'team/app': ['pull'] }, '*': { 'public/*': ['pull'] } },
    tokenOptions: { expiresIn: 600 } });
  noOauth = await startRegistry(sandbox, { mode: 'token', name: 'no-oauth', tokenOptions: { oauth: false } });
});
after(async () => {
  await Promise.all([basic, tls, token, noOauth].filter(Boolean).map((r) => r.stop()));
  sandbox.cleanup();
});

// Runs wasme -v without blocking the event loop (the token servers live in this process),
// keeping the output for the secrets check.
async function run(args, { env = {}, input = '' } = {}) {
  const result = await sandbox.runAsync(['-v', ...args], { env, input });
  outputs.push(result.stdout, result.stderr);
  return result;
}

function expect(result, status) {
  assert.equal(result.status, status, `expected exit ${status}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
}

const home = (name) => ({ WASME_HOME: sandbox.path(`home-${name}`), DOCKER_CONFIG: sandbox.path(`docker-${name}`) });
const auth = (user, password) => Buffer.from(`${user}:${password}`).toString('base64');
function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

test('basic: anonymous push is refused with a hint; -u/-p works and warns about -p', async () => {
  const ref = `${basic.host}/team/filter:v1`;
  const anon = await run(['push', ref, FILE], { env: home('b1') });
  expect(anon, 1);
  assert.match(anon.stderr, /UNAUTHORIZED|authentication required/);
  assert.match(anon.stderr, /wasme login/);
  const ok = await run(['push', '-u', basic.user, '-p', basic.password, ref, FILE], { env: home('b1') });
  expect(ok, 0);
  assert.match(ok.stderr, /--password on the command line is insecure/);
  const pulled = await run(['pull', '-o', 'json', '-u', basic.user, '--password-stdin', ref],
    { env: home('b2'), input: `${basic.password}\n` });
  expect(pulled, 0);
  assert.equal(pulled.json().wasmDigest, `sha256:${sha256Hex(MODULE)}`);
});

test('login checks the password first, then merges into credentials.json (0600); logout removes it', async () => {
  const env = home('login');
  const file = path.join(env.WASME_HOME, 'credentials.json');
  const wrong = await run(['login', basic.host, '-u', basic.user, '--password-stdin'], { env, input: 'not-it\n' });
  expect(wrong, 1);
  assert.ok(!fs.existsSync(file), 'nothing saved after a refused login');
  // The hint names whose credentials were refused, not "log in" (that is what failed).
  assert.match(wrong.stderr, new RegExp(`refused the credentials \\(user "${basic.user}" from -u/-p\\)`));
  const empty = await run(['login', basic.host, '-u', basic.user, '--password-stdin'], { env, input: '\n' });
  expect(empty, 2);
  assert.match(empty.stderr, /empty password/);
  assert.ok(!fs.existsSync(file), 'an empty password is never saved');

  writeJson(file, { auths: { 'other.example': { auth: auth('o', 'op') } } });
  const ok = await run(['login', basic.host, '-u', basic.user, '--password-stdin', '-o', 'json'],
    { env, input: `${basic.password}\n` });
  expect(ok, 0);
  assert.deepEqual(ok.json(), { registry: basic.host, credentialsFile: file });
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const saved = JSON.parse(fs.readFileSync(file));
  assert.deepEqual(Object.keys(saved.auths).sort(), [basic.host, 'other.example']);
  assert.equal(saved.auths[basic.host].auth, auth(basic.user, basic.password));

  // Saved credentials are used without flags.
  expect(await run(['push', `${basic.host}/team/saved:v1`, FILE], { env }), 0);

  const out = await run(['logout', basic.host], { env });
  expect(out, 0);
  assert.deepEqual(Object.keys(JSON.parse(fs.readFileSync(file)).auths), ['other.example']);
  expect(await run(['logout', basic.host], { env }), 1);
  expect(await run(['push', `${basic.host}/team/saved:v2`, FILE], { env }), 1);
});

test('login without a user or password and no terminal is a usage error', async () => {
  expect(await run(['login', basic.host], { env: home('nouser') }), 2);
  expect(await run(['login', basic.host, '-u', 'x'], { env: home('nouser') }), 2);
});

test('on a terminal, login asks for the user and the password, and the password is not echoed', async () => {
  const env = home('tty');
  const file = path.join(env.WASME_HOME, 'credentials.json');
  const r = await sandbox.runOnTerminal(['login', basic.host], { env, answers: [
    { when: /Username: $/, send: `${basic.user}\n` },
    { when: /Password: $/, send: `${basic.password}\n` },
  ] });
  outputs.push(r.output);
  assert.equal(r.status, 0, r.output);
  assert.equal(r.unanswered, 0, r.output);
  // The user name is echoed as typed; the password is not, and nothing warns about -p.
  assert.match(r.output, new RegExp(`Username: ${basic.user}\r?\nPassword: \r?\nlogin succeeded for ${basic.host}`));
  assert.ok(!r.output.includes(basic.password), 'the password was echoed');
  assert.doesNotMatch(r.output, /insecure/);
  assert.equal(JSON.parse(fs.readFileSync(file)).auths[basic.host].auth, auth(basic.user, basic.password));

  // A wrong password typed at the prompt is refused, not echoed and not saved.
  const env2 = home('tty-wrong');
  const wrong = await sandbox.runOnTerminal(['login', basic.host, '-u', basic.user], { env: env2, answers: [
    { when: /Password: $/, send: 'typed-wrong-9c1\n' },
  ] });
  outputs.push(wrong.output);
  assert.equal(wrong.status, 1, wrong.output);
  assert.ok(!wrong.output.includes('typed-wrong-9c1'), 'the password was echoed');
  assert.match(wrong.output, /unauthorized|incorrect|refused/i);
  assert.ok(!fs.existsSync(path.join(env2.WASME_HOME, 'credentials.json')));
});

test('credentials chain: -c file, $DOCKER_CONFIG, podman auth.json, a credential helper', async () => {
  const ref = `${basic.host}/team/chain:v1`;
  const entry = { auths: { [`http://${basic.host}/v2/`]: { auth: auth(basic.user, basic.password) } } };
  const c = writeJson(sandbox.path('chain/creds.json'), entry);
  const other = writeJson(sandbox.path('chain/other.json'), { auths: { 'other.example': { auth: auth('o', 'p') } } });
  // -c is repeatable; files are tried in order. (It takes several values: after the positionals.)
  expect(await run(['push', ref, FILE, '-c', other, '-c', c], { env: home('c1') }), 0);
  const absent = await run(['push', ref, FILE, '-c', sandbox.path('chain/absent.json')], { env: home('c1') });
  expect(absent, 1);
  assert.match(absent.stderr, /absent\.json does not exist/);

  const env = home('c2');
  writeJson(path.join(env.DOCKER_CONFIG, 'config.json'), entry);
  expect(await run(['push', ref, FILE], { env }), 0);

  const podman = writeJson(sandbox.path('chain/auth.json'), entry);
  expect(await run(['push', ref, FILE], { env: { ...home('c3'), REGISTRY_AUTH_FILE: podman } }), 0);

  const bin = sandbox.path('chain/bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'docker-credential-wasmetest'), `#!/bin/sh
read url
echo "$1 $url" >> "${bin}/calls.log"
printf '{"ServerURL":"%s","Username":"${basic.user}","Secret":"${basic.password}"}' "$url"
`, { mode: 0o755 });
  const env4 = { ...home('c4'), PATH: `${bin}:${process.env.PATH}` };
  writeJson(path.join(env4.DOCKER_CONFIG, 'config.json'), { credsStore: 'wasmetest' });
  expect(await run(['push', ref, FILE], { env: env4 }), 0);
  assert.equal(fs.readFileSync(path.join(bin, 'calls.log'), 'utf8').trim().split('\n')[0], `get ${basic.host}`);
});

test('TLS: --ca-file verifies, no CA is refused (no plain-HTTP fallback), --insecure skips verification', async () => {
  const ref = `${tls.host}/team/tls:v1`;
  const withCa = await run(['push', '--ca-file', tls.caFile, ref, FILE], { env: home('t1') });
  expect(withCa, 0);
  assert.ok(!withCa.stderr.includes('http://'), 'stayed on https');
  // The registry offers h2 over TLS and the client takes it (plain HTTP stays on 1.1).
  assert.match(withCa.stderr, /PUT https:\/\/\S+\/manifests\/v1 201 \d+ms HTTP\/2/);
  assert.doesNotMatch(withCa.stderr, /HTTP\/1/);

  const refused = await run(['pull', ref], { env: home('t2') });
  expect(refused, 1);
  assert.match(refused.stderr, /certificate verification failed/);
  assert.match(refused.stderr, /--ca-file/);
  assert.ok(!refused.stderr.includes('http://'), 'a verification failure never falls back to plain HTTP');

  const insecure = await run(['pull', '--insecure', '-o', 'json', ref], { env: home('t3') });
  expect(insecure, 0);
  assert.equal(insecure.json().wasmDigest, `sha256:${sha256Hex(MODULE)}`);

  expect(await run(['pull', '--plain-http', ref], { env: home('t4') }), 1);
});

test('token: pushes and pulls within the ACL; other repositories and scopes are refused', async () => {
  const creds = ['-u', token.user, '--password-stdin'];
  const input = `${token.password}\n`;
  const ref = `${token.host}/team/app:v1`;
  expect(await run(['push', ...creds, ref, FILE], { env: home('k1'), input }), 0);
  const pushToken = token.tokenServer.requests.find((r) => r.scopes.includes('repository:team/app:pull,push'));
  assert.ok(pushToken && pushToken.user === token.user && pushToken.hasAuthorization);

  const reader = ['-u', 'reader', '--password-stdin'];
  expect(await run(['pull', ...reader, ref], { env: home('k2'), input: 'reader-pw-7f3a\n' }), 0);
  const readerPush = await run(['push', ...reader, ref, FILE], { env: home('k3'), input: 'reader-pw-7f3a\n' });
  expect(readerPush, 1);
  assert.match(readerPush.stderr, /UNAUTHORIZED|DENIED|authentication required/);

  const otherRepo = await run(['push', ...creds, `${token.host}/elsewhere/app:v1`, FILE], { env: home('k4'), input });
  expect(otherRepo, 1);
  const anonymous = await run(['pull', ref], { env: home('k5') });
  expect(anonymous, 1);

  const wrong = await run(['pull', '-u', token.user, '--password-stdin', ref], { env: home('k6'), input: 'wrong\n' });
  expect(wrong, 1);
  assert.match(wrong.stderr, /requesting a token for repository:team\/app:pull from http:\/\/127\.0\.0\.1:\d+\/token: .*401/);
});

test('token: login checks credentials with a token for no repository', async () => {
  const env = home('k7');
  const bad = await run(['login', token.host, '-u', token.user, '--password-stdin'], { env, input: 'bad\n' });
  expect(bad, 1);
  // Refused at the token endpoint: the hint still names whose credentials.
  assert.match(bad.stderr, new RegExp(`refused the credentials \\(user "${token.user}" from -u/-p\\)`));
  expect(await run(['login', token.host, '-u', token.user, '--password-stdin'], { env, input: `${token.password}\n` }), 0);
  expect(await run(['pull', `${token.host}/team/app:v1`], { env }), 0);
});

test('token: identity tokens from a docker config (POST refresh_token, GET fallback when POST is 404)', async () => {
  for (const reg of [token, noOauth]) {
    const ref = `${reg.host}/team/id:v1`;
    expect(await run(['push', '-u', reg.user, '--password-stdin', ref, FILE], { env: home(`id-push-${reg.port}`),
      input: `${reg.password}\n` }), 0);
    const refresh = reg.tokenServer.refreshTokenFor(reg.user);
    const env = home(`id-${reg.port}`);
    writeJson(path.join(env.DOCKER_CONFIG, 'config.json'),
      { auths: { [reg.host]: { auth: auth('<token>', ''), identitytoken: refresh } } });
    const pulled = await run(['pull', '-o', 'json', ref], { env });
    expect(pulled, 0);
    const used = reg.tokenServer.requests.filter((r) => r.user === reg.user && r.scopes.includes('repository:team/id:pull'));
    assert.ok(used.length > 0);
    if (reg === token) assert.equal(used.at(-1).grantType, 'refresh_token');
    else assert.equal(used.at(-1).method, 'GET');
  }
});

test('no password, token or Authorization header appears in any -v output', () => {
  const secrets = [basic.password, tls.password, token.password, noOauth.password, 'reader-pw-7f3a',
    auth(basic.user, basic.password), ...token.tokenServer.secrets(), ...noOauth.tokenServer.secrets()];
  assert.ok(outputs.length > 20);
  const all = outputs.join('\n');
  assert.match(all, /GET https?:\/\/127\.0\.0\.1:\d+\/v2\/\S+ 200 \d+ms/, 'requests were logged');
  for (const secret of secrets) {
    assert.ok(secret && !all.includes(secret), `a secret leaked into the output: ${secret.slice(0, 6)}…`);
  }
  assert.ok(!/authorization/i.test(all));
});
