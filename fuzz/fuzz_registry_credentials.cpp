// libFuzzer entry point for docker config files: any content yields a credential, no match,
// or wasme::Error naming the file; credential helpers are never run (a runner that refuses).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/registry/credentials.hpp"

namespace {
class NoRunner : public wasme::ProcessRunner {
 public:
  wasme::ProcessResult run(const wasme::ProcessRequest&) override {
    throw wasme::Error(wasme::ErrorKind::not_found, "no helpers while fuzzing");
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string file = "/tmp/wasme-fuzz-docker-config-" + std::to_string(::getpid()) + ".json";
  if (FILE* f = std::fopen(file.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  NoRunner runner;
  for (const char* registry : {"registry.example:5000", "docker.io", "localhost:5000"}) {
    try {
      (void)wasme::registry::lookup_config_file(file, registry, runner);
    } catch (const wasme::Error&) {
    }
  }
  std::remove(file.c_str());
  return 0;
}
