# RE2, libidn2 and libpsl from Debian's static archives, as the imported
# targets ussl::re2_static, ussl::idn2_static and ussl::psl_static.
#
# libre2-dev, libidn2-dev and libpsl-dev ship lib*.a next to the .so. Linking
# the archives into the programs saves ld.so three libraries to map and
# relocate at every start (docs/performance.md, "Start-up"). libunistring,
# which libidn2 and libpsl call, stays shared: Debian ships no libunistring.a,
# and its .so link exists only with libunistring-dev, so the library is found
# by its soname (libunistring.so.2, package libunistring2) as well.
#
# Each archive is a cache variable (USSL_RE2_ARCHIVE, ...): point it elsewhere
# with -D. pkg-config still supplies the headers' directory and checks that
# the -dev package is there. The installed library's CMake package and ussl.pc
# keep the shared libraries for consumers (cmake/install-rules.cmake).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# ussl_static_archive(<name> <module> <archive> <debian package> [<link dependency>...])
# Checks pkg-config <module>, finds <archive> in its library directory and
# defines ussl::<name>_static linking the archive, then the dependencies.
function(ussl_static_archive name module archive package)
  string(TOUPPER "${name}" upper)
  pkg_check_modules(USSL_${upper}_PC QUIET ${module})
  if(NOT USSL_${upper}_PC_FOUND)
    message(FATAL_ERROR "${module} not found by pkg-config: apt-get install ${package} (scripts/setup.sh)")
  endif()
  find_library(USSL_${upper}_ARCHIVE NAMES ${archive} HINTS ${USSL_${upper}_PC_LIBRARY_DIRS}
               DOC "Static archive of ${module} linked into ussl (${package})")
  if(NOT USSL_${upper}_ARCHIVE)
    message(FATAL_ERROR "${archive} (the static ${module} that ussl links into its programs) not found: "
                        "apt-get install ${package}, or pass -DUSSL_${upper}_ARCHIVE=/path/to/${archive}")
  endif()
  add_library(ussl::${name}_static STATIC IMPORTED GLOBAL)
  set_target_properties(ussl::${name}_static PROPERTIES
    IMPORTED_LOCATION "${USSL_${upper}_ARCHIVE}"
    INTERFACE_INCLUDE_DIRECTORIES "${USSL_${upper}_PC_INCLUDE_DIRS}"
    INTERFACE_LINK_LIBRARIES "${ARGN}")
  message(STATUS "${module}: static, ${USSL_${upper}_ARCHIVE}")
endfunction()

# libunistring: shared, by its development link or by its soname.
find_library(USSL_UNISTRING_LIBRARY NAMES unistring libunistring.so.2
             DOC "libunistring (shared), needed by the static libidn2 and libpsl")
if(NOT USSL_UNISTRING_LIBRARY)
  message(FATAL_ERROR "libunistring (needed by the static libidn2 and libpsl) not found: "
                      "apt-get install libunistring2, or pass -DUSSL_UNISTRING_LIBRARY=/path/to/libunistring.so.2")
endif()

# --expect's '~' (apps/common/expect.cpp).
ussl_static_archive(re2 re2 libre2.a libre2-dev Threads::Threads)
# The server-name rule (src/ussl/names.cpp): libpsl calls libidn2, both call
# libunistring.
ussl_static_archive(idn2 libidn2 libidn2.a libidn2-dev "${USSL_UNISTRING_LIBRARY}")
ussl_static_archive(psl libpsl libpsl.a libpsl-dev ussl::idn2_static "${USSL_UNISTRING_LIBRARY}")
