// Helpers for the cache_*.test.mjs files: run `wasme cache` as a daemon, wait for it, look
// into its directory, a gate proxy that stalls or counts blob downloads, and a raw client
// that sends its request a byte at a time.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { FIXTURES, freePort, waitForPort } from './lib/harness.mjs';

export const MODULE = fs.readFileSync(path.join(FIXTURES, 'clang_filter.wasm'));
export const TEMP_PREFIX = '.wasme-tmp-';

// The fixture filter plus a custom section of `size` random bytes: a distinct, valid module.
export function moduleOfSize(size) {
  const leb = (n) => {
    const out = [];
    do { let b = n % 128; n = Math.floor(n / 128); if (n) b |= 0x80; out.push(b); } while (n);
    return Buffer.from(out);
  };
  const name = Buffer.from('pad');
  const content = Buffer.concat([leb(name.length), name, crypto.randomBytes(size)]);
  return Buffer.concat([MODULE, Buffer.from([0]), leb(content.length), content]);
}

// Polls cond (sync or async) until it is truthy; the deadline only stops a hung test.
export async function waitFor(cond, what, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await cond();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const moduleFiles = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => /^[0-9a-f]{64}$/.test(n)) : []);
export const tempFiles = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith(TEMP_PREFIX)) : []);

// Starts `wasme cache` on a free loopback port. args come after the defaults, so they win
// (and may carry --directory themselves, as the rendered DaemonSet's do).
export async function startCache(sandbox, { dir, refFile, refs = [], args = [], env = {} }) {
  const port = await freePort();
  const argv = ['cache', '--address', '127.0.0.1', '--port', String(port),
    '--interval', '100ms', '--max-backoff', '500ms'];
  if (dir) argv.push('--directory', dir);
  if (refFile) argv.push('--ref-file', refFile);
  const proc = sandbox.spawn([...argv, ...args, ...refs], { env });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  proc.stdout.resume();
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const early = exited.then((r) => { throw new Error(`wasme cache exited (${r.code ?? r.signal}):\n${stderr}`); });
  await Promise.race([waitForPort(port), early]);
  early.catch(() => {});
  const url = `http://127.0.0.1:${port}`;
  return {
    proc, port, url, exited,
    stderr: () => stderr,
    get: (p, init) => fetch(url + p, init),
    async images() { return (await fetch(`${url}/images`)).json(); },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

// A raw connection to 127.0.0.1:port that sends request one byte every intervalMs (the
// first at once) until the server answers or closes: a client fetch() will not imitate.
// Resolves once connected with {received, closed, destroy()}.
export function trickleRequest(port, request, intervalMs) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let timer = null;
    const state = { received: '', closed: false, destroy: () => { clearInterval(timer); socket.destroy(); } };
    let at = 0;
    let connected = false;
    const send = () => {
      if (state.closed || state.received || at >= request.length) return;
      socket.write(request[at++]);
    };
    socket.on('data', (d) => { state.received += d; });
    socket.on('close', () => { state.closed = true; clearInterval(timer); });
    socket.on('error', (e) => { if (!connected) reject(e); });  // after connecting: 'close' follows
    socket.once('connect', () => {
      connected = true;
      send();
      timer = setInterval(send, intervalMs);
      resolve(state);
    });
  });
}

// Runs docker-registry again on the config (and port, and data) a stopped registry used.
export async function restartRegistry(reg) {
  const proc = spawn('docker-registry', ['serve', path.join(reg.dir, 'config.yml')], { stdio: 'ignore' });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  await waitForPort(reg.port);
  return { proc, async stop() { if (proc.exitCode === null) proc.kill('SIGTERM'); await exited; } };
}

// A forwarding proxy in front of a registry that counts blob downloads in flight and, when
// told, stops every blob answer after `stallAfter` bytes (holding the connection open).
export async function startGate(targetPort) {
  const state = { inFlight: 0, maxInFlight: 0, blobGets: 0, stallAfter: null };
  const held = new Set();
  const sockets = new Set();
  const agent = new http.Agent({ keepAlive: false });
  const server = http.createServer((req, res) => {
    const blob = req.method === 'GET' && req.url.includes('/blobs/');
    if (blob) {
      state.blobGets++;
      state.maxInFlight = Math.max(state.maxInFlight, ++state.inFlight);
      let counted = true;
      res.on('close', () => { if (counted) { counted = false; state.inFlight--; } });
    }
    const up = http.request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url,
      headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      const limit = blob ? state.stallAfter : null;
      if (limit === null) return answer.pipe(res);
      let sent = 0;
      answer.on('data', (chunk) => {
        if (sent >= limit) return;
        const part = chunk.subarray(0, limit - sent);
        sent += part.length;
        res.write(part);
        if (sent >= limit) { answer.pause(); held.add(answer); }
      });
      answer.on('end', () => res.end());
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    port, host: `127.0.0.1:${port}`, state,
    stallBlobsAfter(bytes) { state.stallAfter = bytes; },
    // Lets blobs through again and drops the held connections (their clients see an error).
    open() {
      state.stallAfter = null;
      for (const a of held) a.destroy();
      held.clear();
    },
    stop() {
      this.open();
      return new Promise((resolve) => { server.close(() => resolve()); for (const s of sockets) s.destroy(); });
    },
  };
}
