// cpp-istio-1-4: adds a response header whose value comes from the filter's configuration,
// e.g. {"value": "hello"} adds "newheader: hello" to every response.
// Written against the C++ API of Istio 1.4's proxy (istio/envoy api/wasm/cpp @ 6d525c67).
#pragma once

#include <memory>
#include <string>

#include "proxy_wasm_intrinsics.h"

// One per plugin instance: holds the header every stream of the plugin adds.
class AddHeaderRootContext : public RootContext {
 public:
  explicit AddHeaderRootContext(uint32_t id, StringView root_id) : RootContext(id, root_id) {}

  bool onConfigure(std::unique_ptr<WasmData> configuration) override;

  std::string header_name_ = "newheader";
  std::string header_value_;
};

// One per HTTP stream.
class AddHeaderContext : public Context {
 public:
  explicit AddHeaderContext(uint32_t id, RootContext* root)
      : Context(id, root), root_(static_cast<AddHeaderRootContext*>(static_cast<void*>(root))) {}

  void onCreate() override;
  FilterHeadersStatus onResponseHeaders() override;

 private:
  AddHeaderRootContext* root_;
};
