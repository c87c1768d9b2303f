/*
 * PLACEHOLDER: replace with your key. Generate it from the signing key with
 *
 *     fota pubkey -k KEY.pem --c > ports/stm32f1/fota_public_key.h
 *
 * All zeros is not a usable Ed25519 public key (it decodes to a point of
 * small order, which the verifier refuses), so a bootloader built with this
 * file rejects every image and stays in recovery: a safe default, never a
 * working one.
 */
#include <stdint.h>

const uint8_t fota_public_key[32] = {0};
