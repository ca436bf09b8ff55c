// save_archive / load_archive: round trips in every layout, naming rules, and hostile archives
// that must change nothing.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "test_image_tar_support.hpp"
#include "test_support.hpp"
#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/oci_archive.hpp"
#include "wasme/image/package.hpp"
#include "wasme/image/summary.hpp"
#include "wasme/oci/media_types.hpp"

using namespace wasme;
using namespace wasme::test;
using test_support::error_of;
using test_support::snapshot;

namespace {

const fs::path fixture = fs::path(WASME_FIXTURES) / "abi_0_2_1.wasm";

oci::Reference ref(const std::string& text) { return oci::Reference::parse(text); }

image::PackageResult package(store::Store& store, const std::string& reference, oci::ArtifactFormat format) {
  image::PackageRequest r;
  r.wasm_file = fixture;
  r.reference = ref(reference);
  r.root_ids = {"root"};
  r.format = format;
  return image::package_module(store, r);
}

image::SaveResult save(const store::Store& store, const std::vector<oci::Reference>& refs, const fs::path& file) {
  UserFileWriter out(file);
  image::SaveResult result = image::save_archive(store, refs, out);
  out.commit();
  return result;
}

std::vector<image::LoadedImage> load(store::Store& store, const fs::path& file, image::LoadRequest request = {}) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  return image::load_archive(store, fd, file.string(), request);
}

// The blobs of a saved image as archive entries, plus oci-layout and index.json, for building
// altered archives by hand.
struct Layout {
  std::map<std::string, std::string> files;  // name -> bytes
  std::vector<Entry> entries() const {
    std::vector<Entry> out;
    for (const auto& [name, bytes] : files) out.emplace_back(name, bytes);
    return out;
  }
};

Layout read_layout(const fs::path& tar) {
  Layout layout;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  REQUIRE(archive_read_open_filename(a, tar.c_str(), 65536) == ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    if (archive_entry_filetype(e) != AE_IFREG) continue;
    std::string data;
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) data.append(buf, static_cast<size_t>(n));
    layout.files[archive_entry_pathname(e)] = data;
  }
  archive_read_free(a);
  return layout;
}

}  // namespace

TEST_CASE("save then load round-trips images of every layout, digests kept") {
  store::Store source("source");
  auto wasme = package(source, "localhost:5000/f/wasme:v1", oci::ArtifactFormat::wasme);
  auto compat = package(source, "localhost:5000/f/compat:v1", oci::ArtifactFormat::compat);
  auto cncf = package(source, "localhost:5000/f/cncf:v1", oci::ArtifactFormat::cncf);
  image::SaveResult saved =
      save(source, {wasme.image.reference, compat.image.reference, cncf.image.reference, wasme.image.reference},
           "images.tar");
  CHECK(saved.images.size() == 3);  // a reference given twice is saved once
  // The module is shared by the wasme and CNCF images: written once.
  CHECK(saved.blobs == 8);

  // What skopeo and containerd read: oci-layout, index.json naming each image in full.
  Layout layout = read_layout("images.tar");
  CHECK(layout.files.at("oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
  auto index = nlohmann::json::parse(layout.files.at("index.json"));
  REQUIRE(index["manifests"].size() == 3);
  CHECK(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == "localhost:5000/f/wasme:v1");
  CHECK(index["manifests"][0]["annotations"]["io.containerd.image.name"] == "localhost:5000/f/wasme:v1");
  CHECK(index["manifests"][0]["digest"] == wasme.image.manifest_digest.str());

  // Deterministic: the same images give the same bytes.
  save(source, {wasme.image.reference, compat.image.reference, cncf.image.reference}, "again.tar");
  CHECK(read_file("images.tar", 1u << 30) == read_file("again.tar", 1u << 30));

  store::Store target("target");
  auto loaded = load(target, "images.tar");
  REQUIRE(loaded.size() == 3);
  CHECK(loaded[1].format == oci::ArtifactFormat::compat);
  CHECK(loaded[2].format == oci::ArtifactFormat::cncf);
  for (const auto& original : {wasme, compat, cncf}) {
    image::ImageSummary s = image::summarize(target, original.image.reference);
    CHECK(s.manifest_digest == original.image.manifest_digest);
    CHECK(s.wasm_digest == original.image.wasm_digest);
    image::verify_image(target, original.image.reference);
  }
  // Loading again changes nothing.
  auto before = snapshot("target");
  load(target, "images.tar");
  CHECK(snapshot("target") == before);
}

TEST_CASE("load names images: full names, bare tags with --name REPO, --name REF for one image") {
  store::Store source("source");
  auto image = package(source, "localhost:5000/f/x:v1", oci::ArtifactFormat::wasme);
  save(source, {image.image.reference}, "one.tar");
  Layout layout = read_layout("one.tar");

  // skopeo's `oci-archive:F:v1` names the image by its tag only.
  auto index = nlohmann::json::parse(layout.files["index.json"]);
  index["manifests"][0]["annotations"] = {{"org.opencontainers.image.ref.name", "v1"}};
  layout.files["index.json"] = index.dump();
  build_tar(layout.entries(), "bare.tar", false);
  store::Store a("a");
  CHECK(error_of([&] { load(a, "bare.tar"); }).find("named only \"v1\"") != std::string::npos);
  CHECK(snapshot("a").empty());
  image::LoadRequest repo;
  repo.name = "registry.example/team/y";
  CHECK(load(a, "bare.tar", repo).at(0).reference.str() == "registry.example/team/y:v1");
  image::LoadRequest full;
  full.name = "registry.example/team/z:prod";
  CHECK(load(a, "bare.tar", full).at(0).reference.str() == "registry.example/team/z:prod");

  // No name at all: --name REF is needed.
  index["manifests"][0].erase("annotations");
  layout.files["index.json"] = index.dump();
  build_tar(layout.entries(), "unnamed.tar", true);  // gzip is read too
  CHECK(error_of([&] { load(a, "unnamed.tar"); }).find("no name") != std::string::npos);
  CHECK(load(a, "unnamed.tar", full).at(0).manifest_digest == image.image.manifest_digest);
}

TEST_CASE("load refuses damaged and hostile archives and leaves the store as it was") {
  store::Store source("source");
  auto image = package(source, "localhost:5000/f/x:v1", oci::ArtifactFormat::wasme);
  auto compat = package(source, "localhost:5000/f/c:v1", oci::ArtifactFormat::compat);
  save(source, {image.image.reference}, "good.tar");
  save(source, {compat.image.reference}, "compat.tar");
  const Layout good = read_layout("good.tar");
  const std::string module_entry = "blobs/sha256/" + image.image.wasm_digest.hex();
  const std::string manifest_entry = "blobs/sha256/" + image.image.manifest_digest.hex();

  store::Store target("target");
  package(target, "localhost:5000/already/here:v1", oci::ArtifactFormat::wasme);
  fs::create_directories("victim");
  write_file_atomic("victim/secret", "keep me");

  auto with = [&](std::vector<Entry> extra) {
    std::vector<Entry> entries = good.entries();
    entries.insert(entries.end(), extra.begin(), extra.end());
    return entries;
  };
  auto altered = [&](const std::string& name, const std::string& bytes) {
    Layout l = good;
    l.files[name] = bytes;
    return l.entries();
  };
  auto without = [&](const std::string& name) {
    Layout l = good;
    l.files.erase(name);
    return l.entries();
  };
  std::string flipped = good.files.at(module_entry);
  flipped[flipped.size() / 2] ^= 0x01;
  nlohmann::json not_wasm_manifest = nlohmann::json::parse(good.files.at(manifest_entry));
  std::string text_blob = "just some text, not a module";
  not_wasm_manifest["layers"][1]["digest"] = oci::sha256_of(text_blob).str();
  not_wasm_manifest["layers"][1]["size"] = text_blob.size();
  std::string bad_manifest = not_wasm_manifest.dump();
  nlohmann::json bad_index = nlohmann::json::parse(good.files.at("index.json"));
  bad_index["manifests"][0]["digest"] = oci::sha256_of(bad_manifest).str();
  bad_index["manifests"][0]["size"] = bad_manifest.size();

  struct Case {
    const char* what;
    std::vector<Entry> entries;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"absolute path", with({{(fs::current_path() / "victim/abs").string(), "x"}}), "absolute path"},
      {"dot-dot", with({{"../victim/evil", "x"}}), "climbs out"},
      {"dot-dot inside blobs", with({{"blobs/sha256/../../../victim/evil", "x"}}), "climbs out"},
      {"symlink", with({{"blobs/link", "", AE_IFLNK, "/etc/passwd"}}), "symbolic link"},
      {"symlink named as a blob", with({{"blobs/sha256/" + std::string(64, 'a'), "", AE_IFLNK, "../../victim/secret"}}),
       "symbolic link"},
      {"hard link", with({{"other", "", AE_IFREG, "oci-layout", true}}), "hard link"},
      {"device", with({{"dev", "", AE_IFCHR}}), "device"},
      {"fifo", with({{"fifo", "", AE_IFIFO}}), "FIFO"},
      {"blob content not its name", altered(module_entry, flipped), "does not match its name"},
      {"blob name not a digest", with({{"blobs/sha256/xyz", "x"}}), "entry \"blobs/sha256/xyz\""},
      {"entry twice", with({{"index.json", good.files.at("index.json")}}), "appears twice"},
      {"missing module blob", without(module_entry), "is not in the archive"},
      {"missing index.json", without("index.json"), "no index.json"},
      {"missing oci-layout", without("oci-layout"), "no oci-layout"},
      {"wrong layout version", altered("oci-layout", R"({"imageLayoutVersion":"9.9.9"})"), "imageLayoutVersion"},
      {"index.json not JSON", altered("index.json", "{nope"), "index.json"},
      {"module that is not wasm",
       [&] {
         Layout l = good;
         l.files["blobs/sha256/" + oci::sha256_of(text_blob).hex()] = text_blob;
         l.files["blobs/sha256/" + oci::sha256_of(bad_manifest).hex()] = bad_manifest;
         l.files["index.json"] = bad_index.dump();
         return l.entries();
       }(),
       "not a wasm module"},
  };
  const auto before = snapshot("target");
  for (const auto& c : cases) {
    CAPTURE(std::string(c.what));
    build_tar(c.entries, "evil.tar", false);
    std::string message = error_of([&] { load(target, "evil.tar"); });
    CHECK(message.find(c.message) != std::string::npos);
    CHECK(message.find("loading evil.tar") == 0);
    CHECK(snapshot("target") == before);
    CHECK(read_file("victim/secret") == "keep me");
    CHECK_FALSE(fs::exists("victim/abs"));
    CHECK_FALSE(fs::exists("victim/evil"));
  }

  // A header declaring a huge entry is refused on the header, before any data is read.
  std::string bomb = ustar_header("blobs/sha256/" + std::string(64, 'b'), 7ull << 30) + std::string(1024, '\0');
  write_file_atomic("bomb.tar", bomb);
  CHECK(error_of([&] { load(target, "bomb.tar"); }).find("declares 7.0 GiB") != std::string::npos);
  // Entries that add up past the total limit (a gzip bomb of valid blobs) are refused.
  image::LoadRequest small;
  small.max_total_size = 1024;
  CHECK(error_of([&] { load(target, "good.tar", small); }).find("brings the archive over 1.0 KiB") !=
        std::string::npos);
  // A compat image whose layer smuggles a link is refused by the layer check.
  Layout compat_layout = read_layout("compat.tar");
  build_tar_gz({{"plugin.wasm", "", AE_IFLNK, "/etc/passwd"}}, "layer.tar.gz");
  std::string evil_layer = read_file("layer.tar.gz");
  compat_layout.files["blobs/sha256/" + compat.image.manifest.layers[0].digest.hex()] = evil_layer;
  build_tar(compat_layout.entries(), "evil-compat.tar", false);
  CHECK_FALSE(error_of([&] { load(target, "evil-compat.tar"); }).empty());
  // Not a tar at all.
  write_file_atomic("garbage.tar", "this is not an archive");
  CHECK_FALSE(error_of([&] { load(target, "garbage.tar"); }).empty());
  CHECK(snapshot("target") == before);
}

TEST_CASE("save refuses a damaged store blob before writing, and names a missing image") {
  store::Store source("source");
  auto image = package(source, "localhost:5000/f/x:v1", oci::ArtifactFormat::wasme);
  fs::path blob = source.blob_path(image.image.wasm_digest);
  std::string bytes = read_file(blob);
  bytes[bytes.size() - 1] ^= 0x01;
  fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
  write_file_atomic(blob, bytes);
  CHECK(error_of([&] { save(source, {image.image.reference}, "out.tar"); }).find("corrupt") != std::string::npos);
  CHECK_FALSE(fs::exists("out.tar"));
  CHECK(error_of([&] { save(source, {ref("localhost:5000/none:v1")}, "out.tar"); }).find("none") != std::string::npos);
  CHECK_FALSE(fs::exists("out.tar"));
}
