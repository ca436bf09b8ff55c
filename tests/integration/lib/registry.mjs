// Starts the Debian docker-registry (distribution 2.8.2) on a free loopback port, in one of
// four modes: 'plain' (anonymous HTTP), 'basic' (htpasswd, bcrypt), 'tls' (HTTPS with a fresh
// self-signed CA) and 'token' (Bearer tokens from token-server.mjs, with an ACL).
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { freePort, waitForPort } from './harness.mjs';
import { startTokenServer } from './token-server.mjs';

const MODES = ['plain', 'basic', 'tls', 'token'];

// A self-signed certificate for localhost and 127.0.0.1; it is its own CA. An EC P-256 key:
// as good for a test as RSA and generated in milliseconds.
export function makeTlsCert(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const keyFile = path.join(dir, 'tls.key');
  const certFile = path.join(dir, 'tls.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', keyFile,
    '-out', certFile, '-days', '3650', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  // skopeo's --cert-dir / --src-cert-dir want a directory of *.crt CA files.
  const certDir = path.join(dir, 'certs.d');
  fs.mkdirSync(certDir, { recursive: true });
  fs.copyFileSync(certFile, path.join(certDir, 'ca.crt'));
  return { keyFile, certFile, certDir };
}

function htpasswdLines(users) {
  return Object.entries(users)
    .map(([u, p]) => execFileSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' }).trim())
    .join('\n') + '\n';
}

// Spawns the registry and resolves once it listens; rejects with its stderr if it exits first.
async function launch(config, port) {
  const proc = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const early = exited.then(({ code, signal }) => {
    throw new Error(`docker-registry exited (${code ?? signal}) before listening:\n${stderr}`);
  });
  try {
    await Promise.race([waitForPort(port), early]);
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  early.catch(() => {});
  return { proc, exited, stderr: () => stderr };
}

// options:
//   mode      'plain' | 'basic' | 'tls' | 'token'
//   user, password   the account basic and token modes accept (password random by default)
//   users     more accounts {name: password}
//   acl       token mode: {user: {repo: ['pull','push']}}; repo may be '*' or 'team/*';
//             user '*' applies to everyone including anonymous (default: user may do anything)
//   tls       also serve HTTPS in basic or token mode
//   tokenOptions  passed to startTokenServer (expiresIn, oauth)
//   name      directory under the sandbox (to run several registries)
// Returns {host, port, url, scheme, caFile, certDir, user, password, users, tokenServer, dir,
// stop()}; stop() ends the registry and the token server and resolves when they are gone.
export async function startRegistry(sandbox, {
  mode = 'plain', user = 'wasme', password = crypto.randomBytes(12).toString('hex'), users = {},
  acl, tls = mode === 'tls', tokenOptions = {}, name = 'registry',
} = {}) {
  if (!MODES.includes(mode)) throw new Error(`registry mode ${mode} is not one of ${MODES.join(', ')}`);
  const port = await freePort();
  const dir = sandbox.path(name);
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  const accounts = { [user]: password, ...users };
  const lines = [
    'version: 0.1',
    'log: {level: error, accesslog: {disabled: true}}',
    `storage: {filesystem: {rootdirectory: ${path.join(dir, 'data')}}, delete: {enabled: true}}`,
  ];
  let caFile = null;
  let certDir = null;
  if (tls) {
    const cert = makeTlsCert(path.join(dir, 'tls'));
    caFile = cert.certFile;
    certDir = cert.certDir;
    lines.push(`http: {addr: 127.0.0.1:${port}, tls: {certificate: ${cert.certFile}, key: ${cert.keyFile}}}`);
  } else {
    lines.push(`http: {addr: 127.0.0.1:${port}}`);
  }
  let tokenServer = null;
  if (mode === 'basic') {
    const file = path.join(dir, 'htpasswd');
    fs.writeFileSync(file, htpasswdLines(accounts));
    lines.push(`auth: {htpasswd: {realm: wasme-test, path: ${file}}}`);
  } else if (mode === 'token') {
    tokenServer = await startTokenServer({ users: accounts, acl: acl || { [user]: { '*': ['pull', 'push'] } },
      dir: path.join(dir, 'token'), ...tokenOptions });
    lines.push(`auth: {token: {realm: "${tokenServer.url}", service: ${tokenServer.service}, ` +
      `issuer: ${tokenServer.issuer}, rootcertbundle: ${tokenServer.certFile}}}`);
  }
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(config, lines.join('\n') + '\n');
  let launched;
  try {
    launched = await launch(config, port);
  } catch (e) {
    if (tokenServer) await tokenServer.stop();
    throw e;
  }
  const scheme = tls ? 'https' : 'http';
  return {
    host: `127.0.0.1:${port}`, port, url: `${scheme}://127.0.0.1:${port}`, scheme, mode, dir,
    caFile, certDir, user, password, users: accounts, tokenServer, proc: launched.proc,
    stderr: launched.stderr,
    async stop() {
      if (launched.proc.exitCode === null && launched.proc.signalCode === null) {
        launched.proc.kill('SIGTERM');
      }
      await launched.exited;
      if (tokenServer) await tokenServer.stop();
    },
  };
}

// Writes an OCI image layout at dir holding one image tagged tag (for `skopeo copy oci:dir:tag`).
// config and layers are {mediaType, bytes, annotations?}; returns {manifest, manifestBytes, digest}.
export function writeOciLayout(dir, tag, { config, layers, annotations, mediaType =
  'application/vnd.oci.image.manifest.v1+json' }) {
  const blobs = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (bytes) => {
    const hex = crypto.createHash('sha256').update(bytes).digest('hex');
    fs.writeFileSync(path.join(blobs, hex), bytes);
    return `sha256:${hex}`;
  };
  const describe = ({ mediaType: mt, bytes, annotations: a }) =>
    ({ mediaType: mt, digest: put(Buffer.from(bytes)), size: Buffer.from(bytes).length, ...(a ? { annotations: a } : {}) });
  const manifest = { schemaVersion: 2, mediaType, config: describe(config), layers: layers.map(describe),
    ...(annotations ? { annotations } : {}) };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const digest = put(manifestBytes);
  fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [
    { mediaType, digest, size: manifestBytes.length, annotations: { 'org.opencontainers.image.ref.name': tag } }] }));
  return { manifest, manifestBytes, digest };
}

// Pushes an image over the registry API (POST+PUT per blob, then the manifest) without any
// client tool: for shapes skopeo would rewrite (Docker schema 2, hostile layers, odd configs).
// config and layers are {mediaType, bytes, annotations?}; returns {manifestBytes, digest}.
export async function pushRawImage(reg, repo, tag, { config, layers, mediaType =
  'application/vnd.oci.image.manifest.v1+json', annotations, headers = {} }) {
  const base = reg.url;
  const ca = reg.caFile ? fs.readFileSync(reg.caFile) : undefined;
  const sha = (b) => 'sha256:' + crypto.createHash('sha256').update(b).digest('hex');
  const send = async (url, method, body, extra = {}) => {
    const res = await fetchRaw(url, { method, body, ca, headers: { ...headers, ...extra } });
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${res.body}`);
    return res;
  };
  const putBlob = async ({ mediaType: mt, bytes, annotations: a }) => {
    const buf = Buffer.from(bytes);
    const post = await send(`${base}/v2/${repo}/blobs/uploads/`, 'POST');
    const loc = new URL(post.headers.location, base);
    loc.searchParams.set('digest', sha(buf));
    await send(loc.href, 'PUT', buf, { 'Content-Type': 'application/octet-stream', 'Content-Length': buf.length });
    return { mediaType: mt, digest: sha(buf), size: buf.length, ...(a ? { annotations: a } : {}) };
  };
  const manifest = { schemaVersion: 2, mediaType, config: await putBlob(config), layers: [] };
  for (const layer of layers) manifest.layers.push(await putBlob(layer));
  if (annotations) manifest.annotations = annotations;
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  await send(`${base}/v2/${repo}/manifests/${tag}`, 'PUT', manifestBytes, { 'Content-Type': mediaType });
  return { manifestBytes, digest: sha(manifestBytes) };
}

// One HTTP(S) request: {status, headers, body(Buffer)}.
export function fetchRaw(url, { method = 'GET', headers = {}, body, ca } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(u, { method, headers, ca, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
    });
    req.on('error', reject);
    req.end(body);
  });
}
