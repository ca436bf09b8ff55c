#include <doctest/doctest.h>

#include "wasme/core/error.hpp"
#include "wasme/render/workload.hpp"

using namespace wasme;
using wasme::render::Json;

namespace {

const char* const volume_key = "sidecar.istio.io/userVolume";
const char* const mount_key = "sidecar.istio.io/userVolumeMount";
const char* const mode_key = "sidecar.istio.io/interceptionMode";
const char* const ports_key = "traffic.sidecar.istio.io/includeInboundPorts";
const std::string our_volume =
    R"([{"name":"cache-dir","hostPath":{"path":"/var/local/lib/wasme-cache","type":"Directory"}}])";
const std::string our_mount = R"([{"mountPath":"/var/local/lib/wasme-cache","name":"cache-dir"}])";

// The seed's details-v1 Deployment (without its annotations).
Json details() {
  return render::parse_yaml_stream(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: details-v1
  labels: {app: details, version: v1}
spec:
  replicas: 1
  selector:
    matchLabels: {app: details, version: v1}
  template:
    metadata:
      labels: {app: details, version: v1}
    spec:
      serviceAccountName: bookinfo-details
      containers:
      - name: details
        image: docker.io/istio/examples-bookinfo-details-v1:1.15.0
        imagePullPolicy: IfNotPresent
        ports:
        - containerPort: 9080
)",
                                   "details.yaml")[0];
}

render::IstioVersion v(const char* text) { return render::IstioVersion::parse(text); }

}  // namespace

TEST_CASE("the seed's annotations for Istio 1.4, only the volume for later versions") {
  Json seed = {{volume_key, our_volume}, {mount_key, our_mount}, {mode_key, "TPROXY"}, {ports_key, "9080"}};
  CHECK(render::required_annotations(v("1.4"), {9080}) == seed);
  CHECK(render::required_annotations(v("1.4"), {9080, 9090})[ports_key] == "9080,9090");
  CHECK(render::required_annotations(v("1.5"), {9080}) == Json{{volume_key, our_volume}, {mount_key, our_mount}});
}

TEST_CASE("read_workload: kind, name, labels, ports; other kinds refused") {
  auto w = render::read_workload(details());
  CHECK(w.kind == render::WorkloadKind::deployment);
  CHECK(w.name == "details-v1");
  CHECK(w.namespace_name.empty());
  CHECK(w.template_labels == render::Labels{{"app", "details"}, {"version", "v1"}});
  CHECK(w.ports == std::vector<int>{9080});
  CHECK(w.ref() == "deployment/details-v1");
  CHECK(w.annotations == Json::object());

  Json svc = {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", "details"}}}};
  CHECK_FALSE(render::is_workload(svc));
  CHECK_THROWS_AS(render::read_workload(svc), Error);
  Json nameless = details();
  nameless["metadata"].erase("name");
  CHECK_THROWS_AS(render::read_workload(nameless), Error);
  Json ds = details();
  ds["kind"] = "DaemonSet";
  CHECK(render::read_workload(ds).ref() == "daemonset/details-v1");
}

TEST_CASE("read_workload refuses what the API server would: ports out of range, bad port names, odd values") {
  auto with = [](const std::string& patch) {
    return render::merge_patch(details(), render::parse_yaml_stream(patch, "patch.yaml")[0]);
  };
  auto ports = [&](const std::string& port) {
    return with("spec: {template: {spec: {containers: [{name: d, ports: [" + port + "]}]}}}");
  };
  for (const char* bad : {"{containerPort: 99999999999}", "{containerPort: -5}", "{containerPort: 0}",
                          "{containerPort: '80'}", "{containerPort: 80.5}"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(render::read_workload(ports(bad)), doctest::Contains("is not a port (1-65535)"), Error);
  }
  CHECK_THROWS_WITH_AS(render::read_workload(ports("{containerPort: 80, name: 'a b'}")),
                       doctest::Contains("port name \"a b\" is not valid"), Error);
  CHECK_NOTHROW(render::read_workload(ports("{containerPort: 65535, name: http-web}")));
  CHECK_THROWS_WITH_AS(render::read_workload(with("spec: {template: {metadata: {annotations: {a: 1}}}}")),
                       doctest::Contains("annotation a is not a string"), Error);
  CHECK_THROWS_WITH_AS(render::read_workload(with("spec: {template: {metadata: {labels: {'a b': c}}}}")),
                       doctest::Contains("label key"), Error);
  // Invalid UTF-8 never gets as far as a workload.
  CHECK_THROWS_WITH_AS(render::parse_yaml_stream("a: b\xff\n", "bad.yaml"),
                       doctest::Contains("line 1: not valid UTF-8"), Error);
}

TEST_CASE("workload kinds parse with kubectl's short names") {
  CHECK(render::parse_workload_kind("deploy") == render::WorkloadKind::deployment);
  CHECK(render::parse_workload_kind("ds") == render::WorkloadKind::daemonset);
  CHECK(render::parse_workload_kind("statefulset") == render::WorkloadKind::statefulset);
  CHECK_THROWS_AS(render::parse_workload_kind("pod"), Error);
}

TEST_CASE("on a workload without annotations the changes are exactly the required ones") {
  Json required = render::required_annotations(v("1.4"), {9080});
  Json changes = render::annotation_changes(Json::object(), required);
  CHECK(changes == required);
  Json patched = render::merge_patch(details(), render::template_patch(changes));
  CHECK(patched["spec"]["template"]["metadata"]["annotations"] == required);
  CHECK(patched["spec"]["template"]["metadata"]["labels"] == details()["spec"]["template"]["metadata"]["labels"]);
}

TEST_CASE("existing user volumes are merged by name and the old value is backed up") {
  std::string theirs = R"([{"name":"certs","secret":{"secretName":"tls"}},{"name":"cache-dir","emptyDir":{}}])";
  Json existing = {{volume_key, theirs},
                   {mount_key, R"([{"mountPath":"/certs","name":"certs"}])"},
                   {ports_key, "8080, 9080"},
                   {mode_key, "REDIRECT"},
                   {"unrelated", "x"}};
  Json required = render::required_annotations(v("1.4"), {9080, 9443});
  Json changes = render::annotation_changes(existing, required);
  CHECK(
      changes[volume_key] ==
      R"([{"name":"certs","secret":{"secretName":"tls"}},{"name":"cache-dir","hostPath":{"path":"/var/local/lib/wasme-cache","type":"Directory"}}])");
  CHECK(changes[mount_key] ==
        R"([{"mountPath":"/certs","name":"certs"},{"mountPath":"/var/local/lib/wasme-cache","name":"cache-dir"}])");
  CHECK(changes[ports_key] == "8080,9080,9443");
  CHECK(changes[mode_key] == "TPROXY");
  CHECK(changes["wasme-backup.sidecar.istio.io/userVolume"] == theirs);
  CHECK(changes["wasme-backup.sidecar.istio.io/userVolumeMount"] == existing[mount_key]);
  CHECK(changes["wasme-backup.traffic.sidecar.istio.io/includeInboundPorts"] == "8080, 9080");
  CHECK(changes["wasme-backup.sidecar.istio.io/interceptionMode"] == "REDIRECT");
  CHECK_FALSE(changes.contains("unrelated"));

  // deploying a second filter changes nothing and keeps the original backups
  Json after = render::merge_patch(existing, changes);
  CHECK(render::annotation_changes(after, required) == Json::object());
  // restoring gives back exactly what the user had
  Json restored = render::merge_patch(after, render::restore_changes(after, required));
  CHECK(restored == existing);
}

TEST_CASE("a second deploy over a changed value never overwrites the first backup") {
  Json existing = {
      {mode_key, "TPROXY"}, {"wasme-backup.sidecar.istio.io/interceptionMode", "REDIRECT"}, {ports_key, "*"}};
  Json changes = render::annotation_changes(existing, render::required_annotations(v("1.4"), {9080}));
  CHECK_FALSE(changes.contains(mode_key));
  CHECK(changes[ports_key] == "9080");  // "*" is not a port list: replaced, backed up
  CHECK(changes["wasme-backup.traffic.sidecar.istio.io/includeInboundPorts"] == "*");
  CHECK_FALSE(changes.contains("wasme-backup.sidecar.istio.io/interceptionMode"));
}

TEST_CASE("restore without backups removes our entries and keys, keeping later user entries") {
  Json required = render::required_annotations(v("1.4"), {9080});
  Json deployed = render::merge_patch(Json::object(), render::annotation_changes(Json::object(), required));
  // the user added a volume after wasme deployed
  Json added = Json::parse(deployed[volume_key].get<std::string>());
  added.push_back({{"name", "later"}, {"emptyDir", Json::object()}});
  deployed[volume_key] = added.dump();
  Json restored = render::merge_patch(deployed, render::restore_changes(deployed, required));
  CHECK(restored == Json{{volume_key, R"([{"name":"later","emptyDir":{}}])"}});
  CHECK(render::restore_changes(Json::object(), required) == Json::object());
}

TEST_CASE("an array annotation that is not JSON is an error naming it") {
  Json existing = {{volume_key, "not json"}};
  try {
    render::annotation_changes(existing, render::required_annotations(v("1.7"), {}));
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::invalid_input);
    CHECK(std::string(e.what()).find(volume_key) != std::string::npos);
  }
}

TEST_CASE("merge_patch follows RFC 7386") {
  struct Case {
    Json target, patch, expected;
  };
  Case cases[] = {
      {{{"a", "b"}}, {{"a", "c"}}, {{"a", "c"}}},
      {{{"a", "b"}}, {{"b", "c"}}, {{"a", "b"}, {"b", "c"}}},
      {{{"a", "b"}}, {{"a", nullptr}}, Json::object()},
      {{{"a", "b"}, {"b", "c"}}, {{"a", nullptr}}, {{"b", "c"}}},
      {{{"a", Json::array({"b"})}}, {{"a", "c"}}, {{"a", "c"}}},
      {{{"a", "c"}}, {{"a", Json::array({"b"})}}, {{"a", Json::array({"b"})}}},
      {{{"a", {{"b", "c"}}}}, {{"a", {{"b", "d"}, {"c", nullptr}}}}, {{"a", {{"b", "d"}}}}},
      {{{"a", Json::array({{{"b", "c"}}})}}, {{"a", Json::array({1})}}, {{"a", Json::array({1})}}},
      {{{"e", nullptr}}, {{"a", 1}}, {{"e", nullptr}, {"a", 1}}},
      {Json::array({1, 2}), {{"a", "b"}, {"c", nullptr}}, {{"a", "b"}}},
      {{{"a", "foo"}}, nullptr, nullptr},
      {{{"a", "foo"}}, "bar", "bar"},
      {Json::object(), {{"a", {{"bb", {{"ccc", nullptr}}}}}}, {{"a", {{"bb", Json::object()}}}}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.patch.dump());
    CHECK(render::merge_patch(c.target, c.patch) == c.expected);
  }
}
