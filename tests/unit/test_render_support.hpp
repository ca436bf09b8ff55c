#pragma once
// A deploy request the render and kube tests start from.
#include <string>

#include "wasme/render/deploy.hpp"
#include "wasme/render/istio_versions.hpp"

namespace render_test {

// Filter "f" from example.com/f:v1 (ABI 0.2.1, root id "root") for workloads labelled app=x.
inline wasme::render::IstioDeployRequest sample_request(const char* istio_version = "1.7") {
  wasme::render::IstioDeployRequest r;
  r.module.reference = "example.com/f:v1";
  r.module.wasm_sha256 = std::string(64, 'a');
  r.module.manifest_digest = std::string(64, 'b');
  r.module.root_ids = {"root"};
  r.module.abi = wasme::wasm::ProxyAbi::v0_2_1;
  r.id = "f";
  r.labels = {{"app", "x"}};
  r.istio = wasme::render::IstioVersion::parse(istio_version);
  return r;
}

}  // namespace render_test
