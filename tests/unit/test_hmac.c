/*
 * HMAC-SHA256 and fota_crypto_equal (core/hmac.c): RFC 4231, every Wycheproof
 * case, and random keys and messages against libsodium.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "fota/hmac.h"
#include "test_crypto_util.h"

struct rfc4231_case {
    const char *key_hex; /* NULL: key_len bytes of key_byte */
    uint8_t key_byte;
    size_t key_len;
    const char *data;
    const char *data_hex;
    const char *mac_hex; /* may be truncated (case 5) */
};

/* RFC 4231, section 4: test cases 1 to 7, HMAC-SHA-256 results. */
static const struct rfc4231_case rfc4231[] = {
    {NULL, 0x0b, 20, "Hi There", NULL,
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {"4a656665", 0, 0, "what do ya want for nothing?", NULL,
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {NULL, 0xaa, 20, NULL,
     "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
     "dddddddddddddddddddddddddddddddd",
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {"0102030405060708090a0b0c0d0e0f10111213141516171819", 0, 0, NULL,
     "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
     "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {NULL, 0x0c, 20, "Test With Truncation", NULL,
     "a3b6167473100ee06e0c796c2955552b"},
    {NULL, 0xaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
     NULL, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {NULL, 0xaa, 131,
     "This is a test using a larger than block-size key and a larger than "
     "block-size data. The key needs to be hashed before being used by the "
     "HMAC algorithm.",
     NULL, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

static void test_rfc4231(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rfc4231 / sizeof rfc4231[0]; i++) {
        const struct rfc4231_case *c = &rfc4231[i];
        uint8_t key[200], data[200], want[32], mac[32];
        long key_len, data_len, want_len;

        if (c->key_hex) {
            key_len = host_unhex(key, sizeof key, c->key_hex, strlen(c->key_hex));
        } else {
            memset(key, c->key_byte, c->key_len);
            key_len = (long)c->key_len;
        }
        if (c->data) {
            data_len = (long)strlen(c->data);
            memcpy(data, c->data, (size_t)data_len);
        } else {
            data_len = host_unhex(data, sizeof data, c->data_hex, strlen(c->data_hex));
        }
        want_len = host_unhex(want, sizeof want, c->mac_hex, strlen(c->mac_hex));
        assert_true(key_len >= 0 && data_len >= 0 && want_len > 0);

        fota_hmac_sha256(mac, key, (size_t)key_len, data, (size_t)data_len);
        assert_memory_equal(mac, want, (size_t)want_len);
        mac[want_len - 1] ^= 1;
        assert_false(fota_crypto_equal(mac, want, (size_t)want_len));
    }
}

struct wycheproof_totals {
    int cases, valid, invalid, failures;
};

/* Compares the first tagSize/8 bytes, as a verifier of truncated tags does. */
static void wycheproof_case(struct wycheproof_totals *t, long tag_bits,
                            const uint8_t *key, long key_len, const uint8_t *msg,
                            long msg_len, const uint8_t *tag, long tag_len,
                            int valid, long id)
{
    uint8_t mac[FOTA_HMAC_SHA256_SIZE];
    int match;

    fota_hmac_sha256(mac, key, (size_t)key_len, msg, (size_t)msg_len);
    match = tag_bits % 8 == 0 && tag_bits / 8 == tag_len &&
            tag_len <= FOTA_HMAC_SHA256_SIZE &&
            fota_crypto_equal(mac, tag, (size_t)tag_len);
    t->cases++;
    if (valid)
        t->valid++;
    else
        t->invalid++;
    if (match != valid) {
        t->failures++;
        printf("wycheproof hmac-sha256 tcId %ld: expected %s\n", id,
               valid ? "valid" : "invalid");
    }
}

static void test_wycheproof(void **state)
{
    static uint8_t key[1024], msg[4096], tag[256];
    struct wycheproof_totals t = {0};
    long tag_bits = -1, key_len = -1, msg_len = -1, tag_len = -1, id = -1;
    struct vec_json j;
    struct vec_pair p;
    int r;

    (void)state;
    assert_int_equal(vec_json_open(&j, "wycheproof_hmac_sha256_test.json"), 0);
    while ((r = vec_json_next(&j, &p)) == 1) {
        if (vec_pair_is(&p, "tagSize"))
            tag_bits = vec_pair_number(&p);
        else if (vec_pair_is(&p, "tcId"))
            id = vec_pair_number(&p);
        else if (vec_pair_is(&p, "key") && p.value)
            key_len = host_unhex(key, sizeof key, p.value, p.value_len);
        else if (vec_pair_is(&p, "msg") && p.value)
            msg_len = host_unhex(msg, sizeof msg, p.value, p.value_len);
        else if (vec_pair_is(&p, "tag") && p.value)
            tag_len = host_unhex(tag, sizeof tag, p.value, p.value_len);
        else if (vec_pair_is(&p, "result")) {
            assert_true(tag_bits > 0 && id >= 0 && key_len >= 0 && msg_len >= 0 &&
                        tag_len >= 0);
            wycheproof_case(&t, tag_bits, key, key_len, msg, msg_len, tag, tag_len,
                            p.value_len == 5 && memcmp(p.value, "valid", 5) == 0,
                            id);
            key_len = msg_len = tag_len = id = -1;
        }
    }
    vec_json_close(&j);
    assert_int_equal(r, 0);
    printf("wycheproof hmac-sha256: %d cases, %d valid, %d invalid, %d failures\n",
           t.cases, t.valid, t.invalid, t.failures);
    assert_int_equal(t.cases, 174);
    assert_int_equal(t.valid, 66);
    assert_int_equal(t.invalid, 108);
    assert_int_equal(t.failures, 0);
}

/* Random key lengths either side of the block size, random messages fed in
 * random pieces, against libsodium's HMAC-SHA256 with a key of any length. */
static void test_libsodium(void **state)
{
    static uint8_t key[300], msg[2000];
    const uint64_t seed = 0x484d41432d323536ULL;
    struct prng rng;
    int n = 2000;

    (void)state;
    prng_seed(&rng, seed);
    for (int i = 0; i < n; i++) {
        size_t key_len = prng_below(&rng, sizeof key + 1);
        size_t msg_len = prng_below(&rng, sizeof msg + 1), at = 0;
        uint8_t ours[32], pieces[32], theirs[32];
        crypto_auth_hmacsha256_state st;
        struct fota_hmac_sha256 ctx;

        prng_fill(&rng, key, key_len);
        prng_fill(&rng, msg, msg_len);
        crypto_auth_hmacsha256_init(&st, key, key_len);
        crypto_auth_hmacsha256_update(&st, msg, msg_len);
        crypto_auth_hmacsha256_final(&st, theirs);

        fota_hmac_sha256(ours, key, key_len, msg, msg_len);
        assert_memory_equal(ours, theirs, sizeof ours);

        fota_hmac_sha256_init(&ctx, key, key_len);
        while (at < msg_len) {
            size_t piece = prng_below(&rng, 200) + 1;

            if (piece > msg_len - at)
                piece = msg_len - at;
            fota_hmac_sha256_update(&ctx, msg + at, piece);
            at += piece;
        }
        fota_hmac_sha256_final(&ctx, pieces);
        assert_memory_equal(pieces, theirs, sizeof pieces);
    }
    printf("hmac-sha256: %d random cases (seed 0x%016llx) equal libsodium's\n", n,
           (unsigned long long)seed);
}

/* A zero-length key may come as NULL (libsodium insists on a pointer). */
static void test_empty_key(void **state)
{
    static const uint8_t no_key[1];
    uint8_t ours[32], theirs[32];
    crypto_auth_hmacsha256_state st;

    (void)state;
    fota_hmac_sha256(ours, NULL, 0, "abc", 3);
    crypto_auth_hmacsha256_init(&st, no_key, 0);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)"abc", 3);
    crypto_auth_hmacsha256_final(&st, theirs);
    assert_memory_equal(ours, theirs, sizeof ours);
}

static void test_crypto_equal(void **state)
{
    uint8_t a[40], b[40];

    (void)state;
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = b[i] = (uint8_t)(i * 37 + 1);
    assert_int_equal(fota_crypto_equal(a, b, sizeof a), 1);
    assert_int_equal(fota_crypto_equal(a, b, 0), 1);
    for (size_t i = 0; i < sizeof a; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit);
            assert_int_equal(fota_crypto_equal(a, b, sizeof a), 0);
            /* Bytes past len do not count. */
            assert_int_equal(fota_crypto_equal(a, b, i), 1);
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
    memset(a, 0, sizeof a);
    memset(b, 0xff, sizeof b);
    assert_int_equal(fota_crypto_equal(a, b, sizeof a), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4231),
        cmocka_unit_test(test_wycheproof),
        cmocka_unit_test(test_libsodium),
        cmocka_unit_test(test_empty_key),
        cmocka_unit_test(test_crypto_equal),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
