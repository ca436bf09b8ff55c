// `wasme run`: the C test filter (tests/fixtures/src/host_filter.c) in front of a real
// upstream, reached with curl. Local replies, HTTP calls to --cluster, metrics on --admin,
// shared data across workers, --max-body, a trapping filter, and a clean stop on SIGTERM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { Sandbox, expectStatus, FIXTURES } from './lib/harness.mjs';

const sb = new Sandbox('wasme-run-');
const run = promisify(execFile);
let filter;
let upstream;
let upstreamPort;
const running = new Set();

before(async () => {
  filter = sb.path('host_filter.wasm');
  const cc = spawnSync('clang', ['--target=wasm32-unknown-unknown', '-O2', '-nostdlib', '-Wl,--no-entry', '-o', filter,
    path.join(FIXTURES, 'src', 'host_filter.c')], { encoding: 'utf8' });
  assert.equal(cc.status, 0, cc.stderr);
  // The upstream echoes what reached it; /check is the "auth" cluster's answer.
  upstream = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (req.url === '/check') { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('alice'); return; }
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(JSON.stringify({ url: req.url, method: req.method, headers: req.headers, body }));
    });
  });
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamPort = upstream.address().port;
});

after(async () => {
  for (const child of running) child.kill('SIGKILL');
  await new Promise((resolve) => upstream.close(resolve));
  sb.cleanup();
});

// Starts `wasme run` on a free port; resolves once it says where it listens.
function startRun(args) {
  const child = sb.spawn(['run', filter, '--upstream', `http://127.0.0.1:${upstreamPort}`, '--listen', '127.0.0.1:0', ...args]);
  running.add(child);
  let stderr = '';
  const exited = new Promise((resolve) => child.on('close', (status) => { running.delete(child); resolve({ status, stderr }); }));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      const line = /^wasme run: .*\n/m.exec(stderr);  // stderr is unbuffered: wait for the whole line
      const port = line && /on http:\/\/127\.0\.0\.1:(\d+)/.exec(line[0]);
      const admin = line && /admin on http:\/\/127\.0\.0\.1:(\d+)/.exec(line[0]);
      if (port) resolve({ child, port: Number(port[1]), admin: admin && Number(admin[1]), exited, stderr: () => stderr });
    });
    exited.then((r) => reject(new Error(`wasme run exited ${r.status}: ${r.stderr}`)));
  });
}

async function curl(url, args = []) {
  const { stdout } = await run('curl', ['-s', '-i', ...args, url]);
  const [head, ...rest] = stdout.split('\r\n\r\n');
  const [statusLine, ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

test('a local reply stops the request; with x-allow it reaches the upstream, body and all', async () => {
  const p = await startRun(['--config', 'deny']);
  const denied = await curl(`http://127.0.0.1:${p.port}/x`);
  assert.equal(denied.status, 403);
  assert.equal(denied.headers['x-denied'], '1');
  assert.equal(denied.body, 'forbidden');
  const allowed = await curl(`http://127.0.0.1:${p.port}/y?q=1`, ['-H', 'x-allow: 1', '-d', 'payload']);
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers['x-upstream'], 'yes');
  const seen = JSON.parse(allowed.body);
  assert.equal(seen.url, '/y?q=1');
  assert.equal(seen.method, 'POST');
  assert.equal(seen.body, 'payload');
  assert.equal(seen.headers['x-allow'], '1');
  assert.equal(seen.headers.host, `127.0.0.1:${p.port}`);
  p.child.kill('SIGTERM');
  const end = await p.exited;
  assert.equal(end.status, 0, end.stderr);
  assert.match(end.stderr, /received SIGTERM; stopping/);
});

test('HTTP calls go to --cluster; to an unknown cluster they are refused at once, as in Envoy', async () => {
  const p = await startRun(['--config', 'call', '--cluster', `auth=http://127.0.0.1:${upstreamPort}`]);
  const r = await curl(`http://127.0.0.1:${p.port}/api`);
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).headers['x-auth'], 'alice');
  p.child.kill('SIGINT');
  assert.equal((await p.exited).status, 0);
  const none = await startRun(['--config', 'call']);
  const refused = await curl(`http://127.0.0.1:${none.port}/api`);  // the filter lets the request through
  assert.equal(refused.status, 200);
  assert.equal(JSON.parse(refused.body).headers['x-auth'], undefined);
  assert.match(none.stderr(), /host_filter: http call refused/);
  none.child.kill('SIGTERM');
  await none.exited;
});

test('metrics on --admin /stats as Envoy prints them; shared data counts across workers', async () => {
  const m = await startRun(['--config', 'metrics', '--admin', '127.0.0.1:0', '--workers', '3']);
  for (const p of ['/a', '/bb', '/ccc']) assert.equal((await curl(`http://127.0.0.1:${m.port}${p}`)).status, 200);
  const stats = await curl(`http://127.0.0.1:${m.admin}/stats`);
  assert.match(stats.body, /^requests_total: 3$/m);
  assert.match(stats.body, /^last_path_length: 4$/m);
  assert.match(stats.body, /^request_body_bytes: P0\(nan,nan\)/m);
  m.child.kill('SIGTERM');
  const end = await m.exited;
  assert.match(end.stderr, /^requests_total: 3$/m);  // the metrics also reach stderr at the end

  const s = await startRun(['--config', 'shared', '--workers', '4']);
  const hits = await Promise.all(Array.from({ length: 12 }, () => curl(`http://127.0.0.1:${s.port}/`)));
  assert.deepEqual(hits.map((h) => Number(h.headers['x-hits'])).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  s.child.kill('SIGTERM');
  await s.exited;
});

test('bodies over --max-body get 413; a trapping filter answers 503 and the proxy lives on', async () => {
  const b = await startRun(['--config', 'body', '--max-body', '1KiB']);
  const small = await curl(`http://127.0.0.1:${b.port}/`, ['-d', 'abc']);
  assert.equal(JSON.parse(small.body.replace(/ \(seen by wasme\)$/, '')).body, 'ABC');
  assert.equal((await curl(`http://127.0.0.1:${b.port}/`, ['-d', 'x'.repeat(2048)])).status, 413);
  b.child.kill('SIGTERM');
  await b.exited;

  const t = await startRun(['--config', 'trap', '--workers', '1']);
  assert.equal((await curl(`http://127.0.0.1:${t.port}/`)).status, 503);
  assert.equal((await curl(`http://127.0.0.1:${t.port}/`)).status, 503);
  assert.match(t.stderr(), /\[error\] wasme: proxy_on_request_headers: unreachable executed/);
  t.child.kill('SIGTERM');
  assert.equal((await t.exited).status, 0);
});

test('bad flags and a busy port are refused with the reason', async () => {
  for (const [args, status, message] of [
    [['--upstream', 'https://example.com:443'], 2, /https is not supported/],
    [['--upstream', 'http://x'], 2, /expected HOST:PORT/],
    [['--upstream', `http://127.0.0.1:${upstreamPort}`, '--cluster', 'noequals'], 2, /expected NAME=http/],
    [['--upstream', `http://127.0.0.1:${upstreamPort}`, '--listen', `127.0.0.1:${upstreamPort}`, '--config', 'deny'], 1,
      /listening on 127\.0\.0\.1:\d+: the address is in use/],
    [['--upstream', `http://127.0.0.1:${upstreamPort}`, '--listen', '127.0.0.1:0'], 1, /proxy_on_configure returned false: the filter refused its configuration/],
  ]) {
    const r = await sb.runAsync(['run', filter, ...args]);
    expectStatus(assert, r, status);
    assert.match(r.stderr, message);
  }
});
