#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "wasme/image/summary.hpp"
#include "wasme/store/store.hpp"

namespace wasme::image {

// One row of `wasme list`.
struct ListEntry {
  ImageSummary image;
  std::filesystem::file_time_type updated;  // when the manifest was stored
  std::filesystem::path module_path;        // the wasm blob (for -d)
  std::string error;                        // non-empty when the image could not be read
};

// Every image in the store, sorted by reference. A missing or empty store gives no rows;
// an unreadable image gives a row with `error` set rather than failing the whole list.
std::vector<ListEntry> list_images(const store::Store& store);

}  // namespace wasme::image
