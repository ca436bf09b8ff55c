#pragma once
#include <string>

#include "wasme/store/store.hpp"

namespace wasme::host {

// A module to run, with what its image says about it.
struct LoadedModule {
  std::string bytes;
  std::string root_id;      // the image's first root id; "" for a bare .wasm file
  std::string description;  // "file f.wasm" or the image reference, for messages
};

// MODULE as `wasme test` and `wasme run` take it: a .wasm file when a file of that name exists,
// else a stored image reference. The module's bytes are checked against the image's wasm digest.
LoadedModule load_module(const std::string& module, const store::Store& store);

}  // namespace wasme::host
