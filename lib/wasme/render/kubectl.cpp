#include "wasme/render/kubectl.hpp"

#include <algorithm>
#include <cctype>

#include "wasme/core/error.hpp"

namespace wasme::render {

Kubectl::Kubectl(ProcessRunner& runner, KubectlOptions options)
    : runner_(runner), options_(std::move(options)) {}

std::vector<std::string> Kubectl::argv(const std::vector<std::string>& args) const {
  std::vector<std::string> out = {options_.program};
  if (!options_.kubeconfig.empty()) out.push_back("--kubeconfig=" + options_.kubeconfig);
  if (!options_.context.empty()) out.push_back("--context=" + options_.context);
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

std::string Kubectl::run(const std::vector<std::string>& args, const std::string& what,
                         const std::optional<std::string>& input) {
  ProcessRequest request;
  request.argv = argv(args);
  request.input = input;
  ProcessResult result = with_context(what, [&] { return runner_.run(request); });
  check_process(result, request, what);
  return result.out;
}

Json Kubectl::get_json(const std::vector<std::string>& args, const std::string& what) {
  std::string out = run(args, what);
  if (out.find_first_not_of(" \t\r\n") == std::string::npos) return nullptr;
  Json value = Json::parse(out, nullptr, false);
  if (value.is_discarded()) {
    throw Error(ErrorKind::external, what + ": kubectl printed something that is not JSON");
  }
  return value;
}

std::string Kubectl::apply(const std::vector<Json>& objects, const std::string& what) {
  return run({"apply", "-f", "-"}, what, to_yaml_stream(objects));
}

std::string Kubectl::merge_patch(const std::string& namespace_name, const std::string& resource,
                                 const Json& patch, const std::string& what) {
  return run({"-n", namespace_name, "patch", resource, "--type=merge", "-p=" + patch.dump()}, what);
}

std::string resource_name(const Json& object) {
  std::string kind = object.at("kind").get<std::string>();
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string api_version = object.at("apiVersion").get<std::string>();
  auto slash = api_version.find('/');
  if (slash != std::string::npos && api_version.substr(0, slash).find('.') != std::string::npos) {
    kind += "." + api_version.substr(0, slash);  // CRDs by group: envoyfilter.networking.istio.io
  }
  return kind + "/" + object.at("metadata").at("name").get<std::string>();
}

}  // namespace wasme::render
