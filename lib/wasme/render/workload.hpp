#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "wasme/render/istio.hpp"
#include "wasme/render/yaml.hpp"

namespace wasme::render {

// The kinds of workload whose pod template we annotate.
enum class WorkloadKind { deployment, daemonset, statefulset };
// deployment|daemonset|statefulset (and kubectl's short names); throws Error(usage).
WorkloadKind parse_workload_kind(std::string_view text);
// "deployment", "daemonset", "statefulset": kubectl's resource names.
const char* to_string(WorkloadKind kind);

// A workload as read from its manifest or from the API server.
struct Workload {
  WorkloadKind kind = WorkloadKind::deployment;
  std::string name;
  std::string namespace_name;  // "" when the manifest does not say
  Labels template_labels;
  std::vector<int> ports;             // container ports of the pod template, in order, deduplicated
  Json annotations = Json::object();  // the pod template's annotations
  // "deployment/details-v1"
  std::string ref() const { return std::string(to_string(kind)) + "/" + name; }
};

// True for apps/v1 Deployment, DaemonSet and StatefulSet objects.
bool is_workload(const Json& object);
// Reads a workload object; throws Error(invalid_input) naming what is missing.
Workload read_workload(const Json& object);

// The pod-template annotations that give the sidecar the cache volume (and, for Istio 1.4,
// TPROXY interception on the given ports), as in the seed.
Json required_annotations(const IstioVersion& istio, const std::vector<int>& ports);

// What to set so `existing` also satisfies `required`: JSON-array values are merged by
// `name`, port lists are joined, and any value we change is first copied to
// wasme-backup.<key> (unless a backup is already there). Keys already right are left out.
// Throws Error(invalid_input) when an array annotation is not a JSON array.
Json annotation_changes(const Json& existing, const Json& required);

// Undoes annotation_changes for the keys of `required`: a backup is restored and removed;
// without a backup our entries (by name) leave an array value and a scalar key is removed
// (null in a merge patch). Keys already absent are left out.
Json restore_changes(const Json& existing, const Json& required);

// The JSON merge patch that sets these pod-template annotations.
Json template_patch(const Json& annotation_changes);
// The object with the merge patch applied (RFC 7386).
Json merge_patch(Json target, const Json& patch);

// "wasme-backup.<key>"
std::string backup_key(const std::string& key);

}  // namespace wasme::render
