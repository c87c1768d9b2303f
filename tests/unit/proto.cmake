# The wire protocol codec (core/proto.c): round trips, every chunking, every
# single-byte corruption, truncated bodies, 100k random buffers.
fota_unit_test(test_proto
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_proto.c
          ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_images.c
  LIBS PkgConfig::SODIUM)
