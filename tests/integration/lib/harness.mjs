// Shared helpers for integration tests: run the built wasme binary in a private sandbox
// (HOME, WASME_HOME, DOCKER_CONFIG inside a temp dir) and find free loopback ports.
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';

export const WASME_BIN = process.env.WASME_BIN || path.resolve('build/wasme');
export const SOURCE_DIR = process.env.WASME_SOURCE_DIR || path.resolve('.');
export const FIXTURES = path.join(SOURCE_DIR, 'tests/fixtures');

// A private directory with its own HOME; removed by cleanup().
export class Sandbox {
  constructor(prefix = 'wasme-it-') {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.home = path.join(this.dir, 'home');
    fs.mkdirSync(this.home);
    this.env = {
      PATH: process.env.PATH,
      HOME: this.home,
      WASME_HOME: path.join(this.home, '.wasme'),
      DOCKER_CONFIG: path.join(this.home, '.docker'),
      XDG_RUNTIME_DIR: path.join(this.dir, 'run'),
      LANG: 'C.UTF-8',
    };
  }
  path(...parts) { return path.join(this.dir, ...parts); }
  get store() { return path.join(this.env.WASME_HOME, 'store'); }
  write(rel, content, mode) {
    const p = this.path(rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content, mode ? { mode } : undefined);
    return p;
  }
  // Runs wasme synchronously; returns {status, stdout, stderr, json()}.
  run(args, { input, env = {}, cwd } = {}) {
    const r = spawnSync(WASME_BIN, args, {
      cwd: cwd || this.dir, env: { ...this.env, ...env }, input, encoding: 'utf8',
      maxBuffer: 512 << 20, timeout: 300_000,
    });
    if (r.error) throw r.error;
    return {
      status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr,
      json() { return JSON.parse(r.stdout); },
    };
  }
  // Runs wasme without blocking the event loop (for servers living in the test process);
  // resolves to {status, stdout, stderr, json()} like run().
  runAsync(args, { env = {}, input = '' } = {}) {
    return collectOutput(this.spawn(args, { env }), input);
  }
  // Runs wasme asynchronously (for concurrency tests and daemons); returns the ChildProcess.
  spawn(args, { env = {}, cwd, stdio = 'pipe' } = {}) {
    return spawn(WASME_BIN, args, { cwd: cwd || this.dir, env: { ...this.env, ...env }, stdio });
  }
  // Runs wasme on a pseudo-terminal (util-linux script(1)); stdout and stderr arrive merged,
  // as a person would see them. Each answer is typed once, in order, after the output since
  // the previous answer matches its `when`. Resolves to {status, output}.
  runOnTerminal(args, { env = {}, answers = [], timeoutMs = 60_000 } = {}) {
    const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
    const command = [WASME_BIN, ...args].map(quote).join(' ');
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      cwd: this.dir, env: { ...this.env, TERM: 'dumb', ...env }, stdio: 'pipe',
    });
    return new Promise((resolve, reject) => {
      let output = '';
      let seen = 0;  // output before this index was matched by an earlier answer
      const pending = [...answers];
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const onData = (d) => {
        output += d;
        while (pending.length && pending[0].when.test(output.slice(seen))) {
          seen = output.length;
          child.stdin.write(pending.shift().send);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('error', reject);
      child.on('close', (status, signal) => {
        clearTimeout(timer);
        resolve({ status, signal, output, unanswered: pending.length });
      });
    });
  }
  cleanup() { fs.rmSync(this.dir, { recursive: true, force: true }); }
}

// Feeds input to a spawned child and resolves to {status, stdout, stderr, json()} when it ends.
export function collectOutput(child, input = '') {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, json: () => JSON.parse(stdout) }));
    child.stdin.end(input);
  });
}

// Asserts exit status, showing stderr when it differs.
export function expectStatus(assert, result, status) {
  assert.equal(result.status, status,
    `expected exit ${status}, got ${result.status}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
}

// A free TCP port on 127.0.0.1 (bind to 0 and read it back).
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Waits until host:port accepts connections.
export async function waitForPort(port, host = '127.0.0.1', timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, host);
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
}

// Every file under dir with its bytes, for "store unchanged" checks.
export function snapshotTree(dir) {
  const out = {};
  if (!fs.existsSync(dir)) return out;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

export function sha256Hex(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}
