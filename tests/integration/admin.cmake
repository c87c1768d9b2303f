# The fota server administration commands (init, device, image, assign,
# status) on a data directory, driven from outside as an operator would.
# A script exits with 77 (skipped) when a program it needs is missing.
set(FOTA_ADMIN_TESTS init device image assign status usage devcfg)
foreach(t ${FOTA_ADMIN_TESTS})
  add_test(NAME admin_${t}
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_admin_${t}.sh $<TARGET_FILE_DIR:fota>)
  set_tests_properties(admin_${t} PROPERTIES
    TIMEOUT 300
    SKIP_RETURN_CODE 77
    LABELS "integration;admin")
endforeach()
