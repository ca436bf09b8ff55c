// A fault-injecting HTTP proxy in front of a loopback registry, and a recording "other host".
// The proxy decides per request (plan(req, n)) what to do:
//   'forward'                      pass the request and the answer through unchanged
//   {status, headers, body}        answer this instead (the registry never sees the request)
//   {cutAfterBytes: N}             forward, but close the socket after N bytes of the answer body
//   {stallAfterBytes: N}           forward N bytes of the answer body, then send nothing more
//   {bytesPerSecond: R}            forward the answer body at R bytes a second
//   'hang'                         read the request, never answer (until stop())
//   {redirect: url, status?}       answer 307 (or status) with Location: url
//   {tamperBody: true, at?}        forward, flipping one body byte (at an offset; default the last)
//   {replaceBody: buf}             forward status and headers, with buf as the body
// plan may be async; n counts requests from 0. Every request is recorded in `requests`.
import http from 'node:http';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection',
  'upgrade', 'te', 'trailer']);

// Raw header pairs without hop-by-hop headers (and without those listed in drop).
function passHeaders(rawHeaders, drop = []) {
  const out = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (HOP_BY_HOP.has(name) || drop.includes(name)) continue;
    out.push(rawHeaders[i], rawHeaders[i + 1]);
  }
  return out;
}

function actionName(action) {
  if (typeof action === 'string') return action;
  for (const key of ['cutAfterBytes', 'stallAfterBytes', 'bytesPerSecond', 'redirect', 'tamperBody', 'replaceBody']) {
    if (key in action) return key;
  }
  return 'respond';
}

// Starts a server on 127.0.0.1:0 that tracks its sockets so stop() can end hung requests.
async function listen(handler) {
  const server = http.createServer(handler);
  const sockets = new Set();
  const counts = { connections: 0 };
  server.on('connection', (s) => {
    counts.connections += 1;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const stop = () => new Promise((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
  return { server, port: server.address().port, stop, counts };
}

// Pipes the upstream answer to res, flipping one byte (at offset, or the last when at is null).
function pipeTampered(up, res, at) {
  let seen = 0;
  let held = null;
  let flipped = false;
  up.on('data', (chunk) => {
    chunk = Buffer.from(chunk);
    if (at != null && !flipped && at < seen + chunk.length) {
      chunk[at - seen] ^= 0xff;
      flipped = true;
    }
    seen += chunk.length;
    if (at == null) {
      if (held) res.write(held);
      held = chunk;
    } else {
      res.write(chunk);
    }
  });
  up.on('end', () => {
    if (held && held.length) held[held.length - 1] ^= 0xff;
    res.end(held || undefined);
  });
}

// Pipes at most limit bytes of the upstream answer, then destroys the client socket.
function pipeCut(up, res, limit) {
  let sent = 0;
  const cut = () => { up.destroy(); res.socket?.destroy(); };
  if (limit === 0) { res.flushHeaders(); setImmediate(cut); return; }
  up.on('data', (chunk) => {
    if (sent >= limit) return;
    const part = chunk.subarray(0, limit - sent);
    sent += part.length;
    if (sent >= limit) res.write(part, cut);
    else res.write(part);
  });
  up.on('end', () => { if (sent < limit) cut(); });
}

// Pipes limit bytes of the upstream answer, then holds the connection open, sending nothing.
function pipeStall(up, res, limit) {
  let sent = 0;
  up.on('data', (chunk) => {
    if (sent >= limit) { up.pause(); return; }
    const part = chunk.subarray(0, limit - sent);
    sent += part.length;
    res.write(part);
    if (sent >= limit) up.pause();
  });
}

// Pipes the upstream answer at rate bytes a second, in 10 slices a second.
function pipeThrottled(up, res, rate) {
  const slice = Math.max(1, Math.floor(rate / 10));
  let pending = Buffer.alloc(0);
  let ended = false;
  up.on('data', (chunk) => { pending = Buffer.concat([pending, chunk]); if (pending.length > 4 * slice) up.pause(); });
  up.on('end', () => { ended = true; });
  const timer = setInterval(() => {
    if (res.destroyed) { clearInterval(timer); up.destroy(); return; }
    const part = pending.subarray(0, slice);
    pending = pending.subarray(part.length);
    if (part.length) res.write(part);
    if (pending.length < 2 * slice) up.resume();
    if (ended && pending.length === 0) { clearInterval(timer); res.end(); }
  }, 100);
  res.on('close', () => clearInterval(timer));
}

export async function startFaultProxy(targetPort, plan = () => 'forward', { targetHost = '127.0.0.1' } = {}) {
  const requests = [];
  const agent = new http.Agent({ keepAlive: true });
  let count = 0;

  const forward = (req, body, res, action) => {
    const headers = passHeaders(req.rawHeaders, ['expect']);
    // A chunked request arrives here whole: send it on with its length.
    if (req.headers['transfer-encoding']) headers.push('Content-Length', String(body.length));
    const up = http.request({ host: targetHost, port: targetPort, method: req.method, path: req.url,
      headers, agent });
    up.on('error', () => res.socket?.destroy());
    up.on('response', (ur) => {
      if (action.replaceBody !== undefined) {
        const buf = Buffer.from(action.replaceBody);
        ur.resume();
        res.writeHead(ur.statusCode, [...passHeaders(ur.rawHeaders, ['content-length']),
          'Content-Length', String(buf.length)]);
        return res.end(buf);
      }
      res.writeHead(ur.statusCode, passHeaders(ur.rawHeaders));
      if (action.tamperBody) pipeTampered(ur, res, action.at ?? null);
      else if (action.cutAfterBytes !== undefined) pipeCut(ur, res, action.cutAfterBytes);
      else if (action.stallAfterBytes !== undefined) pipeStall(ur, res, action.stallAfterBytes);
      else if (action.bytesPerSecond !== undefined) pipeThrottled(ur, res, action.bytesPerSecond);
      else ur.pipe(res);
    });
    up.end(body);
  };

  const respond = async (req, body, res) => {
    const n = count++;
    const record = { n, method: req.method, url: req.url, headers: { ...req.headers }, bodyLength: body.length };
    requests.push(record);
    let action = await plan(req, n);
    if (action === undefined || action === null) action = 'forward';
    record.action = actionName(action);
    if (action === 'hang') return;
    if (action === 'forward') return forward(req, body, res, {});
    if (action.redirect) {
      res.writeHead(action.status || 307, { Location: action.redirect, 'Content-Length': '0' });
      return res.end();
    }
    if (action.status && !('replaceBody' in action)) {
      const payload = action.body === undefined ? Buffer.alloc(0) : Buffer.from(action.body);
      res.writeHead(action.status, { 'Content-Length': String(payload.length), ...(action.headers || {}) });
      return res.end(payload);
    }
    forward(req, body, res, action);
  };

  // Reads the whole request first: a fault answered before the body was read confuses
  // clients in ways no real registry does.
  const proxy = await listen((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => { respond(req, Buffer.concat(chunks), res).catch(() => res.socket?.destroy()); });
  });
  return {
    port: proxy.port, host: `127.0.0.1:${proxy.port}`, url: `http://127.0.0.1:${proxy.port}`, requests,
    // TCP connections accepted so far (clients that reuse connections open few).
    get connections() { return proxy.counts.connections; },
    setPlan(next) { plan = next; },
    async stop() { agent.destroy(); await proxy.stop(); },
  };
}

// A plain HTTP server standing for "another host" (a blob store a registry redirects to).
// respond(req, body) returns {status, headers, body} or a Buffer/string (200); records requests.
export async function startOtherHost(respond = () => ({ status: 404 })) {
  const requests = [];
  const srv = await listen((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method, url: req.url, headers: { ...req.headers } });
      let out = await respond(req, body);
      if (typeof out === 'string' || Buffer.isBuffer(out)) out = { status: 200, body: out };
      const payload = out.body === undefined ? Buffer.alloc(0) : Buffer.from(out.body);
      res.writeHead(out.status || 200, { 'Content-Length': String(payload.length), ...(out.headers || {}) });
      res.end(payload);
    });
  });
  return {
    port: srv.port, host: `127.0.0.1:${srv.port}`, url: `http://127.0.0.1:${srv.port}`,
    // The same server under another name: a client comparing host names sees a different host.
    localhostUrl: `http://localhost:${srv.port}`, requests, stop: srv.stop,
  };
}
