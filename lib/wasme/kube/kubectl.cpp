#include "wasme/kube/kubectl.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "wasme/core/error.hpp"
#include "wasme/core/json_limits.hpp"
#include "wasme/core/process.hpp"
#include "wasme/render/yaml.hpp"

namespace wasme::kube {

Kubectl::Kubectl(ProcessRunner& runner, KubectlOptions options) : runner_(runner), options_(std::move(options)) {}

std::vector<std::string> Kubectl::argv(const std::vector<std::string>& args) const {
  std::vector<std::string> out = {options_.program};
  if (!options_.kubeconfig.empty()) out.push_back("--kubeconfig=" + options_.kubeconfig);
  if (!options_.context.empty()) out.push_back("--context=" + options_.context);
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

namespace {

// kubectl's stderr without client-go's klog lines ("E1127 13:57:32.677551 1067 memcache.go:265]
// …"), which repeat one failure five times before kubectl's own one-line summary.
std::string without_klog_lines(const std::string& err) {
  std::string out;
  std::size_t start = 0;
  while (start < err.size()) {
    std::size_t end = err.find('\n', start);
    if (end == std::string::npos) end = err.size();
    std::string line = err.substr(start, end - start);
    bool klog = line.size() > 5 && std::strchr("IWEF", line[0]) &&
                std::all_of(line.begin() + 1, line.begin() + 5,
                            [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (!klog && !line.empty()) out += (out.empty() ? "" : "\n") + line;
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string Kubectl::run(const std::vector<std::string>& args, const std::string& what,
                         const std::optional<std::string>& input) {
  ProcessRequest request;
  request.argv = argv(args);
  request.input = input;
  ProcessResult result = with_context(what, [&] { return runner_.run(request); });
  if (result.ok()) return result.out;
  std::string err = without_klog_lines(result.err);
  std::string message = what + ": `" + shell_quote(request.argv) + "` failed: " + result.describe();
  if (!err.empty()) message += ": " + err.substr(0, 2000);
  std::string hint;
  for (const char* sign : {"connection to the server", "Unable to connect", "connection refused", "no configuration"}) {
    if (result.err.find(sign) != std::string::npos) {
      hint = "kubectl cannot reach a cluster: check `kubectl cluster-info`, or pass --kubeconfig and --context";
    }
  }
  throw Error(ErrorKind::external, message, hint).with_exit_status(1);
}

Json Kubectl::get_json(const std::vector<std::string>& args, const std::string& what) {
  std::string out = run(args, what);
  if (out.find_first_not_of(" \t\r\n") == std::string::npos) return nullptr;
  Json value = parse_json_limited<Json>(out, "kubectl's answer", {256, 256u << 20});
  if (value.is_discarded()) {
    throw Error(ErrorKind::external, what + ": kubectl printed something that is not JSON");
  }
  return value;
}

std::string Kubectl::apply(const std::vector<Json>& objects, const std::string& what) {
  return run({"apply", "-f", "-"}, what, render::to_yaml_stream(objects));
}

std::string Kubectl::merge_patch(const std::string& namespace_name, const std::string& resource, const Json& patch,
                                 const std::string& what) {
  return run({"-n", namespace_name, "patch", resource, "--type=merge", "-p=" + patch.dump()}, what);
}

std::string resource_name(const Json& object) {
  auto text = [&](const Json& parent, const char* key) -> std::string {
    if (!parent.is_object() || !parent.contains(key) || !parent.at(key).is_string()) {
      throw Error(ErrorKind::external, std::string("kubectl returned an object without a string ") + key);
    }
    return parent.at(key).get<std::string>();
  };
  std::string kind = text(object, "kind");
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string api_version = text(object, "apiVersion");
  auto slash = api_version.find('/');
  if (slash != std::string::npos && api_version.substr(0, slash).find('.') != std::string::npos) {
    kind += "." + api_version.substr(0, slash);  // CRDs by group: envoyfilter.networking.istio.io
  }
  return kind + "/" + text(object.is_object() && object.contains("metadata") ? object.at("metadata") : Json(), "name");
}

}  // namespace wasme::kube
