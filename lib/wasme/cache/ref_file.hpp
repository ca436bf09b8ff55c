#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace wasme::cache {

// Parses a ref list: one ref a line; blank lines and `#` comments are ignored, space is
// trimmed, and a ref listed twice counts once (first position wins).
std::vector<std::string> parse_ref_list(std::string_view text);

// Refs from the file (if any) followed by those from the command line, without duplicates.
std::vector<std::string> merge_refs(const std::vector<std::string>& from_file,
                                    const std::vector<std::string>& from_args);

// What polling the ref file found. unreadable and recovered are reported once per
// transition, so a caller that logs events logs one line per change, not one per poll.
enum class RefFileEvent { unchanged, changed, unreadable, recovered };

struct RefFilePoll {
  RefFileEvent event = RefFileEvent::unchanged;
  std::vector<std::string> refs;  // the current list (the last good one when unreadable)
  std::string error;              // why the file could not be read
  std::filesystem::path target;   // the file the path resolved to (kubelet's ..data/…)
};

// A ref file watched by polling. kubelet updates a ConfigMap volume by writing a new
// timestamped directory and swapping the `..data` symlink, so inotify on the path misses
// it and mtime of the path does not move: each poll re-resolves the path and compares the
// content itself, which catches in-place writes, renames and symlink swaps alike.
class RefFile {
 public:
  explicit RefFile(std::filesystem::path path);

  // Reads the file now. Throws Error(not_found/io) when it cannot be read: at start a
  // missing file is a mistake the user should hear about.
  const std::vector<std::string>& load();
  // Reads the file again; never throws (a ConfigMap volume is briefly absent during updates).
  RefFilePoll poll();

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::string content_;
  std::vector<std::string> refs_;
  bool unreadable_ = false;
};

}  // namespace wasme::cache
