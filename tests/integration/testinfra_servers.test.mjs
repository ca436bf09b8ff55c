// Tests of the test servers themselves: each registry mode, the token server, the fault
// proxy and the "other host", driven with node's http client and curl (no wasme involved).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Sandbox } from './lib/harness.mjs';
import { fetchRaw as request, pushRawImage, startRegistry, writeOciLayout } from './lib/registry.mjs';
import { startFaultProxy, startOtherHost } from './lib/faults.mjs';

const sandbox = new Sandbox('wasme-testinfra-');
after(() => sandbox.cleanup());

// curl without blocking the event loop (the servers under test live in this process).
const curl = (args) => promisify(execFile)('curl', args, { encoding: 'utf8' });

const basic = (user, password) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
const sha = (buf) => 'sha256:' + crypto.createHash('sha256').update(buf).digest('hex');

// Parses `Bearer realm="…",service="…",scope="…"`.
function challenge(header) {
  const out = {};
  for (const m of header.matchAll(/(\w+)="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

// Uploads a blob with POST + PUT; returns the PUT answer's status.
async function pushBlob(base, repo, bytes, auth, ca) {
  const headers = auth ? { Authorization: auth } : {};
  const post = await request(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers, ca });
  if (post.status !== 202) return post.status;
  const loc = new URL(post.headers.location, base);
  loc.searchParams.set('digest', sha(bytes));
  const put = await request(loc.href, { method: 'PUT', body: bytes, ca,
    headers: { ...headers, 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length } });
  return put.status;
}

async function token(reg, { user, password, scopes, query = '' }) {
  const u = new URL(reg.tokenServer.url);
  u.searchParams.set('service', reg.tokenServer.service);
  for (const s of scopes) u.searchParams.append('scope', s);
  const headers = user ? { Authorization: basic(user, password) } : {};
  const res = await request(u.href + query, { headers });
  return { status: res.status, ...(res.status === 200 ? JSON.parse(res.body) : {}) };
}

test('plain registry answers /v2/ anonymously and stores blobs', async () => {
  const reg = await startRegistry(sandbox, { name: 'plain' });
  try {
    assert.equal(reg.url, `http://127.0.0.1:${reg.port}`);
    assert.equal((await request(`${reg.url}/v2/`)).status, 200);
    const blob = Buffer.from('hello plain');
    assert.equal(await pushBlob(reg.url, 'a/b', blob), 201);
    const got = await request(`${reg.url}/v2/a/b/blobs/${sha(blob)}`);
    assert.deepEqual(got.body, blob);
  } finally {
    await reg.stop();
  }
  assert.notEqual(reg.proc.exitCode ?? reg.proc.signalCode, null, 'registry process still running');
});

test('basic registry: 401 without or with wrong credentials, 200 with the right ones', async () => {
  const reg = await startRegistry(sandbox, { mode: 'basic', name: 'basic', users: { other: 'pw2' } });
  try {
    const anon = await request(`${reg.url}/v2/`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers['www-authenticate'], /^Basic realm=/);
    assert.equal((await request(`${reg.url}/v2/`, { headers: { Authorization: basic(reg.user, 'nope') } })).status, 401);
    assert.equal((await request(`${reg.url}/v2/`, { headers: { Authorization: basic(reg.user, reg.password) } })).status, 200);
    assert.equal((await request(`${reg.url}/v2/`, { headers: { Authorization: basic('other', 'pw2') } })).status, 200);
    assert.equal(await pushBlob(reg.url, 'x/y', Buffer.from('b'), basic(reg.user, reg.password)), 201);
    // curl agrees (an independent client).
    const c = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', `${reg.user}:${reg.password}`,
      `${reg.url}/v2/`], { encoding: 'utf8' });
    assert.equal(c.stdout, '200');
  } finally {
    await reg.stop();
  }
});

test('tls registry: refused without the CA, served with it', async () => {
  const reg = await startRegistry(sandbox, { mode: 'tls', name: 'tls' });
  try {
    assert.equal(reg.scheme, 'https');
    assert.ok(fs.existsSync(reg.caFile) && fs.existsSync(`${reg.certDir}/ca.crt`));
    const ca = fs.readFileSync(reg.caFile);
    await assert.rejects(request(`${reg.url}/v2/`), /self[- ]signed|certificate/i);
    assert.equal((await request(`${reg.url}/v2/`, { ca })).status, 200);
    assert.equal((await request(`https://localhost:${reg.port}/v2/`, { ca })).status, 200);
    const without = spawnSync('curl', ['-s', '-o', '/dev/null', `${reg.url}/v2/`]);
    assert.equal(without.status, 60, 'curl should refuse the unknown CA (exit 60)');
    const withCa = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', reg.caFile,
      `${reg.url}/v2/`], { encoding: 'utf8' });
    assert.equal(withCa.stdout, '200');
    assert.equal(await pushBlob(reg.url, 's/t', Buffer.from('tls'), undefined, ca), 201);
  } finally {
    await reg.stop();
  }
});

test('basic auth over tls', async () => {
  const reg = await startRegistry(sandbox, { mode: 'basic', tls: true, name: 'basic-tls' });
  try {
    const ca = fs.readFileSync(reg.caFile);
    assert.equal((await request(`${reg.url}/v2/`, { ca })).status, 401);
    assert.equal((await request(`${reg.url}/v2/`, { ca, headers: { Authorization: basic(reg.user, reg.password) } })).status, 200);
  } finally {
    await reg.stop();
  }
});

test('token registry: challenge, token flow end to end, ACL enforced, requests recorded', async () => {
  const reg = await startRegistry(sandbox, {
    mode: 'token', name: 'token', users: { reader: 'rpw' },
    acl: { wasme: { 'team/*': ['pull', 'push'] }, reader: { 'team/app': ['pull'] }, '*': { 'public/x': ['pull'] } },
  });
  try {
    const ping = await request(`${reg.url}/v2/`);
    assert.equal(ping.status, 401);
    const ch = challenge(ping.headers['www-authenticate']);
    assert.equal(ch.realm, reg.tokenServer.url);
    assert.equal(ch.service, reg.tokenServer.service);

    const scope = 'repository:team/app:pull,push';
    const t = await token(reg, { user: reg.user, password: reg.password, scopes: [scope] });
    assert.equal(t.status, 200);
    assert.equal(t.token, t.access_token);
    const blob = Buffer.from('token blob');
    assert.equal(await pushBlob(reg.url, 'team/app', blob, `Bearer ${t.token}`), 201);
    const last = reg.tokenServer.requests.at(-1);
    assert.deepEqual(last.scopes, [scope]);
    assert.equal(last.user, reg.user);
    assert.deepEqual(last.granted, [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]);

    // Wrong password: the token server refuses.
    assert.equal((await token(reg, { user: reg.user, password: 'wrong', scopes: [scope] })).status, 401);
    // A pull-only user gets a token without push: the registry refuses the upload, allows the pull.
    const r = await token(reg, { user: 'reader', password: 'rpw', scopes: [scope] });
    assert.deepEqual(reg.tokenServer.requests.at(-1).granted[0].actions, ['pull']);
    assert.equal(await pushBlob(reg.url, 'team/app', Buffer.from('nope'), `Bearer ${r.token}`), 401);
    const pulled = await request(`${reg.url}/v2/team/app/blobs/${sha(blob)}`, { headers: { Authorization: `Bearer ${r.token}` } });
    assert.equal(pulled.status, 200);
    assert.deepEqual(pulled.body, blob);
    // A token for another repository does not open this one.
    const other = await token(reg, { user: reg.user, password: reg.password, scopes: ['repository:team/other:pull,push'] });
    const wrongRepo = await request(`${reg.url}/v2/team/app/blobs/${sha(blob)}`, { headers: { Authorization: `Bearer ${other.token}` } });
    assert.equal(wrongRepo.status, 401);
    assert.match(wrongRepo.headers['www-authenticate'], /insufficient_scope/);
    // The ACL has no entry for this user on other/repo.
    await token(reg, { user: reg.user, password: reg.password, scopes: ['repository:other/repo:pull'] });
    assert.deepEqual(reg.tokenServer.requests.at(-1).granted[0].actions, []);
    // Anonymous: nothing on team/app, pull on public/x as acl['*'] says.
    const anon = await token(reg, { scopes: ['repository:team/app:pull', 'repository:public/x:pull,push'] });
    assert.equal(anon.status, 200);
    assert.equal(reg.tokenServer.requests.at(-1).user, null);
    assert.deepEqual(reg.tokenServer.requests.at(-1).granted.map((g) => g.actions), [[], ['pull']]);
    const anonPull = await request(`${reg.url}/v2/team/app/blobs/${sha(blob)}`, { headers: { Authorization: `Bearer ${anon.token}` } });
    assert.equal(anonPull.status, 401);
  } finally {
    await reg.stop();
  }
});

test('token server: refresh tokens via POST, GET fallback with the identity token, oauth off', async () => {
  const reg = await startRegistry(sandbox, { mode: 'token', name: 'refresh' });
  const ts = reg.tokenServer;
  try {
    const scope = 'repository:r/s:pull,push';
    const first = await token(reg, { user: reg.user, password: reg.password, scopes: [scope], query: '&offline_token=true' });
    assert.ok(first.refresh_token, 'refresh_token issued when offline_token=true');
    const plainGet = await token(reg, { user: reg.user, password: reg.password, scopes: [scope] });
    assert.equal(plainGet.refresh_token, undefined);

    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first.refresh_token,
      service: ts.service, scope, client_id: 'wasme' }).toString();
    const post = await request(ts.url, { method: 'POST', body: form,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(post.status, 200);
    const access = JSON.parse(post.body).access_token;
    assert.equal(ts.requests.at(-1).grantType, 'refresh_token');
    assert.deepEqual(ts.requests.at(-1).scopes, [scope]);
    assert.equal(ts.requests.at(-1).user, reg.user);
    assert.equal(await pushBlob(reg.url, 'r/s', Buffer.from('refreshed'), `Bearer ${access}`), 201);

    const bad = await request(ts.url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'forged', service: ts.service, scope }).toString() });
    assert.equal(bad.status, 401);
    // GET with the identity token as the Basic password (a client's fallback when POST 404s).
    assert.equal((await token(reg, { user: '<token>', password: first.refresh_token, scopes: [scope] })).status, 200);
    assert.ok(ts.secrets().includes(first.refresh_token) && ts.secrets().includes(access));
  } finally {
    await reg.stop();
  }
  const noOauth = await startRegistry(sandbox, { mode: 'token', name: 'no-oauth', tokenOptions: { oauth: false } });
  try {
    const res = await request(noOauth.tokenServer.url, { method: 'POST', body: 'grant_type=refresh_token' });
    assert.equal(res.status, 404);
  } finally {
    await noOauth.stop();
  }
});

test('fault proxy: forward, canned answers, cut, tamper, replace, redirect, hang', async () => {
  const reg = await startRegistry(sandbox, { name: 'faults' });
  const other = await startOtherHost((req) => (req.url === '/blob' ? 'from the other host' : { status: 404 }));
  const proxy = await startFaultProxy(reg.port, (req, n) => (n < 2 ? { status: 503, body: 'busy' } : 'forward'));
  try {
    assert.equal((await request(`${proxy.url}/v2/`)).status, 503);
    assert.equal((await request(`${proxy.url}/v2/`)).status, 503);
    assert.equal((await request(`${proxy.url}/v2/`)).status, 200);
    assert.deepEqual(proxy.requests.map((r) => r.action), ['respond', 'respond', 'forward']);

    // Uploads pass through the proxy, and Location points back at the proxy.
    const blob = crypto.randomBytes(100_000);
    assert.equal(await pushBlob(proxy.url, 'f/g', blob, basic('u', 'secret-pw')), 201);
    const post = proxy.requests.find((r) => r.method === 'POST');
    assert.equal(post.headers.authorization, basic('u', 'secret-pw'));
    const blobUrl = `${proxy.url}/v2/f/g/blobs/${sha(blob)}`;

    proxy.setPlan(() => ({ cutAfterBytes: 1000 }));
    await assert.rejects(request(blobUrl), /aborted|socket hang up|ECONNRESET|terminated/);

    proxy.setPlan(() => ({ tamperBody: true }));
    const tampered = await request(blobUrl);
    assert.equal(tampered.body.length, blob.length);
    assert.notEqual(sha(tampered.body), sha(blob));
    assert.equal(Buffer.compare(tampered.body.subarray(0, -1), blob.subarray(0, -1)), 0, 'only the last byte differs');
    proxy.setPlan(() => ({ tamperBody: true, at: 7 }));
    const early = await request(blobUrl);
    assert.equal(early.body[7], blob[7] ^ 0xff);

    proxy.setPlan(() => ({ replaceBody: Buffer.alloc(5 << 20, 0x7b) }));
    const big = await request(blobUrl);
    assert.equal(big.status, 200);
    assert.equal(big.body.length, 5 << 20);
    assert.equal(big.headers['content-length'], String(5 << 20));

    proxy.setPlan(() => ({ redirect: `${other.url}/blob` }));
    const redirected = await request(blobUrl, { headers: { Authorization: 'Bearer tok' } });
    assert.equal(redirected.status, 307);
    assert.equal(redirected.headers.location, `${other.url}/blob`);
    const c = await curl(['-s', '-L', '-H', 'Authorization: Bearer tok', blobUrl]);
    assert.equal(c.stdout, 'from the other host');
    assert.equal(other.requests.length, 1);
    assert.equal(other.requests[0].headers.authorization, undefined, 'curl drops Authorization on another host');
    assert.ok(other.localhostUrl.startsWith('http://localhost:'));

    proxy.setPlan(() => 'hang');
    const before = proxy.requests.length;
    const hung = request(blobUrl);
    const outcome = hung.then(() => 'answered', () => 'socket closed');
    while (proxy.requests.length === before) await new Promise((r) => setImmediate(r));
    assert.equal(proxy.requests.at(-1).action, 'hang');
    await proxy.stop();
    assert.equal(await outcome, 'socket closed');
  } finally {
    await proxy.stop();
    await other.stop();
    await reg.stop();
  }
});

// skopeo (a real client doing its own challenge and token dance) against the servers.
const skopeo = (args) => promisify(execFile)('skopeo', args, { encoding: 'utf8' })
  .then((r) => ({ status: 0, ...r }), (e) => ({ status: e.code, stdout: e.stdout, stderr: e.stderr }));

test('skopeo pushes and inspects through token auth over tls; ACL and CA enforced', async () => {
  const layout = sandbox.path('layout');
  const { manifestBytes } = writeOciLayout(layout, 'v1', {
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', bytes: '{"architecture":"wasm","os":"wasip1"}' },
    // Not a plain tar: skopeo would gzip that on the way and change the manifest.
    layers: [{ mediaType: 'application/vnd.module.wasm.content.layer.v1+wasm', bytes: crypto.randomBytes(2048) }],
  });
  const reg = await startRegistry(sandbox, { mode: 'token', tls: true, name: 'skopeo', users: { reader: 'rpw' },
    acl: { wasme: { '*': ['pull', 'push'] }, reader: { '*': ['pull'] } } });
  const dest = `docker://${reg.host}/team/app:v1`;
  try {
    const noCa = await skopeo(['copy', '--dest-creds', `${reg.user}:${reg.password}`, `oci:${layout}:v1`, dest]);
    assert.notEqual(noCa.status, 0);
    assert.match(noCa.stderr, /certificate/);
    const denied = await skopeo(['copy', '--dest-cert-dir', reg.certDir, '--dest-creds', 'reader:rpw', `oci:${layout}:v1`, dest]);
    assert.notEqual(denied.status, 0, 'a pull-only user cannot push');
    const ok = await skopeo(['copy', '--dest-cert-dir', reg.certDir, '--dest-creds', `${reg.user}:${reg.password}`,
      `oci:${layout}:v1`, dest]);
    assert.equal(ok.status, 0, ok.stderr);
    const pushScopes = reg.tokenServer.requests.filter((r) => r.user === reg.user).flatMap((r) => r.scopes);
    assert.ok(pushScopes.includes('repository:team/app:pull,push'), JSON.stringify(pushScopes));
    const raw = await skopeo(['inspect', '--raw', '--cert-dir', reg.certDir, '--creds', 'reader:rpw', dest]);
    assert.equal(raw.status, 0, raw.stderr);
    assert.equal(raw.stdout, manifestBytes.toString());
    const anon = await skopeo(['inspect', '--raw', '--cert-dir', reg.certDir, '--no-creds', dest]);
    assert.notEqual(anon.status, 0, 'anonymous gets nothing');
  } finally {
    await reg.stop();
  }
});

test('pushRawImage stores a Docker schema 2 image byte for byte, with basic auth', async () => {
  const reg = await startRegistry(sandbox, { mode: 'basic', name: 'raw' });
  try {
    const auth = { Authorization: basic(reg.user, reg.password) };
    const mediaType = 'application/vnd.docker.distribution.manifest.v2+json';
    const { manifestBytes, digest } = await pushRawImage(reg, 'raw/img', 'v1', { mediaType, headers: auth,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', bytes: '{}' },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', bytes: 'not really gzip' }] });
    const got = await request(`${reg.url}/v2/raw/img/manifests/v1`, { headers: { ...auth, Accept: mediaType } });
    assert.equal(got.status, 200);
    assert.equal(got.headers['docker-content-digest'], digest);
    assert.deepEqual(got.body, manifestBytes);
    await assert.rejects(pushRawImage(reg, 'raw/img', 'v2', { config: { mediaType: 'x/y', bytes: '{}' }, layers: [] }), /401/);
  } finally {
    await reg.stop();
  }
});
