#include "wasme/oci/manifest.hpp"

#include "wasme/core/error.hpp"
#include "wasme/core/json_limits.hpp"
#include "wasme/oci/json_fields.hpp"
#include "wasme/oci/media_types.hpp"

namespace wasme::oci {

namespace {

using json_fields::json;
using json_fields::Presence;
using json_fields::Where;

void check_document_size(std::string_view bytes, const char* what) {
  if (bytes.size() > max_manifest_size) {
    throw Error(ErrorKind::invalid_input,
                std::string(what) + ": document is " + std::to_string(bytes.size()) + " bytes, over the " +
                    std::to_string(max_manifest_size >> 20) + " MiB limit",
                "manifests and indexes are small JSON documents; this is not one");
  }
}

Descriptor parse_descriptor(const json& value, const Where& where) {
  if (!value.is_object()) where.fail("expected a descriptor object, got " + json_fields::type_of(value));
  Descriptor d;
  d.media_type = json_fields::get_string(value, "mediaType", where, Presence::required);
  if (d.media_type.empty()) where.key("mediaType").fail("must not be empty");
  std::string digest = json_fields::get_string(value, "digest", where, Presence::required);
  d.digest = with_context(where.key("digest").str(), [&] { return Digest::parse(digest); });
  d.size = json_fields::get_size(value, "size", where);
  d.annotations = json_fields::get_string_map(value, "annotations", where);
  return d;
}

std::vector<Descriptor> parse_descriptors(const json& obj, const char* key, const Where& where) {
  const json* list = json_fields::find(obj, key, where, Presence::required);
  Where at = where.key(key);
  if (!list->is_array()) at.fail("expected a list of descriptors, got " + json_fields::type_of(*list));
  std::vector<Descriptor> out;
  out.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) out.push_back(parse_descriptor((*list)[i], at.index(i)));
  return out;
}

void check_schema_version(const json& obj, const Where& where) {
  std::int64_t version = json_fields::get_int(obj, "schemaVersion", where);
  if (version != 2) {
    where.key("schemaVersion")
        .fail("expected 2, got " + std::to_string(version) + " (Docker schema 1 and other versions are not supported)");
  }
}

json descriptor_json(const Descriptor& d) {
  json out = {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.annotations.empty()) out["annotations"] = d.annotations;
  return out;
}

// The fields Manifest and Index share: mediaType when set, annotations when not empty.
void add_common(json& out, int schema_version, const std::string& media_type, const Annotations& annotations) {
  out["schemaVersion"] = schema_version;
  if (!media_type.empty()) out["mediaType"] = media_type;
  if (!annotations.empty()) out["annotations"] = annotations;
}

}  // namespace

std::string Manifest::serialize() const {
  json out = json::object();
  add_common(out, schema_version, media_type, annotations);
  out["config"] = descriptor_json(config);
  out["layers"] = json::array();
  for (const auto& layer : layers) out["layers"].push_back(descriptor_json(layer));
  return json_fields::dump_compact(out, "manifest");
}

Manifest Manifest::parse(std::string_view bytes) {
  check_document_size(bytes, "manifest");
  const Where where{"manifest", ""};
  json doc = json_fields::parse_object(bytes, where);
  Manifest m;
  check_schema_version(doc, where);
  m.media_type = json_fields::get_string(doc, "mediaType", where, Presence::optional);
  if (m.media_type == media_type::oci_index || m.media_type == media_type::docker_manifest_list) {
    where.key("mediaType").fail("\"" + m.media_type + "\" is an index, not an image manifest");
  }
  if (!m.media_type.empty() && m.media_type != media_type::oci_manifest &&
      m.media_type != media_type::docker_manifest) {
    where.key("mediaType")
        .fail("unsupported \"" + m.media_type + "\" (expected " + std::string(media_type::oci_manifest) + " or " +
              std::string(media_type::docker_manifest) + ")");
  }
  const json* config = json_fields::find(doc, "config", where, Presence::required);
  m.config = parse_descriptor(*config, where.key("config"));
  m.layers = parse_descriptors(doc, "layers", where);
  m.annotations = json_fields::get_string_map(doc, "annotations", where);
  return m;
}

std::string Index::serialize() const {
  json out = json::object();
  add_common(out, schema_version, media_type, annotations);
  out["manifests"] = json::array();
  for (const auto& d : manifests) out["manifests"].push_back(descriptor_json(d));
  return json_fields::dump_compact(out, "index");
}

Index Index::parse(std::string_view bytes) {
  check_document_size(bytes, "index");
  const Where where{"index", ""};
  json doc = json_fields::parse_object(bytes, where);
  Index index;
  check_schema_version(doc, where);
  index.media_type = json_fields::get_string(doc, "mediaType", where, Presence::optional);
  if (!index.media_type.empty() && index.media_type != media_type::oci_index &&
      index.media_type != media_type::docker_manifest_list) {
    where.key("mediaType")
        .fail("\"" + index.media_type + "\" is not an image index (expected " + std::string(media_type::oci_index) +
              " or " + std::string(media_type::docker_manifest_list) + ")");
  }
  index.manifests = parse_descriptors(doc, "manifests", where);
  index.annotations = json_fields::get_string_map(doc, "annotations", where);
  return index;
}

std::string sniff_media_type(std::string_view bytes) {
  if (bytes.size() > max_manifest_size) return {};
  json doc;
  try {
    doc = parse_json_limited<json>(bytes, "manifest", {64, max_manifest_size});
  } catch (const Error&) {
    return {};
  }
  if (!doc.is_object()) return {};
  auto declared = doc.find("mediaType");
  if (declared != doc.end() && declared->is_string()) return declared->get<std::string>();
  if (declared != doc.end() && !declared->is_null()) return {};
  // OCI 1.0 made mediaType optional; recognise such documents by their shape.
  auto version = doc.find("schemaVersion");
  if (version == doc.end() || *version != 2) return {};
  if (doc.contains("manifests") && !doc.contains("config")) return std::string(media_type::oci_index);
  if (doc.contains("config") && doc.contains("layers")) return std::string(media_type::oci_manifest);
  return {};
}

}  // namespace wasme::oci
