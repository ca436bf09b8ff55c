#include "wasme/image/summary.hpp"

#include <fstream>
#include <vector>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/compat_tar.hpp"
#include "wasme/oci/manifest.hpp"
#include "wasme/oci/media_types.hpp"

namespace wasme::image {
namespace {

constexpr std::uint64_t max_config_size = 1u << 20;
constexpr std::uint64_t max_module_size = 1ull << 32;

oci::RuntimeConfig read_config(const store::Store& store, const oci::ArtifactLayout& layout) {
  if (!layout.has_config) return {};
  std::string bytes = store.read_blob(layout.config_layer.digest, max_config_size);
  if (layout.format == oci::ArtifactFormat::solo_2019) return oci::parse_solo_2019_config(bytes);
  return oci::RuntimeConfig::parse(bytes, "config blob " + layout.config_layer.digest.str());
}

}  // namespace

ImageSummary summarize(const store::Store& store, const oci::Reference& reference) {
  return with_context("reading image \"" + reference.str() + "\"", [&] {
    store::StoredImage stored = store.get(reference);
    oci::Manifest manifest =
        oci::Manifest::parse(store.read_blob(stored.manifest.digest, oci::max_manifest_size));
    oci::ArtifactLayout layout = oci::classify(manifest);

    ImageSummary summary;
    summary.reference = stored.reference;
    summary.manifest_digest = stored.manifest.digest;
    summary.manifest_media_type =
        manifest.media_type.empty() ? stored.manifest.media_type : manifest.media_type;
    summary.format = layout.format;
    summary.config = read_config(store, layout);
    summary.manifest = manifest;

    if (layout.format == oci::ArtifactFormat::compat) {
      TempDir scratch("wasme-summary-");
      fs::path wasm = module_file(store, reference, scratch.path());
      oci::FileDigest digest = oci::sha256_of_file(wasm);
      summary.wasm_digest = digest.digest;
      summary.wasm_size = digest.size;
      summary.module_abi = wasm::read_module_file(wasm).abi;
    } else {
      summary.wasm_digest = layout.module_layer.digest;
      summary.wasm_size = layout.module_layer.size;
      summary.module_abi = wasm::read_module_file(store.blob_path(summary.wasm_digest)).abi;
    }
    return summary;
  });
}

fs::path module_file(const store::Store& store, const oci::Reference& reference,
                     const fs::path& scratch_dir) {
  store::StoredImage stored = store.get(reference);
  oci::Manifest manifest =
      oci::Manifest::parse(store.read_blob(stored.manifest.digest, oci::max_manifest_size));
  oci::ArtifactLayout layout = oci::classify(manifest);
  if (layout.format != oci::ArtifactFormat::compat) {
    return store.blob_path(layout.module_layer.digest);
  }
  fs::path dest = scratch_dir / "plugin.wasm";
  extract_plugin_wasm(store.blob_path(layout.module_layer.digest), dest, max_module_size);
  return dest;
}

fs::path lasting_module_file(const store::Store& store, const ImageSummary& image, const fs::path& modules_dir) {
  if (image.format != oci::ArtifactFormat::compat) return store.blob_path(image.wasm_digest);
  fs::path dest = modules_dir / image.wasm_digest.hex();
  std::error_code ec;
  if (fs::exists(dest, ec) && oci::sha256_of_file(dest).digest == image.wasm_digest) return dest;
  fs::create_directories(modules_dir, ec);
  if (ec) throw Error(ErrorKind::io, "creating " + modules_dir.string() + ": " + ec.message());
  TempDir scratch("wasme-module-");
  fs::path extracted = module_file(store, image.reference, scratch.path());
  if (oci::sha256_of_file(extracted).digest != image.wasm_digest) {
    throw Error(ErrorKind::integrity, "plugin.wasm of " + image.reference.str() + " changed since it was summarized");
  }
  AtomicFile out(dest);
  std::ifstream in(extracted, std::ios::binary);
  std::vector<char> buffer(1 << 20);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    out.write(std::string_view(buffer.data(), static_cast<size_t>(in.gcount())));
  }
  out.commit();
  return dest;
}

}  // namespace wasme::image
