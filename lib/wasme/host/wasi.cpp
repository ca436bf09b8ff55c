// The WASI preview 1 calls that Rust, TinyGo, AssemblyScript and wasi-libc filters import, as
// proxy-wasm-cpp-host provides them (src/exports.cc, branch main): stdout and stderr go to the
// log, clocks and randomness work, the environment and arguments are empty, proc_exit stops
// the module. Anything else answers ENOSYS.
#include <chrono>

#include <openssl/rand.h>

#include "wasme/host/vm_state.hpp"

namespace wasme::host {
namespace {

enum Errno : uint32_t { kSuccess = 0, kBadf = 8, kFault = 21, kInval = 28, kNoent = 44, kNosys = 52 };
constexpr size_t kMaxWrite = 1u << 20;  // one log line's worth; the rest is cut, not buffered

uint32_t fd_write(VmState& s, const uint64_t* a) {
  const uint64_t fd = a[0], iovs = a[1], count = a[2];
  if (fd != 1 && fd != 2) return kBadf;
  if (count > 1024) return kInval;
  std::string text;
  uint64_t written = 0;
  for (uint64_t i = 0; i < count; ++i) {
    auto base = s.memory->read_u32(iovs + i * 8);
    auto len = s.memory->read_u32(iovs + i * 8 + 4);
    if (!base || !len) return kFault;
    auto bytes = s.memory->view(*base, *len);
    if (!bytes) return kFault;
    written += *len;
    if (text.size() < kMaxWrite) text += bytes->substr(0, kMaxWrite - text.size());
  }
  if (!s.memory->write_u32(a[3], static_cast<uint32_t>(written))) return kFault;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty()) s.log(fd == 1 ? LogLevel::info : LogLevel::error, text);
  return kSuccess;
}

// stdout and stderr are character devices that may be written; nothing else is open.
uint32_t fd_fdstat_get(VmState& s, const uint64_t* a) {
  if (a[0] != 1 && a[0] != 2) return kBadf;
  std::string stat(24, '\0');
  stat[0] = 2;   // __WASI_FILETYPE_CHARACTER_DEVICE
  stat[8] = 64;  // rights_base: __WASI_RIGHTS_FD_WRITE
  return s.memory->write(a[1], stat) ? kSuccess : kFault;
}

uint32_t clock_time_get(VmState& s, const uint64_t* a) {
  uint64_t now = 0;
  if (a[0] == 0) {  // realtime
    now = s.now_ns();
  } else if (a[0] == 1) {  // monotonic
    now = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
  } else {
    return kInval;
  }
  return s.memory->write_u64(a[2], now) ? kSuccess : kFault;
}

uint32_t random_get(VmState& s, const uint64_t* a) {
  auto target = s.memory->view(a[0], a[1]);
  if (!target) return kFault;
  std::string bytes(a[1], '\0');
  if (!bytes.empty() &&
      RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size())) != 1) {
    return kNosys;
  }
  return s.memory->write(a[0], bytes) ? kSuccess : kFault;
}

// An empty environment and argument list: two zeros.
uint32_t sizes_get(VmState& s, const uint64_t* a) {
  return s.memory->write_u32(a[0], 0) && s.memory->write_u32(a[1], 0) ? kSuccess : kFault;
}

uint32_t nothing_to_copy(VmState&, const uint64_t*) { return kSuccess; }
// No files: wasi-libc's scan of preopened directories must end with EBADF (anything else makes
// it exit 71), and opening a path finds nothing.
uint32_t bad_descriptor(VmState&, const uint64_t*) { return kBadf; }
uint32_t no_entry(VmState&, const uint64_t*) { return kNoent; }
uint32_t sched_yield(VmState&, const uint64_t*) { return kSuccess; }

[[noreturn]] uint32_t proc_exit(VmState&, const uint64_t* a) {
  throw Trap(TrapKind::exit, "the module called proc_exit(" + std::to_string(static_cast<uint32_t>(a[0])) + ")");
}

struct WasiFunction {
  std::string_view name;
  size_t params;
  uint32_t (*body)(VmState&, const uint64_t*);
};

const WasiFunction kFunctions[] = {
    {"fd_write", 4, fd_write},
    {"fd_fdstat_get", 2, fd_fdstat_get},
    {"clock_time_get", 3, clock_time_get},
    {"random_get", 2, random_get},
    {"environ_sizes_get", 2, sizes_get},
    {"environ_get", 2, nothing_to_copy},
    {"args_sizes_get", 2, sizes_get},
    {"args_get", 2, nothing_to_copy},
    {"sched_yield", 0, sched_yield},
    {"fd_prestat_get", 2, bad_descriptor},
    {"fd_prestat_dir_name", 3, bad_descriptor},
    {"fd_filestat_get", 2, bad_descriptor},
    {"path_open", 9, no_entry},
    {"proc_exit", 1, proc_exit},
};

}  // namespace

std::optional<HostFunction> wasi_import(VmState& state, const ImportRequest& request) {
  if (request.module != "wasi_snapshot_preview1" && request.module != "wasi_unstable") return std::nullopt;
  const auto& sig = request.signature;
  VmState* s = &state;
  for (const auto& f : kFunctions) {
    if (f.name != request.name) continue;
    if (sig.params.size() != f.params || sig.results.size() > 1) return std::nullopt;
    auto body = f.body;
    const bool returns = !sig.results.empty();
    return HostFunction([s, body, returns](const uint64_t* args, uint64_t* results) {
      uint32_t r = body(*s, args);
      if (returns) results[0] = r;
    });
  }
  // Every other WASI call answers ENOSYS when it returns an errno, and stops the module
  // (naming the call) when it cannot say so.
  if (sig.results.size() == 1 && sig.results[0] == ValueType::i32) {
    return HostFunction([](const uint64_t*, uint64_t* results) { results[0] = kNosys; });
  }
  std::string name = request.module + "." + request.name;
  return HostFunction([name](const uint64_t*, uint64_t*) -> void {
    throw Trap(TrapKind::trap, "the module called " + name + ", which wasme's host does not provide");
  });
}

}  // namespace wasme::host
