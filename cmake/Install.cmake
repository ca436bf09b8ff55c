# What `cmake --install` puts where, and the Debian package `cpack -G DEB` makes of it.
include(GNUInstallDirs)

# The completions and the man page come from the binary itself (`wasme completion SHELL`,
# `wasme man`), regenerated after every link, so they cannot drift from its command table.
set(WASME_GENERATED_SHARE ${PROJECT_BINARY_DIR}/share)
add_custom_command(TARGET wasme POST_BUILD
  COMMAND ${CMAKE_COMMAND} -DWASME=$<TARGET_FILE:wasme> -DOUT=${WASME_GENERATED_SHARE}
          -P ${PROJECT_SOURCE_DIR}/cmake/GenerateDocs.cmake
  COMMENT "Generating wasme's shell completions and man page"
  VERBATIM)

install(TARGETS wasme RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Where each shell's own completion loader looks, with no setup by the user.
install(FILES ${WASME_GENERATED_SHARE}/bash-completion/completions/wasme
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
# zsh: site-functions is on $fpath for /usr/local (and for packages on most distributions);
# Debian's zsh reads packages' completions from vendor-completions instead.
install(FILES ${WASME_GENERATED_SHARE}/zsh/site-functions/_wasme
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
install(FILES ${WASME_GENERATED_SHARE}/zsh/site-functions/_wasme
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${WASME_GENERATED_SHARE}/fish/vendor_completions.d/wasme.fish
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
install(FILES ${WASME_GENERATED_SHARE}/man/man1/wasme.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})

# cpack -G DEB (from the build directory): wasme_<version>_<arch>.deb.
set(WASME_PACKAGE_MAINTAINER "wasme maintainers <maintainers@users.noreply.r-seed-2a51dece.example>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME wasme)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${WASME_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "build, push, pull and deploy WebAssembly filters for Envoy and Istio")
# One line a line of the control file's extended description (CPack indents them).
string(CONCAT CPACK_PACKAGE_DESCRIPTION
  "wasme scaffolds proxy-wasm filters, builds them (Bazel, AssemblyScript or a\n"
  "compiled module) into OCI images, moves them through any OCI registry, signs\n"
  "and verifies them as cosign does, tests them in an embedded proxy-wasm host,\n"
  "and renders or applies what Istio and Envoy Gateway need to run them, with a\n"
  "node-local cache daemon for Istio's EnvoyFilter mode.")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_STRIP_FILES ON)  # the debug info of a RelWithDebInfo build is most of the binary
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${WASME_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends from the libraries the binary really links (dpkg-shlibdeps, from dpkg-dev), so it
# names Debian's package and minimum version of each rather than a list kept by hand.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion")
include(CPack)
