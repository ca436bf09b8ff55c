#include "wasme/registry/pull.hpp"

#include <map>
#include <memory>
#include <set>

#include "wasme/core/error.hpp"
#include "wasme/core/fs.hpp"
#include "wasme/image/validate.hpp"
#include "wasme/registry/download.hpp"
#include "wasme/registry/manifest_fetch.hpp"

namespace wasme::registry {
namespace {

// A blob fetched and verified but not yet committed to the store.
struct Staged {
  oci::Descriptor descriptor;
  std::unique_ptr<store::BlobWriter> writer;
};

// Fetches d into an uncommitted store writer.
Staged stage(Client& client, store::Store& store, const oci::Reference& ref, const oci::Descriptor& d,
             std::uint64_t max_size, const std::string& label) {
  Staged staged{d, nullptr};
  download_blob(
      client, ref.registry, ref.repository, d, max_size,
      [&]() -> BlobSink {
        staged.writer = store.begin_blob(d.digest, d.size);
        return [&](std::string_view bytes) { staged.writer->write(bytes); };
      },
      label);
  return staged;
}

}  // namespace

PullResult pull(Client& client, store::Store& store, const oci::Reference& ref,
                const std::optional<oci::Digest>& pinned) {
  return with_context("pulling \"" + ref.str() + "\"", [&] {
    ResolvedManifest resolved = resolve_manifest(client, pinned ? ref.with_digest(*pinned) : ref);
    const oci::ArtifactLayout& layout = resolved.layout;
    const oci::Descriptor& config = resolved.manifest.config;
    image::check_config_size(config);  // before anything is downloaded or the store touched
    PullResult result;
    result.reference = ref;
    result.manifest_digest = resolved.digest;
    result.manifest_media_type = resolved.media_type;
    result.format = layout.format;
    result.wasm_digest = layout.module_layer.digest;
    result.wasm_size = layout.module_layer.size;

    bool compat = layout.format == oci::ArtifactFormat::compat;
    std::vector<oci::Descriptor> blobs{config};
    blobs.insert(blobs.end(), resolved.manifest.layers.begin(), resolved.manifest.layers.end());

    // Pinned before the first look at the store, held until the image is in the index: a
    // `wasme rm` meanwhile does not collect a blob found present here (see store::BlobPin).
    std::vector<oci::Digest> digests{resolved.digest};
    for (const oci::Descriptor& d : blobs) digests.push_back(d.digest);
    store::BlobPin pin = store.pin_blobs(digests);

    std::vector<Staged> staged;
    std::map<oci::Digest, fs::path> files;  // where each blob's verified bytes are now
    for (const oci::Descriptor& d : blobs) {
      if (files.count(d.digest)) continue;
      // Present and intact: used as it is. Absent, or damaged (a flipped byte): fetched
      // again; the damaged file is replaced only when everything below checked out.
      if (store.blob_intact(d.digest)) {
        ++result.blobs_present;
        files[d.digest] = store.blob_path(d.digest);
        continue;
      }
      if (store.has_blob(d.digest)) ++result.blobs_repaired;
      bool is_module = d.digest == layout.module_layer.digest;
      bool is_config = d.digest == config.digest;
      std::uint64_t limit = is_config && !is_module ? image::max_config_size : client.options().max_module_size;
      std::string label = is_module ? "module" : is_config ? "config" : "layer";
      staged.push_back(stage(client, store, ref, d, limit, label));
      files[d.digest] = staged.back().writer->staged_path();
      ++result.blobs_downloaded;
    }

    // What `build precompiled` checks, before anything is committed (image::validate_artifact).
    TempDir scratch("wasme-pull-");
    image::ModuleFile module = image::module_in_layer(layout, files.at(layout.module_layer.digest), scratch.path(),
                                                      client.options().max_module_size);
    std::string config_bytes = read_file(files.at(config.digest), image::max_config_size);
    image::validate_artifact({layout, config, config_bytes, module.path, module.label});
    if (compat) {
      oci::FileDigest wasm = oci::sha256_of_file(module.path);
      result.wasm_digest = wasm.digest;
      result.wasm_size = wasm.size;
    }

    // Everything is verified: only now does the store change.
    for (Staged& s : staged) s.writer->commit();
    store.put_blob(resolved.bytes, resolved.digest);  // also replaces a damaged manifest blob
    store.add_image(ref, {resolved.media_type, resolved.digest, resolved.bytes.size(), {}});
    pin.release();
    return result;
  });
}

PullResult pull(store::Store& store, const oci::Reference& reference, const RemoteOptions& options,
                const Observer& observer) {
  Client client(options, observer);
  return pull(client, store, reference);
}

}  // namespace wasme::registry
