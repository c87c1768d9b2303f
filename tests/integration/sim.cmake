# fota-sim driven from outside, as the README's main job does.
add_test(NAME sim_demo
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_sim_demo.sh $<TARGET_FILE_DIR:fota-sim>)
set_tests_properties(sim_demo PROPERTIES TIMEOUT 300 LABELS "integration;sim")
