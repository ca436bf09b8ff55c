// {{NAME}}: adds a response header whose value comes from the filter's configuration,
// e.g. {"value": "hello"} adds "newheader: hello" to every response.
#pragma once

#include <string>

#include "add_header_config.h"
#include "proxy_wasm_intrinsics.h"

// One per plugin instance: holds the configuration every stream of the plugin uses.
class AddHeaderRootContext : public RootContext {
 public:
  explicit AddHeaderRootContext(uint32_t id, std::string_view root_id) : RootContext(id, root_id) {}

  bool onConfigure(size_t configuration_size) override;

  const AddHeaderConfig& config() const { return config_; }

 private:
  AddHeaderConfig config_;
};

// One per HTTP stream.
class AddHeaderContext : public Context {
 public:
  explicit AddHeaderContext(uint32_t id, RootContext* root)
      : Context(id, root), root_(static_cast<AddHeaderRootContext*>(root)) {}

  FilterHeadersStatus onResponseHeaders(uint32_t headers, bool end_of_stream) override;

 private:
  AddHeaderRootContext* root_;
};
