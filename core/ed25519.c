/*
 * Ed25519 signature verification (RFC 8032, section 5.1.7).
 *
 * Everything a verifier handles is public, so the code is variable-time and
 * optimised for size and stack rather than for constant time.
 *
 * Field elements mod p = 2^255 - 19 are ten unsigned limbs of alternately 26
 * and 25 bits (radix 2^25.5): a whole column of limb products fits one 64-bit
 * accumulator, which suits the Cortex-M3's 32x32+64 multiply-accumulate.
 *
 * Points use extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z, and
 * the a = -1 formulas of Hisil, Wong, Carter and Dawson ("Twisted Edwards
 * curves revisited", 2008), which are complete on this curve.
 */
#include "fota/ed25519.h"

#include <string.h>

#include "fota/bytes.h"
#include "fota/error.h"

typedef uint32_t fe[10];

struct ge {
    fe x, y, z, t;
};

/* An addend prepared once and added many times: (Y+X, Y-X, Z, 2dT). */
struct ge_cached {
    fe ypx, ymx, z, t2d;
};

#define LIMB_BITS(i) (26u - ((i) & 1u))

/* A field element, point or scalar encoding; a signature is R then S. */
#define ENC_SIZE 32

/* Scalars are below L < 2^253; their NAF may be one digit longer. */
#define NAF_LEN 254

/* d = -121665/121666, sqrt(-1) = 2^((p-1)/4) and the base point B, little
 * endian as in RFC 8032, section 5.1. */
static const uint8_t curve_d[ENC_SIZE] = {
    0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41,
    0x41, 0x4d, 0x0a, 0x70, 0x00, 0x98, 0xe8, 0x79, 0x77, 0x79, 0x40,
    0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52,
};
static const uint8_t sqrt_m1[ENC_SIZE] = {
    0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f,
    0xad, 0x06, 0x18, 0x43, 0x2f, 0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00,
    0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b,
};
static const uint8_t base_x[ENC_SIZE] = {
    0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9, 0xb2, 0xa7, 0x25,
    0x95, 0x60, 0xc7, 0x2c, 0x69, 0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2,
    0xa4, 0xc0, 0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21,
};
static const uint8_t base_y[ENC_SIZE] = {
    0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
};

/* L = 2^252 + 27742317777372353535851937790883648493, in 32-bit words. */
static const uint32_t group_order[8] = {
    0x5cf5d3ed, 0x5812631a, 0xa2f79cd6, 0x14def9de, 0, 0, 0, 0x10000000,
};

static const fe fe_zero = {0};
static const fe fe_one = {1};

/* Brings limbs below 2^28 into "carried" form: every limb in range except
 * limb 1, which may be up to 2^15 over 2^25. fe_mul ends in the same form, so
 * every fe in this file is carried; the bounds in fe_mul, fe_sub and
 * fe_tobytes rely on it. */
static void fe_carry(fe h)
{
    for (unsigned i = 0; i < 10; i++) {
        uint32_t c = h[i] >> LIMB_BITS(i);

        h[i] &= (1u << LIMB_BITS(i)) - 1;
        if (i < 9)
            h[i + 1] += c;
        else
            h[0] += 19 * c; /* 2^255 = 19 (mod p) */
    }
    h[1] += h[0] >> 26;
    h[0] &= (1u << 26) - 1;
}

/* Ignores bit 255, which holds x's sign in a point encoding. */
static void fe_frombytes(fe h, const uint8_t s[ENC_SIZE])
{
    uint64_t acc = 0;
    unsigned have = 0, k = 0;

    for (unsigned i = 0; i < 10; i++) {
        while (have < LIMB_BITS(i)) {
            acc |= (uint64_t)s[k++] << have;
            have += 8;
        }
        h[i] = (uint32_t)acc & ((1u << LIMB_BITS(i)) - 1);
        acc >>= LIMB_BITS(i);
        have -= LIMB_BITS(i);
    }
}

/* The canonical encoding (value below p), which is what makes byte
 * comparisons of field elements and points meaningful. */
static void fe_tobytes(uint8_t s[ENC_SIZE], const fe f)
{
    uint64_t acc = 0;
    unsigned have = 0, k = 0;
    uint32_t q;
    fe h;

    /* One more pass over a carried element leaves every limb in range, so
     * the value is below 2^255 and at most one p has to go. */
    memcpy(h, f, sizeof h);
    fe_carry(h);

    /* q = 1 exactly when h + 19 reaches 2^255, i.e. when h >= p. */
    q = (h[0] + 19) >> 26;
    for (unsigned i = 1; i < 10; i++)
        q = (h[i] + q) >> LIMB_BITS(i);
    h[0] += 19 * q;

    /* Adding (not or-ing) limbs lets the +19 carry ripple up; the 2^255 it
     * may reach is the p subtracted, and falls off the top. */
    for (unsigned i = 0; i < 10; i++) {
        acc += (uint64_t)h[i] << have;
        have += LIMB_BITS(i);
        for (; have >= 8; have -= 8) {
            s[k++] = (uint8_t)acc;
            acc >>= 8;
        }
    }
    s[ENC_SIZE - 1] = (uint8_t)(acc & 0x7f);
}

static void fe_add(fe h, const fe f, const fe g)
{
    for (unsigned i = 0; i < 10; i++)
        h[i] = f[i] + g[i];
    fe_carry(h);
}

/* Adds 2p first so that no limb goes negative: each limb of 2p exceeds the
 * largest limb of a carried element. */
static void fe_sub(fe h, const fe f, const fe g)
{
    for (unsigned i = 0; i < 10; i++)
        h[i] = f[i] + (2u << LIMB_BITS(i)) - 2 - g[i];
    h[0] -= 36; /* limb 0 of 2p is 2 * (2^26 - 19) */
    fe_carry(h);
}

static void fe_neg(fe h, const fe f)
{
    fe_sub(h, fe_zero, f);
}

/*
 * Schoolbook product, one output limb at a time so that nothing wider than
 * one 64-bit accumulator is needed. Limb i sits at bit ceil(25.5 i), so in
 * an even column the products of two odd limbs land one bit high and count
 * twice; columns from 10 up wrap around as 2^255 = 19 (mod p). With carried
 * inputs a column stays below 2^60.
 */
static void fe_mul(fe h, const fe f, const fe g)
{
    uint32_t f2[10], g19[10], out[10];
    uint64_t acc = 0;

    for (unsigned i = 0; i < 10; i++) {
        f2[i] = f[i] << (i & 1);
        g19[i] = 19 * g[i];
    }
    for (unsigned m = 0; m < 10; m++) {
        const uint32_t *fm = (m & 1) ? f : f2;

        for (unsigned i = 0; i <= m; i++)
            acc += (uint64_t)fm[i] * g[m - i];
        for (unsigned i = m + 1; i < 10; i++)
            acc += (uint64_t)fm[i] * g19[m + 10 - i];
        out[m] = (uint32_t)acc & ((1u << LIMB_BITS(m)) - 1);
        acc >>= LIMB_BITS(m);
    }
    acc = out[0] + 19 * acc;
    out[0] = (uint32_t)acc & ((1u << 26) - 1);
    out[1] += (uint32_t)(acc >> 26);
    memcpy(h, out, sizeof out);
}

static void fe_sq(fe h, const fe f)
{
    fe_mul(h, f, f);
}

/* h = f^(2^n) * g, n >= 1; h may alias f or g. */
static void fe_sqn_mul(fe h, const fe f, unsigned n, const fe g)
{
    fe t;

    fe_sq(t, f);
    while (--n > 0)
        fe_sq(t, t);
    fe_mul(h, t, g);
}

/* h = z^(2^250 - 1) in 249 squarings and 10 multiplications, by doubling
 * runs of one bits; both exponents fe_pow needs start with 250 ones. */
static void fe_pow2250m1(fe h, const fe z)
{
    fe t10, t50;

    fe_sqn_mul(h, z, 1, z);      /* 2^2 - 1 */
    fe_sqn_mul(h, h, 2, h);      /* 2^4 - 1 */
    fe_sqn_mul(h, h, 1, z);      /* 2^5 - 1 */
    fe_sqn_mul(t10, h, 5, h);    /* 2^10 - 1 */
    fe_sqn_mul(h, t10, 10, t10); /* 2^20 - 1 */
    fe_sqn_mul(h, h, 20, h);     /* 2^40 - 1 */
    fe_sqn_mul(t50, h, 10, t10); /* 2^50 - 1 */
    fe_sqn_mul(h, t50, 50, t50); /* 2^100 - 1 */
    fe_sqn_mul(h, h, 100, h);    /* 2^200 - 1 */
    fe_sqn_mul(h, h, 50, t50);   /* 2^250 - 1 */
}

/* h = z^((2^250 - 1) * 2^n + tail), tail < 2^n; h must not alias z. */
static void fe_pow(fe h, const fe z, unsigned n, unsigned tail)
{
    fe_pow2250m1(h, z);
    while (n-- > 0) {
        fe_sq(h, h);
        if (tail >> n & 1)
            fe_mul(h, h, z);
    }
}

/* z^(p-2) = 1/z, with p - 2 = (2^250 - 1) * 2^5 + 11. */
static void fe_invert(fe h, const fe z)
{
    fe_pow(h, z, 5, 11);
}

static int fe_equal(const fe f, const fe g)
{
    uint8_t a[ENC_SIZE], b[ENC_SIZE];

    fe_tobytes(a, f);
    fe_tobytes(b, g);
    return memcmp(a, b, sizeof a) == 0;
}

static unsigned fe_is_odd(const fe f)
{
    uint8_t s[ENC_SIZE];

    fe_tobytes(s, f);
    return s[0] & 1u;
}

static void ge_identity(struct ge *r)
{
    memset(r, 0, sizeof *r);
    r->y[0] = 1;
    r->z[0] = 1;
}

/* The shared last step of addition and doubling: (E:F:G:H) to extended. */
static void ge_from_completed(struct ge *r, const fe e, const fe f, const fe g,
                              const fe h)
{
    fe_mul(r->x, e, f);
    fe_mul(r->y, g, h);
    fe_mul(r->t, e, h);
    fe_mul(r->z, f, g);
}

/* dbl-2008-hwcd for a = -1, with E, F, G and H all negated: the product
 * pairs are unchanged and no negation is needed. T of p is not used. */
static void ge_dbl(struct ge *r, const struct ge *p)
{
    fe a, b, c, e, g;

    fe_sq(a, p->x);
    fe_sq(b, p->y);
    fe_sq(c, p->z);
    fe_add(c, c, c);
    fe_add(e, p->x, p->y);
    fe_sq(e, e);
    fe_sub(g, a, b);
    fe_add(a, a, b);
    fe_sub(e, a, e);
    fe_add(c, c, g);
    ge_from_completed(r, e, c, g, a);
}

/* add-2008-hwcd-3 (a = -1, k = 2d). Subtracting q negates its x and T, which
 * swaps Y+X with Y-X and F with G. */
static void ge_add(struct ge *r, const struct ge *p, const struct ge_cached *q,
                   int subtract)
{
    fe a, b, c, d, e;

    fe_sub(a, p->y, p->x);
    fe_mul(a, a, subtract ? q->ypx : q->ymx);
    fe_add(b, p->y, p->x);
    fe_mul(b, b, subtract ? q->ymx : q->ypx);
    fe_mul(c, p->t, q->t2d);
    fe_mul(d, p->z, q->z);
    fe_add(d, d, d);
    fe_sub(e, b, a);
    fe_add(b, b, a);
    fe_sub(a, d, c);
    fe_add(d, d, c);
    if (subtract)
        ge_from_completed(r, e, d, a, b);
    else
        ge_from_completed(r, e, a, d, b);
}

static void ge_to_cached(struct ge_cached *c, const struct ge *p)
{
    fe d2;

    fe_add(c->ypx, p->y, p->x);
    fe_sub(c->ymx, p->y, p->x);
    memcpy(c->z, p->z, sizeof c->z);
    fe_frombytes(d2, curve_d);
    fe_add(d2, d2, d2);
    fe_mul(c->t2d, p->t, d2);
}

/* odd = {p, 3p}: the addends of a width-3 NAF. */
static void ge_odd_multiples(struct ge_cached odd[2], const struct ge *p)
{
    struct ge q;

    ge_to_cached(&odd[0], p);
    ge_dbl(&q, p);
    ge_add(&q, &q, &odd[0], 0);
    ge_to_cached(&odd[1], &q);
}

static void ge_base_odd_multiples(struct ge_cached odd[2])
{
    struct ge b;

    fe_frombytes(b.x, base_x);
    fe_frombytes(b.y, base_y);
    memcpy(b.z, fe_one, sizeof b.z);
    fe_mul(b.t, b.x, b.y);
    ge_odd_multiples(odd, &b);
}

/* The encoding is y with x's parity in bit 255 (RFC 8032, 5.1.2). */
static void ge_tobytes(uint8_t s[ENC_SIZE], const struct ge *p)
{
    fe zi, x, y;

    fe_invert(zi, p->z);
    fe_mul(x, p->x, zi);
    fe_mul(y, p->y, zi);
    fe_tobytes(s, y);
    s[ENC_SIZE - 1] |= (uint8_t)(fe_is_odd(x) << 7);
}

/* x with v x^2 = u, when u/v is a square (RFC 8032, 5.1.3, steps 2-3). The
 * candidate u v^3 (u v^7)^((p-5)/8) satisfies v x^2 = +-u; in the minus case
 * x sqrt(-1) does. (p - 5) / 8 = (2^250 - 1) * 2^2 + 1. */
static int fe_sqrt_ratio(fe x, const fe u, const fe v)
{
    fe w, t;

    fe_sq(w, v);
    fe_mul(w, w, v);
    fe_mul(x, w, u);
    fe_sq(w, w);
    fe_mul(w, w, v);
    fe_mul(w, w, u);
    fe_pow(t, w, 2, 1);
    fe_mul(x, x, t);

    fe_sq(w, x);
    fe_mul(w, w, v);
    if (fe_equal(w, u))
        return 0;
    fe_neg(t, u);
    if (!fe_equal(w, t))
        return -1;
    fe_frombytes(t, sqrt_m1);
    fe_mul(x, x, t);
    return 0;
}

/*
 * Decoding per RFC 8032, 5.1.3, which also rejects y >= p: libsodium does, and
 * the verdicts must match. x = 0 with the sign bit set is let through: only
 * small-order points have x = 0, and the caller rejects those anyway.
 */
static int ge_frombytes(struct ge *p, const uint8_t s[ENC_SIZE])
{
    uint8_t canonical[ENC_SIZE];
    fe u, v;

    fe_frombytes(p->y, s);
    fe_tobytes(canonical, p->y);
    if (memcmp(canonical, s, ENC_SIZE - 1) != 0 ||
        canonical[ENC_SIZE - 1] != (s[ENC_SIZE - 1] & 0x7f))
        return -1;

    fe_sq(u, p->y);
    fe_frombytes(v, curve_d);
    fe_mul(v, v, u);
    fe_add(v, v, fe_one);
    fe_sub(u, u, fe_one);
    if (fe_sqrt_ratio(p->x, u, v) != 0)
        return -1;
    if (fe_is_odd(p->x) != (unsigned)(s[ENC_SIZE - 1] >> 7))
        fe_neg(p->x, p->x);
    memcpy(p->z, fe_one, sizeof p->z);
    fe_mul(p->t, p->x, p->y);
    return 0;
}

/* The group has order 8L with a cyclic 8-torsion, so [8]p is the identity
 * (the only multiple of 8 with x = 0) exactly when p has small order. */
static int ge_has_small_order(const struct ge *p)
{
    struct ge q;

    ge_dbl(&q, p);
    ge_dbl(&q, &q);
    ge_dbl(&q, &q);
    return fe_equal(q.x, fe_zero);
}

/* t = r - L; returns the borrow, i.e. 1 when r < L. */
static uint32_t sc_sub_order(uint32_t t[8], const uint32_t r[8])
{
    uint32_t borrow = 0;

    for (unsigned i = 0; i < 8; i++) {
        uint64_t d = (uint64_t)r[i] - group_order[i] - borrow;

        t[i] = (uint32_t)d;
        borrow = (uint32_t)(d >> 63);
    }
    return borrow;
}

/* k = h mod L, one bit at a time: slow, but it runs once per signature and
 * needs neither tables nor wide arithmetic. */
static void sc_reduce(uint32_t k[8], const uint8_t h[FOTA_SHA512_SIZE])
{
    uint32_t t[8];

    memset(k, 0, 8 * sizeof *k);
    for (unsigned i = 8 * FOTA_SHA512_SIZE; i-- > 0;) {
        uint32_t bit = h[i >> 3] >> (i & 7) & 1;

        for (unsigned j = 0; j < 8; j++) {
            uint32_t top = k[j] >> 31;

            k[j] = k[j] << 1 | bit;
            bit = top;
        }
        if (!sc_sub_order(t, k))
            memcpy(k, t, sizeof t);
    }
}

static unsigned sc_bit(const uint32_t k[8], unsigned i)
{
    return i < 256 ? k[i >> 5] >> (i & 31) & 1 : 0;
}

/*
 * Width-3 non-adjacent form: digits in {0, +-1, +-3} with at least two zeros
 * after each non-zero one, so the main loop adds about once every four bits
 * and needs only P and 3P. (Width 4 would save a fifth of the additions but
 * double the tables on the stack.) The carry is 1 while the digits so far
 * overshoot k because a negative digit was taken.
 */
static void sc_wnaf(int8_t naf[NAF_LEN], const uint32_t k[8])
{
    unsigned carry = 0;

    memset(naf, 0, NAF_LEN);
    for (unsigned i = 0; i < NAF_LEN;) {
        unsigned window;

        if (sc_bit(k, i) == carry) {
            i++;
            continue;
        }
        window = carry + sc_bit(k, i) + (sc_bit(k, i + 1) << 1) +
                 (sc_bit(k, i + 2) << 2);
        carry = window >> 2;
        naf[i] = (int8_t)((int)window - (int)(carry << 3));
        i += 3;
    }
}

static void ge_add_digit(struct ge *r, const struct ge_cached odd[2], int digit)
{
    if (digit > 0)
        ge_add(r, r, &odd[digit / 2], 0);
    else if (digit < 0)
        ge_add(r, r, &odd[-digit / 2], 1);
}

/* r = [s]B - [k]A from A's odd multiples, both scalars below L, by
 * interleaving their NAFs. */
static void ge_double_scalarmult(struct ge *r, const uint32_t s[8],
                                 const uint32_t k[8],
                                 const struct ge_cached odd_a[2])
{
    struct ge_cached odd_b[2];
    int8_t naf_s[NAF_LEN], naf_k[NAF_LEN];

    ge_base_odd_multiples(odd_b);
    sc_wnaf(naf_s, s);
    sc_wnaf(naf_k, k);
    ge_identity(r);
    for (unsigned i = NAF_LEN; i-- > 0;) {
        ge_dbl(r, r);
        ge_add_digit(r, odd_b, naf_s[i]);
        ge_add_digit(r, odd_a, -naf_k[i]);
    }
}

/* A's checks and its odd multiples; A itself is not needed afterwards. */
static int ge_decode_key(struct ge_cached odd_a[2], const uint8_t pub[ENC_SIZE])
{
    struct ge a;

    if (ge_frombytes(&a, pub) != 0 || ge_has_small_order(&a))
        return -1;
    ge_odd_multiples(odd_a, &a);
    return 0;
}

static void hash_to_scalar(uint32_t k[8], struct fota_sha512 *hash)
{
    uint8_t h[FOTA_SHA512_SIZE];

    fota_sha512_final(hash, h);
    sc_reduce(k, h);
}

/* S must be canonical (below L). */
static int load_s(uint32_t s[8], const uint8_t bytes[ENC_SIZE])
{
    uint32_t t[8];

    for (unsigned i = 0; i < 8; i++)
        s[i] = fota_load32_le(bytes + 4 * i);
    return sc_sub_order(t, s) ? 0 : -1;
}

static int check_r(const struct ge *r, const uint8_t expected[ENC_SIZE])
{
    uint8_t encoded[ENC_SIZE];

    ge_tobytes(encoded, r);
    if (memcmp(encoded, expected, sizeof encoded) != 0 || ge_has_small_order(r))
        return -1;
    return 0;
}

void fota_ed25519_verify_start(struct fota_ed25519_verifier *v,
                               const uint8_t sig[FOTA_ED25519_SIGNATURE_SIZE],
                               const uint8_t pub[FOTA_ED25519_PUBLIC_KEY_SIZE])
{
    memcpy(v->signature, sig, sizeof v->signature);
    memcpy(v->public_key, pub, sizeof v->public_key);
    fota_sha512_init(&v->hash);
    fota_sha512_update(&v->hash, sig, ENC_SIZE);
    fota_sha512_update(&v->hash, pub, FOTA_ED25519_PUBLIC_KEY_SIZE);
}

void fota_ed25519_verify_update(struct fota_ed25519_verifier *v, const void *msg,
                                size_t len)
{
    fota_sha512_update(&v->hash, msg, len);
}

/*
 * libsodium's rules: S < L; A canonical, decodable and not of small order;
 * encode([S]B - [k]A) == R byte for byte (so R must be canonical too), and R
 * not of small order. libsodium checks R against a list of small-order
 * encodings up front; once the encodings are equal, that is the same as
 * asking whether the computed point has small order.
 */
int fota_ed25519_verify_finish(struct fota_ed25519_verifier *v)
{
    struct ge_cached odd_a[2];
    uint32_t s[8], k[8];
    struct ge r;

    hash_to_scalar(k, &v->hash);
    if (load_s(s, v->signature + ENC_SIZE) != 0 ||
        ge_decode_key(odd_a, v->public_key) != 0)
        return FOTA_E_SIGNATURE;
    ge_double_scalarmult(&r, s, k, odd_a);
    return check_r(&r, v->signature) == 0 ? FOTA_OK : FOTA_E_SIGNATURE;
}

int fota_ed25519_verify(const uint8_t sig[FOTA_ED25519_SIGNATURE_SIZE],
                        const uint8_t pub[FOTA_ED25519_PUBLIC_KEY_SIZE],
                        const void *msg, size_t len)
{
    struct fota_ed25519_verifier v;

    fota_ed25519_verify_start(&v, sig, pub);
    fota_ed25519_verify_update(&v, msg, len);
    return fota_ed25519_verify_finish(&v);
}
