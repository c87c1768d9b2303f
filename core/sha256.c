/*
 * SHA-256 as specified in FIPS 180-4, section 6.2.
 */
#include "fota/sha256.h"

#include <string.h>

static const uint32_t k256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* SHA-256 is big-endian; bytes.h only covers the little-endian fota formats. */
static uint32_t load32_be(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

static void store32_be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t ror(uint32_t x, unsigned n)
{
    return x >> n | x << (32 - n);
}

/* The message schedule is kept as a 16-word ring: W[t] only depends on the
 * previous 16 words, and 64 bytes of stack beat 256 on the device. */
static void compress(uint32_t state[8], const uint8_t block[64])
{
    uint32_t w[16];
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];

    for (unsigned t = 0; t < 64; t++) {
        uint32_t t1, t2;

        if (t < 16) {
            w[t] = load32_be(block + 4 * t);
        } else {
            uint32_t w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];

            w[t & 15] += (ror(w15, 7) ^ ror(w15, 18) ^ w15 >> 3) +
                         (ror(w2, 17) ^ ror(w2, 19) ^ w2 >> 10) + w[(t - 7) & 15];
        }
        t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) +
             k256[t] + w[t & 15];
        t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

void fota_sha256_init(struct fota_sha256 *ctx)
{
    static const uint32_t iv[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };

    memcpy(ctx->state, iv, sizeof iv);
    ctx->length = 0;
}

void fota_sha256_update(struct fota_sha256 *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t used = (size_t)(ctx->length % FOTA_SHA256_BLOCK_SIZE);

    ctx->length += len;
    while (len > 0) {
        size_t take = FOTA_SHA256_BLOCK_SIZE - used;

        if (take > len)
            take = len;
        memcpy(ctx->block + used, p, take);
        used += take;
        p += take;
        len -= take;
        if (used == FOTA_SHA256_BLOCK_SIZE) {
            compress(ctx->state, ctx->block);
            used = 0;
        }
    }
}

void fota_sha256_final(struct fota_sha256 *ctx, uint8_t digest[FOTA_SHA256_SIZE])
{
    size_t used = (size_t)(ctx->length % FOTA_SHA256_BLOCK_SIZE);
    uint64_t bits = ctx->length * 8;

    ctx->block[used++] = 0x80;
    if (used > FOTA_SHA256_BLOCK_SIZE - 8) {
        memset(ctx->block + used, 0, FOTA_SHA256_BLOCK_SIZE - used);
        compress(ctx->state, ctx->block);
        used = 0;
    }
    memset(ctx->block + used, 0, FOTA_SHA256_BLOCK_SIZE - 8 - used);
    store32_be(ctx->block + 56, (uint32_t)(bits >> 32));
    store32_be(ctx->block + 60, (uint32_t)bits);
    compress(ctx->state, ctx->block);
    for (unsigned i = 0; i < 8; i++)
        store32_be(digest + 4 * i, ctx->state[i]);
}

void fota_sha256(uint8_t digest[FOTA_SHA256_SIZE], const void *data, size_t len)
{
    struct fota_sha256 ctx;

    fota_sha256_init(&ctx);
    fota_sha256_update(&ctx, data, len);
    fota_sha256_final(&ctx, digest);
}
