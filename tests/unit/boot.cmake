# Bootloader core (core/boot.c, core/boot_state.c) and its power-cut sweep.
set(FOTA_BOOT_TEST_HELPERS
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_boot_sim.c
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_images.c)

fota_unit_test(test_boot_state
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_boot_state.c ${FOTA_BOOT_TEST_HELPERS}
  LIBS fota_posix PkgConfig::SODIUM)

fota_unit_test(test_boot
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_boot.c ${FOTA_BOOT_TEST_HELPERS}
  LIBS fota_posix PkgConfig::SODIUM)

# Cuts the power at every flash operation of six update scenarios (and a
# sampled run on the STM32F103ZE layout); prints its totals.
fota_unit_test(test_power_sweep
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_power_sweep.c ${FOTA_BOOT_TEST_HELPERS}
  LIBS fota_posix PkgConfig::SODIUM)

# Edge cases: layouts at the top of the address space, per-page erase bounds
# under every single cut, calls in unusual states.
fota_unit_test(test_boot_edges
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_boot_edges.c ${FOTA_BOOT_TEST_HELPERS}
  LIBS fota_posix PkgConfig::SODIUM)
