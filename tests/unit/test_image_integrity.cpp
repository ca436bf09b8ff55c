// Issue 14 item 9: a damaged blob in the store is reported where it is read (summarize, so
// list, deploy and push; inspect; the file handed to Envoy), with the fix, never shown with
// the digest its manifest merely claims.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/compat_tar.hpp"
#include "wasme/image/inspect.hpp"
#include "wasme/image/list.hpp"
#include "wasme/image/package.hpp"
#include "wasme/image/summary.hpp"

namespace fs = std::filesystem;
using namespace wasme;
using test_support::contains;
using test_support::expect_error;

namespace {

const fs::path fixture = fs::path(WASME_FIXTURES) / "abi_0_2_1.wasm";
const char* const ref_text = "localhost:5000/team/filter:v1";

oci::Reference ref() { return oci::Reference::parse(ref_text); }

image::PackageResult build(store::Store& store) {
  image::PackageRequest r;
  r.wasm_file = fixture;
  r.reference = ref();
  r.root_ids = {"root"};
  return image::package_module(store, r);
}

void flip_byte(const fs::path& path, std::streamoff offset) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  REQUIRE(f);
  f.seekg(offset);
  char c = 0;
  f.get(c);
  f.seekp(offset);
  f.put(static_cast<char>(c ^ 0x01));
}

std::string corrupt_message(const oci::Digest& digest) {
  return "image \"" + std::string(ref_text) + "\": blob " + digest.str() +
         " is corrupt (its content does not match its digest); run \"wasme pull " + ref_text + "\" to repair it";
}

}  // namespace

TEST_CASE("one flipped byte in the module: summarize, inspect, list, verify and the Envoy file all say corrupt") {
  store::Store store("s");
  auto built = build(store);
  const oci::Digest wasm_digest = built.image.wasm_digest;
  image::ImageSummary before = image::summarize(store, ref());
  flip_byte(store.blob_path(wasm_digest), static_cast<std::streamoff>(fs::file_size(store.blob_path(wasm_digest)) / 2));

  auto summarized = expect_error([&] { image::summarize(store, ref()); });
  CHECK(summarized.kind() == ErrorKind::integrity);
  CHECK(contains(summarized.what(), corrupt_message(wasm_digest)));
  CHECK(contains(summarized.hint(), "building it again"));

  auto inspected = expect_error([&] { image::inspect_image(store, ref()); });
  CHECK(contains(inspected.what(), corrupt_message(wasm_digest)));

  auto rows = image::list_images(store);
  REQUIRE(rows.size() == 1);
  CHECK(contains(rows[0].error, corrupt_message(wasm_digest)));
  CHECK(rows[0].image.wasm_digest.empty());  // never the manifest's claim as if it held

  CHECK(contains(expect_error([&] { image::verify_image(store, ref()); }).what(), corrupt_message(wasm_digest)));
  CHECK(contains(expect_error([&] { image::module_file(store, ref(), "."); }).what(), corrupt_message(wasm_digest)));
  // deploy envoy: the file Envoy would load is checked when it is handed over.
  CHECK(contains(expect_error([&] { image::lasting_module_file(store, before, "modules"); }).what(),
                 corrupt_message(wasm_digest)));

  // Building the same module again repairs the blob.
  build(store);
  CHECK(image::summarize(store, ref()).wasm_digest == wasm_digest);
  image::verify_image(store, ref());
}

TEST_CASE("a damaged config or manifest blob, or a missing module, is reported for the image too") {
  store::Store store("s");
  auto built = build(store);
  SUBCASE("config") {
    const oci::Digest config = built.image.manifest.config.digest;
    flip_byte(store.blob_path(config), 3);
    CHECK(contains(expect_error([&] { image::summarize(store, ref()); }).what(), corrupt_message(config)));
  }
  SUBCASE("manifest") {
    const oci::Digest manifest = built.image.manifest_digest;
    flip_byte(store.blob_path(manifest), 10);
    CHECK(contains(expect_error([&] { image::inspect_image(store, ref()); }).what(), corrupt_message(manifest)));
  }
  SUBCASE("missing module") {
    fs::remove(store.blob_path(built.image.wasm_digest));
    auto e = expect_error([&] { image::summarize(store, ref()); });
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK(contains(e.what(), "blob " + built.image.wasm_digest.str() + " is missing from the store; run \"wasme pull " +
                                 std::string(ref_text) + "\" to repair it"));
  }
}

TEST_CASE("a flipped byte in a compat layer is reported before it is extracted") {
  store::Store store("s");
  fs::create_directories("work");
  oci::RuntimeConfig config;
  image::CompatImage compat = image::make_compat_image(fixture, config, "work");
  const oci::Descriptor& layer = compat.manifest.layers.back();
  store.put_blob_file(compat.config_file, compat.manifest.config.digest, compat.manifest.config.size);
  store.put_blob_file(compat.layer_file, layer.digest, layer.size);
  oci::Digest manifest_digest = oci::sha256_of(compat.manifest_bytes);
  store.put_blob(compat.manifest_bytes, manifest_digest);
  store.add_image(ref(), {compat.manifest.media_type, manifest_digest, compat.manifest_bytes.size(), {}});
  CHECK(image::summarize(store, ref()).wasm_digest == oci::sha256_of_file(fixture).digest);

  flip_byte(store.blob_path(layer.digest), static_cast<std::streamoff>(layer.size / 2));
  CHECK(contains(expect_error([&] { image::summarize(store, ref()); }).what(), corrupt_message(layer.digest)));
  CHECK(contains(expect_error([&] { image::verify_image(store, ref()); }).what(), corrupt_message(layer.digest)));
}

TEST_CASE("package_module leaves no pin behind") {
  store::Store store("s");
  build(store);
  REQUIRE(fs::is_directory("s/pins"));
  CHECK(fs::is_empty("s/pins"));
}
