# wasme_module(NAME DEPS ...): a static library wasme_NAME from lib/wasme/NAME/*.cpp, and NAME
# appended to the global property WASME_MODULES, the one list of modules: wasme_lib, the unit
# tests (unit_NAME) and the fuzz targets read it from there, so a new module is named once.
function(wasme_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/lib/wasme/${name}/*.cpp)
  if(NOT sources)
    # An empty module still links: give it one translation unit.
    set(sources ${PROJECT_SOURCE_DIR}/cmake/empty.cpp)
  endif()
  add_library(wasme_${name} STATIC ${sources})
  target_include_directories(wasme_${name} PUBLIC ${PROJECT_SOURCE_DIR}/lib)
  target_link_libraries(wasme_${name} PUBLIC ${ARG_DEPS} PRIVATE wasme_warnings)
  set_property(GLOBAL APPEND PROPERTY WASME_MODULES ${name})
endfunction()
