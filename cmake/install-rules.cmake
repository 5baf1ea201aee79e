# Install rules and the Debian package (included from the top CMakeLists.txt).
#
#   cmake --install build --prefix /opt/ussl
#
# installs the three programs, libussl.a with its public headers, a CMake
# package (find_package(ussl CONFIG) -> ussl::ussl), a pkg-config file
# (ussl.pc), man pages made with help2man from the programs' own --help, and
# bash completions generated from their parsers. With the tuned wolfSSL
# (static), its libwolfssl.a goes to lib/ussl/ so that libussl.a links without
# anything else; with the system wolfSSL, consumers find it with pkg-config.
# libidn2 and libpsl: the programs link Debian's static archives
# (cmake/static-libs.cmake), but the installed libussl.a names the shared
# libraries, the same in the CMake package (PkgConfig::IDN2, PkgConfig::PSL,
# see src/CMakeLists.txt) and in ussl.pc (Requires), as a consumer expects.
# `cpack -G DEB` (in the build dir) makes ussl_<version>_amd64.deb (the
# programs) and libussl-dev_<version>_amd64.deb from the same rules;
# tests/package checks them.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(USSL_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/ussl" CACHE STRING "Where ussl-config.cmake goes")

# --- library, headers, CMake package ----------------------------------------
install(TARGETS ussl EXPORT ussl-targets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT devel)
install(FILES ${USSL_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ussl COMPONENT devel)
install(EXPORT ussl-targets NAMESPACE ussl:: DESTINATION ${USSL_INSTALL_CMAKEDIR} COMPONENT devel)
if(USSL_WOLFSSL STREQUAL "tuned")
  install(FILES "${USSL_WOLFSSL_PREFIX}/lib/libwolfssl.a" DESTINATION ${CMAKE_INSTALL_LIBDIR}/ussl COMPONENT devel)
  set(USSL_PC_LIBS_WOLFSSL "\${libdir}/ussl/libwolfssl.a -lpthread -lm")
  set(USSL_PC_REQUIRES "libidn2 libpsl")
else()
  set(USSL_PC_LIBS_WOLFSSL "")
  set(USSL_PC_REQUIRES "wolfssl libidn2 libpsl")
endif()
configure_package_config_file(cmake/ussl-config.cmake.in "${PROJECT_BINARY_DIR}/ussl-config.cmake"
                              INSTALL_DESTINATION ${USSL_INSTALL_CMAKEDIR})
write_basic_package_version_file("${PROJECT_BINARY_DIR}/ussl-config-version.cmake" COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/ussl-config.cmake" "${PROJECT_BINARY_DIR}/ussl-config-version.cmake"
        DESTINATION ${USSL_INSTALL_CMAKEDIR} COMPONENT devel)
configure_file(cmake/ussl.pc.in "${PROJECT_BINARY_DIR}/ussl.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/ussl.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT devel)

# --- programs, man pages, completions ---------------------------------------
if(USSL_BUILD_APPS)
  install(TARGETS ussl-client ussl-server ussl-bench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT programs)
  find_program(USSL_HELP2MAN help2man)
  set(_ussl_man_pages "")
  set(_ussl_completions "")
  foreach(program ussl-client ussl-server)
    set(completion "${PROJECT_BINARY_DIR}/completions/${program}")
    add_custom_command(OUTPUT "${completion}"
                       COMMAND ${CMAKE_COMMAND} -E make_directory "${PROJECT_BINARY_DIR}/completions"
                       COMMAND $<TARGET_FILE:${program}> --bash-completion > "${completion}"
                       DEPENDS ${program} VERBATIM)
    list(APPEND _ussl_completions "${completion}")
    if(USSL_HELP2MAN)
      set(page "${PROJECT_BINARY_DIR}/man/${program}.1")
      add_custom_command(OUTPUT "${page}"
                         COMMAND ${CMAKE_COMMAND} -E make_directory "${PROJECT_BINARY_DIR}/man"
                         COMMAND "${USSL_HELP2MAN}" --no-info --no-discard-stderr --section 1
                                 --name "TLS testing tool (docs/cli.md)" --output "${page}" $<TARGET_FILE:${program}>
                         DEPENDS ${program} VERBATIM)
      list(APPEND _ussl_man_pages "${page}")
    endif()
  endforeach()
  if(NOT USSL_HELP2MAN)
    message(STATUS "help2man not found: no man pages (apt-get install help2man; scripts/setup.sh installs it)")
  endif()
  add_custom_target(ussl_docs ALL DEPENDS ${_ussl_man_pages} ${_ussl_completions})
  install(FILES ${_ussl_man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT programs)
  install(FILES ${_ussl_completions} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
          COMPONENT programs)
endif()
install(FILES LICENSE README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT programs)
install(FILES debian/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT programs)
install(FILES debian/copyright DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/libussl-dev COMPONENT devel)

# --- Debian packages ------------------------------------------------------------
# One package per component, as Debian splits them: ussl (the programs, man
# pages, completions) and libussl-dev (libussl.a, headers, the CMake package,
# ussl.pc; with the tuned wolfSSL its libwolfssl.a).
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "ussl")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "ussl maintainers <ussl@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL programs devel)
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")  # ussl_<version>_amd64.deb, libussl-dev_<version>_amd64.deb
set(CPACK_DEBIAN_PROGRAMS_PACKAGE_NAME "ussl")
set(CPACK_DEBIAN_PROGRAMS_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PROGRAMS_PACKAGE_SHLIBDEPS ON)  # Depends from dpkg-shlibdeps: Debian 12's library packages
set(CPACK_DEBIAN_PROGRAMS_PACKAGE_RECOMMENDS "ca-certificates, publicsuffix")  # publicsuffix: the newest list for libpsl
set(CPACK_COMPONENT_PROGRAMS_DESCRIPTION "${PROJECT_DESCRIPTION}: ussl-client, ussl-server, ussl-bench")
set(CPACK_DEBIAN_DEVEL_PACKAGE_NAME "libussl-dev")
set(CPACK_DEBIAN_DEVEL_PACKAGE_SECTION "libdevel")
set(CPACK_DEBIAN_DEVEL_PACKAGE_DEPENDS "libidn2-dev, libpsl-dev, pkg-config")  # ussl.pc's Requires; ussl-config.cmake finds them with pkg-config
if(NOT USSL_WOLFSSL STREQUAL "tuned")
  string(APPEND CPACK_DEBIAN_DEVEL_PACKAGE_DEPENDS ", libwolfssl-dev")
endif()
set(CPACK_COMPONENT_DEVEL_DESCRIPTION "${PROJECT_DESCRIPTION}: the C++ library (static), headers, CMake and pkg-config files")
set(CPACK_STRIP_FILES ON)  # programs without symbols or debug info, as Debian ships them
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
include(CPack)
