# Host flash model (ports/posix/flash.c).
fota_unit_test(test_posix_flash
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_posix_flash.c
  LIBS fota_posix)
