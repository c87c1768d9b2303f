# The STM32F1 flash driver (ports/stm32f1/flash.c) run on the host against a
# register-level model of the flash controller (stm32f1_flash_model.c): once
# with the driver's default geometry (STM32F103ZE: 256 pages of 2 KiB) and
# once with the STM32F100's (medium density: 128 pages of 1 KiB).
function(fota_stm32f1_flash_test name)
  fota_unit_test(${name}
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_stm32f1_flash.c
            ${CMAKE_CURRENT_SOURCE_DIR}/unit/stm32f1_flash_model.c
            ${PROJECT_SOURCE_DIR}/ports/stm32f1/flash.c)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/ports/stm32f1)
  target_compile_definitions(${name} PRIVATE STM32F1_FLASH_MODEL ${ARGN})
endfunction()

fota_stm32f1_flash_test(test_stm32f1_flash)
fota_stm32f1_flash_test(test_stm32f1_flash_f100
  STM32F1_FLASH_SIZE=131072u STM32F1_PAGE_SIZE=1024u)
