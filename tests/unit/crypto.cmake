# Device-core crypto (core/sha256.c, sha512.c, hmac.c, ed25519.c): known
# answers, Wycheproof and differential tests against libsodium. One binary per
# primitive so that a failure names its module.
set(FOTA_CRYPTO_TEST_HELPERS ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_crypto_util.c)

fota_unit_test(test_sha
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_sha.c ${FOTA_CRYPTO_TEST_HELPERS}
  LIBS fota_host PkgConfig::SODIUM)

fota_unit_test(test_hmac
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_hmac.c ${FOTA_CRYPTO_TEST_HELPERS}
  LIBS fota_host PkgConfig::SODIUM)

fota_unit_test(test_ed25519
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_ed25519.c ${FOTA_CRYPTO_TEST_HELPERS}
  LIBS fota_host PkgConfig::SODIUM)
