# Checks which shared libraries the programs load, for the test
# package.programs_need_no_shared_cxx_runtime (tests/CMakeLists.txt):
#
#   cmake -DPROGRAMS="a;b" -DALLOWED="<regex>" -P cmake/check-program-libraries.cmake
#
# Every library that ldd lists for a program (its whole tree: what the
# program needs and what those need) must match ALLOWED. A build without
# sanitizers links libstdc++, libgcc, spdlog, fmt, RE2, libidn2 and libpsl
# into the programs (apps/CMakeLists.txt, cmake/static-libs.cmake), so any of
# them here means a second copy or a lost start-up saving.
find_program(_ldd ldd REQUIRED)
set(_failed "")
foreach(program IN LISTS PROGRAMS)
  execute_process(COMMAND "${_ldd}" "${program}" OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ldd ${program} failed (${rc})")
  endif()
  string(REPLACE "\n" ";" lines "${out}")
  set(names "")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    if(line STREQUAL "")
      continue()
    endif()
    string(REGEX REPLACE "[ \t].*" "" name "${line}")
    get_filename_component(name "${name}" NAME)
    list(APPEND names "${name}")
    if(NOT name MATCHES "${ALLOWED}")
      string(APPEND _failed "\n  ${program}: ${line}")
    endif()
  endforeach()
  message(STATUS "${program}: ${names}")
endforeach()
if(_failed)
  message(FATAL_ERROR "shared libraries the programs should not load (allowed: ${ALLOWED}):${_failed}")
endif()
