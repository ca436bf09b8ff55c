#pragma once
// Helpers for the host's unit tests: modules written inline as WAT, assembled by wabt's own
// text parser (the library the host already links), so each test shows the module it drives.
#include <stdexcept>
#include <string>
#include <string_view>

#include <wabt/binary-writer.h>
#include <wabt/ir.h>
#include <wabt/resolve-names.h>
#include <wabt/stream.h>
#include <wabt/validator.h>
#include <wabt/wast-lexer.h>
#include <wabt/wast-parser.h>

namespace wasme::host::testing {

inline std::string wat_to_wasm(std::string_view wat) {
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("test.wat", wat.data(), wat.size(), &errors);
  wabt::Features features;
  wabt::WastParseOptions parse_options(features);
  std::unique_ptr<wabt::Module> module;
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options)) ||
      wabt::Failed(wabt::ResolveNamesModule(module.get(), &errors)) ||
      wabt::Failed(wabt::ValidateModule(module.get(), &errors, wabt::ValidateOptions(features)))) {
    throw std::runtime_error("bad test WAT: " + (errors.empty() ? std::string("?") : errors.front().message));
  }
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options;
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, module.get(), write_options)))
    throw std::runtime_error("writing WAT");
  const auto& data = stream.output_buffer().data;
  return std::string(data.begin(), data.end());
}

}  // namespace wasme::host::testing
