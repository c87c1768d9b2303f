/*
 * Ed25519 signature verification (RFC 8032, pure Ed25519), for the device.
 * Signing happens offline on the host (libsodium); the device only verifies.
 *
 * The verdict matches libsodium's crypto_sign_verify_detached(): S must be
 * canonical (S < L), A and R must be canonical encodings of points that are
 * not of small order, and the check is the cofactorless encode([S]B - [k]A)
 * == R. docs/image-format.md states the policy.
 *
 * The message may be fed in pieces: Ed25519 hashes R || A || M, and R and A
 * are known before the message, so a verifier can stream an image from flash.
 */
#ifndef FOTA_ED25519_H
#define FOTA_ED25519_H

#include <stddef.h>
#include <stdint.h>

#include "fota/sha512.h"

#define FOTA_ED25519_PUBLIC_KEY_SIZE 32
#define FOTA_ED25519_SIGNATURE_SIZE 64

struct fota_ed25519_verifier {
    struct fota_sha512 hash;
    uint8_t signature[FOTA_ED25519_SIGNATURE_SIZE];
    uint8_t public_key[FOTA_ED25519_PUBLIC_KEY_SIZE];
};

/* One-shot: 0 when sig is a valid signature of msg by pub, else
 * FOTA_E_SIGNATURE. */
int fota_ed25519_verify(const uint8_t sig[FOTA_ED25519_SIGNATURE_SIZE],
                        const uint8_t pub[FOTA_ED25519_PUBLIC_KEY_SIZE],
                        const void *msg, size_t len);

/* Incremental: start, any number of updates, finish. finish returns what the
 * one-shot call would for the concatenated message. */
void fota_ed25519_verify_start(struct fota_ed25519_verifier *v,
                               const uint8_t sig[FOTA_ED25519_SIGNATURE_SIZE],
                               const uint8_t pub[FOTA_ED25519_PUBLIC_KEY_SIZE]);
void fota_ed25519_verify_update(struct fota_ed25519_verifier *v, const void *msg,
                                size_t len);
int fota_ed25519_verify_finish(struct fota_ed25519_verifier *v);

#endif
