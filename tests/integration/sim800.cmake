# fota-sim800, the emulated SIM800C modem, driven from outside through its
# pty by a scripted AT client (sim800_client.py, with its own echo server):
# a full dialogue, noise URCs, and each fault flag.
if(TARGET fota-sim800)
  add_test(NAME sim800_emu
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_sim800_emu.sh $<TARGET_FILE_DIR:fota-sim800>)
  set_tests_properties(sim800_emu PROPERTIES TIMEOUT 300 LABELS "integration;sim")
endif()
