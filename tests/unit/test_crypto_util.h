/*
 * Helpers shared by the crypto tests: a small deterministic PRNG and a
 * reader for the Wycheproof JSON vector files.
 */
#ifndef TEST_CRYPTO_UTIL_H
#define TEST_CRYPTO_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Hex test vectors are decoded with host_unhex(), the host programs' own. */
#include "host.h"

/* splitmix64: deterministic, so a failing case can be replayed from the seed
 * the test prints. Not for anything but choosing test inputs. */
struct prng {
    uint64_t state;
};

void prng_seed(struct prng *r, uint64_t seed);
uint64_t prng_next(struct prng *r);
/* A value in [0, n), n > 0; the slight bias does not matter for tests. */
uint32_t prng_below(struct prng *r, uint32_t n);
void prng_fill(struct prng *r, uint8_t *buf, size_t len);

/*
 * The Wycheproof files are regular JSON. The reader walks one as a flat
 * sequence of "name": value pairs in file order, descending into objects and
 * arrays; array elements that are plain strings are skipped. String values
 * are returned raw (without the quotes, escapes left as they are); numbers
 * and literals as their text; a pair whose value is an object or array has
 * value NULL (its members follow).
 */
struct vec_json {
    char *text;
    size_t len, pos;
};

struct vec_pair {
    const char *name, *value;
    size_t name_len, value_len;
};

/* Opens file in $FOTA_TEST_VECTORS (default "vectors"); 0 or -1. */
int vec_json_open(struct vec_json *j, const char *file);
/* 1 with the next pair in *p, 0 at the end, -1 on malformed input. */
int vec_json_next(struct vec_json *j, struct vec_pair *p);
int vec_pair_is(const struct vec_pair *p, const char *name);
/* The value as a non-negative integer, or -1. */
long vec_pair_number(const struct vec_pair *p);
void vec_json_close(struct vec_json *j);

#endif
