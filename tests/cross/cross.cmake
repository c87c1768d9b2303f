# cross-m3-core: every device-core source must build freestanding for the
# Cortex-M3 and call nothing outside the core but memcpy/memset/memcmp.
# Fails (does not skip) when arm-none-eabi-gcc is missing: CI installs it.
add_test(NAME cross-m3-core
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/build.sh ${PROJECT_SOURCE_DIR}
          ${CMAKE_BINARY_DIR}/cross-m3)
set_tests_properties(cross-m3-core PROPERTIES TIMEOUT 300)

# cross-m3-boot-size: what the bootloader links of the core, against its budget.
add_test(NAME cross-m3-boot-size
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/boot_size.sh ${PROJECT_SOURCE_DIR}
          ${CMAKE_BINARY_DIR}/cross-m3)
set_tests_properties(cross-m3-boot-size PROPERTIES TIMEOUT 300)

# cross-stm32-images and cross-qemu-boot: the STM32F1 firmware, built and
# run on QEMU.
include(${CMAKE_CURRENT_LIST_DIR}/stm32.cmake)
