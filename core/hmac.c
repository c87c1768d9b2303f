/*
 * HMAC-SHA256 as specified in RFC 2104 (and FIPS 198-1).
 */
#include "fota/hmac.h"

#include <string.h>

/* A plain memset of a dying buffer may be optimised away; the key must not
 * linger on the stack. */
static void wipe(void *p, size_t len)
{
    volatile uint8_t *v = p;

    while (len-- > 0)
        *v++ = 0;
}

/* Both pads are hashed once here, so update and final never see the key. */
void fota_hmac_sha256_init(struct fota_hmac_sha256 *ctx, const uint8_t *key,
                           size_t key_len)
{
    uint8_t pad[FOTA_SHA256_BLOCK_SIZE] = {0};

    if (key_len > FOTA_SHA256_BLOCK_SIZE)
        fota_sha256(pad, key, key_len);
    else if (key_len > 0)
        memcpy(pad, key, key_len);

    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] ^= 0x36;
    fota_sha256_init(&ctx->inner);
    fota_sha256_update(&ctx->inner, pad, sizeof pad);

    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] ^= 0x36 ^ 0x5c;
    fota_sha256_init(&ctx->outer);
    fota_sha256_update(&ctx->outer, pad, sizeof pad);

    wipe(pad, sizeof pad);
}

void fota_hmac_sha256_update(struct fota_hmac_sha256 *ctx, const void *data,
                             size_t len)
{
    fota_sha256_update(&ctx->inner, data, len);
}

void fota_hmac_sha256_final(struct fota_hmac_sha256 *ctx,
                            uint8_t mac[FOTA_HMAC_SHA256_SIZE])
{
    uint8_t inner[FOTA_SHA256_SIZE];

    fota_sha256_final(&ctx->inner, inner);
    fota_sha256_update(&ctx->outer, inner, sizeof inner);
    fota_sha256_final(&ctx->outer, mac);
    wipe(ctx, sizeof *ctx);
}

void fota_hmac_sha256(uint8_t mac[FOTA_HMAC_SHA256_SIZE], const uint8_t *key,
                      size_t key_len, const void *data, size_t len)
{
    struct fota_hmac_sha256 ctx;

    fota_hmac_sha256_init(&ctx, key, key_len);
    fota_hmac_sha256_update(&ctx, data, len);
    fota_hmac_sha256_final(&ctx, mac);
}

/* Accumulating every difference before deciding keeps the loop's timing
 * independent of where the first mismatch is. */
int fota_crypto_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    uint8_t diff = 0;

    for (size_t i = 0; i < len; i++)
        diff |= a[i] ^ b[i];
    return (int)(((uint32_t)diff - 1) >> 8 & 1);
}
