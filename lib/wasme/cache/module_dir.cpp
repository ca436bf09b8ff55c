#include "wasme/cache/module_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "wasme/core/error.hpp"
#include "wasme/core/json_limits.hpp"
#include "wasme/core/fs.hpp"

namespace wasme::cache {
namespace {

namespace stdfs = std::filesystem;

constexpr const char* lock_name = ".wasme-cache.lock";
constexpr const char* index_name = ".wasme-cache-index.json";

// The names in dir; Error(io) rather than std::filesystem_error when it cannot be read.
std::vector<std::string> names_in(const stdfs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (stdfs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) throw Error(ErrorKind::io, "listing " + dir.string() + ": " + ec.message());
  return names;
}

}  // namespace

bool is_module_name(std::string_view name) {
  return name.size() == 64 &&
         std::all_of(name.begin(), name.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

ModuleDir::ModuleDir(stdfs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  stdfs::create_directories(dir_, ec);
  if (ec || !stdfs::is_directory(dir_)) {
    throw Error(ErrorKind::io,
                "creating the cache directory " + dir_.string() + ": " + (ec ? ec.message() : "not a directory"));
  }
}

ModuleDir::~ModuleDir() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void ModuleDir::lock() {
  stdfs::path path = dir_ / lock_name;
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    throw Error(ErrorKind::io, "opening " + path.string() + ": " + std::strerror(errno));
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    int saved = errno;
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (saved == EWOULDBLOCK) {
      throw Error(ErrorKind::io, "the cache directory " + dir_.string() + " is used by another wasme cache process",
                  "run one cache per directory, or stop the other one");
    }
    throw Error(ErrorKind::io, "locking " + path.string() + ": " + std::strerror(saved));
  }
}

std::vector<std::string> ModuleDir::remove_temp_files() const {
  std::vector<std::string> removed;
  for (const auto& name : names_in(dir_)) {
    if (name.rfind(temp_file_prefix, 0) != 0) continue;
    std::error_code ec;
    if (stdfs::remove(dir_ / name, ec)) removed.push_back(name);
  }
  return removed;
}

stdfs::path ModuleDir::module_path(const oci::Digest& digest) const { return dir_ / digest.hex(); }

bool ModuleDir::has_module(const oci::Digest& digest) const {
  std::error_code ec;
  return stdfs::is_regular_file(module_path(digest), ec);
}

std::vector<oci::Digest> ModuleDir::modules() const {
  std::vector<oci::Digest> out;
  for (const auto& name : names_in(dir_)) {
    std::error_code ec;
    if (is_module_name(name) && stdfs::is_regular_file(dir_ / name, ec)) {
      out.push_back(oci::Digest::from_hex(name));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool ModuleDir::verify(const oci::Digest& digest, std::uint64_t size) const {
  std::error_code ec;
  auto path = module_path(digest);
  if (!stdfs::is_regular_file(path, ec) || stdfs::file_size(path, ec) != size || ec) return false;
  try {
    auto actual = oci::sha256_of_file(path);
    return actual.digest == digest && actual.size == size;
  } catch (const Error&) {
    return false;
  }
}

void ModuleDir::remove_module(const oci::Digest& digest) const {
  std::error_code ec;
  stdfs::remove(module_path(digest), ec);
  if (ec) throw Error(ErrorKind::io, "removing " + module_path(digest).string() + ": " + ec.message());
}

std::vector<IndexEntry> ModuleDir::load_index() const {
  std::vector<IndexEntry> out;
  try {
    auto json = parse_json_limited<nlohmann::json>(read_file(dir_ / index_name, 16u << 20), index_name, {8, 16u << 20});
    if (json.is_discarded()) throw nlohmann::json::parse_error::create(101, 0, "not JSON", nullptr);
    for (const auto& [ref, value] : json.at("refs").items()) {
      out.push_back(
          {ref, oci::Digest::parse(value.at("digest").get<std::string>()), value.at("size").get<std::uint64_t>()});
    }
  } catch (const std::exception&) {
    out.clear();  // a damaged index only costs a pull
  }
  return out;
}

void ModuleDir::save_index(const std::vector<IndexEntry>& entries) const {
  nlohmann::json refs = nlohmann::json::object();
  for (const auto& e : entries) refs[e.ref] = {{"digest", e.digest.str()}, {"size", e.size}};
  nlohmann::json doc = {{"version", 1}, {"refs", refs}};
  write_file_atomic(dir_ / index_name, doc.dump(1) + "\n");
}

}  // namespace wasme::cache
