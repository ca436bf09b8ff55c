// A minimal proxy-wasm 0.2.1 host on node's WebAssembly, for tests that run a built filter:
// it provides the env.proxy_* functions filters commonly import (and WASI stubs), drives the
// callbacks the way Envoy does, and records what the filter asked the host to do.
//
//   const host = await ProxyHost.load(bytes, { rootId: 'add_header_root_id' });
//   host.configure('{"value":"hi"}');              // context_create(root), vm_start, configure
//   const stream = host.httpStream({ responseHeaders: [[':status', '200']] });
//   stream.responseHeaders  ->  [[':status', '200'], ['newheader', 'hi']]
//   host.headerCalls        ->  [{ op: 'add', map: 'response_headers', key: 'newheader', value: 'hi' }]
//
// An import the host does not implement fails at load time, naming it: a test never passes
// because a call silently did nothing.
import crypto from 'node:crypto';

const OK = 0;
const NOT_FOUND = 1;
const BAD_ARGUMENT = 2;

const BUFFER = { vm_configuration: 6, plugin_configuration: 7 };
const MAP_NAMES = ['request_headers', 'request_trailers', 'response_headers', 'response_trailers',
  'grpc_initial_metadata', 'grpc_trailing_metadata', 'http_call_response_headers',
  'http_call_response_trailers'];
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];
const WASI_ENOSYS = 52;
const WASI_EBADF = 8;

class ProcExit extends Error {
  constructor(code) { super(`module called proc_exit(${code})`); this.code = code; }
}

export class ProxyHost {
  // Compiles and instantiates the module; runs _initialize (reactor) or _start (command).
  static async load(bytes, { rootId = '', properties = {} } = {}) {
    const host = new ProxyHost(rootId, properties);
    const module = await WebAssembly.compile(bytes);
    host.instance = await WebAssembly.instantiate(module, host.#imports(module));
    host.exports = host.instance.exports;
    if (!host.exports.memory) throw new Error('the module exports no memory');
    if (typeof host.exports._initialize === 'function') host.exports._initialize();
    else if (typeof host.exports._start === 'function') host.#call('_start');
    return host;
  }

  constructor(rootId, properties) {
    this.rootId = rootId;
    this.properties = { plugin_root_id: rootId, ...properties };
    this.logs = [];          // {level, message}
    this.headerCalls = [];   // {op, map, key, value}
    this.stdout = '';
    this.calls = [];         // callbacks called, in order
    this.buffers = {};       // buffer type -> Buffer
    this.maps = {};          // map type -> [[key, value], ...] of the current stream
    this.nextContextId = 1;
    this.rootContextId = 0;
  }

  get abiVersion() {
    const names = Object.keys(this.exports).filter((n) => n.startsWith('proxy_abi_version_'));
    return names.length ? names[0].slice('proxy_abi_version_'.length).replaceAll('_', '.') : null;
  }

  // Creates the root context, starts the VM and configures the plugin, as Envoy does.
  // Returns true when the filter accepted the configuration.
  configure(pluginConfig, { vmConfig = '' } = {}) {
    this.rootContextId = this.nextContextId++;
    this.buffers[BUFFER.vm_configuration] = Buffer.from(vmConfig);
    this.buffers[BUFFER.plugin_configuration] = Buffer.from(pluginConfig);
    this.#call('proxy_on_context_create', this.rootContextId, 0);
    const started = this.#call('proxy_on_vm_start', this.rootContextId, Buffer.byteLength(vmConfig));
    if (!started) return false;
    return Boolean(this.#call('proxy_on_configure', this.rootContextId, Buffer.byteLength(pluginConfig)));
  }

  // One HTTP stream through the filter: request headers, then response headers; returns the
  // headers as the filter left them and the actions it returned (0 = Continue).
  httpStream({ requestHeaders = [[':method', 'GET'], [':path', '/']],
    responseHeaders = [[':status', '200']] } = {}) {
    if (!this.rootContextId) throw new Error('configure() the plugin first');
    const id = this.nextContextId++;
    this.#call('proxy_on_context_create', id, this.rootContextId);
    const stream = { id, requestHeaders: requestHeaders.map((h) => [...h]),
      responseHeaders: responseHeaders.map((h) => [...h]) };
    this.maps = { 0: stream.requestHeaders, 2: stream.responseHeaders };
    stream.requestAction = this.#optional('proxy_on_request_headers', id, stream.requestHeaders.length, 1);
    stream.responseAction = this.#optional('proxy_on_response_headers', id, stream.responseHeaders.length, 1);
    this.#optional('proxy_on_done', id);
    this.#optional('proxy_on_log', id);
    this.#optional('proxy_on_delete', id);
    this.maps = {};
    return stream;
  }

  #call(name, ...args) {
    const fn = this.exports[name];
    if (typeof fn !== 'function') throw new Error(`the module does not export ${name}`);
    this.calls.push(name);
    return fn(...args);
  }

  #optional(name, ...args) {
    return typeof this.exports[name] === 'function' ? this.#call(name, ...args) : undefined;
  }

  get #memory() { return Buffer.from(this.exports.memory.buffer); }
  #string(ptr, size) { return this.#memory.subarray(ptr, ptr + size).toString('utf8'); }
  #u32(ptr, value) { this.#memory.writeUInt32LE(value >>> 0, ptr); }

  // Copies bytes into memory the module allocates, as hosts do for returned buffers.
  #give(bytes, ptrPtr, sizePtr) {
    const alloc = this.exports.proxy_on_memory_allocate || this.exports.malloc;
    if (typeof alloc !== 'function') throw new Error('the module exports neither proxy_on_memory_allocate nor malloc');
    const ptr = bytes.length ? alloc(bytes.length) : 0;
    if (bytes.length && !ptr) throw new Error('the module could not allocate memory for a buffer');
    this.#memory.set(bytes, ptr);
    this.#u32(ptrPtr, ptr);
    this.#u32(sizePtr, bytes.length);
    return OK;
  }

  #headerMap(type) {
    if (!this.maps[type]) return null;
    return this.maps[type];
  }

  #env() {
    return {
      proxy_log: (level, ptr, size) => {
        this.logs.push({ level: LOG_LEVELS[level] || String(level), message: this.#string(ptr, size) });
        return OK;
      },
      proxy_get_buffer_bytes: (type, start, max, ptrPtr, sizePtr) => {
        const buf = this.buffers[type];
        if (!buf) return NOT_FOUND;
        return this.#give(buf.subarray(start, start + max), ptrPtr, sizePtr);
      },
      proxy_add_header_map_value: (type, kp, ks, vp, vs) => {
        const key = this.#string(kp, ks); const value = this.#string(vp, vs);
        this.headerCalls.push({ op: 'add', map: MAP_NAMES[type] || type, key, value });
        const map = this.#headerMap(type);
        if (!map) return BAD_ARGUMENT;
        map.push([key, value]);
        return OK;
      },
      proxy_replace_header_map_value: (type, kp, ks, vp, vs) => {
        const key = this.#string(kp, ks); const value = this.#string(vp, vs);
        this.headerCalls.push({ op: 'replace', map: MAP_NAMES[type] || type, key, value });
        const map = this.#headerMap(type);
        if (!map) return BAD_ARGUMENT;
        const rest = map.filter(([k]) => k !== key);
        map.length = 0;
        map.push(...rest, [key, value]);
        return OK;
      },
      proxy_remove_header_map_value: (type, kp, ks) => {
        const key = this.#string(kp, ks);
        this.headerCalls.push({ op: 'remove', map: MAP_NAMES[type] || type, key });
        const map = this.#headerMap(type);
        if (!map) return BAD_ARGUMENT;
        const rest = map.filter(([k]) => k !== key);
        map.length = 0;
        map.push(...rest);
        return OK;
      },
      proxy_get_header_map_value: (type, kp, ks, ptrPtr, sizePtr) => {
        const map = this.#headerMap(type);
        const found = map && map.find(([k]) => k === this.#string(kp, ks));
        if (!found) return NOT_FOUND;
        return this.#give(Buffer.from(found[1]), ptrPtr, sizePtr);
      },
      proxy_get_property: (pathPtr, pathSize, ptrPtr, sizePtr) => {
        // The path arrives as NUL-separated segments: "plugin_root_id" or "request\0path".
        const path = this.#string(pathPtr, pathSize).split('\0').filter(Boolean).join('.');
        if (!(path in this.properties)) return NOT_FOUND;
        return this.#give(Buffer.from(String(this.properties[path])), ptrPtr, sizePtr);
      },
      proxy_set_effective_context: () => OK,
      proxy_set_tick_period_milliseconds: () => OK,
      proxy_done: () => OK,
    };
  }

  #wasi() {
    return {
      fd_write: (fd, iovs, iovsLen, nwrittenPtr) => {
        if (fd !== 1 && fd !== 2) return WASI_EBADF;
        let written = 0;
        const mem = this.#memory;
        for (let i = 0; i < iovsLen; i++) {
          const ptr = mem.readUInt32LE(iovs + i * 8); const len = mem.readUInt32LE(iovs + i * 8 + 4);
          this.stdout += mem.subarray(ptr, ptr + len).toString('utf8');
          written += len;
        }
        this.#u32(nwrittenPtr, written);
        return 0;
      },
      proc_exit: (code) => { throw new ProcExit(code); },
      clock_time_get: (_id, _precision, timePtr) => { this.#memory.writeBigUInt64LE(0n, timePtr); return 0; },
      random_get: (ptr, len) => { crypto.randomFillSync(this.#memory, ptr, len); return 0; },
      environ_sizes_get: (countPtr, sizePtr) => { this.#u32(countPtr, 0); this.#u32(sizePtr, 0); return 0; },
      args_sizes_get: (countPtr, sizePtr) => { this.#u32(countPtr, 0); this.#u32(sizePtr, 0); return 0; },
      environ_get: () => 0,
      args_get: () => 0,
      sched_yield: () => 0,
      fd_close: () => WASI_EBADF,
      fd_seek: () => WASI_EBADF,
      fd_fdstat_get: () => WASI_EBADF,
      fd_read: () => WASI_EBADF,
    };
  }

  #imports(module) {
    const env = this.#env();
    const wasi = this.#wasi();
    const imports = {};
    const missing = [];
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind !== 'function') { missing.push(`${imp.module}.${imp.name} (${imp.kind})`); continue; }
      imports[imp.module] ||= {};
      if (imp.module === 'env' && env[imp.name]) imports.env[imp.name] = env[imp.name];
      else if (imp.module.startsWith('wasi_')) imports[imp.module][imp.name] = wasi[imp.name] || (() => WASI_ENOSYS);
      else missing.push(`${imp.module}.${imp.name}`);
    }
    if (missing.length) throw new Error(`the test host does not provide: ${missing.join(', ')}`);
    return imports;
  }
}
