/*
 * HMAC-SHA256 (RFC 2104), one-shot and incremental, and a constant-time
 * comparison for checking tags.
 */
#ifndef FOTA_HMAC_H
#define FOTA_HMAC_H

#include <stddef.h>
#include <stdint.h>

#include "fota/sha256.h"

#define FOTA_HMAC_SHA256_SIZE FOTA_SHA256_SIZE

struct fota_hmac_sha256 {
    struct fota_sha256 inner;
    struct fota_sha256 outer;
};

void fota_hmac_sha256_init(struct fota_hmac_sha256 *ctx, const uint8_t *key,
                           size_t key_len);
void fota_hmac_sha256_update(struct fota_hmac_sha256 *ctx, const void *data,
                             size_t len);
void fota_hmac_sha256_final(struct fota_hmac_sha256 *ctx,
                            uint8_t mac[FOTA_HMAC_SHA256_SIZE]);
void fota_hmac_sha256(uint8_t mac[FOTA_HMAC_SHA256_SIZE], const uint8_t *key,
                      size_t key_len, const void *data, size_t len);

/* 1 when the len bytes at a and b are equal, else 0; the time taken does not
 * depend on where they differ. */
int fota_crypto_equal(const uint8_t *a, const uint8_t *b, size_t len);

#endif
