# libFuzzer targets: every fuzz/fuzz_*.cpp becomes an executable, built when WASME_FUZZ is ON
# and the compiler is clang (needs Debian's libclang-rt-14-dev):
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -DWASME_FUZZ=ON
#   cmake --build build-fuzz -j2 --target fuzz_wasm_module
#   build-fuzz/fuzz_wasm_module -dict=fuzz/fuzz_wasm_module.dict -max_total_time=180 CORPUS tests/fixtures
# Include it before the wasme_module() calls: it instruments the libraries for coverage, so
# the fuzzer is guided by the parser's branches and not only by the harness. Call
# wasme_fuzz_targets() after them: a target links its module, known once declared.
option(WASME_FUZZ "Build the libFuzzer targets in fuzz/ (clang only)" OFF)

# What fuzz/<target>.cpp links, for the libFuzzer targets and for the corpus replays of
# tests/CMakeLists.txt alike: fuzz_<module>_*.cpp links wasme_<module> (any module in the
# WASME_MODULES property); other names map here; anything else links all of wasme_lib.
set(WASME_FUZZ_LIBRARY_reference wasme_oci)
set(WASME_FUZZ_LIBRARY_manifest wasme_oci)
set(WASME_FUZZ_LIBRARY_digest wasme_oci)
function(wasme_fuzz_library target out)
  get_property(modules GLOBAL PROPERTY WASME_MODULES)
  string(REGEX REPLACE "^fuzz_([a-z0-9]+).*$" "\\1" first ${target})
  if(first IN_LIST modules)
    set(${out} wasme_${first} PARENT_SCOPE)
  elseif(DEFINED WASME_FUZZ_LIBRARY_${first})
    set(${out} ${WASME_FUZZ_LIBRARY_${first}} PARENT_SCOPE)
  else()
    set(${out} wasme_lib PARENT_SCOPE)
  endif()
endfunction()

# The inputs a target's seeds are: fuzz/corpus/<target>/ when present, and the extra
# directories named here (replayed as fuzz_<target>_seeds, or replay_<target> without WASME_FUZZ).
set(WASME_FUZZ_SEEDS_fuzz_wasm_module ${PROJECT_SOURCE_DIR}/tests/fixtures)
function(wasme_fuzz_seeds target out)
  set(seeds ${WASME_FUZZ_SEEDS_${target}})
  if(EXISTS ${PROJECT_SOURCE_DIR}/fuzz/corpus/${target})
    list(PREPEND seeds ${PROJECT_SOURCE_DIR}/fuzz/corpus/${target})
  endif()
  set(${out} ${seeds} PARENT_SCOPE)
endfunction()

function(wasme_fuzz_targets)
  if(NOT WASME_FUZZING)
    return()
  endif()
  file(GLOB fuzzers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/fuzz/fuzz_*.cpp)
  foreach(source ${fuzzers})
    get_filename_component(target ${source} NAME_WE)
    wasme_fuzz_library(${target} library)
    add_executable(${target} ${source})
    target_link_libraries(${target} PRIVATE ${library} wasme_warnings)
    target_compile_features(${target} PRIVATE cxx_std_17)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)

    wasme_fuzz_seeds(${target} seeds)
    if(WASME_TESTS AND seeds)
      # -runs=0 replays the seeds once and fuzzes nothing: a quick regression test.
      add_test(NAME ${target}_seeds COMMAND ${target} -runs=0 ${seeds})
      set_tests_properties(${target}_seeds PROPERTIES LABELS fuzz)
    endif()
  endforeach()
endfunction()

set(WASME_FUZZING OFF)
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

set(WASME_FUZZING ON)
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
  -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)
