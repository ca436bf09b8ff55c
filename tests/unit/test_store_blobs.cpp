#include <doctest/doctest.h>

#include <fstream>
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

TEST_CASE("put_blob then read_blob round trips, and creates the layout lazily") {
  Store store("s");
  CHECK_FALSE(fs::exists("s"));
  std::string bytes = "hello blob";
  auto digest = oci::sha256_of(bytes);
  CHECK_FALSE(store.has_blob(digest));
  store.put_blob(bytes, digest);
  CHECK(store.has_blob(digest));
  CHECK(store.blob_path(digest) == fs::path("s") / "blobs" / "sha256" / digest.hex());
  CHECK(store.read_blob(digest) == bytes);
  CHECK(wasme::read_file("s/oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
  CHECK(fs::exists("s/index.json"));
  CHECK(store.images().empty());
}

TEST_CASE("put_blob of a present blob is a no-op") {
  Store store("s");
  std::string bytes = "same";
  auto digest = oci::sha256_of(bytes);
  store.put_blob(bytes, digest);
  auto before = snapshot("s");
  auto mtime = fs::last_write_time(store.blob_path(digest));
  store.put_blob(bytes, digest);
  CHECK(snapshot("s") == before);
  CHECK(fs::last_write_time(store.blob_path(digest)) == mtime);
}

TEST_CASE("a digest mismatch leaves the store byte-for-byte unchanged") {
  Store store("s");
  auto image = put_image(store, "module");
  store.add_image(parse_ref("localhost:5000/team/filter:v1"), image.manifest);
  auto before = snapshot("s");
  REQUIRE(before.size() > 5);
  std::string bytes = "the real bytes";
  auto wrong = oci::sha256_of("other bytes");

  SUBCASE("put_blob") {
    auto e = expect_error([&] { store.put_blob(bytes, wrong); });
    CHECK(e.kind() == ErrorKind::integrity);
    CHECK(contains(e.what(), wrong.str()));
    CHECK(contains(e.what(), oci::sha256_of(bytes).str()));
  }
  SUBCASE("begin_blob, right size, wrong digest") {
    auto writer = store.begin_blob(wrong, bytes.size());
    writer->write(bytes.substr(0, 3));
    writer->write(bytes.substr(3));
    auto e = expect_error([&] { writer->commit(); });
    CHECK(e.kind() == ErrorKind::integrity);
    CHECK(contains(e.what(), "content has digest " + oci::sha256_of(bytes).str()));
  }
  SUBCASE("begin_blob, too few bytes") {
    auto writer = store.begin_blob(oci::sha256_of(bytes), bytes.size() + 1);
    writer->write(bytes);
    auto e = expect_error([&] { writer->commit(); });
    CHECK(e.kind() == ErrorKind::integrity);
    CHECK(contains(e.what(), "received 14 bytes, expected 15"));
  }
  SUBCASE("begin_blob abandoned without commit") {
    auto writer = store.begin_blob(oci::sha256_of(bytes), bytes.size());
    writer->write(bytes);
    writer.reset();
  }
  SUBCASE("put_blob_file with a file of other content") {
    std::ofstream("input.bin", std::ios::binary) << bytes;
    auto e = expect_error([&] { store.put_blob_file("input.bin", wrong, bytes.size()); });
    CHECK(e.kind() == ErrorKind::integrity);
  }
  CHECK(snapshot("s") == before);
}

TEST_CASE("streaming more bytes than expected is refused at once") {
  Store store("s");
  std::string bytes(100, 'x');
  auto digest = oci::sha256_of(bytes);
  auto writer = store.begin_blob(digest, 99);
  writer->write(bytes.substr(0, 60));
  auto e = expect_error([&] { writer->write(bytes.substr(60)); });
  CHECK(e.kind() == ErrorKind::integrity);
  CHECK(contains(e.what(), "more than the expected 99 bytes"));
  // The temp file is gone at once, and the writer refuses to go on.
  for (const auto& entry : fs::directory_iterator("s/blobs/sha256")) {
    FAIL("left behind: " << entry.path());
  }
  CHECK_THROWS_AS(writer->write("x"), Error);
  CHECK_THROWS_AS(writer->commit(), Error);
  CHECK_FALSE(store.has_blob(digest));
}

TEST_CASE("streaming write lands only on commit, written in a temp file in blobs/sha256") {
  Store store("s");
  std::string bytes(200000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + 3);
  auto digest = oci::sha256_of(bytes);
  auto writer = store.begin_blob(digest, bytes.size());
  for (size_t off = 0; off < bytes.size(); off += 4096) writer->write(bytes.substr(off, 4096));
  CHECK_FALSE(store.has_blob(digest));
  int temps = 0;
  for (const auto& entry : fs::directory_iterator("s/blobs/sha256")) {
    CHECK(entry.path().filename().string().rfind(wasme::temp_file_prefix, 0) == 0);
    ++temps;
  }
  CHECK(temps == 1);
  writer->commit();
  CHECK(store.read_blob(digest, bytes.size()) == bytes);
  CHECK_THROWS_AS(writer->commit(), Error);
}

TEST_CASE("put_blob_file copies and verifies a file") {
  Store store("s");
  std::string bytes(70000, 'w');
  std::ofstream("module.wasm", std::ios::binary) << bytes;
  auto digest = oci::sha256_of(bytes);
  store.put_blob_file("module.wasm", digest, bytes.size());
  CHECK(store.read_blob(digest) == bytes);
  store.put_blob_file("module.wasm", digest, bytes.size());  // present: no-op
  auto e = expect_error([&] { store.put_blob_file("missing.wasm", digest, 1); });
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(contains(e.what(), "missing.wasm"));
  auto wrong_size = expect_error([&] { store.put_blob_file("module.wasm", digest, 5); });
  CHECK(wrong_size.kind() == ErrorKind::integrity);
}

TEST_CASE("read_blob detects a corrupted blob and names its path") {
  Store store("s");
  std::string bytes = "original content";
  auto digest = oci::sha256_of(bytes);
  store.put_blob(bytes, digest);
  std::ofstream(store.blob_path(digest), std::ios::binary | std::ios::trunc) << "tampered content";
  auto e = expect_error([&] { store.read_blob(digest); });
  CHECK(e.kind() == ErrorKind::integrity);
  CHECK(contains(e.what(), store.blob_path(digest).string()));
  CHECK(contains(e.what(), "blob " + digest.str() + " is corrupt (its content does not match its digest)"));
  CHECK(contains(e.hint(), "wasme pull"));
}

namespace {

// Flips one bit of the byte at offset, in place (size and mtime-independent damage).
void flip_byte(const fs::path& path, std::streamoff offset) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  REQUIRE(f);
  f.seekg(offset);
  char c = 0;
  f.get(c);
  f.seekp(offset);
  f.put(static_cast<char>(c ^ 0x01));
}

}  // namespace

TEST_CASE("blob_intact and verify_blob hash the whole blob") {
  Store store("s");
  std::string bytes(100000, 'm');
  auto digest = oci::sha256_of(bytes);
  CHECK_FALSE(store.blob_intact(digest));
  CHECK(expect_error([&] { store.verify_blob(digest); }).kind() == ErrorKind::not_found);
  store.put_blob(bytes, digest);
  CHECK(store.blob_intact(digest));
  store.verify_blob(digest);
  flip_byte(store.blob_path(digest), 77777);  // same size, one byte deep inside
  CHECK(fs::file_size(store.blob_path(digest)) == bytes.size());
  CHECK_FALSE(store.blob_intact(digest));
  auto e = expect_error([&] { store.verify_blob(digest); });
  CHECK(e.kind() == ErrorKind::integrity);
  CHECK(contains(e.what(), "is corrupt (its content does not match its digest)"));
  CHECK(store.has_blob(digest));  // present, but damaged
}

TEST_CASE("put_blob and put_blob_file replace a damaged blob and keep an intact one") {
  Store store("s");
  std::string small = "a config";
  auto small_digest = oci::sha256_of(small);
  store.put_blob(small, small_digest);
  flip_byte(store.blob_path(small_digest), 2);
  store.put_blob(small, small_digest);
  CHECK(store.read_blob(small_digest) == small);

  std::string big(70000, 'w');
  std::ofstream("module.wasm", std::ios::binary) << big;
  auto big_digest = oci::sha256_of(big);
  store.put_blob_file("module.wasm", big_digest, big.size());
  flip_byte(store.blob_path(big_digest), 123);
  store.put_blob_file("module.wasm", big_digest, big.size());
  CHECK(store.read_blob(big_digest) == big);
  // No temp file is left behind by the repairs.
  for (const auto& entry : fs::directory_iterator("s/blobs/sha256")) {
    CHECK(entry.path().filename().string().rfind(wasme::temp_file_prefix, 0) != 0);
  }
}

TEST_CASE("a writer's staged file holds the bytes written so far, until commit") {
  Store store("s");
  std::string bytes = "staged bytes";
  auto digest = oci::sha256_of(bytes);
  auto writer = store.begin_blob(digest, bytes.size());
  writer->write(bytes);
  fs::path staged = writer->staged_path();
  CHECK(staged.parent_path() == fs::path("s") / "blobs" / "sha256");
  CHECK(staged.filename().string().rfind(wasme::temp_file_prefix, 0) == 0);
  CHECK(wasme::read_file(staged) == bytes);
  writer->commit();
  CHECK_FALSE(fs::exists(staged));
  CHECK_THROWS_AS(writer->staged_path(), Error);
  CHECK(store.read_blob(digest) == bytes);
}

TEST_CASE("read_blob of an absent blob is not_found; of a huge one, refused") {
  Store store("s");
  auto e = expect_error([&] { store.read_blob(oci::sha256_of("nothing")); });
  CHECK(e.kind() == ErrorKind::not_found);
  CHECK(contains(e.what(), oci::sha256_of("nothing").str()));
  std::string big(1000, 'b');
  store.put_blob(big, oci::sha256_of(big));
  CHECK_THROWS_AS(store.read_blob(oci::sha256_of(big), 999), Error);
  CHECK(store.read_blob(oci::sha256_of(big), 1000) == big);
}
