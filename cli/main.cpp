#include "cli/app.hpp"

int main(int argc, char** argv) { return wasme::cli::run(argc, argv); }
