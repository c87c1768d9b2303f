fota_unit_test(test_image
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_image.c
          ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_images.c
  LIBS PkgConfig::SODIUM)

# The device configuration record (core/devcfg.c).
fota_unit_test(test_devcfg
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_devcfg.c)
