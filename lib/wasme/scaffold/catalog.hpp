#pragma once
#include <string>
#include <vector>

namespace wasme::scaffold {

// Proxy versions a template's filter runs on: min and max are "major.minor"; an empty max
// means "and later".
struct PlatformRange {
  std::string name;  // istio, envoy, gloo
  std::string min;
  std::string max;
};

// Whether the generated project downloads its SDK or toolchain when first built.
enum class Network { not_needed, first_build };

// A project template compiled into the binary (templates/<name>/, described by its
// template.json), so that `init` needs nothing beside the binary.
struct TemplateInfo {
  std::string name;
  std::string language;
  std::string description;
  std::string abi;  // the abiVersions entry of its runtime-config.json
  std::vector<PlatformRange> platforms;
  Network network = Network::first_build;
};

// Every embedded template, sorted by name.
const std::vector<TemplateInfo>& templates();

// What the user asked for; empty fields match anything.
struct TemplateQuery {
  std::string name;
  std::string language;
  std::string platform;
  std::string platform_version;  // 1.9, 1.9.x or 1.9.3

  bool empty() const { return name.empty() && language.empty() && platform.empty() && platform_version.empty(); }
};

// The templates the query allows. Throws Error(usage) for an unknown name, language or
// platform, or a malformed version, listing what exists.
std::vector<TemplateInfo> matching_templates(const TemplateQuery& query);

// "istio 1.9+", "istio 1.4", "envoy 1.17-1.20".
std::string describe(const PlatformRange& range);
// "istio 1.9+, envoy 1.17+".
std::string describe_platforms(const TemplateInfo& info);
// One line per template for error hints: "cpp-offline (cpp; istio 1.9+, …; ABI v0.2.1)".
std::string list_choices(const std::vector<TemplateInfo>& choices);

}  // namespace wasme::scaffold
