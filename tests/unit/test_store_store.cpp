#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

#include "test_store_fixture.hpp"
#include "test_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/store/store.hpp"

using namespace store_test;
using test_support::contains;
using test_support::expect_error;
using test_support::snapshot;
using wasme::Error;
using wasme::ErrorKind;
using wasme::store::Store;

namespace {

size_t blob_count(const Store& store) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(store.root() / "blobs" / "sha256")) n += !e.is_directory();
  return n;
}

// Runs a shell command, returning its stdout; fails the test on a non-zero exit.
std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = ::pclose(pipe);
  INFO("command: " << command << "\noutput: " << out);
  REQUIRE(status == 0);
  return out;
}

}  // namespace

TEST_CASE("the default root is $WASME_HOME/store") { CHECK(Store::default_root() == wasme::wasme_home() / "store"); }

TEST_CASE("a missing store reads as empty and is not created by reads") {
  Store store("nowhere");
  CHECK(store.images().empty());
  CHECK_FALSE(store.find(parse_ref("localhost:5000/a/b:v1")));
  auto e = expect_error([&] { store.get(parse_ref("localhost:5000/a/b:v1")); });
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(contains(e.what(), "\"localhost:5000/a/b:v1\" is not in the store nowhere"));
  CHECK(e.hint() == "run 'wasme pull localhost:5000/a/b:v1' or 'wasme build' first");
  auto rm = expect_error([&] { store.remove(parse_ref("localhost:5000/a/b:v1")); });
  CHECK(rm.kind() == ErrorKind::not_found);
  CHECK_FALSE(store.has_blob(oci::sha256_of("x")));
  CHECK_FALSE(fs::exists("nowhere"));
}

TEST_CASE("layout files have their exact content") {
  Store store("s");
  auto image = put_image(store, "module");
  auto before = wasme::read_file("s/index.json");
  CHECK(before == R"({"manifests":[],"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2})");
  store.add_image(parse_ref("localhost:5000/team/filter:v1"), image.manifest);
  CHECK(wasme::read_file("s/oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
  CHECK(
      wasme::read_file("s/index.json") ==
      R"({"manifests":[{"annotations":{"org.opencontainers.image.ref.name":"localhost:5000/team/filter:v1"},"digest":")" +
          image.manifest.digest.str() + R"(","mediaType":"application/vnd.oci.image.manifest.v1+json","size":)" +
          std::to_string(image.manifest.size) +
          R"(}],"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2})");
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator("s")) names.insert(e.path().filename().string());
  CHECK(names == std::set<std::string>{"blobs", "index.json", "index.json.lock", "oci-layout"});
  CHECK(blob_count(store) == 3);
}

TEST_CASE("add_image, images, find and get round trip") {
  Store store("s");
  auto image = put_image(store, "module");
  store.add_image(parse_ref("team/filter"), image.manifest);
  auto images = store.images();
  REQUIRE(images.size() == 1);
  CHECK(images[0].reference.str() == "docker.io/team/filter:latest");
  CHECK(images[0].manifest.digest == image.manifest.digest);
  CHECK(images[0].manifest.size == image.manifest.size);
  CHECK(images[0].manifest.annotations.at("org.opencontainers.image.ref.name") == "docker.io/team/filter:latest");
  CHECK(store.find(parse_ref("docker.io/team/filter:latest")));
  CHECK(store.get(parse_ref("team/filter:latest")).manifest.digest == image.manifest.digest);
  CHECK_FALSE(store.find(parse_ref("team/filter:v2")));
  // NAME@DIGEST finds the image stored under a tag; another name or digest does not.
  auto by_digest = store.find(parse_ref("team/filter@" + image.manifest.digest.str()));
  REQUIRE(by_digest);
  CHECK(by_digest->reference.str() == "docker.io/team/filter:latest");
  CHECK_FALSE(store.find(parse_ref("team/other@" + image.manifest.digest.str())));
  CHECK_FALSE(store.find(parse_ref("team/filter@" + image.layer.digest.str())));
  CHECK_FALSE(store.find(parse_ref("team/filter:v9@" + image.manifest.digest.str())));
  // A fresh Store object on the same root sees the same thing.
  CHECK(Store("s").images().size() == 1);
}

TEST_CASE("the same reference replaces its entry; entries stay sorted") {
  Store store("s");
  auto one = put_image(store, "one");
  auto two = put_image(store, "two");
  store.add_image(parse_ref("localhost:5000/z/last:v1"), one.manifest);
  store.add_image(parse_ref("localhost:5000/a/first:v1"), one.manifest);
  store.add_image(parse_ref("localhost:5000/m/middle:v1"), one.manifest);
  auto sorted_bytes = wasme::read_file("s/index.json");
  store.add_image(parse_ref("localhost:5000/m/middle:v1"), two.manifest);
  auto images = store.images();
  REQUIRE(images.size() == 3);
  CHECK(images[0].reference.str() == "localhost:5000/a/first:v1");
  CHECK(images[1].reference.str() == "localhost:5000/m/middle:v1");
  CHECK(images[1].manifest.digest == two.manifest.digest);
  CHECK(images[2].reference.str() == "localhost:5000/z/last:v1");
  // Deterministic: the same entries in another order give the same bytes.
  Store other("t");
  auto again = put_image(other, "one");
  other.add_image(parse_ref("localhost:5000/m/middle:v1"), again.manifest);
  other.add_image(parse_ref("localhost:5000/z/last:v1"), again.manifest);
  other.add_image(parse_ref("localhost:5000/a/first:v1"), again.manifest);
  CHECK(wasme::read_file("t/index.json") == sorted_bytes);
}

TEST_CASE("add_image refuses an incomplete image and leaves the store unchanged") {
  Store store("s");
  auto image = put_image(store, "module");
  store.add_image(parse_ref("localhost:5000/team/kept:v1"), image.manifest);
  auto target = parse_ref("localhost:5000/team/filter:v1");

  SUBCASE("manifest blob missing") {
    oci::Descriptor absent = image.manifest;
    absent.digest = oci::sha256_of("no such manifest");
    auto before = snapshot("s");
    auto e = expect_error([&] { store.add_image(target, absent); });
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK(contains(e.what(), "storing \"localhost:5000/team/filter:v1\""));
    CHECK(snapshot("s") == before);
  }
  SUBCASE("a layer missing") {
    fs::remove(store.blob_path(image.layer.digest));
    auto before = snapshot("s");
    auto e = expect_error([&] { store.add_image(target, image.manifest); });
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK(contains(e.what(), image.layer.digest.str()));
    CHECK(snapshot("s") == before);
  }
  SUBCASE("the manifest descriptor's size is wrong") {
    oci::Descriptor wrong = image.manifest;
    wrong.size += 1;
    auto before = snapshot("s");
    auto e = expect_error([&] { store.add_image(target, wrong); });
    CHECK(e.kind() == ErrorKind::integrity);
    CHECK(snapshot("s") == before);
  }
  SUBCASE("the reference names another digest") {
    auto before = snapshot("s");
    auto pinned = target.with_digest(oci::sha256_of("elsewhere"));
    auto e = expect_error([&] { store.add_image(pinned, image.manifest); });
    CHECK(e.kind() == ErrorKind::integrity);
    CHECK(snapshot("s") == before);
  }
  SUBCASE("the manifest blob is corrupted") {
    std::ofstream(store.blob_path(image.manifest.digest), std::ios::trunc) << "{}";
    auto before = snapshot("s");
    auto e = expect_error([&] { store.add_image(target, image.manifest); });
    CHECK(e.kind() == ErrorKind::integrity);
    CHECK(snapshot("s") == before);
  }
}

TEST_CASE("tag points a second reference at the same blobs") {
  Store store("s");
  auto image = put_image(store, "module");
  store.add_image(parse_ref("localhost:5000/team/filter:v1"), image.manifest);
  auto blobs_before = blob_count(store);
  store.tag(parse_ref("localhost:5000/team/filter:v1"), parse_ref("ghcr.io/me/filter:stable"));
  CHECK(blob_count(store) == blobs_before);
  auto images = store.images();
  REQUIRE(images.size() == 2);
  CHECK(images[0].reference.str() == "ghcr.io/me/filter:stable");
  CHECK(images[0].manifest.digest == images[1].manifest.digest);
  CHECK(images[0].manifest.annotations.at("org.opencontainers.image.ref.name") == "ghcr.io/me/filter:stable");
  auto e = expect_error([&] { store.tag(parse_ref("localhost:5000/none:v1"), parse_ref("x/y:z")); });
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(contains(e.what(), "tagging \"localhost:5000/none:v1\" as \"docker.io/x/y:z\""));
}

TEST_CASE("remove keeps blobs another entry uses and deletes the rest") {
  Store store("s");
  auto a = put_image(store, "module a", R"({"shared":true})");
  auto c = put_image(store, "module c", R"({"shared":true})");  // shares the config blob
  store.add_image(parse_ref("localhost:5000/team/a:v1"), a.manifest);
  store.tag(parse_ref("localhost:5000/team/a:v1"), parse_ref("localhost:5000/team/a:v2"));
  store.add_image(parse_ref("localhost:5000/team/c:v1"), c.manifest);
  CHECK(blob_count(store) == 5);

  store.remove(parse_ref("localhost:5000/team/a:v1"));  // a:v2 still uses everything
  CHECK(blob_count(store) == 5);
  CHECK(store.images().size() == 2);

  store.remove(parse_ref("localhost:5000/team/a:v2"));
  CHECK_FALSE(store.has_blob(a.manifest.digest));
  CHECK_FALSE(store.has_blob(a.layer.digest));
  CHECK(store.has_blob(a.config.digest));  // c uses it
  CHECK(store.read_blob(c.manifest.digest).size() == c.manifest.size);

  store.remove(parse_ref("localhost:5000/team/c:v1"));
  CHECK(blob_count(store) == 0);
  CHECK(store.images().empty());
  auto e = expect_error([&] { store.remove(parse_ref("localhost:5000/team/c:v1")); });
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(contains(e.hint(), "wasme list"));
}

TEST_CASE("entries other tools wrote are kept but not listed") {
  Store store("s");
  auto image = put_image(store, "module");
  std::string foreign = R"({"annotations":{"org.opencontainers.image.ref.name":"v1"},"digest":")" +
                        image.manifest.digest.str() +
                        R"(","mediaType":"application/vnd.oci.image.manifest.v1+json","size":)" +
                        std::to_string(image.manifest.size) + "}";
  wasme::write_file_atomic("s/index.json", R"({"schemaVersion":2,"manifests":[)" + foreign + "]}");
  CHECK(store.images().empty());
  store.add_image(parse_ref("localhost:5000/team/filter:v1"), image.manifest);
  CHECK(store.images().size() == 1);
  CHECK(contains(wasme::read_file("s/index.json"), R"("org.opencontainers.image.ref.name":"v1")"));
  store.remove(parse_ref("localhost:5000/team/filter:v1"));
  CHECK(store.has_blob(image.layer.digest));  // the foreign entry still uses it
}

TEST_CASE("a corrupted index.json is an error naming the file") {
  Store store("s");
  put_image(store, "module");
  wasme::write_file_atomic("s/index.json", "{not json");
  auto e = expect_error([&] { store.images(); });
  CHECK(contains(e.what(), (fs::path("s") / "index.json").string()));
  CHECK(contains(e.hint(), "the index is damaged"));
}

TEST_CASE("a store path that is a file is an error, not an empty store") {
  wasme::write_file_atomic("not-a-dir", "x");
  Store store("not-a-dir");
  auto e = expect_error([&] { store.images(); });
  CHECK(std::string(e.what()) == "the store not-a-dir is not a directory");
}

TEST_CASE("skopeo reads the store as an OCI layout") {
  Store store("s");
  auto image = put_image(store, "module");
  oci::Manifest manifest = oci::Manifest::parse(store.read_blob(image.manifest.digest));
  store.add_image(parse_ref("localhost:5000/team/filter:v1"), image.manifest);
  store.add_image(parse_ref("ghcr.io/org/filter@" + image.manifest.digest.str()), image.manifest);

  auto raw = run("skopeo inspect --raw oci:s:localhost:5000/team/filter:v1");
  CHECK(raw == store.read_blob(image.manifest.digest));
  auto by_digest = run("skopeo inspect --raw oci:s:ghcr.io/org/filter@" + image.manifest.digest.str());
  CHECK(by_digest == raw);

  run("skopeo copy --quiet oci:s:localhost:5000/team/filter:v1 dir:copied");
  CHECK(wasme::read_file("copied/manifest.json") == raw);
  CHECK(wasme::read_file(fs::path("copied") / image.layer.digest.hex()) == store.read_blob(image.layer.digest));
  CHECK(wasme::read_file(fs::path("copied") / image.config.digest.hex()) == store.read_blob(image.config.digest));
  CHECK(manifest.layers.size() == 2);

  // And the other way round: a layout skopeo wrote is a store wasme reads and extends.
  run("skopeo copy --quiet oci:s:localhost:5000/team/filter:v1 oci:theirs:localhost:5000/a/b:v1");
  Store theirs("theirs");
  REQUIRE(theirs.images().size() == 1);
  CHECK(theirs.get(parse_ref("localhost:5000/a/b:v1")).manifest.digest == image.manifest.digest);
  theirs.tag(parse_ref("localhost:5000/a/b:v1"), parse_ref("localhost:5000/a/b:v2"));
  CHECK(run("skopeo inspect --raw oci:theirs:localhost:5000/a/b:v2") == raw);
}
