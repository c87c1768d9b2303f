/*
 * Signed test images made on the host with libsodium, shared by the image,
 * boot and power-cut tests.
 */
#ifndef FOTA_TEST_IMAGES_H
#define FOTA_TEST_IMAGES_H

#include <stddef.h>
#include <stdint.h>

#include "fota/image.h"

struct test_key {
    uint8_t pub[32];
    uint8_t secret[64]; /* libsodium's secret key: seed || public key */
};

/* A key pair derived from seed_byte, so runs are repeatable. */
void test_key_make(struct test_key *key, uint8_t seed_byte);

struct test_image_spec {
    struct fota_version version;
    uint32_t security_counter;
    uint32_t payload_size;
    uint32_t load_address;
    uint16_t header_size;   /* 0: 512 */
    uint8_t payload_seed;   /* payload bytes are a function of this and the offset */
};

/* Builds header || payload || digest || signature into out (out_size bytes);
 * returns the image size, or 0 when out is too small. */
size_t test_image_make(uint8_t *out, size_t out_size, const struct test_key *key,
                       const struct test_image_spec *spec);

/* A fota_image_source over bytes in memory. */
struct test_mem_source {
    const uint8_t *data;
    uint32_t size;
};
void test_mem_source_init(struct fota_image_source *src, struct test_mem_source *mem,
                          const uint8_t *data, uint32_t size);

#endif
