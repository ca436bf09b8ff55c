# libFuzzer targets: every fuzz/fuzz_*.cpp becomes an executable, built when WASME_FUZZ is ON
# and the compiler is clang (needs Debian's libclang-rt-14-dev):
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -DWASME_FUZZ=ON
#   cmake --build build-fuzz -j2 --target fuzz_wasm_module
#   build-fuzz/fuzz_wasm_module -dict=fuzz/fuzz_wasm_module.dict -max_total_time=180 CORPUS tests/fixtures
# Include it before the wasme_module() calls: it instruments the libraries for coverage, so
# the fuzzer is guided by the parser's branches and not only by the harness.
option(WASME_FUZZ "Build the libFuzzer targets in fuzz/ (clang only)" OFF)
if(NOT WASME_FUZZ)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(WARNING "WASME_FUZZ needs clang (configure with CC=clang CXX=clang++): no fuzz targets")
  return()
endif()
if(TARGET wasme_core)
  message(FATAL_ERROR "include(cmake/Fuzz.cmake) must come before the wasme_module() calls")
endif()

add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
  -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)

# fuzz_<module>_*.cpp links wasme_<module>; other names map here; anything else links all.
set(WASME_FUZZ_MODULES core oci wasm store image registry render scaffold build cache)
set(WASME_FUZZ_LIBRARY_reference wasme_oci)
set(WASME_FUZZ_LIBRARY_manifest wasme_oci)
set(WASME_FUZZ_LIBRARY_digest wasme_oci)
# Seed corpora besides fuzz/corpus/<target>/ (replayed by ctest as fuzz_<target>_seeds).
set(WASME_FUZZ_SEEDS_fuzz_wasm_module ${PROJECT_SOURCE_DIR}/tests/fixtures)

file(GLOB WASME_FUZZERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/fuzz/fuzz_*.cpp)
foreach(source ${WASME_FUZZERS})
  get_filename_component(target ${source} NAME_WE)
  string(REGEX REPLACE "^fuzz_([a-z0-9]+).*$" "\\1" first ${target})
  if(first IN_LIST WASME_FUZZ_MODULES)
    set(library wasme_${first})
  elseif(DEFINED WASME_FUZZ_LIBRARY_${first})
    set(library ${WASME_FUZZ_LIBRARY_${first}})
  else()
    set(library wasme_lib)
  endif()
  add_executable(${target} ${source})
  target_link_libraries(${target} PRIVATE ${library} wasme_warnings)
  target_compile_features(${target} PRIVATE cxx_std_17)
  target_compile_options(${target} PRIVATE -fsanitize=fuzzer)
  target_link_options(${target} PRIVATE -fsanitize=fuzzer)

  set(seeds ${WASME_FUZZ_SEEDS_${target}})
  if(EXISTS ${PROJECT_SOURCE_DIR}/fuzz/corpus/${target})
    list(PREPEND seeds ${PROJECT_SOURCE_DIR}/fuzz/corpus/${target})
  endif()
  if(WASME_TESTS AND seeds)
    # -runs=0 replays the seeds once and fuzzes nothing: a quick regression test.
    add_test(NAME ${target}_seeds COMMAND ${target} -runs=0 ${seeds})
    set_tests_properties(${target}_seeds PROPERTIES LABELS fuzz)
  endif()
endforeach()
