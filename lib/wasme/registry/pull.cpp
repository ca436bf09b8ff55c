#include "wasme/registry/pull.hpp"

#include <memory>
#include <set>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/compat_tar.hpp"
#include "wasme/registry/download.hpp"
#include "wasme/registry/manifest_fetch.hpp"

namespace wasme::registry {
namespace {

// A blob fetched and verified but not yet committed to the store.
struct Staged {
  oci::Descriptor descriptor;
  std::unique_ptr<store::BlobWriter> writer;
};

// Fetches d into an uncommitted store writer; also copies it to `copy` when given.
Staged stage(Client& client, store::Store& store, const oci::Reference& ref, const oci::Descriptor& d,
             std::uint64_t max_size, const std::string& label, const fs::path* copy) {
  Staged staged{d, nullptr};
  std::unique_ptr<AtomicFile> file;
  download_blob(client, ref.registry, ref.repository, d, max_size, [&]() -> BlobSink {
    staged.writer = store.begin_blob(d.digest, d.size);
    if (copy) file = std::make_unique<AtomicFile>(*copy);
    return [&](std::string_view bytes) {
      staged.writer->write(bytes);
      if (file) file->write(bytes);
    };
  }, label);
  if (file) file->commit(Durability::no_fsync);
  return staged;
}

// Checks a compat layer holds a usable plugin.wasm; returns its digest and size.
oci::FileDigest check_compat_layer(const fs::path& layer, const fs::path& scratch,
                                   std::uint64_t max_size) {
  return with_context("checking the compat layer", [&] {
    fs::path wasm = scratch / "plugin.wasm";
    image::extract_plugin_wasm(layer, wasm, max_size);
    return oci::sha256_of_file(wasm);
  });
}

}  // namespace

PullResult pull(Client& client, store::Store& store, const oci::Reference& ref, const std::optional<oci::Digest>& pinned) {
  return with_context("pulling \"" + ref.str() + "\"", [&] {
    ResolvedManifest resolved = resolve_manifest(client, pinned ? ref.with_digest(*pinned) : ref);
    const oci::ArtifactLayout& layout = resolved.layout;
    PullResult result;
    result.reference = ref;
    result.manifest_digest = resolved.digest;
    result.manifest_media_type = resolved.media_type;
    result.format = layout.format;
    result.wasm_digest = layout.module_layer.digest;
    result.wasm_size = layout.module_layer.size;

    TempDir scratch("wasme-pull-");
    fs::path layer_copy = scratch.path() / "layer.tar.gz";
    bool compat = layout.format == oci::ArtifactFormat::compat;
    std::vector<Staged> staged;
    std::set<oci::Digest> seen;
    std::vector<oci::Descriptor> blobs{resolved.manifest.config};
    blobs.insert(blobs.end(), resolved.manifest.layers.begin(), resolved.manifest.layers.end());
    for (const oci::Descriptor& d : blobs) {
      if (!seen.insert(d.digest).second) continue;
      bool is_module = d.digest == layout.module_layer.digest;
      if (store.has_blob(d.digest)) {
        ++result.blobs_present;
        if (is_module && compat) layer_copy = store.blob_path(d.digest);
        continue;
      }
      std::uint64_t limit = d.digest == resolved.manifest.config.digest && !is_module
                                ? client.options().max_manifest_size
                                : client.options().max_module_size;
      const fs::path* copy = is_module && compat ? &layer_copy : nullptr;
      std::string label = is_module ? "module" : d.digest == resolved.manifest.config.digest ? "config" : "layer";
      staged.push_back(stage(client, store, ref, d, limit, label, copy));
      ++result.blobs_downloaded;
    }
    if (compat) {
      oci::FileDigest wasm = check_compat_layer(layer_copy, scratch.path(), client.options().max_module_size);
      result.wasm_digest = wasm.digest;
      result.wasm_size = wasm.size;
    }
    // Everything is verified: only now does the store change.
    for (Staged& s : staged) s.writer->commit();
    store.put_blob(resolved.bytes, resolved.digest);
    store.add_image(ref, {resolved.media_type, resolved.digest, resolved.bytes.size(), {}});
    return result;
  });
}

PullResult pull(store::Store& store, const oci::Reference& reference, const RemoteOptions& options,
                const Observer& observer) {
  Client client(options, observer);
  return pull(client, store, reference);
}

}  // namespace wasme::registry
