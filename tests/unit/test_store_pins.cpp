// Issue 14 item 8: a build or pull that stores blobs holds them (BlobPin) until its index
// entry lands, so a concurrent remove of another tag using the same blobs cannot collect
// them; a pin left by a killed process does not keep anything forever.
#include <doctest/doctest.h>

#include <algorithm>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "test_store_fixture.hpp"
#include "wasme/core/error.hpp"
#include "wasme/store/store.hpp"

using namespace store_test;
using wasme::Error;
using wasme::ErrorKind;
using wasme::store::BlobPin;
using wasme::store::Store;

namespace {

std::vector<oci::Digest> digests_of(const TestImage& image) {
  return {image.manifest.digest, image.config.digest, image.layer.digest};
}

size_t files_in(const fs::path& dir) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) n += e.is_regular_file();
  return n;
}

bool all_present(const Store& store, const TestImage& image) {
  for (const auto& d : digests_of(image)) {
    if (!store.blob_intact(d)) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("without a pin, removing the last tag collects blobs a build just found present") {
  // What `wasme rm v1` did to `wasme build -t v2` of the same module before pins.
  Store store("s");
  auto image = put_image(store, "module");
  store.add_image(parse_ref("localhost:5000/team/filter:v1"), image.manifest);
  auto again = put_image(store, "module");  // the build's put_blob: present, nothing written
  Store("s").remove(parse_ref("localhost:5000/team/filter:v1"));
  try {
    store.add_image(parse_ref("localhost:5000/team/filter:v2"), again.manifest);
    FAIL("expected the blobs to be gone");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK(std::string(e.what()).find("is not in the store") != std::string::npos);
  }
}

TEST_CASE("a pinned blob survives the removal of the last image using it") {
  Store store("s");
  auto image = put_image(store, "module");
  store.add_image(parse_ref("localhost:5000/team/filter:v1"), image.manifest);

  BlobPin pin = store.pin_blobs(digests_of(image));
  CHECK(files_in("s/pins") == 1);
  put_image(store, "module");                                     // present: nothing written
  Store("s").remove(parse_ref("localhost:5000/team/filter:v1"));  // another "process"
  CHECK(all_present(store, image));
  store.add_image(parse_ref("localhost:5000/team/filter:v2"), image.manifest);
  pin.release();
  CHECK(files_in("s/pins") == 0);
  pin.release();  // twice is harmless

  // Once the entry holds them, removing it collects them as before.
  store.remove(parse_ref("localhost:5000/team/filter:v2"));
  for (const auto& d : digests_of(image)) CHECK_FALSE(store.has_blob(d));
}

TEST_CASE("a pin protects only what it names, and is released by its destructor") {
  Store store("s");
  auto kept = put_image(store, "kept");
  auto other = put_image(store, "other");
  store.add_image(parse_ref("localhost:5000/team/kept:v1"), kept.manifest);
  store.add_image(parse_ref("localhost:5000/team/other:v1"), other.manifest);
  {
    BlobPin pin = store.pin_blobs(digests_of(kept));
    BlobPin moved = std::move(pin);  // the pin moves with its owner
    store.remove(parse_ref("localhost:5000/team/kept:v1"));
    store.remove(parse_ref("localhost:5000/team/other:v1"));
    CHECK(all_present(store, kept));
    const auto pinned = digests_of(kept);
    for (const auto& d : digests_of(other)) {
      // A blob both images hold (the same config) stays pinned; the rest of other's goes.
      if (std::find(pinned.begin(), pinned.end(), d) == pinned.end()) CHECK_FALSE(store.has_blob(d));
    }
  }
  CHECK(files_in("s/pins") == 0);
  // Unpinned now and unreferenced: the next remove that considers them collects them.
  store.add_image(parse_ref("localhost:5000/team/kept:v2"), kept.manifest);
  store.remove(parse_ref("localhost:5000/team/kept:v2"));
  for (const auto& d : digests_of(kept)) CHECK_FALSE(store.has_blob(d));
}

TEST_CASE("a pin held by a live process is respected; once it is SIGKILLed, its stale pin is ignored and deleted") {
  Store store("s");
  auto image = put_image(store, "module");
  store.add_image(parse_ref("localhost:5000/team/filter:v1"), image.manifest);

  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    try {
      Store mine("s");
      BlobPin pin = mine.pin_blobs(digests_of(image));
      char c = 'r';
      if (::write(ready[1], &c, 1) != 1) ::_exit(2);
      for (;;) ::pause();  // a builder stuck mid-way, until killed
    } catch (...) {
      ::_exit(1);
    }
  }
  ::close(ready[1]);
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  ::close(ready[0]);

  store.remove(parse_ref("localhost:5000/team/filter:v1"));
  CHECK(all_present(store, image));  // the live builder's pin holds them
  CHECK(files_in("s/pins") == 1);

  ::kill(child, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(files_in("s/pins") == 1);  // SIGKILL ran no cleanup: the pin file is still there

  store.add_image(parse_ref("localhost:5000/team/filter:v1"), image.manifest);
  store.remove(parse_ref("localhost:5000/team/filter:v1"));
  for (const auto& d : digests_of(image)) CHECK_FALSE(store.has_blob(d));  // not blocked forever
  CHECK(files_in("s/pins") == 0);                                          // and the stale pin is gone
}

TEST_CASE("the next command's sweep deletes the pin of a process that died; a live one stays") {
  Store store("s");
  auto image = put_image(store, "module");
  BlobPin mine = store.pin_blobs(digests_of(image));
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    try {
      Store("s").pin_blobs(digests_of(image)).release();  // a normal release...
      BlobPin kept = Store("s").pin_blobs(digests_of(image));
      ::_exit(0);  // ...and one never released: _exit runs no destructor, as SIGKILL
    } catch (...) {
      ::_exit(1);
    }
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(files_in("s/pins") == 2);
  store.sweep_interrupted();
  CHECK(files_in("s/pins") == 1);  // ours
  mine.release();
  CHECK(files_in("s/pins") == 0);
}

TEST_CASE("a live pin that cannot be read makes remove keep every blob; a dead one is dropped") {
  Store store("s");
  auto image = put_image(store, "module");
  store.add_image(parse_ref("localhost:5000/team/filter:v1"), image.manifest);
  store.pin_blobs({}).release();  // creates s/pins
  const fs::path garbage = fs::path("s") / "pins" / "garbage";
  {
    std::FILE* f = std::fopen(garbage.c_str(), "w");
    REQUIRE(f);
    std::fputs("not a digest\n", f);
    std::fclose(f);
  }
  // Held by someone alive: what it protects is unknown, so nothing is collected.
  int fd = ::open(garbage.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX) == 0);
  store.remove(parse_ref("localhost:5000/team/filter:v1"));
  CHECK(all_present(store, image));
  // Its holder gone, it is a stale pin: ignored and deleted.
  ::close(fd);
  store.add_image(parse_ref("localhost:5000/team/filter:v1"), image.manifest);
  store.remove(parse_ref("localhost:5000/team/filter:v1"));
  for (const auto& d : digests_of(image)) CHECK_FALSE(store.has_blob(d));
  CHECK_FALSE(fs::exists(garbage));
}

TEST_CASE("threads building new tags while others remove the previous ones: every build succeeds") {
  constexpr int builders = 8;
  constexpr int rounds = 5;
  Store proto("proto");
  const TestImage image = put_image(proto, "the same module for every tag");
  Store setup("s");
  put_image(setup, "the same module for every tag");
  for (int i = 0; i < builders; ++i) {
    setup.add_image(parse_ref("localhost:5000/team/filter:old" + std::to_string(i)), image.manifest);
  }
  for (int round = 0; round < rounds; ++round) {
    CAPTURE(round);
    const std::string old_tag = round == 0 ? "old" : "r" + std::to_string(round - 1) + "-";
    const std::string new_tag = "r" + std::to_string(round) + "-";
    std::atomic<bool> go{false};
    std::vector<std::string> errors(2 * builders);
    std::vector<std::thread> threads;
    for (int i = 0; i < builders; ++i) {
      threads.emplace_back([&, i] {  // a build under a new tag
        while (!go) std::this_thread::yield();
        try {
          Store store("s");
          BlobPin pin = store.pin_blobs(digests_of(image));
          put_image(store, "the same module for every tag");
          store.add_image(parse_ref("localhost:5000/team/filter:" + new_tag + std::to_string(i)), image.manifest);
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      });
      threads.emplace_back([&, i] {  // rm of a previous tag
        while (!go) std::this_thread::yield();
        try {
          Store("s").remove(parse_ref("localhost:5000/team/filter:" + old_tag + std::to_string(i)));
        } catch (const std::exception& e) {
          errors[builders + i] = e.what();
        }
      });
    }
    go = true;
    for (auto& t : threads) t.join();
    for (const auto& e : errors) CHECK(e == "");
    Store after("s");
    CHECK(after.images().size() == static_cast<size_t>(builders));
    CHECK(all_present(after, image));
    CHECK(files_in("s/pins") == 0);
  }
}
