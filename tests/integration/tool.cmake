# The fota command-line tool, driven from outside as a user would: shell
# scripts that run build/bin/fota and check its files with OpenSSL, the ARM
# toolchain and coreutils. A script fails when a program it needs is missing.
set(FOTA_TOOL_TESTS keys sign firmware tamper format inspect usage)
foreach(t ${FOTA_TOOL_TESTS})
  add_test(NAME tool_${t}
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_tool_${t}.sh $<TARGET_FILE_DIR:fota>)
  set_tests_properties(tool_${t} PROPERTIES
    TIMEOUT 600
    LABELS "integration;tool")
endforeach()
