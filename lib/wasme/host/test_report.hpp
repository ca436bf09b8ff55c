#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wasme/host/case_runner.hpp"

namespace wasme::host {

// One line a case ("PASS name" / "FAIL name: what was expected, what came"), then
// "N passed, N failed". Everything from the module or the files is escaped.
std::string text_report(const std::vector<FileResult>& files);
nlohmann::json json_report(const std::vector<FileResult>& files);
// JUnit XML, as CI systems read it: a testsuite per cases file, a testcase per case.
std::string junit_report(const std::vector<FileResult>& files);

}  // namespace wasme::host
