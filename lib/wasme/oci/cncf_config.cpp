#include "wasme/oci/cncf_config.hpp"

#include <cstdlib>
#include <ctime>

#include "wasme/core/error.hpp"
#include "wasme/oci/json_fields.hpp"

namespace wasme::oci {
namespace {

using json_fields::json;
using json_fields::Presence;
using json_fields::Where;

// SOURCE_DATE_EPOCH (reproducible-builds.org/specs/source-date-epoch) as RFC 3339, else the
// epoch itself.
std::string creation_time() {
  std::time_t seconds = 0;
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) {
    char* end = nullptr;
    long long value = std::strtoll(epoch, &end, 10);
    if (end != epoch && *end == '\0' && value >= 0) seconds = static_cast<std::time_t>(value);
  }
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace

CncfConfig CncfConfig::for_module(const Digest& module_digest) {
  CncfConfig config;
  config.created = creation_time();
  config.layer_digests = {module_digest.str()};
  return config;
}

std::string CncfConfig::serialize() const {
  nlohmann::ordered_json out;
  out["created"] = created;
  out["author"] = author ? nlohmann::ordered_json(*author) : nlohmann::ordered_json(nullptr);
  out["architecture"] = architecture;
  out["os"] = os;
  out["layerDigests"] = layer_digests;
  out["component"] = nullptr;
  return json_fields::dump_compact(out, "the CNCF wasm config");
}

CncfConfig CncfConfig::parse(std::string_view bytes, std::string_view source) {
  Where where{std::string(source), ""};
  json obj = json_fields::parse_object(bytes, where);
  CncfConfig config;
  config.created = json_fields::get_string(obj, "created", where, Presence::required);
  config.architecture = json_fields::get_string(obj, "architecture", where, Presence::required);
  config.os = json_fields::get_string(obj, "os", where, Presence::required);
  if (const json* author = json_fields::find(obj, "author", where, Presence::optional)) {
    if (!author->is_string()) where.key("author").fail("must be a string, not " + json_fields::type_of(*author));
    config.author = author->get<std::string>();
  }
  const json* digests = json_fields::find(obj, "layerDigests", where, Presence::required);
  config.layer_digests = json_fields::as_string_list(*digests, where.key("layerDigests"));
  for (size_t i = 0; i < config.layer_digests.size(); ++i) {
    with_context(where.key("layerDigests").index(i).str(), [&] { Digest::parse(config.layer_digests[i]); });
  }
  if (const json* component = json_fields::find(obj, "component", where, Presence::optional)) {
    if (!component->is_object())
      where.key("component").fail("must be an object, not " + json_fields::type_of(*component));
    config.component = true;
  }
  if (config.architecture != "wasm") {
    where.key("architecture").fail("is \"" + config.architecture + "\", not \"wasm\"");
  }
  if (config.os != "wasip1" && config.os != "wasip2") {
    where.key("os").fail("is \"" + config.os + "\"; the spec allows wasip1 and wasip2");
  }
  return config;
}

}  // namespace wasme::oci
