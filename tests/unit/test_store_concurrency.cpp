#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "test_store_fixture.hpp"
#include "wasme/core/error.hpp"
#include "wasme/store/store.hpp"

using namespace store_test;
using wasme::store::Store;

namespace {

constexpr int children = 8;
constexpr int rounds = 6;

std::string child_ref(int i, const std::string& tag) {
  return "localhost:5000/team/child-" + std::to_string(i) + ":" + tag;
}

// What one process does: its own layer, a config every child shares (so the same blob is
// written concurrently), its own ref, a tag of it, and one ref every child fights over.
int child_main(const fs::path& root, int i) {
  try {
    Store store(root);
    auto image = put_image(store, "module of child " + std::to_string(i), R"({"shared":1})");
    store.add_image(parse_ref(child_ref(i, "v1")), image.manifest);
    store.tag(parse_ref(child_ref(i, "v1")), parse_ref(child_ref(i, "v2")));
    store.add_image(parse_ref("localhost:5000/team/common:latest"), image.manifest);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child %d: %s\n", i, e.what());
    return 1;
  }
}

// Forks the children, lets them all go at once by closing a pipe they block on, and
// returns how many exited with status 0.
int run_children(const fs::path& root) {
  int gate[2];
  if (::pipe(gate) != 0) return -1;
  std::vector<pid_t> pids;
  for (int i = 0; i < children; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(gate[1]);
      char c;
      while (::read(gate[0], &c, 1) > 0) {
      }  // EOF: the parent closed its end, everyone starts
      ::_exit(child_main(root, i));
    }
    if (pid > 0) pids.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);
  int ok = 0;
  for (pid_t pid : pids) {
    int status = 0;
    if (::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0) ++ok;
  }
  return ok;
}

}  // namespace

TEST_CASE("8 processes writing one store at the same moment lose nothing") {
  for (int round = 0; round < rounds; ++round) {
    CAPTURE(round);
    fs::path root = "store-" + std::to_string(round);
    REQUIRE(run_children(root) == children);

    Store store(root);
    auto images = store.images();  // index.json parses
    REQUIRE(images.size() == 2 * children + 1);
    for (int i = 0; i < children; ++i) {
      auto v1 = store.get(parse_ref(child_ref(i, "v1")));
      auto v2 = store.get(parse_ref(child_ref(i, "v2")));
      CHECK(v1.manifest.digest == v2.manifest.digest);
      auto manifest = oci::Manifest::parse(store.read_blob(v1.manifest.digest));
      CHECK(store.read_blob(manifest.layers.at(1).digest) ==
            std::string("\0asm", 4) + "module of child " + std::to_string(i));
    }
    CHECK(store.find(parse_ref("localhost:5000/team/common:latest")));
    // Nothing half-written is left: no temp files anywhere in the store.
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      CHECK(entry.path().filename().string().rfind(wasme::temp_file_prefix, 0) != 0);
    }
    // 8 layers + 8 manifests + 1 shared config.
    size_t blobs = 0;
    for (const auto& e : fs::directory_iterator(root / "blobs" / "sha256")) blobs += !e.is_directory();
    CHECK(blobs == 2 * children + 1);
  }
}
