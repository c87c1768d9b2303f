# cross-stm32-images: the STM32F1 port (ports/stm32f1/build.sh, what `make
# firmware` runs) builds for the Cortex-M3, every image fits its area, the
# vector tables sit where VTOR needs them, and the signed applications verify
# with the key compiled into the bootloaders. Fails (does not skip) when the
# Arm toolchain is missing. Its output is the firmware cross-qemu-boot runs.
set(FOTA_STM32_TEST_VERSION 1.2.3)
add_test(NAME cross-stm32-images
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/stm32_images.sh ${PROJECT_SOURCE_DIR}
          ${CMAKE_BINARY_DIR}/cross-stm32 $<TARGET_FILE_DIR:fota>
          ${FOTA_STM32_TEST_VERSION})
set_tests_properties(cross-stm32-images PROPERTIES TIMEOUT 300
  ENVIRONMENT "FOTA_KEY="
  FIXTURES_SETUP stm32_firmware)

# cross-qemu-boot: the bootloader and the signed demo application on QEMU's
# stm32vldiscovery (qemu-system-arm): a signed image boots, a changed one is
# refused, a flash write (which QEMU's read-only flash drops) is reported as
# failed; prints the instruction counts of the signature check and of the
# whole verification.
add_test(NAME cross-qemu-boot
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/qemu_boot.sh ${CMAKE_BINARY_DIR}/cross-stm32
          ${FOTA_STM32_TEST_VERSION} $<TARGET_FILE_DIR:fota>)
set_tests_properties(cross-qemu-boot PROPERTIES TIMEOUT 120
  FIXTURES_REQUIRED stm32_firmware)
