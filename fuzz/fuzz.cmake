# Fuzzing with libFuzzer (fuzz/README.md).
#
# FOTA_FUZZ=ON, with clang as the C compiler, builds one libFuzzer target
# per parser of untrusted input (fuzz_frame, fuzz_image, fuzz_modem,
# fuzz_legacy, fuzz_firmware) and instruments the libraries they reach. It is
# a build of its own: fuzz/run.sh makes it. The normal build only gets the
# fuzz-smoke test, which runs that script.
option(FOTA_FUZZ "Build the libFuzzer targets (needs clang)" OFF)

set(FOTA_FUZZ_DIR ${PROJECT_SOURCE_DIR}/fuzz)
set(FOTA_FUZZ_TARGETS frame image modem legacy firmware)

if(FOTA_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "FOTA_FUZZ needs clang (CC=clang), not ${CMAKE_C_COMPILER_ID}")
  endif()
  # Coverage feedback from the code under test, libFuzzer's main only in
  # the targets.
  foreach(lib fota_core fota_host fota_toolkit)
    target_compile_options(${lib} PRIVATE -fsanitize=fuzzer-no-link)
  endforeach()

  function(fota_fuzz_target name)
    cmake_parse_arguments(F "" "" "SOURCES;LIBS;DEFS" ${ARGN})
    add_executable(fuzz_${name} ${FOTA_FUZZ_DIR}/fuzz_${name}.c ${F_SOURCES})
    target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_compile_definitions(fuzz_${name} PRIVATE ${F_DEFS})
    target_link_libraries(fuzz_${name} PRIVATE fota_core ${F_LIBS})
    set_target_properties(fuzz_${name} PROPERTIES
      RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  endfunction()

  fota_fuzz_target(frame)
  fota_fuzz_target(image)
  fota_fuzz_target(modem)
  # The listener's sources with the loop they need; only the answer
  # recognition is called.
  fota_fuzz_target(legacy
    SOURCES ${PROJECT_SOURCE_DIR}/server/legacy.c ${PROJECT_SOURCE_DIR}/server/loop.c
            ${PROJECT_SOURCE_DIR}/server/loop_epoll.c ${PROJECT_SOURCE_DIR}/server/log.c
    LIBS fota_host
    DEFS _GNU_SOURCE)
  target_include_directories(fuzz_legacy PRIVATE ${PROJECT_SOURCE_DIR}/server)
  fota_fuzz_target(firmware LIBS fota_toolkit)

  add_custom_target(fuzz_targets DEPENDS fuzz_frame fuzz_image fuzz_modem fuzz_legacy
                                         fuzz_firmware)
else()
  # Configures and builds the clang build under this build tree, then runs
  # each target a few seconds on a copy of its corpus. Fails (no skip) when
  # clang or libFuzzer is missing.
  add_test(NAME fuzz-smoke
    COMMAND sh ${FOTA_FUZZ_DIR}/run.sh --smoke 4 --build ${CMAKE_BINARY_DIR}/fuzz-clang)
  set_tests_properties(fuzz-smoke PROPERTIES TIMEOUT 600)
endif()
