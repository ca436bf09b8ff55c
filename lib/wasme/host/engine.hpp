#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// The wasm runtime behind a small interface, so the proxy-wasm host (vm.hpp) never names an
// engine: today wabt's interpreter (wabt_engine.cpp); an ahead-of-time engine can be added
// without touching the ABI code.
namespace wasme::host {

enum class ValueType { i32, i64, f32, f64 };

struct FuncSignature {
  std::vector<ValueType> params;
  std::vector<ValueType> results;
};
bool operator==(const FuncSignature& a, const FuncSignature& b);

// Why a call into the module stopped before returning.
enum class TrapKind {
  trap,          // the module trapped (unreachable, out-of-bounds access, …) or a host call failed
  budget,        // the call ran out of its instruction budget (an endless loop)
  memory_limit,  // the module asked for more memory than the host allows
  exit,          // the module called proc_exit
};

// A call into the module failed; the VM is not usable afterwards (as in Envoy, whose VM is
// marked failed after a trap).
class Trap : public std::runtime_error {
 public:
  Trap(TrapKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  TrapKind kind() const { return kind_; }

 private:
  TrapKind kind_;
};

// A host function: reads args (i32 zero-extended, floats bit-cast), writes results. It may
// throw Trap to stop the module, and may call back into the instance (e.g. its allocator).
using HostFunction = std::function<void(const uint64_t* args, uint64_t* results)>;

struct ImportRequest {
  std::string module;
  std::string name;
  FuncSignature signature;
};
// The function for an import, or nullopt when the host has none (reported at load time).
using ImportResolver = std::function<std::optional<HostFunction>(const ImportRequest&)>;

struct InstanceLimits {
  uint64_t max_memory_bytes = 256ull << 20;
  uint64_t instructions_per_call = 100'000'000;
};

// One instantiated module. Not thread-safe: one thread drives it at a time.
class Instance {
 public:
  virtual ~Instance() = default;
  // A handle for an exported function, or nullopt when the module does not export it.
  virtual std::optional<size_t> find_export(std::string_view name) const = 0;
  virtual const FuncSignature& signature(size_t handle) const = 0;
  // Calls an export; throws Trap. Calls made from inside a host function share the outer
  // call's instruction budget.
  virtual std::vector<uint64_t> call(size_t handle, const std::vector<uint64_t>& args) = 0;
  // Runs the module's start function, if it has one, within the budget; the host calls it once
  // its own state is ready (host functions may run during it). Throws Trap.
  virtual void run_start() = 0;
  // The exported linear memory; valid until the module runs again (memory.grow moves it).
  virtual bool has_memory() const = 0;
  virtual uint8_t* memory_data() = 0;
  virtual uint64_t memory_size() const = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const char* name() const = 0;
  // Validates and instantiates (without running the start function: Instance::run_start).
  // Throws Error(invalid_input) naming every import the resolver lacks, or for an invalid module.
  virtual std::unique_ptr<Instance> instantiate(std::string_view wasm, const ImportResolver& imports,
                                                const InstanceLimits& limits) const = 0;
};

std::unique_ptr<Engine> make_wabt_engine();

}  // namespace wasme::host
