// A recording stand-in for kubectl, for the kube module's unit tests.
#pragma once
#include <deque>
#include <vector>

#include "wasme/core/process.hpp"
#include "wasme/render/yaml.hpp"

namespace kube_test {

// Answers kubectl calls from a queue and records them.
struct ScriptedRunner : wasme::ProcessRunner {
  std::vector<wasme::ProcessRequest> calls;
  std::deque<wasme::ProcessResult> answers;
  wasme::ProcessResult run(const wasme::ProcessRequest& r) override {
    calls.push_back(r);
    if (answers.empty()) return {};
    wasme::ProcessResult a = answers.front();
    answers.pop_front();
    return a;
  }
};

// kubectl printing j and succeeding.
inline wasme::ProcessResult answer(const wasme::render::Json& j) {
  wasme::ProcessResult r;
  r.out = j.dump();
  return r;
}

}  // namespace kube_test
