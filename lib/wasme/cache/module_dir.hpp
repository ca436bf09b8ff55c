#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "wasme/oci/digest.hpp"

namespace wasme::cache {

// True for exactly 64 lowercase hex characters: the only names the cache serves or prunes,
// so no request path and no stray file can reach anything else in the directory.
bool is_module_name(std::string_view name);

// A ref the cache pulled, remembered across restarts so a node whose registry is down
// still knows what its files are.
struct IndexEntry {
  std::string ref;
  oci::Digest digest;
  std::uint64_t size = 0;
};

// The cache directory: DIR/<sha256-hex> module files (what Envoy loads), plus a lock file
// and the index, both hidden. Files appear only by rename, so readers never see a part.
class ModuleDir {
 public:
  // Creates the directory when missing.
  explicit ModuleDir(std::filesystem::path dir);
  ~ModuleDir();
  ModuleDir(const ModuleDir&) = delete;
  ModuleDir& operator=(const ModuleDir&) = delete;

  const std::filesystem::path& path() const { return dir_; }
  // Takes an exclusive lock so two daemons never share a directory (their temp-file
  // cleanup would delete each other's downloads). Throws Error(io) when it is held.
  void lock();
  // Removes temp files a killed run left behind; returns their names.
  std::vector<std::string> remove_temp_files() const;

  std::filesystem::path module_path(const oci::Digest& digest) const;
  bool has_module(const oci::Digest& digest) const;
  // Digests of the module files present, by name.
  std::vector<oci::Digest> modules() const;
  // True when the file exists with this size and its bytes hash to its name.
  bool verify(const oci::Digest& digest, std::uint64_t size) const;
  void remove_module(const oci::Digest& digest) const;

  // The index of a previous run; empty when missing or unreadable (then refs are pulled).
  std::vector<IndexEntry> load_index() const;
  void save_index(const std::vector<IndexEntry>& entries) const;

 private:
  std::filesystem::path dir_;
  int lock_fd_ = -1;
};

}  // namespace wasme::cache
