# wolfSSL for ussl, as the target ussl::wolfssl.
#
#   USSL_WOLFSSL=system  Debian's libwolfssl through pkg-config (for packagers).
#   USSL_WOLFSSL=tuned   wolfSSL 5.9.2 compiled from the upstream tarball that
#                        Debian's archive carries (pinned by SHA-256), with
#                        ussl's patches (cmake/patches/), the x86-64 assembly
#                        and only the features ussl uses, linked statically.
#                        See docs/wolfssl-build.md.
#
# The tuned library is built at configure time, once, into a prefix under
# USSL_CACHE_DIR named after the version and a hash of everything that shapes
# the build (flags, patches, compiler). Every build directory reuses it, and
# cleaning a build directory cannot delete it. Nothing is downloaded here: the
# source comes from scripts/fetch-wolfssl-source.sh.
#
# This file is also the build script itself: the configure step runs it as
# `cmake -P cmake/wolfssl.cmake` ("Script mode" below), which holds a lock on
# the prefix so that concurrent configures build it once.

# Bump when the build procedure changes in a way the flags do not show.
set(_ussl_wolfssl_recipe 4)

# Everything ussl needs from wolfSSL, and the speed-ups; docs/wolfssl-build.md
# says why each one is here.
set(_ussl_wolfssl_configure_args
  --disable-shared --enable-static --with-pic
  --disable-examples --disable-crypttests
  # x86-64 assembly: AES-NI/PCLMUL/AVX for AES-GCM, AVX/AVX2/SHA-NI for SHA-2,
  # ChaCha20 and Poly1305, SP maths with BMI2/ADX for RSA, P-256/384/521.
  # Every asm path is chosen at run time from CPUID, with a C fallback.
  --enable-intelasm --enable-aesni --enable-sp=yes --enable-sp-asm
  # Protocol: TLS 1.2 and 1.3; TLS 1.0 and 1.1 (with their CBC-SHA suites and,
  # below, RSA key transport) only when asked for: ussl's explicit default
  # cipher list and version range never offer them (context.cpp).
  --enable-tls13 --enable-tlsv12 --enable-oldtls --enable-tlsv10 --disable-dtls
  --enable-sni --enable-alpn --enable-session-ticket --enable-earlydata
  --enable-supportedcurves --enable-extended-master
  # Algorithms beyond the defaults that peers use.
  --enable-curve25519 --enable-ed25519 --enable-rsapss
  # The OpenSSL-compatible API the library uses: X509 parsing, EVP, protocol
  # version limits, the servername callback, X509_STORE_CTX in the verify
  # callback (opensslextra); wolfSSL_get_servername and
  # wolfSSL_d2i_AutoPrivateKey exist only with opensslall, which also gives
  # the OpenSSL-style error codes of Debian's build. And
  # alternative chains, as in Debian's build. No sessioncerts and no
  # KEEP_PEER_CERT (NO_KEEP_PEER_CERT below, since opensslextra turns it
  # on): ussl keeps the peer chain itself (from the verify callback), and
  # those two cost ~20 KiB per idle connection. No OCSP,
  # which opensslall would otherwise switch on.
  --enable-opensslextra --enable-opensslall --enable-altcertchains
  --disable-ocsp
  # wolfSSL 5.9 makes a SHA-512 Hash_DRBG the default; every WOLFSSL seeds its
  # own RNG and runs the DRBG's known-answer health test on it, and the
  # SHA-512 one costs more per connection (measured in ussl-server's profile:
  # Hash512_DRBG_* and SHA-512 transforms). SP 800-90A Hash_DRBG with SHA-256,
  # as in 5.7.2 and Debian's build, gives the same 256-bit security strength.
  --disable-sha512-drbg
)
# Defines without a configure switch of their own. They land in options.h.
set(_ussl_wolfssl_cppflags
  -DHAVE_SECRET_CALLBACK         # wolfSSL_set_tls13_secret_cb: ussl writes keylog itself
  -DWOLFSSL_ALWAYS_KEEP_SNI      # the server can still read the SNI after the handshake
  -DWOLFSSL_STATIC_RSA           # RSA key transport suites (TLS_RSA_WITH_*), for legacy fixtures only
  -DNO_KEEP_PEER_CERT            # wolfSSL 5.9's settings.h keeps a parsed copy of the peer's certificate
                                 # in every WOLFSSL (WOLFSSL_X509, 5,232 bytes, embedded even when no
                                 # certificate comes) whenever the OpenSSL layer is on; ussl reads the
                                 # raw chain in its verify callback and never asks for it
  -DWOLFSSL_NO_COPY_CERT         # with opensslall, 5.9 copies the certificate and chain of the WOLFSSL_CTX
                                 # into every WOLFSSL (~1.2 KB per connection for ECDSA P-256); the
                                 # Context outlives its sockets, so sharing the CTX's buffers is safe
  -DWOLFSSL_GETRANDOM            # seed each RNG with getrandom(), not open/read/close of /dev/urandom
                                 # (two RNGs per server connection: 6 system calls saved, and no
                                 # /dev needed in a chroot or a minimal container)
  -DWOLFSSL_ALWAYS_VERIFY_CB     # the verify callback runs for the leaf on success too (it sees the whole
                                 # chain there and runs ussl's verdict); wolfSSL calls it for an
                                 # intermediate only when that one fails its own check. Not
                                 # WOLFSSL_VERIFY_CB_ALL_CERTS: a call per intermediate builds a
                                 # WOLFSSL_X509 for the X509_STORE_CTX that ussl never reads
  # As in Debian's build, whose behaviour ussl is written against: a new
  # WOLFSSL_CTX verifies nothing until told to (so loading a CA bundle that
  # holds an expired root works), the verify callback sees X509_V_ERR_* codes,
  # reads retry past non-application records, and handshake messages of one
  # flight go out in one write.
  -DOPENSSL_COMPATIBLE_DEFAULTS
  # Accept certificates whose serial number is 0, as wolfSSL 5.5 did: nine
  # roots of Debian's CA bundle have one (Go Daddy G2, Starfield G2, ...).
  # The switch is upstream's (wolfSSL 5.7.4).
  -DWOLFSSL_ASN_ALLOW_0_SERIAL
  -DMAX_CHAIN_DEPTH=100          # collect up to 100 sent certificates (default 9): ussl's verdict judges long
                                 # chains itself (--max-chain-depth, at most 64 intermediates)
  -DWOLFSSL_NO_ASN_STRICT        # wolfSSL's parser stops refusing what ussl's verdict judges itself (an unknown
                                 # critical extension failed the handshake before the verify callback ran)
  # TLS 1.3 middlebox compatibility (RFC 8446 Appendix D.4), as OpenSSL: a
  # server answers a client that sent a legacy_session_id with a
  # change_cipher_spec after its first flight (and after a HelloRetryRequest:
  # patch 0011); a client sends a session id and a change_cipher_spec. Patch
  # 0010 adds the per-connection switch behind --no-middlebox-compat.
  -DWOLFSSL_TLS13_MIDDLEBOX_COMPAT
  # Handshake messages up to the largest ClientHello the encoding allows
  # (131,396 bytes, OpenSSL's CLIENT_HELLO_MAX_LENGTH) instead of wolfSSL's
  # 18,462 (its estimate of a 9-certificate chain): post-quantum key shares and
  # many extensions make large hellos normal. Larger: decode_error (patch 0012).
  -DMAX_HANDSHAKE_SZ=131396
  # The RFC 7919 FFDHE groups beyond ffdhe2048 (wolfSSL's default), so a
  # client that offers only ffdhe3072..8192 in TLS 1.3 gets a handshake.
  -DHAVE_FFDHE_3072 -DHAVE_FFDHE_4096 -DHAVE_FFDHE_6144 -DHAVE_FFDHE_8192
)
set(_ussl_wolfssl_cflags -O2 -g -fstack-protector-strong -Wp,-D_FORTIFY_SOURCE=2 -fcf-protection)

# ---------------------------------------------------------------------------
# Script mode: build and install one prefix. Called from the configure step.
if(CMAKE_SCRIPT_MODE_FILE)
  foreach(var SOURCE_DIR PREFIX WORK_DIR CC MAKE AUTORECONF PATCH VERSION)
    if(NOT DEFINED USSL_WOLFSSL_${var})
      message(FATAL_ERROR "wolfssl.cmake in script mode needs -DUSSL_WOLFSSL_${var}=...")
    endif()
  endforeach()
  set(prefix "${USSL_WOLFSSL_PREFIX}")
  get_filename_component(parent "${prefix}" DIRECTORY)
  file(MAKE_DIRECTORY "${parent}")
  file(LOCK "${prefix}.lock" GUARD PROCESS TIMEOUT 3600)
  if(EXISTS "${prefix}/lib/libwolfssl.a" AND EXISTS "${prefix}/ussl-wolfssl.txt")
    return()  # another configure built it while we waited for the lock
  endif()

  string(TIMESTAMP started "%s")
  set(work "${USSL_WOLFSSL_WORK_DIR}")
  set(src "${work}/src")
  set(stage "${prefix}.stage")
  file(REMOVE_RECURSE "${work}" "${stage}")
  file(MAKE_DIRECTORY "${work}")
  # Build in a copy: autoreconf and the patches write into the tree, and the
  # fetched source stays as it was shipped.
  message(STATUS "wolfSSL ${USSL_WOLFSSL_VERSION}: copying the source to ${src}")
  file(COPY "${USSL_WOLFSSL_SOURCE_DIR}/" DESTINATION "${src}" PATTERN ".pc" EXCLUDE)
  # The patch list comes "|"-separated (a ";" list would split on the way in).
  string(REPLACE "|" ";" USSL_WOLFSSL_PATCHES "${USSL_WOLFSSL_PATCHES}")

  # ussl's patches for this wolfSSL release: cmake/patches/wolfssl-<upstream
  # version>/*.patch, unified diffs against the source root (-p1), applied in
  # name order. Each must apply exactly (no fuzz, no offset): a patch written
  # for another release fails the build here instead of changing code it was
  # not written for. docs/wolfssl-build.md lists them and says why.
  foreach(patch IN LISTS USSL_WOLFSSL_PATCHES)
    get_filename_component(name "${patch}" NAME)
    execute_process(COMMAND "${USSL_WOLFSSL_PATCH}" -p1 --forward --fuzz=0 --no-backup-if-mismatch --dry-run
                            -i "${patch}"
                    WORKING_DIRECTORY "${src}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT rc EQUAL 0 OR out MATCHES "offset|fuzz|already applied")
      message(FATAL_ERROR "wolfSSL ${USSL_WOLFSSL_VERSION}: ${name} does not apply exactly:\n${out}")
    endif()
    execute_process(COMMAND "${USSL_WOLFSSL_PATCH}" -p1 --forward --fuzz=0 --no-backup-if-mismatch -i "${patch}"
                    WORKING_DIRECTORY "${src}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "wolfSSL ${USSL_WOLFSSL_VERSION}: applying ${name} failed:\n${out}")
    endif()
    message(STATUS "wolfSSL ${USSL_WOLFSSL_VERSION}: applied ${name}")
  endforeach()

  function(_ussl_wolfssl_step name)
    message(STATUS "wolfSSL ${USSL_WOLFSSL_VERSION}: ${name} (log: ${work}/${name}.log)")
    execute_process(COMMAND ${ARGN} WORKING_DIRECTORY "${src}" RESULT_VARIABLE rc
                    OUTPUT_FILE "${work}/${name}.log" ERROR_FILE "${work}/${name}.log")
    if(NOT rc EQUAL 0)
      set(log "")
      if(EXISTS "${work}/${name}.log")
        file(READ "${work}/${name}.log" log)
      endif()
      string(LENGTH "${log}" len)
      if(len GREATER 4000)
        math(EXPR from "${len} - 4000")
        string(SUBSTRING "${log}" ${from} -1 log)
      endif()
      message(FATAL_ERROR "wolfSSL ${name} failed (${rc}); end of ${work}/${name}.log:\n${log}")
    endif()
  endfunction()

  cmake_host_system_information(RESULT jobs QUERY NUMBER_OF_LOGICAL_CORES)
  string(REPLACE ";" " " cppflags "${_ussl_wolfssl_cppflags}")
  string(REPLACE ";" " " cflags "${_ussl_wolfssl_cflags}")
  _ussl_wolfssl_step(autoreconf "${USSL_WOLFSSL_AUTORECONF}" -fi)
  _ussl_wolfssl_step(configure ./configure --prefix=${prefix} ${_ussl_wolfssl_configure_args}
                     ${USSL_WOLFSSL_EXTRA_CONFIGURE_ARGS}
                     "CC=${USSL_WOLFSSL_CC}" "CPPFLAGS=${cppflags}" "CFLAGS=${cflags}")
  _ussl_wolfssl_step(make "${USSL_WOLFSSL_MAKE}" -j${jobs})
  _ussl_wolfssl_step(install "${USSL_WOLFSSL_MAKE}" install "DESTDIR=${stage}")

  # Publish the prefix in one rename, so a prefix that exists is complete.
  string(TIMESTAMP finished "%s")
  math(EXPR seconds "${finished} - ${started}")
  string(REPLACE ";" " " args "${_ussl_wolfssl_configure_args};${USSL_WOLFSSL_EXTRA_CONFIGURE_ARGS}")
  set(patch_names "")
  foreach(patch IN LISTS USSL_WOLFSSL_PATCHES)
    get_filename_component(name "${patch}" NAME)
    string(APPEND patch_names " ${name}")
  endforeach()
  file(WRITE "${stage}${prefix}/ussl-wolfssl.txt"
       "wolfSSL ${USSL_WOLFSSL_VERSION}, built by ussl's cmake/wolfssl.cmake (recipe ${_ussl_wolfssl_recipe})\n"
       "source: ${USSL_WOLFSSL_SOURCE_DIR}\n"
       "patches:${patch_names}\n"
       "configure ${args}\n"
       "CC=${USSL_WOLFSSL_CC}\nCPPFLAGS=${cppflags}\nCFLAGS=${cflags}\n"
       "build time: ${seconds} s with ${jobs} jobs\n")
  file(RENAME "${stage}${prefix}" "${prefix}")
  file(REMOVE_RECURSE "${stage}" "${work}")
  message(STATUS "wolfSSL ${USSL_WOLFSSL_VERSION}: built in ${seconds} s, installed in ${prefix}")
  return()
endif()

# ---------------------------------------------------------------------------
# Project mode: define ussl::wolfssl.
include_guard(GLOBAL)

set(USSL_WOLFSSL "tuned" CACHE STRING "wolfSSL to build against: system (Debian's libwolfssl) or tuned")
set_property(CACHE USSL_WOLFSSL PROPERTY STRINGS system tuned)
if(NOT USSL_WOLFSSL MATCHES "^(system|tuned)$")
  message(FATAL_ERROR "USSL_WOLFSSL must be 'system' or 'tuned', not '${USSL_WOLFSSL}'")
endif()

if(USSL_WOLFSSL STREQUAL "system")
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(wolfssl REQUIRED IMPORTED_TARGET GLOBAL wolfssl)
  # A target of its own (not an alias), so that the installed CMake package
  # names ussl::wolfssl for both builds (cmake/ussl-config.cmake.in).
  add_library(ussl::wolfssl INTERFACE IMPORTED GLOBAL)
  set_target_properties(ussl::wolfssl PROPERTIES INTERFACE_LINK_LIBRARIES PkgConfig::wolfssl)
  message(STATUS "wolfSSL: system ${wolfssl_VERSION} (${wolfssl_LINK_LIBRARIES})")
  return()
endif()

# --- tuned -----------------------------------------------------------------
if(DEFINED ENV{USSL_CACHE_DIR} AND NOT "$ENV{USSL_CACHE_DIR}" STREQUAL "")
  set(_ussl_cache_default "$ENV{USSL_CACHE_DIR}")
else()
  set(_ussl_cache_default "$ENV{HOME}/.cache/ussl")
endif()
set(USSL_CACHE_DIR "${_ussl_cache_default}" CACHE PATH "Where ussl keeps fetched sources and built dependencies")
# A build directory configured before the move to the pinned upstream tarball
# still holds the old default (Debian's 5.7.2 package tree): move it on, or it
# would silently keep building 5.7.2.
if(USSL_WOLFSSL_SOURCE_DIR STREQUAL "${USSL_CACHE_DIR}/wolfssl-src/current")
  unset(USSL_WOLFSSL_SOURCE_DIR CACHE)
endif()
set(USSL_WOLFSSL_SOURCE_DIR "${USSL_CACHE_DIR}/wolfssl-upstream/current" CACHE PATH
    "wolfSSL source tree (default: the one scripts/fetch-wolfssl-source.sh fetched)")
set(USSL_WOLFSSL_EXTRA_CONFIGURE_ARGS "" CACHE STRING "More wolfSSL ./configure arguments (experiments)")

if(NOT EXISTS "${USSL_WOLFSSL_SOURCE_DIR}/configure.ac")
  get_filename_component(_ussl_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
  message(FATAL_ERROR
    "USSL_WOLFSSL=tuned: no wolfSSL source in '${USSL_WOLFSSL_SOURCE_DIR}'.\n"
    "Fetch it first (once, from Debian's archive; it is cached):\n"
    "  ${_ussl_root}/scripts/fetch-wolfssl-source.sh\n"
    "or set USSL_WOLFSSL_SOURCE_DIR, or configure with -DUSSL_WOLFSSL=system.")
endif()
# "current" is a symlink the fetch script moves; build from what it points at.
file(REAL_PATH "${USSL_WOLFSSL_SOURCE_DIR}" _ussl_wolfssl_source)
# Re-run the configure step when the fetch script switches versions.
get_filename_component(_ussl_wolfssl_source_parent "${USSL_WOLFSSL_SOURCE_DIR}" DIRECTORY)
if(EXISTS "${_ussl_wolfssl_source_parent}/CURRENT")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_ussl_wolfssl_source_parent}/CURRENT")
endif()

# The version: upstream's, from configure.ac.
file(STRINGS "${USSL_WOLFSSL_SOURCE_DIR}/configure.ac" _line REGEX "^AC_INIT\\(")
if(_line MATCHES "AC_INIT\\(\\[wolfssl\\], *\\[([^]]+)\\]")
  set(_ussl_wolfssl_version "${CMAKE_MATCH_1}")
else()
  message(FATAL_ERROR "Cannot tell the wolfSSL version of '${USSL_WOLFSSL_SOURCE_DIR}'")
endif()
# ussl's patches for that version (none for a version we have not written any for).
file(GLOB _ussl_wolfssl_patches "${CMAKE_CURRENT_LIST_DIR}/patches/wolfssl-${_ussl_wolfssl_version}/*.patch")
list(SORT _ussl_wolfssl_patches)
set(_ussl_wolfssl_patch_key "")
foreach(_patch IN LISTS _ussl_wolfssl_patches)
  file(SHA256 "${_patch}" _patch_sum)
  list(APPEND _ussl_wolfssl_patch_key "${_patch_sum}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_patch}")
endforeach()
string(REPLACE ";" "|" _ussl_wolfssl_patch_arg "${_ussl_wolfssl_patches}")

find_program(USSL_WOLFSSL_CC NAMES cc gcc clang DOC "C compiler for the tuned wolfSSL")
find_program(USSL_WOLFSSL_MAKE NAMES make gmake DOC "make for the tuned wolfSSL")
find_program(USSL_WOLFSSL_AUTORECONF NAMES autoreconf DOC "autoreconf for the tuned wolfSSL")
find_program(USSL_WOLFSSL_PATCH NAMES patch DOC "patch(1) for ussl's wolfSSL patches")
find_program(_ussl_libtoolize NAMES libtoolize)
find_program(_ussl_aclocal NAMES aclocal)
foreach(_tool USSL_WOLFSSL_CC USSL_WOLFSSL_MAKE USSL_WOLFSSL_AUTORECONF USSL_WOLFSSL_PATCH _ussl_libtoolize _ussl_aclocal)
  if(NOT ${_tool})
    message(FATAL_ERROR "USSL_WOLFSSL=tuned needs a C compiler, make, patch, autoconf, automake and libtool:\n"
                        "  apt-get install build-essential patch autoconf automake libtool\n"
                        "(scripts/fetch-wolfssl-source.sh installs them)")
  endif()
endforeach()

# The prefix is named after everything that shapes the build.
execute_process(COMMAND "${USSL_WOLFSSL_CC}" --version OUTPUT_VARIABLE _cc_version ERROR_QUIET)
string(REGEX REPLACE "\n.*" "" _cc_version "${_cc_version}")
separate_arguments(_extra_args UNIX_COMMAND "${USSL_WOLFSSL_EXTRA_CONFIGURE_ARGS}")
string(JOIN "|" _key "${_ussl_wolfssl_recipe}" "${_ussl_wolfssl_version}" "${_ussl_wolfssl_configure_args}"
       "${_extra_args}" "${_ussl_wolfssl_cppflags}" "${_ussl_wolfssl_cflags}" "${_ussl_wolfssl_patch_key}"
       "${USSL_WOLFSSL_CC}" "${_cc_version}")
string(SHA256 _hash "${_key}")
string(SUBSTRING "${_hash}" 0 12 _hash)
set(_prefix "${USSL_CACHE_DIR}/wolfssl-${_ussl_wolfssl_version}-${_hash}")

if(NOT EXISTS "${_prefix}/lib/libwolfssl.a" OR NOT EXISTS "${_prefix}/ussl-wolfssl.txt")
  message(STATUS "wolfSSL ${_ussl_wolfssl_version}: not in the cache; building it once into ${_prefix}")
  execute_process(
    COMMAND "${CMAKE_COMMAND}"
            "-DUSSL_WOLFSSL_SOURCE_DIR=${_ussl_wolfssl_source}" "-DUSSL_WOLFSSL_PREFIX=${_prefix}"
            "-DUSSL_WOLFSSL_WORK_DIR=${CMAKE_BINARY_DIR}/_ussl_wolfssl" "-DUSSL_WOLFSSL_CC=${USSL_WOLFSSL_CC}"
            "-DUSSL_WOLFSSL_MAKE=${USSL_WOLFSSL_MAKE}" "-DUSSL_WOLFSSL_AUTORECONF=${USSL_WOLFSSL_AUTORECONF}"
            "-DUSSL_WOLFSSL_PATCH=${USSL_WOLFSSL_PATCH}" "-DUSSL_WOLFSSL_PATCHES=${_ussl_wolfssl_patch_arg}"
            "-DUSSL_WOLFSSL_VERSION=${_ussl_wolfssl_version}"
            "-DUSSL_WOLFSSL_EXTRA_CONFIGURE_ARGS=${_extra_args}"
            -P "${CMAKE_CURRENT_LIST_FILE}"
    RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "Building the tuned wolfSSL failed; see the messages above.")
  endif()
endif()
# Rebuild if the cached prefix disappears.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_prefix}/ussl-wolfssl.txt")

find_package(Threads REQUIRED)
add_library(ussl::wolfssl STATIC IMPORTED GLOBAL)
set_target_properties(ussl::wolfssl PROPERTIES
  IMPORTED_LOCATION "${_prefix}/lib/libwolfssl.a"
  INTERFACE_INCLUDE_DIRECTORIES "${_prefix}/include"
  INTERFACE_LINK_LIBRARIES "Threads::Threads;m"
  # Tests of ussl's patches (cmake/patches/) run only where they are applied.
  INTERFACE_COMPILE_DEFINITIONS "USSL_WOLFSSL_TUNED=1")
set(USSL_WOLFSSL_PREFIX "${_prefix}" CACHE INTERNAL "Prefix of the tuned wolfSSL in use")
message(STATUS "wolfSSL: tuned ${_ussl_wolfssl_version} (static) from ${_prefix}")
