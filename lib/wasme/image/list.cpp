#include "wasme/image/list.hpp"

#include "wasme/core/error.hpp"

namespace wasme::image {

std::vector<ListEntry> list_images(const store::Store& store) {
  std::vector<ListEntry> entries;
  for (const store::StoredImage& stored : store.images()) {
    ListEntry entry;
    entry.image.reference = stored.reference;
    entry.image.manifest_digest = stored.manifest.digest;
    std::error_code ec;
    entry.updated = std::filesystem::last_write_time(store.blob_path(stored.manifest.digest), ec);
    if (ec) {
      // Without its manifest there is no age to show (not "53029 days ago") and nothing to read.
      entry.updated = {};
      entry.error = "its manifest blob " + stored.manifest.digest.str() + " is missing from the store";
      entries.push_back(std::move(entry));
      continue;
    }
    try {
      entry.image = summarize(store, stored.reference);
      if (entry.image.format != oci::ArtifactFormat::compat) {
        entry.module_path = store.blob_path(entry.image.wasm_digest);
      }
    } catch (const Error& e) {
      entry.error = e.what();
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace wasme::image
