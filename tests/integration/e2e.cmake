# End to end: fotad, fota and fota-sim as real processes on 127.0.0.1, the
# way the README's quick start runs them. Each test_e2e_*.sh prints its
# figures (devices, cuts, bytes fetched again, times) on its last line.
#   fleet     100 devices update at once through one fotad
#   flaky     connections cut between and inside frames, both directions
#   power     power cuts at random flash operations (downloads, installs)
#   kill      fotad killed with SIGKILL mid-update and started again
#   tampered  a tampered image is downloaded, refused and reported
#   corrupt   bits flipped in received frames: each caught by the CRC
#   gprs_bad  linkemu's gprs-bad preset (a cut every 20 s of transfer) to the end
#   cuts      a device per cut point: every frame boundary and inside every
#             frame, both directions, each connection of an update (linkemu)
#   modem     through the SIM800C driver and fota-sim800, with faults;
#             a device without an image recovered through it
#   zg        the STM32F103ZG model takes a 256 KiB image, the ZE refuses it
#   demo      the README's quick start, scripts/demo.sh
if(TARGET fotad AND TARGET proto_client)
  foreach(t fleet flaky power kill tampered modem corrupt gprs_bad cuts zg)
    add_test(NAME e2e_${t}
      COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_e2e_${t}.sh
              $<TARGET_FILE_DIR:fota-sim> $<TARGET_FILE_DIR:proto_client>)
    set_tests_properties(e2e_${t} PROPERTIES
      TIMEOUT 300
      LABELS "integration;e2e")
  endforeach()
  add_test(NAME e2e_demo
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_e2e_demo.sh $<TARGET_FILE_DIR:fota-sim>)
  set_tests_properties(e2e_demo PROPERTIES TIMEOUT 300 LABELS "integration;e2e")
endif()
