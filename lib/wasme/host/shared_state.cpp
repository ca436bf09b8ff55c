#include "wasme/host/shared_state.hpp"

namespace wasme::host {
namespace {
constexpr size_t kMaxSamples = 10'000;
constexpr size_t kMaxQueueItems = 10'000;  // a queue nobody drains must not eat the machine
constexpr size_t kMaxQueueItemBytes = 1u << 20;
}  // namespace

std::optional<std::pair<std::string, uint32_t>> SharedState::get_data(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = data_.find(key);
  if (it == data_.end()) return std::nullopt;
  return it->second;
}

WasmResult SharedState::set_data(const std::string& key, const std::string& value, uint32_t cas) {
  std::lock_guard lock(mutex_);
  // The cas is compared only when the key exists (proxy-wasm-cpp-host src/shared_data.cc).
  auto it = data_.find(key);
  if (cas != 0 && it != data_.end() && it->second.second != cas) return WasmResult::cas_mismatch;
  data_[key] = {value, next_cas_++};
  if (next_cas_ == 0) next_cas_ = 1;  // 0 means "no cas" to the module
  return WasmResult::ok;
}

uint32_t SharedState::register_queue(const std::string& vm_id, const std::string& name, const void* owner,
                                     QueueReady ready) {
  std::lock_guard lock(mutex_);
  for (auto& [token, queue] : queues_) {
    if (queue.vm_id == vm_id && queue.name == name) {
      queue.owner = owner;
      queue.ready = std::move(ready);
      return token;
    }
  }
  uint32_t token = next_queue_++;
  queues_[token] = Queue{vm_id, name, {}, owner, std::move(ready)};
  return token;
}

std::optional<uint32_t> SharedState::resolve_queue(const std::string& vm_id, const std::string& name) const {
  std::lock_guard lock(mutex_);
  for (const auto& [token, queue] : queues_) {
    if (queue.vm_id == vm_id && queue.name == name) return token;
  }
  return std::nullopt;
}

WasmResult SharedState::enqueue(uint32_t token, std::string data) {
  QueueReady ready;
  {
    std::lock_guard lock(mutex_);
    auto it = queues_.find(token);
    if (it == queues_.end()) return WasmResult::not_found;
    if (it->second.items.size() >= kMaxQueueItems || data.size() > kMaxQueueItemBytes)
      return WasmResult::internal_failure;
    it->second.items.push_back(std::move(data));
    ready = it->second.ready;
  }
  if (ready) ready(token);  // outside the lock: the owner may take its own locks
  return WasmResult::ok;
}

WasmResult SharedState::dequeue(uint32_t token, std::string& data) {
  std::lock_guard lock(mutex_);
  auto it = queues_.find(token);
  if (it == queues_.end()) return WasmResult::not_found;
  if (it->second.items.empty()) return WasmResult::empty;
  data = std::move(it->second.items.front());
  it->second.items.pop_front();
  return WasmResult::ok;
}

void SharedState::forget_owner(const void* owner) {
  std::lock_guard lock(mutex_);
  for (auto& [token, queue] : queues_) {
    if (queue.owner == owner) {
      queue.owner = nullptr;
      queue.ready = nullptr;
    }
  }
}

uint32_t SharedState::define_metric(MetricType type, const std::string& name) {
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < metrics_.size(); ++i) {
    if (metrics_[i].name == name && metrics_[i].type == type) return static_cast<uint32_t>(i + 1);
  }
  metrics_.push_back(MetricValue{name, type, 0, {}});
  return static_cast<uint32_t>(metrics_.size());
}

WasmResult SharedState::increment_metric(uint32_t id, int64_t offset) {
  std::lock_guard lock(mutex_);
  if (id == 0 || id > metrics_.size()) return WasmResult::not_found;
  // As Envoy's Context::incrementMetric: counters only go up; gauges either way.
  auto& metric = metrics_[id - 1];
  if (metric.type == MetricType::histogram) return WasmResult::bad_argument;
  if (metric.type == MetricType::counter && offset <= 0) return WasmResult::bad_argument;
  metric.value += offset;
  return WasmResult::ok;
}

WasmResult SharedState::record_metric(uint32_t id, uint64_t value) {
  std::lock_guard lock(mutex_);
  if (id == 0 || id > metrics_.size()) return WasmResult::not_found;
  auto& metric = metrics_[id - 1];
  // As Envoy's Context::recordMetric: a counter adds, a gauge is set, a histogram records.
  if (metric.type == MetricType::histogram) {
    if (metric.samples.size() == kMaxSamples) metric.samples.pop_front();
    metric.samples.push_back(value);
    ++metric.value;
  } else if (metric.type == MetricType::counter) {
    metric.value += static_cast<int64_t>(value);
  } else {
    metric.value = static_cast<int64_t>(value);
  }
  return WasmResult::ok;
}

WasmResult SharedState::get_metric(uint32_t id, uint64_t& value) const {
  std::lock_guard lock(mutex_);
  if (id == 0 || id > metrics_.size()) return WasmResult::not_found;
  const auto& metric = metrics_[id - 1];
  if (metric.type == MetricType::histogram) return WasmResult::bad_argument;  // as Envoy
  value = static_cast<uint64_t>(metric.value);
  return WasmResult::ok;
}

std::vector<MetricValue> SharedState::metrics() const {
  std::lock_guard lock(mutex_);
  return metrics_;
}

}  // namespace wasme::host
