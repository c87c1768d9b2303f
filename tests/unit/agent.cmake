# The device agent (core/agent.c, core/agent_store.c) against a scripted
# server on the host flash model: whole updates, refusals, the window, the
# back-off, and the resume sweeps (link drops and power cuts).
set(FOTA_AGENT_TEST_HELPERS
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_agent_sim.c
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_boot_sim.c
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_images.c)

fota_unit_test(test_agent
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_agent.c ${FOTA_AGENT_TEST_HELPERS}
  LIBS fota_posix PkgConfig::SODIUM)

# Link drops after every byte of a download (small layout), sampled on the
# STM32F103ZE layout, and several per download; prints its totals.
fota_unit_test(test_agent_resume
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_agent_resume.c ${FOTA_AGENT_TEST_HELPERS}
  LIBS fota_posix PkgConfig::SODIUM)

# Power cuts at every flash operation of a download (and of the reporting
# session after the install), then a reset and the resume; prints its totals.
fota_unit_test(test_agent_power
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_agent_power.c ${FOTA_AGENT_TEST_HELPERS}
  LIBS fota_posix PkgConfig::SODIUM)
