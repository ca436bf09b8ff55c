#include "cli/image_view.hpp"

namespace wasme::cli {

nlohmann::json image_json(const image::ImageSummary& image, const render::IstioVersion& istio) {
  nlohmann::json out;
  out["reference"] = image.reference.str();
  out["manifestDigest"] = image.manifest_digest.empty() ? nullptr : nlohmann::json(image.manifest_digest.str());
  out["mediaType"] = image.manifest_media_type;
  out["format"] = oci::to_string(image.format);
  out["wasmDigest"] = image.wasm_digest.str();
  out["size"] = image.wasm_size;
  out["type"] = image.config.type;
  out["rootIds"] = image.config.root_ids;
  out["abiVersions"] = image.config.abi_versions;
  out["moduleAbi"] = wasm::to_string(image.module_abi);
  render::IstioFit fit = render::istio_fit(image.module_abi, image.manifest, istio);
  out["istioAccepts"] = fit.accepts();
  if (!fit.accepts()) out["istioRejection"] = fit.verdict();
  return out;
}

std::string reference_name(const oci::Reference& reference) { return reference.name(); }

std::string reference_tag(const oci::Reference& reference) {
  if (reference.tag) return *reference.tag;
  if (reference.digest) return reference.digest->str().substr(0, 19);
  return "";
}

std::string join_or_dash(const std::vector<std::string>& items) {
  if (items.empty()) return "-";
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace wasme::cli
