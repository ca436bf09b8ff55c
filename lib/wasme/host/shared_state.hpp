#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "wasme/host/abi_types.hpp"

namespace wasme::host {

// One metric's current value as the admin endpoint and `wasme test` report it.
struct MetricValue {
  std::string name;
  MetricType type = MetricType::counter;
  int64_t value = 0;             // counters and gauges
  std::deque<uint64_t> samples;  // histograms: the recorded values (the newest 10,000)
};

// What every VM of one proxy shares, as Envoy shares them between its workers: shared data
// (with compare-and-swap), shared queues, and the metrics. Thread-safe.
class SharedState {
 public:
  using QueueReady = std::function<void(uint32_t token)>;

  // Shared data: the value and its cas; nullopt when absent.
  std::optional<std::pair<std::string, uint32_t>> get_data(const std::string& key) const;
  // cas 0 sets unconditionally; otherwise the current cas must match (else cas_mismatch).
  WasmResult set_data(const std::string& key, const std::string& value, uint32_t cas);

  // Queues: registered by one VM (which is told when data arrives), resolved by others.
  uint32_t register_queue(const std::string& vm_id, const std::string& name, const void* owner, QueueReady ready);
  std::optional<uint32_t> resolve_queue(const std::string& vm_id, const std::string& name) const;
  WasmResult enqueue(uint32_t token, std::string data);
  // ok with the data; empty when the queue has none; not_found for an unknown token.
  WasmResult dequeue(uint32_t token, std::string& data);
  // A VM going away: its queues stay (others may hold tokens) but nobody is told any more.
  void forget_owner(const void* owner);

  // Metrics, by name: defining an existing name returns its id.
  uint32_t define_metric(MetricType type, const std::string& name);
  WasmResult increment_metric(uint32_t id, int64_t offset);
  WasmResult record_metric(uint32_t id, uint64_t value);
  WasmResult get_metric(uint32_t id, uint64_t& value) const;
  std::vector<MetricValue> metrics() const;

 private:
  struct Queue {
    std::string vm_id;
    std::string name;
    std::deque<std::string> items;
    const void* owner = nullptr;
    QueueReady ready;
  };

  mutable std::mutex mutex_;
  std::map<std::string, std::pair<std::string, uint32_t>> data_;
  uint32_t next_cas_ = 1;
  std::map<uint32_t, Queue> queues_;
  uint32_t next_queue_ = 1;
  std::vector<MetricValue> metrics_;  // id = index + 1
};

}  // namespace wasme::host
