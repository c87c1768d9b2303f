/*
 * libFuzzer target: how the legacy listener recognises a device's answers
 * (legacy_answer_take() in server/legacy.c).
 *
 * Input: bytes 0..3 (little-endian) are the first message's number, byte 4
 * seeds the chunking, the rest is what the device sends. As the listener
 * does, an answer moves on to the next number and the rest of the bytes are
 * looked at for that one. The bytes are fed twice, whole and in chunks, and
 * both must see the answers at the same offsets; at every byte an oracle
 * (the digits received since the last answer or other character, CR, LF and
 * space skipped) says whether the answer is complete.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_chunk.h"
#include "legacy.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_ANSWERS 4096u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct answers {
    size_t at[MAX_ANSWERS]; /* offset just after the byte that completed one */
    size_t count;
};

/* The oracle: does the run of digits end with expect? */
static int run_ends_with(const char *run, size_t run_len, const char *expect, size_t len)
{
    return run_len >= len && memcmp(run + run_len - len, expect, len) == 0;
}

static void feed(struct answers *out, uint32_t seq, const char *in, size_t len, uint32_t seed)
{
    struct legacy_answer a;
    char expect[12], run[LEGACY_ANSWER_KEEP];
    size_t expect_len, pos = 0, run_len = 0;

    memset(&a, 0, sizeof(a));
    expect_len = (size_t)snprintf(expect, sizeof(expect), "%u", (unsigned)seq);
    out->count = 0;
    while (pos < len && out->count < MAX_ANSWERS) {
        size_t chunk = fuzz_chunk(&seed, len - pos, 13), took, i;

        took = legacy_answer_take(&a, expect, expect_len, in + pos, chunk);
        CHECK(took <= chunk);
        CHECK(a.rx_len <= LEGACY_ANSWER_KEEP);
        /* The oracle over the bytes taken: complete exactly at the last one. */
        for (i = 0; i < (took ? took : chunk); i++) {
            char ch = in[pos + i];

            if (ch == '\r' || ch == '\n' || ch == ' ')
                continue;
            if (ch < '0' || ch > '9') {
                run_len = 0;
                continue;
            }
            if (run_len == sizeof(run)) {
                memmove(run, run + 1, sizeof(run) - 1);
                run_len--;
            }
            run[run_len++] = ch;
            if (took != 0 && i == took - 1)
                CHECK(run_ends_with(run, run_len, expect, expect_len));
            else
                CHECK(!run_ends_with(run, run_len, expect, expect_len));
        }
        if (took == 0) {
            pos += chunk;
            continue;
        }
        pos += took;
        CHECK(a.rx_len == 0);
        run_len = 0;
        out->at[out->count++] = pos;
        seq++;
        expect_len = (size_t)snprintf(expect, sizeof(expect), "%u", (unsigned)seq);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct answers whole, split;
    uint32_t seq;

    if (size < 5)
        return 0;
    seq = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
          (uint32_t)data[3] << 24;
    feed(&whole, seq, (const char *)data + 5, size - 5, 0);
    feed(&split, seq, (const char *)data + 5, size - 5, 0x2545F491u ^ data[4]);
    CHECK(whole.count == split.count);
    for (size_t i = 0; i < whole.count; i++)
        CHECK(whole.at[i] == split.at[i]);
    return 0;
}
