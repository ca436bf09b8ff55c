#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "wasme/image/summary.hpp"
#include "wasme/oci/consumers.hpp"
#include "wasme/oci/manifest.hpp"
#include "wasme/wasm/module.hpp"

namespace wasme::image {

// Everything `wasme inspect` shows about a stored image or a .wasm file.
struct InspectReport {
  ImageSummary image;          // for a file: reference empty, format wasme (as packaged)
  bool from_store = false;     // false when a .wasm file was inspected
  std::filesystem::path file;  // the file inspected (when !from_store)
  std::string config_media_type;
  std::vector<oci::Descriptor> layers;
  wasm::ModuleInfo module;
  std::vector<oci::ConsumerVerdict> consumers;  // oci::judge_consumers of its layout
};

// Inspects a stored image (throws not_found when missing).
InspectReport inspect_image(const store::Store& store, const oci::Reference& reference);
// The facts oci::judge_consumers needs about a stored image: plugin.wasm in the last layer
// (a compat image's, checked when it was stored), the image config's rootfs.diff_ids count.
oci::LayoutFacts layout_facts(const store::Store& store, const ImageSummary& image);
// Inspects a .wasm file as `build precompiled` would package it.
InspectReport inspect_file(const std::filesystem::path& file);

}  // namespace wasme::image
