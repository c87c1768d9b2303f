#include <string.h>

#include <sodium.h>

#include "fota/error.h"
#include "fota/sha256.h"
#include "test_images.h"

void test_key_make(struct test_key *key, uint8_t seed_byte)
{
    uint8_t seed[crypto_sign_SEEDBYTES];

    memset(seed, seed_byte, sizeof(seed));
    crypto_sign_seed_keypair(key->pub, key->secret, seed);
}

static void payload_fill(uint8_t *p, uint32_t len, uint8_t seed)
{
    uint32_t x = 0x9E3779B9u * (seed + 1u);

    for (uint32_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)(x >> 24);
    }
}

size_t test_image_make(uint8_t *out, size_t out_size, const struct test_key *key,
                       const struct test_image_spec *spec)
{
    struct fota_image_header hdr = {
        .format_version = FOTA_IMAGE_FORMAT_VERSION,
        .header_size = spec->header_size ? spec->header_size : 512,
        .version = spec->version,
        .security_counter = spec->security_counter,
        .payload_size = spec->payload_size,
        .load_address = spec->load_address,
        .has_key_id = 1,
    };
    uint8_t key_digest[FOTA_SHA256_SIZE];
    size_t signed_len = (size_t)hdr.header_size + spec->payload_size;
    size_t total = signed_len + FOTA_IMAGE_TRAILER_SIZE;

    if (out_size < total)
        return 0;
    fota_sha256(key_digest, key->pub, sizeof(key->pub));
    memcpy(hdr.key_id, key_digest, FOTA_IMAGE_KEY_ID_SIZE);
    if (fota_image_header_write(&hdr, out, out_size) != hdr.header_size)
        return 0;
    payload_fill(out + hdr.header_size, spec->payload_size, spec->payload_seed);
    fota_sha256(out + signed_len, out, signed_len);
    /* Signed message: header || digest. */
    uint8_t msg[FOTA_IMAGE_MAX_HEADER_SIZE + FOTA_IMAGE_DIGEST_SIZE];
    memcpy(msg, out, hdr.header_size);
    memcpy(msg + hdr.header_size, out + signed_len, FOTA_IMAGE_DIGEST_SIZE);
    crypto_sign_detached(out + signed_len + FOTA_IMAGE_DIGEST_SIZE, NULL, msg,
                         hdr.header_size + FOTA_IMAGE_DIGEST_SIZE, key->secret);
    return total;
}

static int mem_read(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
    struct test_mem_source *mem = ctx;

    if (offset > mem->size || len > mem->size - offset)
        return FOTA_E_IO;
    memcpy(buf, mem->data + offset, len);
    return 0;
}

void test_mem_source_init(struct fota_image_source *src, struct test_mem_source *mem,
                          const uint8_t *data, uint32_t size)
{
    mem->data = data;
    mem->size = size;
    src->ctx = mem;
    src->read = mem_read;
    src->size = size;
}
