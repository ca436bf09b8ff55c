#include "cli/app.hpp"
#include "wasme/core/cleanup.hpp"

int main(int argc, char** argv) {
  wasme::install_cleanup_handlers();  // an interrupted command leaves no temp files behind
  return wasme::cli::run(argc, argv);
}
