#pragma once
#include <filesystem>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "wasme/oci/manifest.hpp"
#include "wasme/oci/reference.hpp"

// Internal to the store: the layout's fixed files, index.json, and walking manifests.
namespace wasme::store {
class Store;
}

namespace wasme::store::detail {

namespace fs = std::filesystem;

// The only layout version the OCI image-layout spec defines.
inline constexpr std::string_view oci_layout_content = R"({"imageLayoutVersion":"1.0.0"})";

inline fs::path index_path(const fs::path& root) { return root / "index.json"; }
// Lock file guarding read-modify-write of index.json between processes.
inline fs::path index_lock_path(const fs::path& root) { return root / "index.json.lock"; }

// Pin files (see BlobPin in store.hpp): one per image being put together, named
// <pid>-<random>, holding one digest per line, flock'ed by their owner while it lives.
inline fs::path pins_path(const fs::path& root) { return root / "pins"; }

// The digests that live pins name. Pin files nobody holds locked (their process is gone) are
// deleted and their digests ignored. The caller holds the index lock. Throws Error(io) when a
// pin cannot be read; the caller must then delete no blob.
std::set<oci::Digest> pinned_digests(const fs::path& root);
// Deletes the pins of processes that are gone (SIGKILL gives no chance to release them);
// takes the index lock only when there is one. Returns how many were deleted.
int sweep_stale_pins(const fs::path& root);

// The store's index; a missing index.json (or a missing store) is an empty index.
oci::Index read_index(const fs::path& root);
// Replaces index.json atomically, entries sorted by ref name so the file is deterministic.
// The caller holds the index lock.
void write_index(const fs::path& root, oci::Index index);

// The reference an index entry names, or nullopt when it has no parsable ref.name (entries
// other tools wrote; they are kept but not listed).
std::optional<oci::Reference> entry_reference(const oci::Descriptor& entry);

// Every blob an image uses: its manifest, config and layers, and for an index (manifest
// list) its children's. Reads manifests through the store, so they are digest-checked.
std::vector<oci::Descriptor> blobs_of(const Store& store, const oci::Descriptor& manifest);

}  // namespace wasme::store::detail
