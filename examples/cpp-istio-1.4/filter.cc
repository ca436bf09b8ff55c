// cpp-istio-1-4: see filter.h.
#include "filter.h"

#include "filter.pb.h"
#include "google/protobuf/util/json_util.h"

// Istio starts the plugin by this root id (the EnvoyFilter's root_id, runtime-config.json).
static RegisterContextFactory register_AddHeaderContext(CONTEXT_FACTORY(AddHeaderContext),
                                                        ROOT_FACTORY(AddHeaderRootContext),
                                                        "add_header_root_id");

bool AddHeaderRootContext::onConfigure(std::unique_ptr<WasmData> configuration) {
  Config config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(configuration->toString(), &config, options);
  if (!status.ok()) {
    LOG_ERROR("add-header: bad configuration: " + status.ToString());
    return false;  // the proxy rejects the configuration
  }
  if (!config.name().empty()) header_name_ = config.name();
  header_value_ = config.value();
  LOG_DEBUG("add-header: will add " + header_name_ + ": " + header_value_);
  return true;
}

void AddHeaderContext::onCreate() { LOG_DEBUG("onCreate " + std::to_string(id())); }

FilterHeadersStatus AddHeaderContext::onResponseHeaders() {
  LOG_DEBUG("onResponseHeaders " + std::to_string(id()));
  addResponseHeader(root_->header_name_, root_->header_value_);
  return FilterHeadersStatus::Continue;
}
