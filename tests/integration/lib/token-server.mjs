// A Docker-style token server (the "Bearer realm" of the distribution auth spec) for tests:
// RS256 JWTs whose x5c header holds a self-signed certificate the registry trusts through
// `auth.token.rootcertbundle`. It checks Basic credentials, grants only what the ACL allows,
// issues refresh tokens on request, and records every request so tests can assert on them.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

// One RSA key per test process: generating it is the slow part, and tests need no more.
let rsaKeyPem = null;

// Writes an RSA key and a self-signed certificate (PEM) into dir; returns their paths.
export function makeSigningCert(dir, subject = '/CN=wasme-test-token-issuer') {
  fs.mkdirSync(dir, { recursive: true });
  const keyFile = path.join(dir, 'token.key');
  const certFile = path.join(dir, 'token.crt');
  rsaKeyPem ??= crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    .export({ type: 'pkcs8', format: 'pem' });
  fs.writeFileSync(keyFile, rsaKeyPem, { mode: 0o600 });
  execFileSync('openssl', ['req', '-x509', '-key', keyFile, '-out', certFile, '-days', '3650',
    '-subj', subject], { stdio: 'ignore' });
  return { keyFile, certFile };
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

// The repository's granted actions from acl[who]: exact name first, then glob keys
// ('*' for every repository, 'team/*' for a prefix).
function aclActions(acl, who, repo) {
  const entries = acl[who];
  if (!entries) return [];
  if (entries[repo]) return entries[repo];
  for (const [pattern, actions] of Object.entries(entries)) {
    if (!pattern.includes('*')) continue;
    const re = new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*') + '$');
    if (re.test(repo)) return actions;
  }
  return [];
}

// "repository:team/x:pull,push" -> {type, name, actions}; names may contain ':' (a port).
export function parseScope(scope) {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return null;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last),
    actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

function parseBasic(header) {
  const m = /^Basic\s+(.+)$/i.exec(header || '');
  if (!m) return null;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? null : { user: text.slice(0, i), password: text.slice(i + 1) };
}

// options: users {name: password}, acl {user: {repo: [actions]}} ('*' user = anonymous and
// everyone), service, issuer, dir (for the signing cert), expiresIn seconds, oauth (false: POST
// answers 404, to exercise a client's GET fallback).
export async function startTokenServer({ users = {}, acl = {}, service = 'wasme-test-registry',
  issuer = 'wasme-test-issuer', dir, expiresIn = 300, oauth = true } = {}) {
  const { keyFile, certFile } = makeSigningCert(dir);
  const privateKey = crypto.createPrivateKey(fs.readFileSync(keyFile));
  const certDer = new crypto.X509Certificate(fs.readFileSync(certFile)).raw;
  const requests = [];
  const refreshTokens = new Map();  // refresh token -> user
  const issuedTokens = [];

  const sign = (sub, access) => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
    const claims = { iss: issuer, sub, aud: service, exp: now + expiresIn, nbf: now - 60, iat: now,
      jti: crypto.randomBytes(12).toString('hex'), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const token = `${input}.${b64url(crypto.sign('sha256', Buffer.from(input), privateKey))}`;
    issuedTokens.push(token);
    return token;
  };

  const grant = (who, scopes) => scopes.map(parseScope).filter((s) => s && s.type === 'repository')
    .map((s) => {
      const allowed = new Set([...aclActions(acl, '*', s.name),
        ...(who ? aclActions(acl, who, s.name) : [])]);
      return { type: 'repository', name: s.name, actions: s.actions.filter((a) => allowed.has(a)) };
    });

  // Who is asking: null for anonymous, undefined for refused credentials.
  const identify = (basic, refreshToken) => {
    if (refreshToken !== undefined) return refreshTokens.get(refreshToken);
    if (!basic) return null;
    if (Object.hasOwn(users, basic.user) && users[basic.user] === basic.password) return basic.user;
    // A client falling back to GET with an identity token sends it as the Basic password.
    return refreshTokens.get(basic.password);
  };

  const answer = (res, status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const handle = (req, res, body) => {
    const url = new URL(req.url, 'http://token');
    const record = { method: req.method, path: url.pathname, scopes: [], user: null, status: 0,
      grantType: null, hasAuthorization: Boolean(req.headers.authorization) };
    requests.push(record);
    if (url.pathname !== '/token' || (req.method === 'POST' && !oauth) ||
        !['GET', 'POST'].includes(req.method)) {
      record.status = 404;
      return answer(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'no such endpoint' }] });
    }
    const form = req.method === 'POST' ? new URLSearchParams(body) : url.searchParams;
    record.grantType = form.get('grant_type');
    record.service = form.get('service');
    record.scopes = req.method === 'POST' ? (form.get('scope') || '').split(' ').filter(Boolean)
      : form.getAll('scope');
    let who;
    if (req.method === 'POST' && record.grantType === 'refresh_token') {
      who = identify(null, form.get('refresh_token') || '');
    } else if (req.method === 'POST' && record.grantType === 'password') {
      who = identify({ user: form.get('username') || '', password: form.get('password') || '' });
    } else if (req.method === 'POST') {
      record.status = 400;
      return answer(res, 400, { errors: [{ code: 'UNSUPPORTED', message: 'unknown grant_type' }] });
    } else {
      who = identify(parseBasic(req.headers.authorization));
    }
    if (who === undefined) {
      record.status = 401;
      return answer(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication failed' }] });
    }
    if (record.service !== service) {
      record.status = 400;
      return answer(res, 400, { errors: [{ code: 'UNSUPPORTED', message: `unknown service ${record.service}` }] });
    }
    record.user = who;
    record.granted = grant(who, record.scopes);
    const token = sign(who || '', record.granted);
    const out = { token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString() };
    const wantsRefresh = form.get('offline_token') === 'true' || form.get('access_type') === 'offline';
    if (who && wantsRefresh) {
      out.refresh_token = crypto.randomBytes(24).toString('hex');
      refreshTokens.set(out.refresh_token, who);
    }
    record.status = 200;
    answer(res, 200, out);
  };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    port, url: `http://127.0.0.1:${port}/token`, service, issuer, certFile, requests, issuedTokens,
    // Tokens and refresh tokens handed out so far: tests grep client output for them.
    secrets: () => [...issuedTokens, ...refreshTokens.keys()],
    // Issues a refresh token for user directly (as a `docker login` would have stored one).
    refreshTokenFor(user) {
      const t = crypto.randomBytes(24).toString('hex');
      refreshTokens.set(t, user);
      return t;
    },
    setAcl(next) { acl = next; },
    stop() {
      return new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
    },
  };
}
