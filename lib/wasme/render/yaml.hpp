#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace wasme::render {

// Every rendered object is an ordered JSON value: typed (a string stays a string), keys in
// the order a human expects to read them, and convertible to YAML or JSON without loss.
using Json = nlohmann::ordered_json;

// One document as block YAML through yaml-cpp's emitter. Strings are quoted whenever a
// plain scalar would read back as something else ("9080", "true", "", "1.4", "a: b").
std::string to_yaml(const Json& document);

// A multi-document stream ("---" before each document) that `kubectl apply -f -` accepts.
std::string to_yaml_stream(const std::vector<Json>& documents);

// Parses a YAML stream (workload manifests, kubectl output) into JSON values with YAML 1.2
// core-schema typing; quoted scalars stay strings. Empty documents are skipped. Throws
// Error(invalid_input) naming source and line on malformed input.
std::vector<Json> parse_yaml_stream(std::string_view text, std::string_view source);

}  // namespace wasme::render
