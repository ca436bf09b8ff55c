// The Engine on wabt's interpreter (Debian's libwabt, 1.0.32).
#include <algorithm>
#include <unordered_map>

#include <wabt/binary-reader.h>
#include <wabt/error-formatter.h>
#include <wabt/interp/binary-reader-interp.h>
#include <wabt/interp/interp.h>

#include "wasme/core/error.hpp"
#include "wasme/host/engine.hpp"

namespace wasme::host {
namespace {

namespace wi = wabt::interp;

// wabt runs a call to completion (DefinedFunc::DoCall → Thread::Run) and keeps the pieces
// that start a call without running it private to its friends (src/interp/interp.cc, tag
// 1.0.32). An instruction budget needs exactly those pieces: push the arguments and the frame,
// then Thread::Run(n) in slices. Explicit instantiation may name private members, which is
// how these pointers are taken without patching wabt.
template <class Tag, typename Tag::type Member>
struct PrivateAccess {
  friend typename Tag::type get(Tag) { return Member; }
};
struct PushCallTag {
  using type = wi::RunResult (wi::Thread::*)(const wi::DefinedFunc&, wi::Trap::Ptr*);
  friend type get(PushCallTag);
};
struct PushValuesTag {
  using type = void (wi::Thread::*)(const wi::ValueTypes&, const wi::Values&);
  friend type get(PushValuesTag);
};
struct PopValuesTag {
  using type = void (wi::Thread::*)(const wi::ValueTypes&, wi::Values*);
  friend type get(PopValuesTag);
};
template struct PrivateAccess<PushCallTag, &wi::Thread::PushCall>;
template struct PrivateAccess<PushValuesTag, &wi::Thread::PushValues>;
template struct PrivateAccess<PopValuesTag, &wi::Thread::PopValues>;

constexpr uint64_t kPageSize = 65536;
constexpr int kSlice = 100'000;  // instructions run between budget checks

ValueType from_wabt(wabt::Type type) {
  switch (type) {
    case wabt::Type::I32: return ValueType::i32;
    case wabt::Type::I64: return ValueType::i64;
    case wabt::Type::F32: return ValueType::f32;
    case wabt::Type::F64: return ValueType::f64;
    default:
      throw Error(ErrorKind::invalid_input,
                  "uses a value type wasme's host does not support (" + std::string(type.GetName()) + ")");
  }
}

FuncSignature from_wabt(const wi::FuncType& type) {
  FuncSignature sig;
  for (auto t : type.params) sig.params.push_back(from_wabt(t));
  for (auto t : type.results) sig.results.push_back(from_wabt(t));
  return sig;
}

wi::Value to_value(wabt::Type type, uint64_t bits) {
  switch (type) {
    case wabt::Type::I32: return wi::Value::Make(static_cast<wi::u32>(bits));
    case wabt::Type::I64: return wi::Value::Make(static_cast<wi::u64>(bits));
    case wabt::Type::F32: {
      wi::Value v = wi::Value::Make(static_cast<wi::u32>(bits));
      return v;  // the union shares storage: the bits are the float's
    }
    default: return wi::Value::Make(static_cast<wi::u64>(bits));
  }
}

uint64_t from_value(wabt::Type type, const wi::Value& value) {
  if (type == wabt::Type::I32 || type == wabt::Type::F32) return value.Get<wi::u32>();
  return value.Get<wi::u64>();
}

class WabtInstance final : public Instance {
 public:
  explicit WabtInstance(const InstanceLimits& limits) : limits_(limits) {}

  void load(std::string_view wasm, const ImportResolver& resolver) {
    wi::ModuleDesc desc = read(wasm);
    std::optional<wi::Index> start = limit_memory_and_take_start(desc);
    module_ = wi::Module::New(store_, std::move(desc));
    wi::RefVec imports = resolve_imports(resolver);
    wi::Trap::Ptr trap;
    instance_ = wi::Instance::Instantiate(store_, module_.ref(), imports, &trap);
    if (!instance_) {
      throw Error(ErrorKind::invalid_input,
                  "instantiating the module: " + (trap ? trap->message() : std::string("failed")));
    }
    collect_exports();
    start_ = start;
  }

  void run_start() override {
    if (!start_) return;
    auto start = *start_;
    start_.reset();
    call_ref(instance_->funcs()[start], {}, "the start function");
  }

  std::optional<size_t> find_export(std::string_view name) const override {
    auto it = export_index_.find(std::string(name));
    if (it == export_index_.end()) return std::nullopt;
    return it->second;
  }

  const FuncSignature& signature(size_t handle) const override { return exports_.at(handle).signature; }

  std::vector<uint64_t> call(size_t handle, const std::vector<uint64_t>& args) override {
    const auto& entry = exports_.at(handle);
    return call_ref(entry.func, args, entry.name);
  }

  bool has_memory() const override { return static_cast<bool>(memory_); }
  uint8_t* memory_data() override { return memory_ ? memory_->UnsafeData() : nullptr; }
  uint64_t memory_size() const override { return memory_ ? memory_->ByteSize() : 0; }

 private:
  struct ExportEntry {
    std::string name;
    wi::Ref func;
    FuncSignature signature;
  };

  wi::ModuleDesc read(std::string_view wasm) {
    wabt::Features features;  // wabt's defaults: the post-MVP features toolchains emit today
    wabt::ReadBinaryOptions options(features, nullptr, false, true, false);
    wabt::Errors errors;
    wi::ModuleDesc desc;
    if (wabt::Failed(wi::ReadBinaryInterp("module.wasm", wasm.data(), wasm.size(), options, &errors, &desc))) {
      std::string text = errors.empty() ? "invalid module" : errors.front().message;
      throw Error(ErrorKind::invalid_input, "the module is not valid wasm: " + text);
    }
    return desc;
  }

  // Caps every memory at the host's limit so memory.grow fails (-1) past it, and takes the
  // start function out so it runs within the instruction budget like every other call.
  std::optional<wi::Index> limit_memory_and_take_start(wi::ModuleDesc& desc) {
    for (auto& memory : desc.memories) {
      auto& l = memory.type.limits;
      // wabt checks only limits.max when memory grows: keep a 32-bit memory within 4 GiB.
      const uint64_t max_pages = std::min<uint64_t>(limits_.max_memory_bytes / kPageSize, l.is_64 ? UINT64_MAX : 65536);
      if (l.initial > max_pages) {
        throw Error(ErrorKind::invalid_input,
                    "the module needs " + std::to_string(l.initial * kPageSize >> 20) +
                        " MiB of memory at start, over the limit of " + std::to_string(limits_.max_memory_bytes >> 20) +
                        " MiB",
                    "raise it with --max-memory");
      }
      l.max = l.has_max ? std::min<uint64_t>(l.max, max_pages) : max_pages;
      l.has_max = true;
    }
    std::optional<wi::Index> start;
    if (!desc.starts.empty()) start = desc.starts.front().func_index;
    desc.starts.clear();
    return start;
  }

  wi::RefVec resolve_imports(const ImportResolver& resolver) {
    wi::RefVec refs;
    std::vector<std::string> missing;
    for (const auto& import : module_->import_types()) {
      std::string name = import.module + "." + import.name;
      auto* func_type = wabt::dyn_cast<wi::FuncType>(import.type.get());
      std::optional<HostFunction> fn;
      if (func_type) fn = resolver(ImportRequest{import.module, import.name, from_wabt(*func_type)});
      if (!fn) {
        missing.push_back(func_type ? name : name + " (a " + wabt::GetKindName(import.type->kind) + ")");
        refs.push_back(wi::Ref::Null);
        continue;
      }
      refs.push_back(make_host_func(*func_type, std::move(*fn)).ref());
    }
    if (!missing.empty()) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      throw Error(ErrorKind::invalid_input, "the module imports what wasme's host does not provide: " + list,
                  "wasme provides the proxy-wasm ABI 0.1.0-0.2.1 (env.proxy_*) and WASI preview 1");
    }
    return refs;
  }

  wi::HostFunc::Ptr make_host_func(const wi::FuncType& type, HostFunction fn) {
    auto params = type.params;
    auto results = type.results;
    return wi::HostFunc::New(
        store_, type,
        [this, fn = std::move(fn), params, results](wi::Thread&, const wi::Values& in, wi::Values& out,
                                                    wi::Trap::Ptr* out_trap) -> wabt::Result {
          uint64_t args[16] = {};
          uint64_t rets[4] = {};
          for (size_t i = 0; i < in.size() && i < 16; ++i) args[i] = from_value(params[i], in[i]);
          try {
            fn(args, rets);
          } catch (const Trap& trap) {
            // Never unwind through wabt's frames: stop the module with a wabt trap and rethrow
            // the original once control is back in call_ref.
            if (!pending_) pending_ = std::make_unique<Trap>(trap);
            *out_trap = wi::Trap::New(store_, trap.what());
            return wabt::Result::Error;
          } catch (const std::exception& e) {
            if (!pending_) pending_ = std::make_unique<Trap>(TrapKind::trap, e.what());
            *out_trap = wi::Trap::New(store_, e.what());
            return wabt::Result::Error;
          }
          out.resize(results.size());
          for (size_t i = 0; i < results.size(); ++i) out[i] = to_value(results[i], rets[i]);
          return wabt::Result::Ok;
        });
  }

  void collect_exports() {
    const auto& types = module_->export_types();
    for (size_t i = 0; i < types.size(); ++i) {
      const auto& type = types[i];
      wi::Ref ref = instance_->exports()[i];
      if (auto* ft = wabt::dyn_cast<wi::FuncType>(type.type.get())) {
        export_index_[type.name] = exports_.size();
        exports_.push_back({type.name, ref, from_wabt(*ft)});
      } else if (type.type->kind == wabt::ExternalKind::Memory && type.name == "memory") {
        memory_ = store_.UnsafeGet<wi::Memory>(ref);
      }
    }
  }

  std::vector<uint64_t> call_ref(wi::Ref ref, const std::vector<uint64_t>& args, const std::string& name) {
    auto func = store_.UnsafeGet<wi::Func>(ref);
    const auto& type = func->type();
    if (args.size() != type.params.size()) {
      throw Trap(TrapKind::trap, "calling " + name + " with " + std::to_string(args.size()) + " arguments, it takes " +
                                     std::to_string(type.params.size()));
    }
    wi::Values params;
    for (size_t i = 0; i < args.size(); ++i) params.push_back(to_value(type.params[i], args[i]));
    const bool outermost = depth_ == 0;
    if (outermost) {
      budget_ = limits_.instructions_per_call;
      pending_.reset();
      if (!thread_) thread_ = std::make_unique<wi::Thread>(store_);
    }
    ++depth_;
    wi::Values results;
    wi::Trap::Ptr trap;
    std::optional<Trap> failure = run(*func, params, results, &trap);
    --depth_;
    if (failure) {
      if (outermost) thread_.reset();  // a stopped thread keeps its frames: start afresh
      throw *failure;
    }
    std::vector<uint64_t> out;
    for (size_t i = 0; i < results.size(); ++i) out.push_back(from_value(type.results[i], results[i]));
    return out;
  }

  std::optional<Trap> run(wi::Func& func, const wi::Values& params, wi::Values& results, wi::Trap::Ptr* trap) {
    wi::Thread& thread = *thread_;
    const auto& type = func.type();
    if (auto* host = wabt::dyn_cast<wi::HostFunc>(&func)) {
      if (wabt::Failed(host->Call(thread, params, results, trap))) return failure_from(*trap);
      return std::nullopt;
    }
    auto& defined = *wabt::cast<wi::DefinedFunc>(&func);
    (thread.*get(PushValuesTag{}))(type.params, params);
    if ((thread.*get(PushCallTag{}))(defined, trap) == wi::RunResult::Trap) return failure_from(*trap);
    for (;;) {
      if (budget_ == 0) {
        return Trap(TrapKind::budget, "ran out of its budget of " + std::to_string(limits_.instructions_per_call) +
                                          " instructions (an endless loop?)");
      }
      const int slice = static_cast<int>(std::min<uint64_t>(budget_, kSlice));
      wi::RunResult result = thread.Run(slice, trap);
      budget_ -= std::min<uint64_t>(budget_, static_cast<uint64_t>(slice));
      if (result == wi::RunResult::Ok) continue;
      if (result == wi::RunResult::Return) break;
      if (result == wi::RunResult::Exception) return Trap(TrapKind::trap, "uncaught exception");
      return failure_from(*trap);
    }
    (thread.*get(PopValuesTag{}))(type.results, &results);
    return std::nullopt;
  }

  Trap failure_from(const wi::Trap::Ptr& trap) {
    if (pending_) return *pending_;
    std::string message = trap ? trap->message() : "trap";
    // memory.grow past the cap answers -1, and allocators then trap. wabt does not say whether a
    // grow failed, so a trap with memory past half the cap (allocators that double stop there)
    // says how to allow more.
    if (memory_ && memory_->ByteSize() >= limits_.max_memory_bytes / 2) {
      return Trap(TrapKind::memory_limit, message + " (its memory is at " + std::to_string(memory_->ByteSize() >> 20) +
                                              " MiB of the " + std::to_string(limits_.max_memory_bytes >> 20) +
                                              " MiB allowed; if it ran out, raise --max-memory)");
    }
    return Trap(TrapKind::trap, message);
  }

  InstanceLimits limits_;
  wi::Store store_;
  wi::Module::Ptr module_;
  wi::Instance::Ptr instance_;
  wi::Memory::Ptr memory_;
  std::vector<ExportEntry> exports_;
  std::unordered_map<std::string, size_t> export_index_;
  std::unique_ptr<wi::Thread> thread_;
  std::unique_ptr<Trap> pending_;
  std::optional<wi::Index> start_;
  uint64_t budget_ = 0;
  int depth_ = 0;
};

class WabtEngine final : public Engine {
 public:
  const char* name() const override { return "wabt-interp"; }
  std::unique_ptr<Instance> instantiate(std::string_view wasm, const ImportResolver& imports,
                                        const InstanceLimits& limits) const override {
    auto instance = std::make_unique<WabtInstance>(limits);
    instance->load(wasm, imports);
    return instance;
  }
};

}  // namespace

bool operator==(const FuncSignature& a, const FuncSignature& b) {
  return a.params == b.params && a.results == b.results;
}

std::unique_ptr<Engine> make_wabt_engine() { return std::make_unique<WabtEngine>(); }

}  // namespace wasme::host
