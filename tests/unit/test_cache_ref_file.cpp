#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "wasme/cache/ref_file.hpp"
#include "wasme/core/error.hpp"

namespace fs = std::filesystem;
using wasme::cache::RefFile;
using wasme::cache::RefFileEvent;
using Refs = std::vector<std::string>;

namespace {

void write(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path().empty() ? "." : p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

// What kubelet does to a ConfigMap volume: the key is a symlink to ..data/key, and ..data
// is a symlink to a timestamped directory that is replaced by an atomic rename.
void kubelet_publish(const fs::path& volume, const std::string& stamp, const std::string& content) {
  write(volume / stamp / "images.txt", content);
  fs::create_directory_symlink(stamp, volume / "..data_tmp");
  fs::rename(volume / "..data_tmp", volume / "..data");
  if (!fs::is_symlink(volume / "images.txt")) fs::create_symlink("..data/images.txt", volume / "images.txt");
}

}  // namespace

TEST_CASE("ref lists: one a line, comments and blanks ignored, duplicates once") {
  struct Case {
    std::string text;
    Refs refs;
  };
  const Case cases[] = {
      {"", {}},
      {"\n\n  \n", {}},
      {"a/b:1", {"a/b:1"}},
      {"a/b:1\nc/d:2\n", {"a/b:1", "c/d:2"}},
      {"  a/b:1  \r\n\tc/d:2\t\n", {"a/b:1", "c/d:2"}},
      {"# all comments\n#a/b:1\n", {}},
      {"a/b:1 # the first\nc/d:2#x\n", {"a/b:1", "c/d:2"}},
      {"a/b:1\na/b:1\nc/d:2\na/b:1", {"a/b:1", "c/d:2"}},
      {"r/x@sha256:" + std::string(64, 'a'), {"r/x@sha256:" + std::string(64, 'a')}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK(wasme::cache::parse_ref_list(c.text) == c.refs);
  }
}

TEST_CASE("file refs come first, then argument refs, without duplicates") {
  CHECK(wasme::cache::merge_refs({"a", "b"}, {"b", "c"}) == Refs{"a", "b", "c"});
  CHECK(wasme::cache::merge_refs({}, {"c", "c"}) == Refs{"c"});
}

TEST_CASE("a missing ref file is an error at start") {
  RefFile file("nope/images.txt");
  try {
    file.load();
    FAIL("loaded a missing file");
  } catch (const wasme::Error& e) {
    CHECK(e.kind() == wasme::ErrorKind::not_found);
    CHECK(std::string(e.what()).find("nope/images.txt") != std::string::npos);
  }
}

TEST_CASE("polling notices in-place edits and reports nothing when unchanged") {
  write("images.txt", "a/b:1\n");
  RefFile file("images.txt");
  CHECK(file.load() == Refs{"a/b:1"});
  CHECK(file.poll().event == RefFileEvent::unchanged);
  write("images.txt", "a/b:1\nc/d:2\n");
  auto poll = file.poll();
  CHECK(poll.event == RefFileEvent::changed);
  CHECK(poll.refs == Refs{"a/b:1", "c/d:2"});
  CHECK(file.poll().event == RefFileEvent::unchanged);
  write("images.txt", "a/b:1\nc/d:2\n# a comment only\n");
  CHECK(file.poll().event == RefFileEvent::changed);  // content moved; the list did not
}

TEST_CASE("polling notices kubelet's ..data symlink swap") {
  kubelet_publish("vol", "..2024_01_01_00_00_00.1", "a/b:1\n");
  RefFile file("vol/images.txt");
  CHECK(file.load() == Refs{"a/b:1"});
  kubelet_publish("vol", "..2024_01_01_00_00_05.2", "a/b:1\nc/d:2\n");
  fs::remove_all("vol/..2024_01_01_00_00_00.1");  // kubelet removes the old directory
  auto poll = file.poll();
  CHECK(poll.event == RefFileEvent::changed);
  CHECK(poll.refs == Refs{"a/b:1", "c/d:2"});
  CHECK(poll.target.parent_path().filename() == "..2024_01_01_00_00_05.2");
}

TEST_CASE("an unreadable file keeps the last list and is reported once per transition") {
  write("images.txt", "a/b:1\n");
  RefFile file("images.txt");
  file.load();
  fs::remove("images.txt");
  auto gone = file.poll();
  CHECK(gone.event == RefFileEvent::unreadable);
  CHECK(gone.refs == Refs{"a/b:1"});
  CHECK(gone.error.find("images.txt") != std::string::npos);
  CHECK(file.poll().event == RefFileEvent::unchanged);
  write("images.txt", "a/b:1\n");
  auto back = file.poll();
  CHECK(back.event == RefFileEvent::recovered);
  CHECK(back.refs == Refs{"a/b:1"});
  CHECK(file.poll().event == RefFileEvent::unchanged);
}
