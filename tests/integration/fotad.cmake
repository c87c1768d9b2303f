# fotad, tested from outside over its real protocols: shell scripts start
# the daemon on 127.0.0.1 (port 0: the kernel picks a free one, fotad prints
# it) and drive it with two test clients built here: legacy_client (a
# device running the original loader) and proto_client (a fota device,
# good or misbehaving, built on the device core's codec; it also prepares
# data directories through the store library).
if(TARGET fotad)
  add_executable(legacy_client ${CMAKE_CURRENT_LIST_DIR}/legacy_client.c
                               ${CMAKE_CURRENT_LIST_DIR}/test_client.c)
  add_executable(proto_client ${CMAKE_CURRENT_LIST_DIR}/proto_client.c
                              ${CMAKE_CURRENT_LIST_DIR}/test_client.c)
  target_link_libraries(proto_client PRIVATE fota_store fota_host fota_core PkgConfig::SODIUM)
  set_target_properties(legacy_client proto_client PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

  set(FOTAD_TESTS legacy update refusals signals config commit)
  foreach(t ${FOTAD_TESTS})
    add_test(NAME fotad_${t}
      COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_fotad_${t}.sh
              $<TARGET_FILE_DIR:fotad> $<TARGET_FILE_DIR:proto_client>)
    set_tests_properties(fotad_${t} PROPERTIES
      TIMEOUT 300
      SKIP_RETURN_CODE 77
      LABELS "integration;fotad")
  endforeach()
endif()
