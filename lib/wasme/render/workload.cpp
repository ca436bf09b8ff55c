#include "wasme/render/workload.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "wasme/core/error.hpp"
#include "wasme/core/json_limits.hpp"
#include "wasme/render/k8s_names.hpp"
#include "wasme/render/cache.hpp"

namespace wasme::render {
namespace {

const std::string user_volume = "sidecar.istio.io/userVolume";
const std::string user_volume_mount = "sidecar.istio.io/userVolumeMount";
const std::string interception_mode = "sidecar.istio.io/interceptionMode";
const std::string inbound_ports = "traffic.sidecar.istio.io/includeInboundPorts";

const Json& at_path(const Json& object, std::initializer_list<const char*> path) {
  static const Json missing;
  const Json* node = &object;
  for (const char* key : path) {
    if (!node->is_object() || !node->contains(key)) return missing;
    node = &(*node)[key];
  }
  return *node;
}

std::string join_ports(const std::vector<int>& ports) {
  std::string out;
  for (int p : ports) out += (out.empty() ? "" : ",") + std::to_string(p);
  return out;
}

// "9080,9090" -> ports; nullopt when the value is not a plain port list ("*", "").
std::optional<std::vector<int>> split_ports(const std::string& value) {
  std::vector<int> ports;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    std::string item = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item.empty() || item.size() > 5 || item.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    ports.push_back(std::stoi(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return ports;
}

Json parse_array(const std::string& key, const std::string& value) {
  Json array = parse_json_limited<Json>(value, "annotation " + key, {32, 1u << 20});
  if (!array.is_array()) {
    throw Error(ErrorKind::invalid_input, "annotation " + key + " is not a JSON array: " + value,
                "fix or remove the annotation, then deploy again");
  }
  return array;
}

// object[key] when it is a string, else "".
std::string string_field(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end()) return "";
  const Json& value = *it;
  return value.is_string() ? value.get_ref<const std::string&>() : std::string();
}

// An array entry's "name", or "" (entries without one are never ours).
std::string name_of(const Json& entry) { return string_field(entry, "name"); }

bool is_array_key(const std::string& key) { return key == user_volume || key == user_volume_mount; }

// Our entries replace same-named ones in place; the rest are kept in their order.
std::string merge_by_name(const std::string& key, const std::string& old, const std::string& want) {
  Json merged = parse_array(key, old);
  for (const Json& entry : parse_json_limited<Json>(want, "annotation " + key, {32, 1u << 20})) {
    auto same = std::find_if(merged.begin(), merged.end(), [&](const Json& e) { return name_of(e) == name_of(entry); });
    if (same != merged.end()) *same = entry;
    else merged.push_back(entry);
  }
  return merged.dump();
}

std::string merged_value(const std::string& key, const std::optional<std::string>& old, const std::string& want) {
  if (!old) return want;
  if (is_array_key(key)) return merge_by_name(key, *old, want);
  if (key == inbound_ports) {
    auto have = split_ports(*old);
    if (!have) return want;
    std::vector<int> wanted = split_ports(want).value_or(std::vector<int>{});
    for (int p : wanted) {
      if (std::find(have->begin(), have->end(), p) == have->end()) have->push_back(p);
    }
    return join_ports(*have);
  }
  return want;
}

std::optional<std::string> string_at(const Json& object, const std::string& key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return std::nullopt;
  return object[key].get<std::string>();
}

}  // namespace

WorkloadKind parse_workload_kind(std::string_view text) {
  if (text == "deployment" || text == "deploy" || text == "deployments") return WorkloadKind::deployment;
  if (text == "daemonset" || text == "ds" || text == "daemonsets") return WorkloadKind::daemonset;
  if (text == "statefulset" || text == "sts" || text == "statefulsets") return WorkloadKind::statefulset;
  throw Error(ErrorKind::usage, "invalid workload type \"" + std::string(text) + "\"",
              "use deployment, daemonset or statefulset");
}

const char* to_string(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::deployment: return "deployment";
    case WorkloadKind::daemonset: return "daemonset";
    case WorkloadKind::statefulset: return "statefulset";
  }
  return "deployment";
}

bool is_workload(const Json& object) {
  if (!object.is_object()) return false;
  std::string kind = string_field(object, "kind");
  return kind == "Deployment" || kind == "DaemonSet" || kind == "StatefulSet";
}

Workload read_workload(const Json& object) {
  if (!is_workload(object)) {
    throw Error(ErrorKind::invalid_input, "not a Deployment, DaemonSet or StatefulSet");
  }
  Workload w;
  std::string kind = object["kind"];
  w.kind = kind == "Deployment"  ? WorkloadKind::deployment
           : kind == "DaemonSet" ? WorkloadKind::daemonset
                                 : WorkloadKind::statefulset;
  const Json& name = at_path(object, {"metadata", "name"});
  if (!name.is_string() || name.get<std::string>().empty()) {
    throw Error(ErrorKind::invalid_input, kind + " without metadata.name");
  }
  w.name = name;
  if (const Json& ns = at_path(object, {"metadata", "namespace"}); ns.is_string()) w.namespace_name = ns;
  // What the API server would refuse is refused here, naming the workload: a value it
  // would truncate or reject must not reach the rendered patch.
  const std::string where = kind + " " + w.name;
  for (const auto& [k, v] : at_path(object, {"spec", "template", "metadata", "labels"}).items()) {
    if (!v.is_string()) throw Error(ErrorKind::invalid_input, where + ": label " + k + " is not a string");
    check_label_key(k, where);
    check_label_value(v.get<std::string>(), where);
    w.template_labels[k] = v;
  }
  const Json& annotations = at_path(object, {"spec", "template", "metadata", "annotations"});
  if (annotations.is_object()) {
    for (const auto& [k, v] : annotations.items()) {
      if (!v.is_string()) {
        throw Error(ErrorKind::invalid_input, where + ": annotation " + k + " is not a string",
                    "quote it: Kubernetes annotations are strings");
      }
    }
    w.annotations = annotations;
  }
  for (const Json& c : at_path(object, {"spec", "template", "spec", "containers"})) {
    for (const Json& p : at_path(c, {"ports"})) {
      const Json& port = at_path(p, {"containerPort"});
      if (!port.is_number_integer() || port.get<int64_t>() < 1 || port.get<int64_t>() > 65535) {
        throw Error(ErrorKind::invalid_input, where + ": containerPort " + port.dump() + " is not a port (1-65535)");
      }
      if (const Json& port_name = at_path(p, {"name"}); !port_name.is_null()) {
        if (!port_name.is_string()) throw Error(ErrorKind::invalid_input, where + ": a port name is not a string");
        check_port_name(port_name.get<std::string>(), where);
      }
      const int number = static_cast<int>(port.get<int64_t>());
      if (std::find(w.ports.begin(), w.ports.end(), number) == w.ports.end()) w.ports.push_back(number);
    }
  }
  return w;
}

Json required_annotations(const IstioVersion& istio, const std::vector<int>& ports) {
  Json volume = {{"name", "cache-dir"}, {"hostPath", {{"path", cache_directory}, {"type", "Directory"}}}};
  Json mount = {{"mountPath", cache_directory}, {"name", "cache-dir"}};
  Json out = {{user_volume, Json::array({volume}).dump()}, {user_volume_mount, Json::array({mount}).dump()}};
  if (!istio.at_least(1, 5)) {
    out[interception_mode] = "TPROXY";
    out[inbound_ports] = join_ports(ports);
  }
  return out;
}

Json annotation_changes(const Json& existing, const Json& required) {
  Json changes = Json::object();
  for (const auto& [key, want] : required.items()) {
    auto old = string_at(existing, key);
    std::string value = merged_value(key, old, want.get<std::string>());
    if (old && *old == value) continue;
    if (old && !existing.contains(backup_key(key))) changes[backup_key(key)] = *old;
    changes[key] = value;
  }
  return changes;
}

Json restore_changes(const Json& existing, const Json& required) {
  Json changes = Json::object();
  for (const auto& [key, ours] : required.items()) {
    if (auto backup = string_at(existing, backup_key(key))) {
      changes[key] = *backup;
      changes[backup_key(key)] = nullptr;
      continue;
    }
    auto current = string_at(existing, key);
    if (!current) continue;
    if (!is_array_key(key)) {
      changes[key] = nullptr;
      continue;
    }
    std::set<std::string> our_names;
    for (const Json& e : parse_json_limited<Json>(ours.get<std::string>(), "annotation " + key, {32, 1u << 20})) {
      our_names.insert(name_of(e));
    }
    Json kept = Json::array();
    for (const Json& e : parse_array(key, *current)) {
      if (!our_names.count(name_of(e))) kept.push_back(e);
    }
    if (kept.empty()) changes[key] = nullptr;
    else if (kept.dump() != *current) changes[key] = kept.dump();
  }
  return changes;
}

Json template_patch(const Json& changes) {
  return {{"spec", {{"template", {{"metadata", {{"annotations", changes}}}}}}}};
}

Json merge_patch(Json target, const Json& patch) {
  if (!patch.is_object()) return patch;
  if (!target.is_object()) target = Json::object();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) target.erase(key);
    else target[key] = merge_patch(target.contains(key) ? target[key] : Json(), value);
  }
  return target;
}

std::string backup_key(const std::string& key) { return "wasme-backup." + key; }

}  // namespace wasme::render
