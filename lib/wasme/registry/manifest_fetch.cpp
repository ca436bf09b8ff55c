#include "wasme/registry/manifest_fetch.hpp"

#include "wasme/core/error.hpp"
#include "wasme/oci/media_types.hpp"

namespace wasme::registry {
namespace {

namespace mt = oci::media_type;

std::string strip_parameters(std::string value) {
  value = value.substr(0, value.find(';'));
  while (!value.empty() && value.back() == ' ') value.pop_back();
  return value;
}

bool is_index(const std::string& media_type) {
  return media_type == mt::oci_index || media_type == mt::docker_manifest_list;
}

}  // namespace

RawManifest fetch_manifest(Client& client, const oci::Reference& ref, const std::string& target,
                           const std::optional<oci::Digest>& expected) {
  Request request;
  request.url = "/v2/" + ref.repository + "/manifests/" + target;
  request.headers.add("Accept", manifest_accept_header());
  request.max_body = client.options().max_manifest_size;
  std::string what = "fetching manifest " + target;
  Response response = client.call(ref.registry, request, pull_scope(ref.repository), {200}, what);
  RawManifest out;
  out.bytes = std::move(response.body);
  out.digest = oci::sha256_of(out.bytes);
  if (expected && *expected != out.digest) {
    throw Error(ErrorKind::integrity,
                what + ": the registry served bytes with digest " + out.digest.str() + ", not " + expected->str());
  }
  if (auto claimed = response.headers.get("Docker-Content-Digest"); claimed && !expected) {
    if (*claimed != out.digest.str()) {
      throw Error(ErrorKind::integrity,
                  what + ": the registry says its digest is " + *claimed + " but the bytes have " + out.digest.str());
    }
  }
  std::string declared = oci::sniff_media_type(out.bytes);
  std::string header = strip_parameters(response.headers.get("Content-Type").value_or(""));
  out.media_type = !declared.empty() ? declared : header;
  return out;
}

void put_manifest(Client& client, const oci::Reference& ref, const std::string& target, const std::string& media_type,
                  const std::string& bytes) {
  Request put;
  put.method = "PUT";
  put.url = "/v2/" + ref.repository + "/manifests/" + target;
  put.headers.add("Content-Type", media_type);
  put.body = RequestBody::from_string(bytes);
  Response response =
      client.call(ref.registry, put, push_scope(ref.repository), {200, 201, 202}, "uploading the manifest");
  auto claimed = response.headers.get("Docker-Content-Digest");
  std::string digest = oci::sha256_of(bytes).str();
  if (claimed && *claimed != digest) {
    client.log("the registry reports manifest digest " + *claimed + ", ours is " + digest);
  }
}

std::string manifest_accept_header() {
  return std::string(mt::oci_manifest) + ", " + std::string(mt::oci_index) + ", " + std::string(mt::docker_manifest) +
         ", " + std::string(mt::docker_manifest_list);
}

ResolvedManifest resolve_manifest(Client& client, const oci::Reference& reference) {
  RawManifest fetched = fetch_manifest(client, reference, reference.manifest_ref(), reference.digest);
  ResolvedManifest out;
  if (is_index(fetched.media_type)) {
    oci::Index index = with_context("reading the index", [&] { return oci::Index::parse(fetched.bytes); });
    if (index.manifests.empty()) {
      throw Error(ErrorKind::invalid_input, "the index " + fetched.digest.str() + " lists no manifests");
    }
    const oci::Descriptor& first = index.manifests.front();
    client.log("the index lists " + std::to_string(index.manifests.size()) + " manifest(s); using the first, " +
               first.digest.str());
    fetched = fetch_manifest(client, reference, first.digest.str(), first.digest);
    if (is_index(fetched.media_type)) {
      throw Error(ErrorKind::invalid_input, "the index " + first.digest.str() + " points at another index",
                  "pull one of its manifests by digest");
    }
    out.from_index = true;
  }
  out.bytes = std::move(fetched.bytes);
  out.digest = fetched.digest;
  out.manifest = with_context("reading manifest " + out.digest.str(), [&] { return oci::Manifest::parse(out.bytes); });
  out.media_type = fetched.media_type.empty() ? std::string(mt::oci_manifest) : fetched.media_type;
  out.layout = oci::classify(out.manifest);
  return out;
}

}  // namespace wasme::registry
