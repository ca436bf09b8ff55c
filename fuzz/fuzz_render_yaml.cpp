// libFuzzer entry point for the workload YAML reader (`deploy -f`): any text yields documents
// or wasme::Error, within bounded depth and size; workloads in it are read, patched, rendered.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wasme/core/error.hpp"
#include "wasme/render/istio_versions.hpp"
#include "wasme/render/workload.hpp"
#include "wasme/render/yaml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace wasme::render;
  try {
    for (const auto& doc : parse_yaml_stream(text, "fuzz.yaml")) {
      (void)to_yaml(doc);
      if (!is_workload(doc)) continue;
      Workload w = read_workload(doc);
      Json required = required_annotations(newest_istio_version(), w.ports);
      (void)to_yaml(template_patch(annotation_changes(w.annotations, required)));
      (void)restore_changes(w.annotations, required);
    }
  } catch (const wasme::Error&) {
  }
  return 0;
}
