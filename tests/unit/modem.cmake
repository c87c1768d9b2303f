# The SIM800C driver (core/modem.c, core/modem_rx.c) against scripted modem
# dialogues: every split of the byte stream, unsolicited lines at every line
# boundary, each command's error and timeout path, the power key; prints
# what it covered.
fota_unit_test(test_modem
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_modem.c)
