// env.proxy_* for the HTTP stream: header maps, buffers, local replies, resuming, HTTP calls.
#include "wasme/host/vm_state.hpp"

namespace wasme::host {
namespace {

// The header map a type names in the active context; nullptr when it has none.
Headers* header_map(VmState& s, uint64_t type) {
  Exchange* stream = s.stream();
  switch (static_cast<HeaderMapType>(type)) {
    case HeaderMapType::request_headers: return stream ? &stream->request.headers : nullptr;
    case HeaderMapType::request_trailers: return stream ? &stream->request.trailers : nullptr;
    case HeaderMapType::response_headers: return stream ? &stream->response.headers : nullptr;
    case HeaderMapType::response_trailers: return stream ? &stream->response.trailers : nullptr;
    case HeaderMapType::http_call_response_headers:
      return s.call_response ? const_cast<Headers*>(&s.call_response->headers) : nullptr;
    case HeaderMapType::http_call_response_trailers:
      return s.call_response ? const_cast<Headers*>(&s.call_response->trailers) : nullptr;
    default: return nullptr;
  }
}

bool valid_map_type(uint64_t type) { return type <= static_cast<uint64_t>(HeaderMapType::http_call_response_trailers); }

bool read_only_map(uint64_t type) {
  auto t = static_cast<HeaderMapType>(type);
  return t == HeaderMapType::http_call_response_headers || t == HeaderMapType::http_call_response_trailers;
}

// The buffer a type names; nullptr when the active context has none. writable says whether
// proxy_set_buffer_bytes may change it.
std::string* buffer(VmState& s, uint64_t type, bool* writable) {
  Exchange* stream = s.stream();
  *writable = false;
  switch (static_cast<BufferType>(type)) {
    case BufferType::http_request_body: *writable = true; return stream ? &stream->request.body : nullptr;
    case BufferType::http_response_body: *writable = true; return stream ? &stream->response.body : nullptr;
    case BufferType::http_call_response_body:
      return s.call_response ? const_cast<std::string*>(&s.call_response->body) : nullptr;
    case BufferType::vm_configuration: return &s.config.vm_config;
    case BufferType::plugin_configuration: return &s.config.plugin_config;
    default: return nullptr;
  }
}

uint32_t get_header_map_value(VmState& s, const uint64_t* a) {
  Headers* map = header_map(s, a[0]);
  auto key = s.memory->view(a[1], a[2]);
  if (!key) return result(WasmResult::invalid_memory_access);
  if (!valid_map_type(a[0])) return result(WasmResult::bad_argument);
  // Envoy answers a header's first value (Context::getHeaderMapValue), and ABI 0.1.0 answers a
  // missing one with an empty value (proxy-wasm-cpp-host exports.cc).
  std::optional<std::string> value = map ? first_header_value(*map, *key) : std::nullopt;
  if (!value && s.abi == wasm::ProxyAbi::v0_1_0) value = std::string();
  if (!value) return result(WasmResult::not_found);
  return result(s.memory->return_bytes(*value, a[3], a[4]));
}

uint32_t add_header_map_value(VmState& s, const uint64_t* a) {
  Headers* map = header_map(s, a[0]);
  auto key = s.memory->view(a[1], a[2]);
  auto value = s.memory->view(a[3], a[4]);
  if (!key || !value) return result(WasmResult::invalid_memory_access);
  if (!map || read_only_map(a[0])) return result(WasmResult::bad_argument);
  map->emplace_back(lower_case(*key), std::string(*value));
  return kWasmOk;
}

uint32_t replace_header_map_value(VmState& s, const uint64_t* a) {
  Headers* map = header_map(s, a[0]);
  auto key = s.memory->view(a[1], a[2]);
  auto value = s.memory->view(a[3], a[4]);
  if (!key || !value) return result(WasmResult::invalid_memory_access);
  if (!map || read_only_map(a[0])) return result(WasmResult::bad_argument);
  replace_header(*map, *key, *value);
  return kWasmOk;
}

uint32_t remove_header_map_value(VmState& s, const uint64_t* a) {
  Headers* map = header_map(s, a[0]);
  auto key = s.memory->view(a[1], a[2]);
  if (!key) return result(WasmResult::invalid_memory_access);
  if (!map || read_only_map(a[0])) return result(WasmResult::bad_argument);
  remove_header(*map, *key);
  return kWasmOk;
}

uint32_t get_header_map_pairs(VmState& s, const uint64_t* a) {
  if (!valid_map_type(a[0])) return result(WasmResult::bad_argument);
  Headers* map = header_map(s, a[0]);
  // A map the stream does not have yet, or an empty one, is no data at all (address 0, size 0),
  // as proxy-wasm-cpp-host's get_header_map_pairs answers.
  if (!map || map->empty()) return result(s.memory->return_bytes("", a[1], a[2]));
  return result(s.memory->return_bytes(serialize_pairs(*map), a[1], a[2]));
}

uint32_t set_header_map_pairs(VmState& s, const uint64_t* a) {
  Headers* map = header_map(s, a[0]);
  auto bytes = s.memory->view(a[1], a[2]);
  if (!bytes) return result(WasmResult::invalid_memory_access);
  if (!map || read_only_map(a[0])) return result(WasmResult::bad_argument);
  auto pairs = parse_pairs(*bytes);
  if (!pairs) return result(WasmResult::parse_failure);
  map->clear();
  for (auto& [k, v] : *pairs) map->emplace_back(lower_case(k), std::move(v));
  return kWasmOk;
}

uint32_t get_header_map_size(VmState& s, const uint64_t* a) {
  if (!valid_map_type(a[0])) return result(WasmResult::bad_argument);
  Headers* map = header_map(s, a[0]);
  // Envoy answers the map's byteSize(): the lengths of its keys and values added up.
  uint64_t size = 0;
  if (map) {
    for (const auto& [k, v] : *map) size += k.size() + v.size();
  }
  return s.memory->write_u32(a[1], static_cast<uint32_t>(size)) ? kWasmOk : result(WasmResult::invalid_memory_access);
}

uint32_t get_buffer_bytes(VmState& s, const uint64_t* a) {
  bool writable;
  std::string* data = buffer(s, a[0], &writable);
  if (!data) return result(WasmResult::not_found);
  const uint64_t start = a[1], max = a[2];
  // A copy: the module's allocator runs before the bytes are written, and may change the buffer.
  std::string bytes = start < data->size() ? data->substr(start, max) : std::string();
  return result(s.memory->return_bytes(bytes, a[3], a[4]));
}

uint32_t get_buffer_status(VmState& s, const uint64_t* a) {
  bool writable;
  std::string* data = buffer(s, a[0], &writable);
  if (!data) return result(WasmResult::not_found);
  if (!s.memory->write_u32(a[1], static_cast<uint32_t>(data->size())) || !s.memory->write_u32(a[2], 0)) {
    return result(WasmResult::invalid_memory_access);
  }
  return kWasmOk;
}

// Envoy's semantics (source/extensions/common/wasm/context.cc, Buffer::copyFrom): start 0 and
// size 0 prepends, start 0 and size >= length replaces, start >= length appends; anything
// else is a bad argument.
uint32_t set_buffer_bytes(VmState& s, const uint64_t* a) {
  bool writable;
  std::string* data = buffer(s, a[0], &writable);
  auto bytes = s.memory->view(a[3], a[4]);
  if (!bytes) return result(WasmResult::invalid_memory_access);
  if (!data) return result(WasmResult::not_found);
  if (!writable) return result(WasmResult::bad_argument);
  const uint64_t start = a[1], size = a[2];
  if (data->size() + bytes->size() > s.config.limits.max_memory_bytes) return result(WasmResult::bad_argument);
  if (start == 0 && size == 0) {
    data->insert(0, *bytes);
  } else if (start == 0 && size >= data->size()) {
    data->assign(*bytes);
  } else if (start >= data->size()) {
    data->append(*bytes);
  } else {
    return result(WasmResult::bad_argument);
  }
  return kWasmOk;
}

uint32_t send_local_response(VmState& s, const uint64_t* a) {
  auto details = s.memory->view(a[1], a[2]);
  auto body = s.memory->view(a[3], a[4]);
  auto headers = s.memory->view(a[5], a[6]);
  if (!details || !body || !headers) return result(WasmResult::invalid_memory_access);
  auto pairs = parse_pairs(*headers);
  if (!pairs) return result(WasmResult::parse_failure);
  Exchange* stream = s.stream();
  if (!stream) return result(WasmResult::bad_argument);
  LocalReply reply{static_cast<uint32_t>(a[0]), std::string(*details), std::string(*body), {}};
  // Envoy keeps details free of whitespace (StringUtil::replaceAllEmptySpace).
  for (char& c : reply.details) c = (c == ' ' || c == '\t' || c == '\n' || c == '\r') ? '_' : c;
  for (auto& [k, v] : *pairs) reply.headers.emplace_back(lower_case(k), std::move(v));
  stream->local_reply = std::move(reply);
  return kWasmOk;
}

uint32_t continue_stream(VmState& s, const uint64_t* a) {
  Exchange* stream = s.stream();
  if (!stream) return result(WasmResult::bad_argument);
  switch (a[0]) {  // WasmStreamType, as Envoy's Context::continueStream answers each
    case 0: stream->resume_request = true; return kWasmOk;
    case 1: stream->resume_response = true; return kWasmOk;
    case 2: return kWasmOk;  // downstream: nothing is paused at L4 here
    case 3: return result(WasmResult::unimplemented);
    default: return result(WasmResult::bad_argument);
  }
}

uint32_t continue_request(VmState& s, const uint64_t*) {
  const uint64_t request = 0;
  return continue_stream(s, &request);
}

uint32_t continue_response(VmState& s, const uint64_t*) {
  const uint64_t response = 1;
  return continue_stream(s, &response);
}

uint32_t close_stream(VmState& s, const uint64_t*) {
  Exchange* stream = s.stream();
  if (!stream) return result(WasmResult::bad_argument);
  // Envoy resets the stream; the client sees no response. Closest in HTTP/1.1 terms: a 503
  // with the reset's details, so a test can see it happened.
  stream->local_reply = LocalReply{503, "wasm_close_stream", "", {}};
  return kWasmOk;
}

uint32_t http_call(VmState& s, const uint64_t* a) {
  auto cluster = s.memory->view(a[0], a[1]);
  auto headers = s.memory->view(a[2], a[3]);
  auto body = s.memory->view(a[4], a[5]);
  auto trailers = s.memory->view(a[6], a[7]);
  if (!cluster || !headers || !body || !trailers || !s.memory->view(a[9], 4)) {
    return result(WasmResult::invalid_memory_access);
  }
  auto header_pairs = parse_pairs(*headers);
  auto trailer_pairs = parse_pairs(*trailers);
  if (!header_pairs || !trailer_pairs) return result(WasmResult::parse_failure);
  for (auto& h : *header_pairs) h.first = lower_case(h.first);
  for (auto& h : *trailer_pairs) h.first = lower_case(h.first);
  // Envoy refuses an unknown cluster and a negative timeout at once, without a callback.
  std::string cluster_name(*cluster);
  if (s.config.known_clusters && !s.config.known_clusters->count(cluster_name)) return result(WasmResult::bad_argument);
  if (a[8] > 0x7fffffffu) return result(WasmResult::bad_argument);
  // Envoy refuses a call without :method, :path and :authority (Context::httpCall).
  for (const char* required : {":method", ":path", ":authority"}) {
    if (!header_value(*header_pairs, required)) return result(WasmResult::bad_argument);
  }
  if (s.pending_calls.size() >= 64) return result(WasmResult::internal_failure);  // a runaway filter
  // The call belongs to the root context, which gets proxy_on_http_call_response (cpp-host
  // exports.cc http_call: contextOrEffectiveContext()->root_context()); SDKs map the token back
  // to their stream and set the effective context themselves.
  HttpCallRequest call{s.next_call_token++,        s.root_context_id,  cluster_name,
                       std::move(*header_pairs),   std::string(*body), std::move(*trailer_pairs),
                       static_cast<uint32_t>(a[8])};
  s.memory->write_u32(a[9], call.token);
  s.pending_calls.push_back(std::move(call));
  return kWasmOk;
}

uint32_t clear_route_cache(VmState&, const uint64_t*) { return kWasmOk; }

}  // namespace

std::vector<ProxyFunction> http_functions() {
  return {
      {"proxy_get_header_map_value", 5, get_header_map_value},
      {"proxy_add_header_map_value", 5, add_header_map_value},
      {"proxy_replace_header_map_value", 5, replace_header_map_value},
      {"proxy_remove_header_map_value", 3, remove_header_map_value},
      {"proxy_get_header_map_pairs", 3, get_header_map_pairs},
      {"proxy_set_header_map_pairs", 3, set_header_map_pairs},
      {"proxy_get_header_map_size", 2, get_header_map_size},
      {"proxy_get_buffer_bytes", 5, get_buffer_bytes},
      {"proxy_get_buffer_status", 3, get_buffer_status},
      {"proxy_set_buffer_bytes", 5, set_buffer_bytes},
      {"proxy_send_local_response", 8, send_local_response},
      {"proxy_continue_stream", 1, continue_stream},
      {"proxy_continue_request", 0, continue_request},
      {"proxy_continue_response", 0, continue_response},
      {"proxy_close_stream", 1, close_stream},
      {"proxy_clear_route_cache", 0, clear_route_cache},
      {"proxy_http_call", 10, http_call},
      {"proxy_dispatch_http_call", 10, http_call},
  };
}

}  // namespace wasme::host
