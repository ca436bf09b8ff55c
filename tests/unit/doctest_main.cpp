// doctest's main, plus a fresh temp dir as the working directory for every test case so
// tests never see each other's files (as ccache's test runner does).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace {

struct FreshDirectory : doctest::IReporter {
  explicit FreshDirectory(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData&) override {
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / "wasme-unit-XXXXXX").string();
    if (::mkdtemp(tmpl.data())) {
      dir_ = tmpl;
      fs::current_path(dir_);
      ::setenv("HOME", dir_.c_str(), 1);
      ::setenv("WASME_HOME", (dir_ / ".wasme").c_str(), 1);
      ::setenv("DOCKER_CONFIG", (dir_ / ".docker").c_str(), 1);
    }
  }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {
    namespace fs = std::filesystem;
    fs::current_path(fs::temp_directory_path());
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}

  std::filesystem::path dir_;
};

}  // namespace

DOCTEST_REGISTER_LISTENER("fresh_directory", 1, FreshDirectory);

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  return context.run();
}
