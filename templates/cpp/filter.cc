// {{NAME}}: see filter.h.
#include "filter.h"

// Envoy and Istio start the plugin by this root id (also in runtime-config.json).
static RegisterContextFactory register_add_header(CONTEXT_FACTORY(AddHeaderContext),
                                                  ROOT_FACTORY(AddHeaderRootContext),
                                                  "{{ROOT_ID}}");

bool AddHeaderRootContext::onConfigure(size_t configuration_size) {
  auto data = getBufferBytes(WasmBufferType::PluginConfiguration, 0, configuration_size);
  AddHeaderConfig config;
  std::string error = parse_add_header_config(data ? data->view() : std::string_view(), config);
  if (!error.empty()) {
    LOG_ERROR("add-header: bad configuration: " + error);
    return false;  // the proxy rejects the configuration
  }
  LOG_DEBUG("add-header: will add " + config.name + ": " + config.value);
  config_ = config;
  return true;
}

FilterHeadersStatus AddHeaderContext::onResponseHeaders(uint32_t, bool) {
  if (!root_->config().value.empty()) {
    addResponseHeader(root_->config().name, root_->config().value);
  }
  return FilterHeadersStatus::Continue;
}
