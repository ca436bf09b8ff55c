#include "wasme/cache/ref_file.hpp"

#include <algorithm>
#include <set>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"

namespace wasme::cache {
namespace {

constexpr std::uint64_t max_ref_file_size = 1u << 20;

std::string_view trim(std::string_view s) {
  const char* space = " \t\r\v\f";
  auto first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  auto last = s.find_last_not_of(space);
  return s.substr(first, last - first + 1);
}

void append_unique(std::vector<std::string>& out, std::set<std::string>& seen, std::string ref) {
  if (seen.insert(ref).second) out.push_back(std::move(ref));
}

}  // namespace

std::vector<std::string> parse_ref_list(std::string_view text) {
  std::vector<std::string> refs;
  std::set<std::string> seen;
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    line = trim(line.substr(0, line.find('#')));  // a ref never contains '#'
    if (!line.empty()) append_unique(refs, seen, std::string(line));
  }
  return refs;
}

std::vector<std::string> merge_refs(const std::vector<std::string>& from_file,
                                    const std::vector<std::string>& from_args) {
  std::vector<std::string> refs;
  std::set<std::string> seen;
  for (const auto& r : from_file) append_unique(refs, seen, r);
  for (const auto& r : from_args) append_unique(refs, seen, r);
  return refs;
}

RefFile::RefFile(std::filesystem::path path) : path_(std::move(path)) {}

const std::vector<std::string>& RefFile::load() {
  content_ = with_context("reading the ref file", [&] { return read_file(path_, max_ref_file_size); });
  refs_ = parse_ref_list(content_);
  unreadable_ = false;
  return refs_;
}

RefFilePoll RefFile::poll() {
  RefFilePoll result;
  std::error_code ec;
  result.target = std::filesystem::canonical(path_, ec);
  try {
    std::string content = read_file(path_, max_ref_file_size);
    bool was_unreadable = unreadable_;
    unreadable_ = false;
    if (content != content_) {
      content_ = std::move(content);
      refs_ = parse_ref_list(content_);
      result.event = RefFileEvent::changed;
    }
    if (was_unreadable) result.event = RefFileEvent::recovered;
  } catch (const Error& e) {
    result.event = unreadable_ ? RefFileEvent::unchanged : RefFileEvent::unreadable;
    unreadable_ = true;
    result.error = e.what();
  }
  result.refs = refs_;
  return result;
}

}  // namespace wasme::cache
