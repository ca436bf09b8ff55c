#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace wasme::render {

// Every rendered object is an ordered JSON value: typed (a string stays a string), keys in
// the order a human expects to read them, and convertible to YAML or JSON without loss.
using Json = nlohmann::ordered_json;

// The deepest nesting of maps and lists to_yaml writes and parse_yaml_stream reads. Rendered
// objects wrap user JSON (--config, limited to 64 levels by parse_json_limited) a few levels
// deep; anything deeper is refused instead of recursing without bound.
inline constexpr std::size_t max_yaml_depth = 128;

// One document as block YAML through yaml-cpp's emitter. Every string reads back as the same
// string in YAML 1.1 and 1.2 parsers (go-yaml in kubectl, yaml-cpp):
//  - double-quoted, with escapes, when it holds a character YAML readers refuse raw or take
//    for a line break (C0 controls and TAB, DEL, C1 controls with NEL U+0085, U+2028,
//    U+2029, the BOM U+FEFF, noncharacters), or when a plain scalar would resolve to
//    something else in YAML 1.1 or 1.2 ("9080", "yes", "~", "", "1e3", ".inf", "-_1", "<<");
//  - otherwise yaml-cpp chooses: plain, or double-quoted when plain cannot hold it
//    (": ", " #", leading "- ", leading or trailing spaces, …).
// Throws Error(invalid_input) naming the place for a string that is not valid UTF-8 (YAML
// cannot carry it) and for nesting deeper than max_yaml_depth.
std::string to_yaml(const Json& document);

// A multi-document stream ("---" before each document) that `kubectl apply -f -` accepts.
std::string to_yaml_stream(const std::vector<Json>& documents);

// Parses a YAML stream (workload manifests, kubectl output) into JSON values with YAML 1.2
// core-schema typing; quoted scalars stay strings. Empty documents are skipped. Throws
// Error(invalid_input) naming source and line on malformed input, and for nesting deeper
// than max_yaml_depth.
std::vector<Json> parse_yaml_stream(std::string_view text, std::string_view source);

}  // namespace wasme::render
