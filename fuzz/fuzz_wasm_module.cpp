// Fuzzes the wasm module reader: read_module must return or throw wasme::Error, never crash,
// read out of bounds or allocate without bound (ASan/UBSan and libFuzzer's -rss_limit_mb
// watch that). It is also differential: read_module_file, which reads a file section by
// section, must reach the same result or the same error as read_module on the same bytes.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wasme/core/error.hpp"
#include "wasme/wasm/module.hpp"

namespace {

struct Outcome {
  bool ok = false;
  wasme::wasm::ModuleInfo info;
  std::string error;
};

template <class F>
Outcome run(F&& f) {
  Outcome out;
  try {
    out.info = f();
    out.ok = true;
  } catch (const wasme::Error& e) {
    if (e.kind() != wasme::ErrorKind::invalid_input) {
      std::fprintf(stderr, "unexpected error kind %s: %s\n", wasme::to_string(e.kind()), e.what());
      std::abort();
    }
    out.error = e.what();
  }
  return out;
}

[[noreturn]] void mismatch(const Outcome& memory, const Outcome& file) {
  std::fprintf(stderr, "read_module and read_module_file disagree:\n  memory: %s\n  file:   %s\n",
               memory.ok ? "ok" : memory.error.c_str(), file.ok ? "ok" : file.error.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const Outcome memory = run([&] { return wasme::wasm::read_module(bytes); });
  if (memory.ok && memory.info.abi != wasme::wasm::classify_abi(memory.info.exports)) std::abort();

  static const int fd = ::memfd_create("fuzz.wasm", MFD_CLOEXEC);
  if (fd < 0 || ::ftruncate(fd, 0) != 0) std::abort();
  if (size > 0 && ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) std::abort();
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  const Outcome file = run([&] { return wasme::wasm::read_module_file(path); });

  if (memory.ok != file.ok) mismatch(memory, file);
  if (memory.ok && !(memory.info == file.info)) mismatch(memory, file);
  if (!memory.ok && file.error != "reading " + path + ": " + memory.error) mismatch(memory, file);
  return 0;
}
