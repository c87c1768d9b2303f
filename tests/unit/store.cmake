# The server's store and provisioning files (server/).
fota_unit_test(test_store
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_store.c
          ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_images.c
  LIBS fota_store PkgConfig::SODIUM)
target_compile_definitions(test_store PRIVATE _POSIX_C_SOURCE=200809L)
set_tests_properties(test_store PROPERTIES LABELS "store")
