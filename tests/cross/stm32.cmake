# cross-stm32-images: the STM32F103ZE port (ports/stm32f1) builds for the
# Cortex-M3, the bootloader fits 16 KiB, the vector tables sit at 0x08000000
# and 0x08005200, and `fota sign` accepts the application ELF. Fails (does not
# skip) when the Arm toolchain is missing.
add_test(NAME cross-stm32-images
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/stm32_images.sh ${PROJECT_SOURCE_DIR}
          ${CMAKE_BINARY_DIR}/cross-stm32 $<TARGET_FILE_DIR:fota>)
set_tests_properties(cross-stm32-images PROPERTIES TIMEOUT 300)
