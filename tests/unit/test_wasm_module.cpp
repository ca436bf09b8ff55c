#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"
#include "test_wasm_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/wasm/module.hpp"

using wasme::Error;
using wasme::ErrorKind;
using namespace wasme::wasm;
using test_support::error_of;
using test_support::expect_error;
using wasm_test::fixture;

namespace {

std::vector<std::string> import_list(const ModuleInfo& info) {
  std::vector<std::string> out;
  for (const auto& i : info.imports) {
    out.push_back(i.module + "." + i.name + ":" + to_string(i.kind));
  }
  return out;
}

std::vector<std::string> export_list(const ModuleInfo& info) {
  std::vector<std::string> out;
  for (const auto& e : info.exports) out.push_back(e.name + ":" + to_string(e.kind));
  return out;
}

struct FixtureCase {
  std::string file;
  std::vector<std::string> imports;
  std::vector<std::string> exports;
  ProxyAbi abi;
  std::vector<std::string> wasi;
  std::string runtime_version;
};

const FixtureCase fixture_cases[] = {
    {"abi_0_2_1.wasm",
     {"env.proxy_log:function", "env.proxy_get_buffer_bytes:function", "wasi_snapshot_preview1.fd_write:function"},
     {"memory:memory", "malloc:function", "proxy_abi_version_0_2_1:function", "proxy_on_vm_start:function",
      "proxy_on_configure:function", "proxy_on_context_create:function", "proxy_on_response_headers:function"},
     ProxyAbi::v0_2_1,
     {"wasi_snapshot_preview1"},
     "v0.2.1"},
    {"abi_0_2_0.wasm",
     {"env.proxy_log:function", "env.proxy_get_header_map_value:function"},
     {"memory:memory", "malloc:function", "proxy_abi_version_0_2_0:function", "proxy_on_vm_start:function",
      "proxy_on_configure:function", "proxy_on_context_create:function", "proxy_on_request_headers:function"},
     ProxyAbi::v0_2_0,
     {},
     "v0.2.0"},
    {"abi_0_1_0.wasm",
     {"env.proxy_log:function", "wasi_unstable.fd_write:function", "wasi_unstable.proc_exit:function"},
     {"memory:memory", "malloc:function", "proxy_abi_version_0_1_0:function", "proxy_on_vm_start:function",
      "proxy_on_configure:function", "proxy_on_context_create:function", "proxy_on_request_headers:function"},
     ProxyAbi::v0_1_0,
     {"wasi_unstable"},
     "v0.1.0"},
    {"istio_1_4.wasm",
     {"env.proxy_log:function", "env.proxy_getHeaderMapValue:function", "env.proxy_addHeaderMapValue:function"},
     {"memory:memory", "malloc:function", "free:function", "proxy_onStart:function", "proxy_onConfigure:function",
      "proxy_onCreate:function", "proxy_onRequestHeaders:function", "proxy_onResponseHeaders:function",
      "proxy_onDone:function", "proxy_onDelete:function"},
     ProxyAbi::istio_1_4,
     {},
     ""},
    {"pre_0_1_0.wasm",
     {"env.proxy_log:function", "env.proxy_get_configuration:function"},
     {"memory:memory", "malloc:function", "proxy_on_start:function", "proxy_on_configure:function",
      "proxy_on_create:function", "proxy_on_request_headers:function", "proxy_on_done:function",
      "proxy_on_delete:function"},
     ProxyAbi::pre_0_1_0,
     {},
     ""},
    {"plain.wasm", {}, {"add:function"}, ProxyAbi::none, {}, ""},
    {"all_import_kinds.wasm",
     {"env.f:function", "env.table:table", "env.table_max:table", "env.shared_memory:memory", "env.memory64:memory",
      "env.const_i32:global", "env.mut_i64:global", "env.v128:global", "env.error:tag",
      "wasi_snapshot_preview1.random_get:function", "wasi_snapshot_preview1.clock_time_get:function"},
     {"counter:global", "own_error:tag", "f_again:function", "table:table", "memory:memory", "run:function"},
     ProxyAbi::none,
     {"wasi_snapshot_preview1"},
     ""},
    {"clang_filter.wasm",
     {"env.proxy_log:function"},
     {"memory:memory", "malloc:function", "proxy_abi_version_0_2_1:function", "proxy_on_vm_start:function",
      "proxy_on_configure:function", "proxy_on_context_create:function", "proxy_on_request_headers:function"},
     ProxyAbi::v0_2_1,
     {},
     "v0.2.1"},
};

}  // namespace

TEST_CASE("fixtures: imports, exports, ABI and WASI; file and memory readers agree") {
  for (const auto& c : fixture_cases) {
    CAPTURE(c.file);
    const ModuleInfo info = read_module_file(fixture(c.file));
    CHECK(info.version == 1);
    CHECK(import_list(info) == c.imports);
    CHECK(export_list(info) == c.exports);
    CHECK(info.abi == c.abi);
    CHECK(info.wasi_modules == c.wasi);
    CHECK(runtime_abi_version(info.abi) == c.runtime_version);
    CHECK(read_module(wasme::read_file(fixture(c.file))) == info);
  }
}

TEST_CASE("a file that is not wasm names the file and guesses what it is") {
  const auto path = fixture("not_wasm.txt");
  const std::string message = error_of([&] { read_module_file(path); });
  CHECK(message == "reading " + path.string() +
                       ": not a wasm module: bad magic (first bytes 54 68 69 73 …, looks like "
                       "text)");
  const Error e = expect_error([&] { read_module_file(path); });
  CHECK(e.kind() == ErrorKind::invalid_input);
  CHECK(e.hint().find(".wasm") != std::string::npos);
}

TEST_CASE("missing files, directories and empty files") {
  const Error missing = expect_error([] { read_module_file("nope.wasm"); });
  CHECK(missing.kind() == ErrorKind::not_found);
  CHECK(std::string(missing.what()).rfind("reading nope.wasm: ", 0) == 0);
  std::filesystem::create_directory("dir.wasm");
  const Error dir = expect_error([] { read_module_file("dir.wasm"); });
  CHECK(dir.kind() == ErrorKind::invalid_input);
  CHECK(std::string(dir.what()) == "reading dir.wasm: is a directory, not a .wasm file");
  std::ofstream("empty.wasm").close();
  CHECK(error_of([] { read_module_file("empty.wasm"); }) ==
        "reading empty.wasm: not a wasm module: the input is empty");
}

TEST_CASE("a refused file leaves no descriptor open, even when refused while being opened") {
  std::filesystem::create_directory("dir.wasm");
  std::ofstream("empty.wasm").close();
  auto open_descriptors = [] {
    return std::distance(std::filesystem::directory_iterator("/proc/self/fd"), std::filesystem::directory_iterator());
  };
  const auto before = open_descriptors();
  for (int i = 0; i < 50; ++i) {
    CHECK_FALSE(error_of([] { read_module_file("dir.wasm"); }).empty());  // thrown by the constructor
    CHECK_FALSE(error_of([] { read_module_file("empty.wasm"); }).empty());
  }
  CHECK(open_descriptors() == before);
}

TEST_CASE("pipes and devices are read whole") {
  CHECK(error_of([] { read_module_file("/dev/null"); }) == "reading /dev/null: not a wasm module: the input is empty");
  const std::string bytes = wasme::read_file(fixture("abi_0_2_1.wasm"));
  REQUIRE(::mkfifo("pipe.wasm", 0600) == 0);
  std::thread writer([&] {
    int fd = ::open("pipe.wasm", O_WRONLY);
    if (fd >= 0) {
      CHECK(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
      ::close(fd);
    }
  });
  const ModuleInfo info = read_module_file("pipe.wasm");
  writer.join();
  CHECK(info == read_module(bytes));
  CHECK(info.abi == ProxyAbi::v0_2_1);
}

TEST_CASE("every prefix of a fixture fails the same way from memory and from a file") {
  for (const char* file : {"abi_0_2_1.wasm", "all_import_kinds.wasm", "clang_filter.wasm"}) {
    const std::string bytes = wasme::read_file(fixture(file));
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      CAPTURE(file);
      CAPTURE(n);
      const std::string prefix = bytes.substr(0, n);
      wasme::write_file_atomic("prefix.wasm", prefix, 0644, wasme::Durability::no_fsync);
      std::string from_memory = error_of([&] { read_module(prefix); });
      std::string from_file = error_of([&] { read_module_file("prefix.wasm"); });
      if (from_memory.empty()) {
        CHECK(read_module(prefix) == read_module_file("prefix.wasm"));
      } else {
        CHECK(from_file == "reading prefix.wasm: " + from_memory);
      }
    }
  }
}

TEST_CASE("a huge skipped section is seeked past, not read") {
  using namespace wasm_test;
  // A sparse file: header, a 1 GiB custom section of holes, then an export section.
  const std::uint32_t big = 1u << 30;
  const std::string head = header + bytes({0}) + leb(big);
  const std::string exports = section(7, leb(1) + name("proxy_abi_version_0_2_1") + bytes({0, 0}));
  {
    int fd = ::open("big.wasm", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    CHECK(::pwrite(fd, head.data(), head.size(), 0) == static_cast<ssize_t>(head.size()));
    const off_t tail = static_cast<off_t>(head.size()) + big;
    CHECK(::pwrite(fd, exports.data(), exports.size(), tail) == static_cast<ssize_t>(exports.size()));
    ::close(fd);
  }
  const ModuleInfo info = read_module_file("big.wasm");
  REQUIRE(info.exports.size() == 1);
  CHECK(info.abi == ProxyAbi::v0_2_1);

  // The same file cut short: the section size is checked against the file's size.
  CHECK(::truncate("big.wasm", 4096) == 0);
  CHECK(error_of([] { read_module_file("big.wasm"); }) ==
        "reading big.wasm: wasm module: section header at offset 0x8: custom section size "
        "1073741824 exceeds end of module (" +
            std::to_string(4096 - head.size()) + " bytes left)");
}

TEST_CASE("has_wasm_magic") {
  CHECK(has_wasm_magic(wasm_test::header));
  CHECK(has_wasm_magic(std::string("\0asm", 4)));
  CHECK_FALSE(has_wasm_magic(std::string("\0as", 3)));
  CHECK_FALSE(has_wasm_magic("{\"json\": 1}"));
  CHECK_FALSE(has_wasm_magic(""));
}
