# cmake -DWASME=path/to/wasme -DOUT=dir -P GenerateDocs.cmake
# Writes what the wasme binary generates from its command table, under OUT as they install
# under share/: the bash, zsh and fish completions and the man page. Run after every link of
# wasme (cmake/Install.cmake), so they always describe the binary beside them.
foreach(var WASME OUT)
  if(NOT ${var})
    message(FATAL_ERROR "GenerateDocs.cmake: -D${var}= is required")
  endif()
endforeach()

# A sanitizer build's binary writes the same text; its leak report must not fail the build.
set(ENV{ASAN_OPTIONS} "detect_leaks=0")

# generate(<relative path> <wasme arguments>...): writes through a temp file, so a failed run
# leaves the previous file rather than half of one.
function(generate relative)
  set(target ${OUT}/${relative})
  get_filename_component(dir ${target} DIRECTORY)
  file(MAKE_DIRECTORY ${dir})
  execute_process(COMMAND ${WASME} ${ARGN} OUTPUT_FILE ${target}.tmp ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    file(REMOVE ${target}.tmp)
    message(FATAL_ERROR "`wasme ${ARGN}` failed (${rc}) writing ${target}: ${err}")
  endif()
  file(RENAME ${target}.tmp ${target})
endfunction()

generate(bash-completion/completions/wasme completion bash)
generate(zsh/site-functions/_wasme completion zsh)
generate(fish/vendor_completions.d/wasme.fish completion fish)
generate(man/man1/wasme.1 man)
