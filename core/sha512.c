/*
 * SHA-512 as specified in FIPS 180-4, section 6.4.
 */
#include "fota/sha512.h"

#include <string.h>

static const uint64_t k512[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL,
    0xe9b5dba58189dbbcULL, 0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL,
    0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL, 0xd807aa98a3030242ULL,
    0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL,
    0xc19bf174cf692694ULL, 0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL,
    0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL, 0x2de92c6f592b0275ULL,
    0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL,
    0xbf597fc7beef0ee4ULL, 0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL,
    0x06ca6351e003826fULL, 0x142929670a0e6e70ULL, 0x27b70a8546d22ffcULL,
    0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL,
    0x92722c851482353bULL, 0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL,
    0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL, 0xd192e819d6ef5218ULL,
    0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL,
    0x34b0bcb5e19b48a8ULL, 0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL,
    0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL, 0x748f82ee5defb2fcULL,
    0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL,
    0xc67178f2e372532bULL, 0xca273eceea26619cULL, 0xd186b8c721c0c207ULL,
    0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL, 0x06f067aa72176fbaULL,
    0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL,
    0x431d67c49c100d4cULL, 0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL,
    0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

/* SHA-512 is big-endian; bytes.h only covers the little-endian fota formats. */
static uint64_t load64_be(const uint8_t *p)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void store64_be(uint8_t *p, uint64_t v)
{
    for (unsigned i = 8; i-- > 0; v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t ror(uint64_t x, unsigned n)
{
    return x >> n | x << (64 - n);
}

/* The message schedule is kept as a 16-word ring: W[t] only depends on the
 * previous 16 words, and 128 bytes of stack beat 640 on the device. */
static void compress(uint64_t state[8], const uint8_t block[128])
{
    uint64_t w[16];
    uint64_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint64_t e = state[4], f = state[5], g = state[6], h = state[7];

    for (unsigned t = 0; t < 80; t++) {
        uint64_t t1, t2;

        if (t < 16) {
            w[t] = load64_be(block + 8 * t);
        } else {
            uint64_t w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];

            w[t & 15] += (ror(w15, 1) ^ ror(w15, 8) ^ w15 >> 7) +
                         (ror(w2, 19) ^ ror(w2, 61) ^ w2 >> 6) + w[(t - 7) & 15];
        }
        t1 = h + (ror(e, 14) ^ ror(e, 18) ^ ror(e, 41)) + ((e & f) ^ (~e & g)) +
             k512[t] + w[t & 15];
        t2 = (ror(a, 28) ^ ror(a, 34) ^ ror(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
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

void fota_sha512_init(struct fota_sha512 *ctx)
{
    static const uint64_t iv[8] = {
        0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
        0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
        0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
    };

    memcpy(ctx->state, iv, sizeof iv);
    ctx->length = 0;
}

void fota_sha512_update(struct fota_sha512 *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t used = (size_t)(ctx->length % FOTA_SHA512_BLOCK_SIZE);

    ctx->length += len;
    while (len > 0) {
        size_t take = FOTA_SHA512_BLOCK_SIZE - used;

        if (take > len)
            take = len;
        memcpy(ctx->block + used, p, take);
        used += take;
        p += take;
        len -= take;
        if (used == FOTA_SHA512_BLOCK_SIZE) {
            compress(ctx->state, ctx->block);
            used = 0;
        }
    }
}

/* The length field is 128 bits; its upper half only holds the top three bits
 * of the 64-bit byte count. */
void fota_sha512_final(struct fota_sha512 *ctx, uint8_t digest[FOTA_SHA512_SIZE])
{
    size_t used = (size_t)(ctx->length % FOTA_SHA512_BLOCK_SIZE);

    ctx->block[used++] = 0x80;
    if (used > FOTA_SHA512_BLOCK_SIZE - 16) {
        memset(ctx->block + used, 0, FOTA_SHA512_BLOCK_SIZE - used);
        compress(ctx->state, ctx->block);
        used = 0;
    }
    memset(ctx->block + used, 0, FOTA_SHA512_BLOCK_SIZE - 16 - used);
    store64_be(ctx->block + 112, ctx->length >> 61);
    store64_be(ctx->block + 120, ctx->length << 3);
    compress(ctx->state, ctx->block);
    for (unsigned i = 0; i < 8; i++)
        store64_be(digest + 8 * i, ctx->state[i]);
}

void fota_sha512(uint8_t digest[FOTA_SHA512_SIZE], const void *data, size_t len)
{
    struct fota_sha512 ctx;

    fota_sha512_init(&ctx);
    fota_sha512_update(&ctx, data, len);
    fota_sha512_final(&ctx, digest);
}
