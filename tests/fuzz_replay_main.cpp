// Replays fuzz corpora without libFuzzer: every file under the given directories (and the
// given files) goes through the target's LLVMFuzzerTestOneInput once. A crash, an abort or a
// sanitizer report fails the test; the fuzzers themselves (-DWASME_FUZZ=ON) find new inputs.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    fs::path arg = argv[i];
    if (fs::is_directory(arg)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg)) {
        if (entry.is_regular_file()) inputs.push_back(entry.path());
      }
    } else {
      inputs.push_back(arg);
    }
  }
  std::sort(inputs.begin(), inputs.end());
  for (const auto& input : inputs) {
    std::string bytes;
    if (FILE* f = std::fopen(input.c_str(), "rb")) {
      char buffer[65536];
      size_t n;
      while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) bytes.append(buffer, n);
      std::fclose(f);
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  std::cout << "replayed " << inputs.size() << " inputs\n";
  return inputs.empty() ? 1 : 0;  // a corpus that went missing is a failure, not a pass
}
