/*
 * SHA-256 and SHA-512 (core/sha256.c, core/sha512.c): the FIPS 180-4 example
 * messages, every way of splitting an input between update() calls, and
 * random inputs against libsodium.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "fota/sha256.h"
#include "fota/sha512.h"
#include "test_crypto_util.h"

#define MAX_DIGEST FOTA_SHA512_SIZE

/* Both algorithms run through the same tests via this table. */
union hash_ctx {
    struct fota_sha256 s256;
    struct fota_sha512 s512;
};

struct hash_alg {
    const char *name;
    size_t size;
    void (*init)(union hash_ctx *c);
    void (*update)(union hash_ctx *c, const void *data, size_t len);
    void (*final)(union hash_ctx *c, uint8_t *digest);
    void (*oneshot)(uint8_t *digest, const void *data, size_t len);
    int (*reference)(unsigned char *out, const unsigned char *in,
                     unsigned long long len);
};

static void s256_init(union hash_ctx *c)
{
    fota_sha256_init(&c->s256);
}

static void s256_update(union hash_ctx *c, const void *data, size_t len)
{
    fota_sha256_update(&c->s256, data, len);
}

static void s256_final(union hash_ctx *c, uint8_t *digest)
{
    fota_sha256_final(&c->s256, digest);
}

static void s512_init(union hash_ctx *c)
{
    fota_sha512_init(&c->s512);
}

static void s512_update(union hash_ctx *c, const void *data, size_t len)
{
    fota_sha512_update(&c->s512, data, len);
}

static void s512_final(union hash_ctx *c, uint8_t *digest)
{
    fota_sha512_final(&c->s512, digest);
}

static const struct hash_alg sha256_alg = {
    "sha256", FOTA_SHA256_SIZE, s256_init, s256_update, s256_final,
    fota_sha256, crypto_hash_sha256,
};

static const struct hash_alg sha512_alg = {
    "sha512", FOTA_SHA512_SIZE, s512_init, s512_update, s512_final,
    fota_sha512, crypto_hash_sha512,
};

static const char msg448[] =
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char msg896[] =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
    "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

struct known_answer {
    const char *msg;
    const char *sha256, *sha512;
};

/* FIPS 180-4 / NIST CSRC example values. */
static const struct known_answer known[] = {
    {"",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
     "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"},
    {"abc",
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
    {msg448,
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
     "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
     "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445"},
    {msg896,
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
     "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
     "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"},
};

static const char million_a_sha256[] =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
static const char million_a_sha512[] =
    "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
    "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b";

static void assert_digest_hex(const uint8_t *digest, size_t size, const char *hex)
{
    uint8_t want[MAX_DIGEST];

    assert_int_equal(host_unhex(want, sizeof want, hex, strlen(hex)), (long)size);
    assert_memory_equal(digest, want, size);
}

static void known_answers(const struct hash_alg *alg, int sha512)
{
    uint8_t digest[MAX_DIGEST];

    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const char *want = sha512 ? known[i].sha512 : known[i].sha256;

        alg->oneshot(digest, known[i].msg, strlen(known[i].msg));
        assert_digest_hex(digest, alg->size, want);
    }
}

static void test_sha256_known_answers(void **state)
{
    (void)state;
    known_answers(&sha256_alg, 0);
}

static void test_sha512_known_answers(void **state)
{
    (void)state;
    known_answers(&sha512_alg, 1);
}

/* One million 'a' fed in 1000-byte pieces, as in the NIST example. */
static void million_a(const struct hash_alg *alg, const char *want)
{
    union hash_ctx ctx;
    uint8_t piece[1000], digest[MAX_DIGEST];

    memset(piece, 'a', sizeof piece);
    alg->init(&ctx);
    for (int i = 0; i < 1000; i++)
        alg->update(&ctx, piece, sizeof piece);
    alg->final(&ctx, digest);
    assert_digest_hex(digest, alg->size, want);
}

static void test_sha256_million_a(void **state)
{
    (void)state;
    million_a(&sha256_alg, million_a_sha256);
}

static void test_sha512_million_a(void **state)
{
    (void)state;
    million_a(&sha512_alg, million_a_sha512);
}

/* Hashes data in the pieces ending at each of cuts[], then the rest. */
static void hash_in_pieces(const struct hash_alg *alg, uint8_t *digest,
                           const uint8_t *data, size_t len, const size_t *cuts,
                           size_t ncuts)
{
    union hash_ctx ctx;
    size_t at = 0;

    alg->init(&ctx);
    for (size_t i = 0; i < ncuts; i++) {
        alg->update(&ctx, data + at, cuts[i] - at);
        at = cuts[i];
    }
    alg->update(&ctx, data + at, len - at);
    alg->final(&ctx, digest);
}

static void assert_split(const struct hash_alg *alg, const uint8_t *data,
                         size_t len, const size_t *cuts, size_t ncuts)
{
    uint8_t whole[MAX_DIGEST], pieces[MAX_DIGEST];

    alg->oneshot(whole, data, len);
    hash_in_pieces(alg, pieces, data, len, cuts, ncuts);
    if (memcmp(whole, pieces, alg->size) != 0)
        fail_msg("%s: %zu bytes cut at %zu and %zu differs from one-shot",
                 alg->name, len, cuts[0], ncuts > 1 ? cuts[1] : len);
}

static void splits(const struct hash_alg *alg)
{
    static uint8_t data[1000];
    struct prng rng;
    size_t cuts[2], count = 0;

    prng_seed(&rng, 0x5a5a);
    prng_fill(&rng, data, sizeof data);

    /* Every length 0..200 in two pieces at every offset. */
    for (size_t len = 0; len <= 200; len++)
        for (cuts[0] = 0; cuts[0] <= len; cuts[0]++, count++)
            assert_split(alg, data, len, cuts, 1);

    /* 1000 bytes in two pieces at every offset, and in three with the first
     * cut at every offset and the second at a spread of distances that
     * straddle block boundaries. */
    for (cuts[0] = 0; cuts[0] <= sizeof data; cuts[0]++) {
        static const size_t gaps[] = {0, 1, 55, 56, 63, 64, 65, 111, 112, 127,
                                      128, 129, 300};

        assert_split(alg, data, sizeof data, cuts, 1);
        count++;
        for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
            cuts[1] = cuts[0] + gaps[g];
            if (cuts[1] <= sizeof data) {
                assert_split(alg, data, sizeof data, cuts, 2);
                count++;
            }
        }
        cuts[1] = sizeof data;
        assert_split(alg, data, sizeof data, cuts, 2);
        count++;
    }

    /* 300 bytes in three pieces at every pair of offsets. */
    for (cuts[0] = 0; cuts[0] <= 300; cuts[0]++)
        for (cuts[1] = cuts[0]; cuts[1] <= 300; cuts[1]++, count++)
            assert_split(alg, data, 300, cuts, 2);

    printf("%s: %zu split inputs equal the one-shot digest\n", alg->name, count);
}

static void test_sha256_splits(void **state)
{
    (void)state;
    splits(&sha256_alg);
}

static void test_sha512_splits(void **state)
{
    (void)state;
    splits(&sha512_alg);
}

/* Random lengths and contents, fed in random pieces, against libsodium. */
static void against_libsodium(const struct hash_alg *alg)
{
    static uint8_t data[4096];
    const uint64_t seed = 0x5348412d32353621ULL;
    struct prng rng;
    int n = 600;

    prng_seed(&rng, seed);
    for (int i = 0; i < n; i++) {
        uint8_t ours[MAX_DIGEST], theirs[MAX_DIGEST];
        size_t len = prng_below(&rng, sizeof data + 1), at = 0;
        union hash_ctx ctx;

        prng_fill(&rng, data, len);
        assert_int_equal(alg->reference(theirs, data, len), 0);
        alg->oneshot(ours, data, len);
        assert_memory_equal(ours, theirs, alg->size);

        alg->init(&ctx);
        while (at < len) {
            size_t piece = prng_below(&rng, 300) + 1;

            if (piece > len - at)
                piece = len - at;
            alg->update(&ctx, data + at, piece);
            at += piece;
        }
        alg->final(&ctx, ours);
        assert_memory_equal(ours, theirs, alg->size);
    }
    printf("%s: %d random inputs (seed 0x%016llx) equal libsodium's digest\n",
           alg->name, n, (unsigned long long)seed);
}

static void test_sha256_libsodium(void **state)
{
    (void)state;
    against_libsodium(&sha256_alg);
}

static void test_sha512_libsodium(void **state)
{
    (void)state;
    against_libsodium(&sha512_alg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_known_answers),
        cmocka_unit_test(test_sha512_known_answers),
        cmocka_unit_test(test_sha256_million_a),
        cmocka_unit_test(test_sha512_million_a),
        cmocka_unit_test(test_sha256_splits),
        cmocka_unit_test(test_sha512_splits),
        cmocka_unit_test(test_sha256_libsodium),
        cmocka_unit_test(test_sha512_libsodium),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
