# fotad: the server daemon (event loop, sockets, protocol sessions, legacy
# listener) on top of the store. Linux: epoll, signalfd, accept4.
add_executable(fotad
  ${CMAKE_CURRENT_LIST_DIR}/fotad.c
  ${CMAKE_CURRENT_LIST_DIR}/loop.c
  ${CMAKE_CURRENT_LIST_DIR}/loop_epoll.c
  ${CMAKE_CURRENT_LIST_DIR}/net.c
  ${CMAKE_CURRENT_LIST_DIR}/log.c
  ${CMAKE_CURRENT_LIST_DIR}/session.c
  ${CMAKE_CURRENT_LIST_DIR}/legacy.c
)
target_compile_definitions(fotad PRIVATE
  _GNU_SOURCE
  FOTAD_VERSION="${PROJECT_VERSION}"
)
target_link_libraries(fotad PRIVATE fota_store fota_host fota_core PkgConfig::SODIUM m)
