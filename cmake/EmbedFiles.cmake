# wasme_embed_files(TARGET DIR): a static library holding every file under DIR as bytes,
# so the installed binary needs nothing beside it. Regenerated when any file changes.
function(wasme_embed_files target dir)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}.cpp)
  file(GLOB_RECURSE files CONFIGURE_DEPENDS LIST_DIRECTORIES false RELATIVE ${dir} ${dir}/*)
  list(SORT files)
  set(deps "")
  foreach(f ${files})
    list(APPEND deps ${dir}/${f})
  endforeach()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DDIR=${dir} -DOUT=${out} -P ${PROJECT_SOURCE_DIR}/cmake/embed_generate.cmake
    DEPENDS ${deps} ${PROJECT_SOURCE_DIR}/cmake/embed_generate.cmake
    COMMENT "Embedding files from ${dir}")
  add_library(${target} STATIC ${out})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/lib)
endfunction()
