/*
 * SHA-256 (FIPS 180-4), one-shot and incremental. The incremental form gives
 * the same digest for any split of the input into update() calls.
 */
#ifndef FOTA_SHA256_H
#define FOTA_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define FOTA_SHA256_SIZE 32
#define FOTA_SHA256_BLOCK_SIZE 64

struct fota_sha256 {
    uint32_t state[8];
    uint64_t length; /* bytes hashed so far */
    uint8_t block[FOTA_SHA256_BLOCK_SIZE];
};

void fota_sha256_init(struct fota_sha256 *ctx);
void fota_sha256_update(struct fota_sha256 *ctx, const void *data, size_t len);
/* Writes the digest; ctx must be initialised again before reuse. */
void fota_sha256_final(struct fota_sha256 *ctx, uint8_t digest[FOTA_SHA256_SIZE]);
void fota_sha256(uint8_t digest[FOTA_SHA256_SIZE], const void *data, size_t len);

#endif
