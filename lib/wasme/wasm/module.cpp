#include "wasme/wasm/module.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/core/unique_fd.hpp"
#include "wasme/wasm/reader.hpp"
#include "wasme/wasm/sections.hpp"

namespace wasme::wasm {
namespace {

constexpr std::string_view magic("\0asm", 4);
constexpr std::uint64_t header_size = 8;
constexpr std::size_t max_u32_leb = 5;
constexpr std::size_t max_section_header = 1 + max_u32_leb;  // id byte + LEB128 size

// Where a module's bytes come from: a buffer, or a file read one section at a time.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual std::uint64_t size() const = 0;
  // Bytes [offset, offset + length), which lie within size(); may live in scratch.
  virtual std::string_view read(std::uint64_t offset, std::size_t length, std::string& scratch) = 0;
};

class MemorySource : public ByteSource {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  std::uint64_t size() const override { return bytes_.size(); }
  std::string_view read(std::uint64_t offset, std::size_t length, std::string&) override {
    return bytes_.substr(offset, length);
  }

 private:
  std::string_view bytes_;
};

Error io_error(const std::string& what) {
  return Error(errno == ENOENT ? ErrorKind::not_found : ErrorKind::io, what + ": " + std::strerror(errno));
}

// Reads with pread through a small window, so sections we skip are never read at all and a
// run of tiny sections costs one system call per window, not one per section.
class FileSource : public ByteSource {
 public:
  // fd_ is a UniqueFd, so the throws below (fstat, a directory) close it too: a destructor
  // does not run for an object whose constructor threw.
  explicit FileSource(const fs::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (!fd_) throw io_error("opening");
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) throw io_error("stat");
    if (S_ISDIR(st.st_mode)) {
      throw Error(ErrorKind::invalid_input, "is a directory, not a .wasm file", "give the path of a .wasm file");
    }
    regular_ = S_ISREG(st.st_mode);
    size_ = static_cast<std::uint64_t>(st.st_size);
  }
  bool regular() const { return regular_; }

  // A pipe or device has no size to bound sections by: read it whole, up to a limit.
  std::string read_all() {
    std::string out;
    char buf[64 * 1024];
    for (;;) {
      const ssize_t n = ::read(fd_.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw io_error("reading");
      if (n == 0) return out;
      if (out.size() + static_cast<std::size_t>(n) > max_stream_size) {
        throw Error(ErrorKind::invalid_input, "the stream is larger than " + format_size(max_stream_size),
                    "save the module to a file and give its path");
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  std::uint64_t size() const override { return size_; }
  std::string_view read(std::uint64_t offset, std::size_t length, std::string& scratch) override {
    if (offset >= window_offset_ && offset + length <= window_offset_ + window_.size()) {
      return std::string_view(window_).substr(offset - window_offset_, length);
    }
    if (length > window_size) {
      pread_exactly(offset, length, scratch);
      return scratch;
    }
    pread_exactly(offset, std::min<std::uint64_t>(window_size, size_ - offset), window_);
    window_offset_ = offset;
    return std::string_view(window_).substr(0, length);
  }

 private:
  static constexpr std::size_t window_size = 64 * 1024;
  static constexpr std::size_t max_stream_size = 256u << 20;

  void pread_exactly(std::uint64_t offset, std::size_t length, std::string& out) {
    out.resize(length);
    std::size_t done = 0;
    while (done < length) {
      const ssize_t n = ::pread(fd_.get(), out.data() + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw io_error("reading at offset " + hex_offset(offset + done));
      if (n == 0) {
        throw Error(ErrorKind::io,
                    "the file shrank while being read (ends at offset " + hex_offset(offset + done) + ")");
      }
      done += static_cast<std::size_t>(n);
    }
  }

  UniqueFd fd_;
  bool regular_ = false;
  std::uint64_t size_ = 0;
  std::string window_;
  std::uint64_t window_offset_ = 0;
};

std::string hex_bytes(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes.substr(0, 4)) {
    const auto b = static_cast<unsigned char>(c);
    out += std::string(out.empty() ? "" : " ") + digits[b >> 4] + digits[b & 0xf];
  }
  return bytes.size() > 4 ? out + " …" : out;
}

// A guess at what the user gave us instead, from its first bytes.
std::string looks_like(std::string_view head) {
  const auto start = head.find_first_not_of(" \t\r\n");
  const std::string_view text = start == std::string_view::npos ? "" : head.substr(start);
  if (!text.empty() && (text[0] == '{' || text[0] == '[')) return "looks like JSON";
  if (text.rfind("(module", 0) == 0 || text.rfind(";;", 0) == 0) {
    return "looks like WebAssembly text; compile it with wat2wasm";
  }
  if (head.rfind("\x1f\x8b", 0) == 0) return "looks like gzip data";
  if (head.rfind("PK\x03\x04", 0) == 0) return "looks like a zip archive";
  if (head.rfind("\x7f"
                 "ELF",
                 0) == 0)
    return "looks like a native ELF executable";
  const bool printable = std::all_of(
      head.begin(), head.end(), [](char c) { return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t'; });
  return printable ? "looks like text" : "";
}

Error not_wasm(const std::string& what) {
  return Error(ErrorKind::invalid_input, what, "give the path of a compiled WebAssembly module (.wasm)");
}

// Checks magic and version; returns the version.
std::uint32_t check_header(std::string_view head) {
  if (head.empty()) throw not_wasm("not a wasm module: the input is empty");
  if (magic.substr(0, std::min(head.size(), magic.size())) != head.substr(0, magic.size())) {
    const std::string guess = looks_like(head);
    throw not_wasm("not a wasm module: bad magic (first bytes " + hex_bytes(head) +
                   (guess.empty() ? "" : ", " + guess) + ")");
  }
  if (head.size() < header_size) {
    throw not_wasm("not a wasm module: truncated header (" + std::to_string(head.size()) + " of 8 bytes)");
  }
  std::uint32_t version = 0;
  for (int i = 7; i >= 4; --i) version = (version << 8) | static_cast<unsigned char>(head[i]);
  if (version == 1) return version;
  const bool component = (version & 0xffffu) == 0x0d && (version >> 16) == 1;
  throw not_wasm("unsupported wasm version " + std::to_string(version) +
                 (component ? " (a WebAssembly component; proxy-wasm runs core modules)" : " (only version 1 exists)"));
}

void finish(ModuleInfo& info) {
  info.abi = classify_abi(info.exports);
  std::set<std::string> wasi;
  for (const auto& import : info.imports) {
    if (import.module.rfind("wasi_", 0) == 0) wasi.insert(import.module);
  }
  info.wasi_modules.assign(wasi.begin(), wasi.end());
  for (const auto& e : info.exports) {
    if (e.name.rfind("proxy_abi_version_", 0) == 0) info.abi_version_exports.push_back(e.name);
  }
}

// A custom section is a name, then bytes of any form. Only the name is read: custom sections
// (debug info) can be most of a module, and the name's length is checked before its bytes are.
void check_custom_section(ByteSource& source, std::uint64_t body, std::uint32_t length, std::string& scratch) {
  const std::uint64_t probe_size = std::min<std::uint64_t>(length, max_u32_leb);
  Reader probe(source.read(body, probe_size, scratch), body, "custom section", Bound::section_end);
  const std::uint32_t name_length = probe.count("custom section name length", 1, length - probe_size);
  const std::uint64_t through_name = probe.offset() - body + name_length;
  Reader r(source.read(body, through_name, scratch), body, "custom section", Bound::section_end);
  r.name("custom section name");
}

// Checks one section body by the rules for its id, keeping imports and exports in info.
void read_section(ByteSource& source, std::uint8_t id, std::uint64_t body, std::uint32_t length, ModuleInfo& info,
                  PairedCounts& counts, std::string& scratch) {
  if (id == static_cast<std::uint8_t>(SectionId::custom)) {
    check_custom_section(source, body, length, scratch);
    return;
  }
  const bool whole = parsed_whole(id);
  const std::uint64_t view = whole ? length : std::min<std::uint64_t>(length, max_u32_leb);
  Reader r(source.read(body, view, scratch), body, section_name(id), Bound::section_end);
  const std::uint32_t n = whole ? parse_section(id, r, info) : check_count_only(id, r, length - view);
  counts.record(id, n, body, r);
}

ModuleInfo walk_module(ByteSource& source) {
  std::string scratch;
  ModuleInfo info;
  const std::uint64_t size = source.size();
  info.version = check_header(source.read(0, std::min<std::uint64_t>(16, size), scratch));
  SectionOrder order;
  PairedCounts counts;
  for (std::uint64_t offset = header_size; offset < size;) {
    const auto head_length = std::min<std::uint64_t>(max_section_header, size - offset);
    Reader head(source.read(offset, head_length, scratch), offset, "section header", Bound::module_end);
    const std::uint8_t id = head.byte("section id");
    // Before the size: an unknown or misplaced id is the first thing wrong, whatever follows.
    order.check(id, offset, head);
    const std::uint32_t length = head.u32("section size");
    const std::uint64_t body = head.offset();
    if (length > size - body) {
      head.fail(offset, section_name(id) + " size " + std::to_string(length) + " exceeds end of module (" +
                            byte_count(size - body) + " left)");
    }
    read_section(source, id, body, length, info, counts, scratch);
    offset = body + length;
  }
  counts.check_end(Reader(std::string_view(), size, "end of module", Bound::module_end));
  finish(info);
  return info;
}

}  // namespace

bool has_wasm_magic(std::string_view bytes) { return bytes.substr(0, magic.size()) == magic; }

ModuleInfo read_module(std::string_view bytes) {
  MemorySource source(bytes);
  return walk_module(source);
}

ModuleInfo read_module_file(const std::filesystem::path& path) {
  const std::string context = "reading " + path.string();
  auto source = with_context(context, [&] { return std::make_unique<FileSource>(path); });
  if (!source->regular()) {
    const std::string bytes = with_context(context, [&] { return source->read_all(); });
    return with_context(context, [&] { return read_module(bytes); });
  }
  return with_context(context, [&] { return walk_module(*source); });
}

const char* to_string(ExternalKind kind) {
  switch (kind) {
    case ExternalKind::function: return "function";
    case ExternalKind::table: return "table";
    case ExternalKind::memory: return "memory";
    case ExternalKind::global: return "global";
    case ExternalKind::tag: return "tag";
  }
  return "unknown";
}

}  // namespace wasme::wasm
