#include "wasme/image/summary.hpp"

#include <fstream>
#include <set>
#include <vector>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/compat_tar.hpp"
#include "wasme/image/validate.hpp"
#include "wasme/oci/manifest.hpp"
#include "wasme/oci/media_types.hpp"

namespace wasme::image {
namespace {

constexpr std::uint64_t max_module_size = 1ull << 32;

std::string context_of(const oci::Reference& reference) { return "reading image \"" + reference.str() + "\""; }

// A blob of the image that is not what its digest says: `wasme pull` fetches it again.
Error damaged(const oci::Reference& reference, const oci::Digest& digest, bool missing) {
  return Error(missing ? ErrorKind::not_found : ErrorKind::integrity,
               "blob " + digest.str() +
                   (missing ? " is missing from the store" : " is corrupt (its content does not match its digest)") +
                   "; run \"wasme pull " + reference.str() + "\" to repair it",
               "an image that was built here and never pushed is repaired by building it again");
}

// Hashes the whole blob.
void check_blob(const store::Store& store, const oci::Reference& reference, const oci::Digest& digest) {
  if (!store.has_blob(digest)) throw damaged(reference, digest, true);
  if (!store.blob_intact(digest)) throw damaged(reference, digest, false);
}

std::string read_checked_blob(const store::Store& store, const oci::Reference& reference, const oci::Digest& digest,
                              std::uint64_t max_size) {
  try {
    return store.read_blob(digest, max_size);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::integrity) throw damaged(reference, digest, false);
    if (e.kind() == ErrorKind::not_found) throw damaged(reference, digest, true);
    throw;
  }
}

// The index entry and its (verified) manifest.
struct Loaded {
  store::StoredImage stored;
  oci::Manifest manifest;
  oci::ArtifactLayout layout;
};

Loaded load(const store::Store& store, const oci::Reference& reference) {
  Loaded out;
  out.stored = store.get(reference);
  out.manifest =
      oci::Manifest::parse(read_checked_blob(store, reference, out.stored.manifest.digest, oci::max_manifest_size));
  out.layout = oci::classify(out.manifest);
  return out;
}

// Read exactly as pull and build check it (validate_config).
oci::RuntimeConfig read_config(const store::Store& store, const oci::Reference& reference,
                               const oci::ArtifactLayout& layout) {
  if (!layout.has_config) return {};
  std::string bytes = read_checked_blob(store, reference, layout.config_layer.digest, max_config_size);
  return validate_config(layout, layout.config_layer, bytes);
}

// The raw module: the verified blob, or plugin.wasm extracted from the verified compat layer.
fs::path module_of(const store::Store& store, const oci::Reference& reference, const oci::ArtifactLayout& layout,
                   const fs::path& scratch_dir) {
  check_blob(store, reference, layout.module_layer.digest);
  if (layout.format != oci::ArtifactFormat::compat) return store.blob_path(layout.module_layer.digest);
  fs::path dest = scratch_dir / "plugin.wasm";
  extract_plugin_wasm(store.blob_path(layout.module_layer.digest), dest, max_module_size);
  return dest;
}

ImageDetail read_loaded(const store::Store& store, const oci::Reference& reference, const Loaded& loaded,
                        const fs::path& scratch_dir) {
  ImageDetail detail;
  ImageSummary& summary = detail.image;
  summary.reference = loaded.stored.reference;
  summary.manifest_digest = loaded.stored.manifest.digest;
  summary.manifest_media_type =
      loaded.manifest.media_type.empty() ? loaded.stored.manifest.media_type : loaded.manifest.media_type;
  summary.format = loaded.layout.format;
  summary.config = read_config(store, reference, loaded.layout);
  summary.manifest = loaded.manifest;

  detail.module_file = module_of(store, reference, loaded.layout, scratch_dir);
  if (loaded.layout.format == oci::ArtifactFormat::compat) {
    oci::FileDigest digest = oci::sha256_of_file(detail.module_file);
    summary.wasm_digest = digest.digest;
    summary.wasm_size = digest.size;
  } else {
    summary.wasm_digest = loaded.layout.module_layer.digest;
    summary.wasm_size = loaded.layout.module_layer.size;
  }
  detail.module = wasm::read_module_file(detail.module_file);
  summary.module_abi = detail.module.abi;
  return detail;
}

}  // namespace

ImageDetail read_image(const store::Store& store, const oci::Reference& reference, const fs::path& scratch_dir) {
  return with_context(context_of(reference),
                      [&] { return read_loaded(store, reference, load(store, reference), scratch_dir); });
}

ImageSummary summarize(const store::Store& store, const oci::Reference& reference) {
  return with_context(context_of(reference), [&] {
    Loaded loaded = load(store, reference);
    if (loaded.layout.format != oci::ArtifactFormat::compat) {
      return read_loaded(store, reference, loaded, fs::path()).image;  // no scratch needed
    }
    TempDir scratch("wasme-summary-");
    return read_loaded(store, reference, loaded, scratch.path()).image;
  });
}

void verify_image(const store::Store& store, const oci::Reference& reference) {
  with_context(context_of(reference), [&] {
    Loaded loaded = load(store, reference);
    std::vector<oci::Descriptor> blobs{loaded.manifest.config};
    blobs.insert(blobs.end(), loaded.manifest.layers.begin(), loaded.manifest.layers.end());
    std::set<oci::Digest> seen;
    for (const oci::Descriptor& blob : blobs) {
      if (seen.insert(blob.digest).second) check_blob(store, reference, blob.digest);
    }
  });
}

fs::path module_file(const store::Store& store, const oci::Reference& reference, const fs::path& scratch_dir) {
  return with_context(context_of(reference),
                      [&] { return module_of(store, reference, load(store, reference).layout, scratch_dir); });
}

fs::path lasting_module_file(const store::Store& store, const ImageSummary& image, const fs::path& modules_dir) {
  return with_context(context_of(image.reference), [&] {
    if (image.format != oci::ArtifactFormat::compat) {
      // What Envoy will load: checked now, not only when it was summarized.
      check_blob(store, image.reference, image.wasm_digest);
      return store.blob_path(image.wasm_digest);
    }
    fs::path dest = modules_dir / image.wasm_digest.hex();
    std::error_code ec;
    if (fs::exists(dest, ec) && oci::sha256_of_file(dest).digest == image.wasm_digest) return dest;
    fs::create_directories(modules_dir, ec);
    if (ec) throw Error(ErrorKind::io, "creating " + modules_dir.string() + ": " + ec.message());
    TempDir scratch("wasme-module-");
    fs::path extracted = module_of(store, image.reference, load(store, image.reference).layout, scratch.path());
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
  });
}

}  // namespace wasme::image
