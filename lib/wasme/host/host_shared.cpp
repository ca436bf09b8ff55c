// env.proxy_* for what VMs share: metrics, shared data, shared queues.
#include "wasme/host/vm_state.hpp"

namespace wasme::host {
namespace {

uint32_t define_metric(VmState& s, const uint64_t* a) {
  auto name = s.memory->view(a[1], a[2]);
  if (!name) return result(WasmResult::invalid_memory_access);
  if (a[0] > static_cast<uint64_t>(MetricType::histogram) || name->empty()) return result(WasmResult::bad_argument);
  uint32_t id = s.shared->define_metric(static_cast<MetricType>(a[0]), std::string(*name));
  return s.memory->write_u32(a[3], id) ? kWasmOk : result(WasmResult::invalid_memory_access);
}

uint32_t increment_metric(VmState& s, const uint64_t* a) {
  return result(s.shared->increment_metric(static_cast<uint32_t>(a[0]), static_cast<int64_t>(a[1])));
}

uint32_t record_metric(VmState& s, const uint64_t* a) {
  return result(s.shared->record_metric(static_cast<uint32_t>(a[0]), a[1]));
}

uint32_t get_metric(VmState& s, const uint64_t* a) {
  if (!s.memory->view(a[1], 8)) return result(WasmResult::invalid_memory_access);
  uint64_t value = 0;
  WasmResult r = s.shared->get_metric(static_cast<uint32_t>(a[0]), value);
  if (r == WasmResult::ok) s.memory->write_u64(a[1], value);
  return result(r);
}

uint32_t get_shared_data(VmState& s, const uint64_t* a) {
  auto key = s.memory->view(a[0], a[1]);
  if (!key || !s.memory->view(a[4], 4)) return result(WasmResult::invalid_memory_access);
  auto entry = s.shared->get_data(std::string(*key));
  if (!entry) return result(WasmResult::not_found);
  WasmResult r = s.memory->return_bytes(entry->first, a[2], a[3]);
  if (r != WasmResult::ok) return result(r);
  return s.memory->write_u32(a[4], entry->second) ? kWasmOk : result(WasmResult::invalid_memory_access);
}

uint32_t set_shared_data(VmState& s, const uint64_t* a) {
  auto key = s.memory->view(a[0], a[1]);
  auto value = s.memory->view(a[2], a[3]);
  if (!key || !value) return result(WasmResult::invalid_memory_access);
  return result(s.shared->set_data(std::string(*key), std::string(*value), static_cast<uint32_t>(a[4])));
}

uint32_t register_shared_queue(VmState& s, const uint64_t* a) {
  auto name = s.memory->view(a[0], a[1]);
  if (!name || !s.memory->view(a[2], 4)) return result(WasmResult::invalid_memory_access);
  VmState* owner = &s;
  uint32_t token = s.shared->register_queue(s.config.vm_id, std::string(*name), owner, [owner](uint32_t t) {
    std::lock_guard lock(owner->ready_mutex);
    owner->ready_queues.push_back(t);
  });
  s.memory->write_u32(a[2], token);
  return kWasmOk;
}

uint32_t resolve_shared_queue(VmState& s, const uint64_t* a) {
  auto vm_id = s.memory->view(a[0], a[1]);
  auto name = s.memory->view(a[2], a[3]);
  if (!vm_id || !name || !s.memory->view(a[4], 4)) return result(WasmResult::invalid_memory_access);
  auto token = s.shared->resolve_queue(std::string(*vm_id), std::string(*name));
  if (!token) return result(WasmResult::not_found);
  s.memory->write_u32(a[4], *token);
  return kWasmOk;
}

uint32_t enqueue_shared_queue(VmState& s, const uint64_t* a) {
  auto data = s.memory->view(a[1], a[2]);
  if (!data) return result(WasmResult::invalid_memory_access);
  return result(s.shared->enqueue(static_cast<uint32_t>(a[0]), std::string(*data)));
}

uint32_t dequeue_shared_queue(VmState& s, const uint64_t* a) {
  if (!s.memory->view(a[1], 4) || !s.memory->view(a[2], 4)) return result(WasmResult::invalid_memory_access);
  std::string data;
  WasmResult r = s.shared->dequeue(static_cast<uint32_t>(a[0]), data);
  if (r != WasmResult::ok) return result(r);
  return result(s.memory->return_bytes(data, a[1], a[2]));
}

}  // namespace

std::vector<ProxyFunction> shared_functions() {
  return {
      {"proxy_define_metric", 4, define_metric},
      {"proxy_increment_metric", 2, increment_metric},
      {"proxy_record_metric", 2, record_metric},
      {"proxy_get_metric", 2, get_metric},
      {"proxy_get_shared_data", 5, get_shared_data},
      {"proxy_set_shared_data", 5, set_shared_data},
      {"proxy_register_shared_queue", 3, register_shared_queue},
      {"proxy_resolve_shared_queue", 5, resolve_shared_queue},
      {"proxy_enqueue_shared_queue", 3, enqueue_shared_queue},
      {"proxy_dequeue_shared_queue", 3, dequeue_shared_queue},
  };
}

}  // namespace wasme::host
