/*
 * Chunk sizes for the targets that feed a stream in pieces: a xorshift32
 * sequence from a seed the input picks, so a crashing input replays the same
 * cuts.
 */
#ifndef FOTA_FUZZ_CHUNK_H
#define FOTA_FUZZ_CHUNK_H

#include <stddef.h>
#include <stdint.h>

/* The next piece of the left bytes: 1..max of them, or all of them when
 * *seed is 0 (the whole stream at once). */
static inline size_t fuzz_chunk(uint32_t *seed, size_t left, size_t max)
{
    uint32_t s = *seed;

    if (s == 0)
        return left;
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    *seed = s;
    return left > 1 + s % max ? 1 + s % max : left;
}

#endif
