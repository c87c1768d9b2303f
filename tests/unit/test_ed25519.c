/*
 * Ed25519 verification (core/ed25519.c): the RFC 8032 vectors, every
 * Wycheproof case, and a differential test against libsodium 1.0.18's
 * crypto_sign_verify_detached(), whose verdict ours must equal in every case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "fota/ed25519.h"
#include "fota/error.h"
#include "test_crypto_util.h"

#define SIG_SIZE FOTA_ED25519_SIGNATURE_SIZE
#define PK_SIZE FOTA_ED25519_PUBLIC_KEY_SIZE
#define MAX_MSG 1100

/* One-shot verdict: 1 accept, 0 reject; any other return value fails. */
static int ours(const uint8_t *sig, const uint8_t *pk, const uint8_t *msg,
                size_t len)
{
    int r = fota_ed25519_verify(sig, pk, msg, len);

    if (r != FOTA_OK && r != FOTA_E_SIGNATURE)
        fail_msg("fota_ed25519_verify returned %d", r);
    return r == FOTA_OK;
}

/* The incremental verdict with msg fed in random pieces (some empty). */
static int ours_in_pieces(const uint8_t *sig, const uint8_t *pk,
                          const uint8_t *msg, size_t len, struct prng *rng)
{
    struct fota_ed25519_verifier v;
    size_t at = 0;
    int r;

    fota_ed25519_verify_start(&v, sig, pk);
    while (at < len) {
        size_t piece = prng_below(rng, 140);

        if (piece > len - at)
            piece = len - at;
        fota_ed25519_verify_update(&v, msg + at, piece);
        at += piece;
    }
    r = fota_ed25519_verify_finish(&v);
    if (r != FOTA_OK && r != FOTA_E_SIGNATURE)
        fail_msg("fota_ed25519_verify_finish returned %d", r);
    return r == FOTA_OK;
}

static int sodium(const uint8_t *sig, const uint8_t *pk, const uint8_t *msg,
                  size_t len)
{
    return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}

static void hex_exact(uint8_t *out, size_t size, const char *hex)
{
    assert_int_equal(host_unhex(out, size, hex, strlen(hex)), (long)size);
}

struct rfc8032_vector {
    const char *name, *pk, *msg, *sig;
};

/* RFC 8032, section 7.1. TEST SHA(abc)'s message is SHA-512("abc"). */
static const struct rfc8032_vector rfc8032[] = {
    {"TEST 1",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    {"TEST 1024",
     "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
     "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98"
     "fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8"
     "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
     "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc"
     "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe"
     "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
     "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef"
     "efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7"
     "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
     "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2"
     "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24"
     "554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
     "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc"
     "2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07"
     "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
     "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a"
     "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e"
     "c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
     "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c"
     "42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8"
     "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
     "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08"
     "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649"
     "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
     "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3"
     "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e"
     "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
     "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5"
     "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1"
     "369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
     "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c"
     "0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0",
     "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
     "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"},
    {"TEST SHA(abc)",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
     "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
};

/* A copy with one bit flipped must be rejected, by libsodium as well. */
static void assert_flip_rejected(uint8_t *buf, size_t bit, const uint8_t *sig,
                                 const uint8_t *pk, const uint8_t *msg,
                                 size_t len, int *flips)
{
    buf[bit / 8] ^= (uint8_t)(1u << bit % 8);
    assert_false(ours(sig, pk, msg, len));
    assert_false(sodium(sig, pk, msg, len));
    buf[bit / 8] ^= (uint8_t)(1u << bit % 8);
    ++*flips;
}

static void test_rfc8032(void **state)
{
    static uint8_t msg[MAX_MSG];
    struct prng rng;
    int flips = 0;

    (void)state;
    prng_seed(&rng, 8032);
    for (size_t i = 0; i < sizeof rfc8032 / sizeof rfc8032[0]; i++) {
        const struct rfc8032_vector *t = &rfc8032[i];
        uint8_t pk[PK_SIZE], sig[SIG_SIZE];
        long len = host_unhex(msg, sizeof msg, t->msg, strlen(t->msg));

        assert_true(len >= 0);
        hex_exact(pk, sizeof pk, t->pk);
        hex_exact(sig, sizeof sig, t->sig);
        if (!ours(sig, pk, msg, (size_t)len))
            fail_msg("%s does not verify", t->name);
        assert_true(sodium(sig, pk, msg, (size_t)len));
        for (int k = 0; k < 8; k++)
            assert_true(ours_in_pieces(sig, pk, msg, (size_t)len, &rng));

        for (size_t bit = 0; bit < 8 * sizeof sig; bit++)
            assert_flip_rejected(sig, bit, sig, pk, msg, (size_t)len, &flips);
        for (size_t bit = 0; bit < 8 * sizeof pk; bit++)
            assert_flip_rejected(pk, bit, sig, pk, msg, (size_t)len, &flips);
        /* Every bit of short messages; one bit of every byte of long ones,
         * plus every bit of the last byte. */
        for (size_t bit = 0; bit < 8 * (size_t)len; bit++)
            if (len <= 64 || bit % 8 == (bit / 8) % 8 || bit / 8 == (size_t)len - 1)
                assert_flip_rejected(msg, bit, sig, pk, msg, (size_t)len, &flips);
    }
    printf("rfc8032: 5 vectors verify; %d one-bit flips of signature, key or "
           "message are rejected\n", flips);
}

/* The small-order points (RFC 8032 5.1.3 decodings of the 8-torsion) and
 * non-canonical encodings of some of them: y + p, or x = 0 with the sign bit
 * set. The first 8 are canonical. */
static const char *const small_order[] = {
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "0100000000000000000000000000000000000000000000000000000000000080",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
};

#define N_SMALL_ORDER (sizeof small_order / sizeof small_order[0])
#define N_SMALL_ORDER_CANONICAL 8

/* L, little-endian. */
static const uint8_t group_order[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
    0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

static void test_wycheproof(void **state)
{
    static uint8_t msg[MAX_MSG], sig[128];
    uint8_t pk[PK_SIZE];
    long msg_len = -1, sig_len = -1, id = -1;
    int cases = 0, valid = 0, invalid = 0, wrong_length = 0;
    int disagreements = 0, differs_from_expected = 0, have_pk = 0, r;
    struct vec_json j;
    struct vec_pair p;

    (void)state;
    assert_int_equal(vec_json_open(&j, "wycheproof_ed25519_test.json"), 0);
    while ((r = vec_json_next(&j, &p)) == 1) {
        if (vec_pair_is(&p, "pk") && p.value) {
            have_pk = host_unhex(pk, sizeof pk, p.value, p.value_len) == PK_SIZE;
        } else if (vec_pair_is(&p, "tcId")) {
            id = vec_pair_number(&p);
        } else if (vec_pair_is(&p, "msg") && p.value) {
            msg_len = host_unhex(msg, sizeof msg, p.value, p.value_len);
        } else if (vec_pair_is(&p, "sig") && p.value) {
            sig_len = host_unhex(sig, sizeof sig, p.value, p.value_len);
        } else if (vec_pair_is(&p, "result")) {
            int expected = p.value_len == 5 && memcmp(p.value, "valid", 5) == 0;
            int a = 0, b = 0;

            assert_true(have_pk && id >= 0 && msg_len >= 0 && sig_len >= 0);
            cases++;
            if (expected)
                valid++;
            else
                invalid++;
            /* Both APIs take exactly 64 bytes: a caller rejects any other
             * length before verifying. */
            if (sig_len != SIG_SIZE) {
                wrong_length++;
            } else {
                a = ours(sig, pk, msg, (size_t)msg_len);
                b = sodium(sig, pk, msg, (size_t)msg_len);
            }
            if (a != b) {
                disagreements++;
                printf("tcId %ld: ours %d, libsodium %d\n", id, a, b);
            }
            if (b != expected) {
                differs_from_expected++;
                printf("tcId %ld: Wycheproof expects %s, libsodium says %s\n", id,
                       expected ? "valid" : "invalid", b ? "valid" : "invalid");
            }
            msg_len = sig_len = id = -1;
        }
    }
    vec_json_close(&j);
    assert_int_equal(r, 0);
    printf("wycheproof ed25519: %d cases, %d valid, %d invalid, %d disagreements "
           "with libsodium\n", cases, valid, invalid, disagreements);
    printf("wycheproof ed25519: %d with a signature length other than 64 "
           "(rejected before verifying), %d where libsodium's verdict differs "
           "from Wycheproof's expected result\n", wrong_length,
           differs_from_expected);
    assert_int_equal(cases, 151);
    assert_int_equal(valid, 88);
    assert_int_equal(invalid, 63);
    assert_int_equal(disagreements, 0);
}

/* The edge cases below need a signer that misbehaves; libsodium's scalar and
 * point arithmetic builds them. */
struct signer {
    uint8_t pk[PK_SIZE], sk[64];
    uint8_t a[32]; /* the secret scalar, mod L */
};

static void signer_make(struct signer *s, struct prng *rng)
{
    uint8_t seed[32], wide[64] = {0};

    prng_fill(rng, seed, sizeof seed);
    assert_int_equal(crypto_sign_seed_keypair(s->pk, s->sk, seed), 0);
    assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(wide, s->sk), 0);
    crypto_core_ed25519_scalar_reduce(s->a, wide);
}

static void random_scalar(uint8_t r[32], struct prng *rng)
{
    uint8_t wide[64];

    prng_fill(rng, wide, sizeof wide);
    crypto_core_ed25519_scalar_reduce(r, wide);
}

/* k = SHA-512(R || A || M) mod L */
static void challenge(uint8_t k[32], const uint8_t *r, const uint8_t *pk,
                      const uint8_t *msg, size_t len)
{
    crypto_hash_sha512_state st;
    uint8_t h[64];

    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, r, 32);
    crypto_hash_sha512_update(&st, pk, PK_SIZE);
    crypto_hash_sha512_update(&st, msg, len);
    crypto_hash_sha512_final(&st, h);
    crypto_core_ed25519_scalar_reduce(k, h);
}

/* sig = (R, r + k a) for R = [r]B, made by hand so that pk may be any point
 * (a key with a small-order component, say). */
static void sign_by_hand(uint8_t sig[SIG_SIZE], const uint8_t *pk,
                         const uint8_t a[32], const uint8_t *msg, size_t len,
                         struct prng *rng)
{
    uint8_t r[32], k[32], ka[32];

    random_scalar(r, rng);
    assert_int_equal(crypto_scalarmult_ed25519_base_noclamp(sig, r), 0);
    challenge(k, sig, pk, msg, len);
    crypto_core_ed25519_scalar_mul(ka, k, a);
    crypto_core_ed25519_scalar_add(sig + 32, r, ka);
}

enum tamper {
    FLIP_R,
    FLIP_S,
    FLIP_MSG,
    FLIP_KEY,
    S_PLUS_L,
    S_IS_L,
    GARBAGE_SIG,
    GARBAGE_KEY,
    SMALL_ORDER_R,  /* R small order, S = k a: [S]B - [k]A = identity */
    SMALL_ORDER_A,  /* A small order, (R, S) = ([r]B, r) */
    MIXED_ORDER_A,  /* A + T for T small order, signed by hand */
    NONCANONICAL_A, /* y + p for y < 19 */
    NONCANONICAL_R,
    N_TAMPER,
};

static const char *const tamper_names[N_TAMPER] = {
    "flip bit of R", "flip bit of S", "flip bit of message", "flip bit of key",
    "S + L", "S = L", "garbage signature", "garbage key", "small-order R",
    "small-order A", "mixed-order A", "non-canonical A", "non-canonical R",
};

static void flip_random_bit(uint8_t *buf, size_t len, struct prng *rng)
{
    uint32_t bit = prng_below(rng, (uint32_t)(8 * len));

    buf[bit / 8] ^= (uint8_t)(1u << bit % 8);
}

static void add_order(uint8_t s[32])
{
    unsigned carry = 0;

    for (int i = 0; i < 32; i++) {
        carry += s[i] + group_order[i];
        s[i] = (uint8_t)carry;
        carry >>= 8;
    }
}

/* y + p for a y below 19 (the sum stays below 2^255), with a random sign. */
static void noncanonical(uint8_t out[32], struct prng *rng)
{
    memset(out, 0xff, 32);
    out[0] = (uint8_t)(0xed + prng_below(rng, 19));
    out[31] = (uint8_t)(0x7f | prng_below(rng, 2) << 7);
}

static void small_order_point(uint8_t out[32], size_t count, struct prng *rng)
{
    hex_exact(out, 32, small_order[prng_below(rng, (uint32_t)count)]);
}

/* Turns a valid (sig, pk, msg) into a case of the given kind. */
static void tamper(enum tamper kind, uint8_t sig[SIG_SIZE], uint8_t pk[PK_SIZE],
                   uint8_t *msg, size_t *len, const struct signer *s,
                   struct prng *rng)
{
    uint8_t t[32], k[32];

    switch (kind) {
    case FLIP_R:
        flip_random_bit(sig, 32, rng);
        break;
    case FLIP_S:
        flip_random_bit(sig + 32, 32, rng);
        break;
    case FLIP_MSG:
        if (*len == 0)
            msg[(*len)++] = 0;
        flip_random_bit(msg, *len, rng);
        break;
    case FLIP_KEY:
        flip_random_bit(pk, PK_SIZE, rng);
        break;
    case S_PLUS_L:
        add_order(sig + 32);
        break;
    case S_IS_L:
        memcpy(sig + 32, group_order, 32);
        break;
    case GARBAGE_SIG:
        prng_fill(rng, sig, SIG_SIZE);
        break;
    case GARBAGE_KEY:
        prng_fill(rng, pk, PK_SIZE);
        break;
    case SMALL_ORDER_R:
        small_order_point(sig, N_SMALL_ORDER, rng);
        challenge(k, sig, pk, msg, *len);
        crypto_core_ed25519_scalar_mul(sig + 32, k, s->a);
        break;
    case SMALL_ORDER_A:
        small_order_point(pk, N_SMALL_ORDER, rng);
        random_scalar(sig + 32, rng);
        assert_int_equal(crypto_scalarmult_ed25519_base_noclamp(sig, sig + 32), 0);
        break;
    case MIXED_ORDER_A:
        small_order_point(t, N_SMALL_ORDER_CANONICAL, rng);
        assert_int_equal(crypto_core_ed25519_add(pk, s->pk, t), 0);
        sign_by_hand(sig, pk, s->a, msg, *len, rng);
        break;
    case NONCANONICAL_A:
        noncanonical(pk, rng);
        break;
    case NONCANONICAL_R:
        noncanonical(sig, rng);
        break;
    case N_TAMPER:
        fail();
    }
}

struct tally {
    long cases, accepted, disagreements;
};

static void compare(struct tally *t, const char *what, long index,
                    const uint8_t *sig, const uint8_t *pk, const uint8_t *msg,
                    size_t len)
{
    int a = ours(sig, pk, msg, len), b = sodium(sig, pk, msg, len);

    t->cases++;
    t->accepted += b;
    if (a != b) {
        t->disagreements++;
        printf("%s, key pair %ld: ours %d, libsodium %d\n", what, index, a, b);
    }
}

#define DIFFERENTIAL_PAIRS 10000

static void test_differential(void **state)
{
    static uint8_t msg[302], msg2[302];
    const uint64_t seed = 0x656432353531392dULL;
    struct tally valid = {0}, tampered[N_TAMPER] = {{0}};
    long pieces = 0, accepted = 0, rejected = 0, disagreements = 0;
    struct prng rng;

    (void)state;
    prng_seed(&rng, seed);
    for (long i = 0; i < DIFFERENTIAL_PAIRS; i++) {
        enum tamper kind = (enum tamper)(i % N_TAMPER);
        uint8_t sig[SIG_SIZE], sig2[SIG_SIZE], pk2[PK_SIZE];
        size_t len = prng_below(&rng, 301), len2 = len;
        struct signer s;

        signer_make(&s, &rng);
        prng_fill(&rng, msg, len);
        crypto_sign_detached(sig, NULL, msg, len, s.sk);
        compare(&valid, "valid", i, sig, s.pk, msg, len);

        memcpy(sig2, sig, sizeof sig);
        memcpy(pk2, s.pk, sizeof pk2);
        memcpy(msg2, msg, len);
        tamper(kind, sig2, pk2, msg2, &len2, &s, &rng);
        compare(&tampered[kind], tamper_names[kind], i, sig2, pk2, msg2, len2);

        if (i % 8 == 0) {
            assert_int_equal(ours_in_pieces(sig, s.pk, msg, len, &rng),
                             ours(sig, s.pk, msg, len));
            assert_int_equal(ours_in_pieces(sig2, pk2, msg2, len2, &rng),
                             ours(sig2, pk2, msg2, len2));
            pieces += 2;
        }
    }

    printf("ed25519 differential: seed 0x%016llx, %d key pairs, messages of "
           "0..300 bytes\n", (unsigned long long)seed, DIFFERENTIAL_PAIRS);
    printf("  %-20s %5ld cases, %5ld accepted, %5ld rejected, %ld disagreements\n",
           "valid signature", valid.cases, valid.accepted,
           valid.cases - valid.accepted, valid.disagreements);
    accepted += valid.accepted;
    rejected += valid.cases - valid.accepted;
    disagreements += valid.disagreements;
    for (int k = 0; k < N_TAMPER; k++) {
        const struct tally *t = &tampered[k];

        printf("  %-20s %5ld cases, %5ld accepted, %5ld rejected, %ld disagreements\n",
               tamper_names[k], t->cases, t->accepted, t->cases - t->accepted,
               t->disagreements);
        accepted += t->accepted;
        rejected += t->cases - t->accepted;
        disagreements += t->disagreements;
    }
    printf("  total: %ld cases, %ld accepted, %ld rejected by both, %ld "
           "disagreements with libsodium; incremental == one-shot in %ld\n",
           accepted + rejected, accepted, rejected, disagreements, pieces);
    assert_int_equal(disagreements, 0);
    assert_int_equal(valid.accepted, DIFFERENTIAL_PAIRS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8032),
        cmocka_unit_test(test_wycheproof),
        cmocka_unit_test(test_differential),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
