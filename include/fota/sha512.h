/*
 * SHA-512 (FIPS 180-4), one-shot and incremental. The device core needs it
 * for Ed25519 verification.
 */
#ifndef FOTA_SHA512_H
#define FOTA_SHA512_H

#include <stddef.h>
#include <stdint.h>

#define FOTA_SHA512_SIZE 64
#define FOTA_SHA512_BLOCK_SIZE 128

struct fota_sha512 {
    uint64_t state[8];
    uint64_t length; /* bytes hashed so far (2^64 bytes is plenty) */
    uint8_t block[FOTA_SHA512_BLOCK_SIZE];
};

void fota_sha512_init(struct fota_sha512 *ctx);
void fota_sha512_update(struct fota_sha512 *ctx, const void *data, size_t len);
void fota_sha512_final(struct fota_sha512 *ctx, uint8_t digest[FOTA_SHA512_SIZE]);
void fota_sha512(uint8_t digest[FOTA_SHA512_SIZE], const void *data, size_t len);

#endif
