/* Image header parsing, writing and whole-image verification (core/image.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fota/bytes.h"
#include "fota/error.h"
#include "fota/image.h"
#include "test_images.h"

#define PAYLOAD_SIZE 3000u
#define IMAGE_MAX (FOTA_IMAGE_MAX_HEADER_SIZE + PAYLOAD_SIZE + FOTA_IMAGE_TRAILER_SIZE)

static struct test_key key;
static uint8_t image[IMAGE_MAX];
static size_t image_size;
static uint8_t scratch[1024];

static const struct test_image_spec spec = {
    .version = {1, 2, 3, 45},
    .security_counter = 7,
    .payload_size = PAYLOAD_SIZE,
    .load_address = 0x08005200,
    .payload_seed = 1,
};

static int setup(void **state)
{
    (void)state;
    test_key_make(&key, 0x42);
    image_size = test_image_make(image, sizeof(image), &key, &spec);
    return image_size ? 0 : -1;
}

static int verify(const uint8_t *img, size_t size, struct fota_image_header *hdr)
{
    struct fota_image_source src;
    struct test_mem_source mem;

    test_mem_source_init(&src, &mem, img, (uint32_t)size);
    return fota_image_verify(&src, key.pub, scratch, sizeof(scratch), hdr);
}

static void test_header_round_trip(void **state)
{
    struct fota_image_header hdr;

    (void)state;
    assert_int_equal(fota_image_header_parse(&hdr, image, 512), 0);
    assert_int_equal(hdr.format_version, 1);
    assert_int_equal(hdr.header_size, 512);
    assert_int_equal(hdr.version.major, 1);
    assert_int_equal(hdr.version.minor, 2);
    assert_int_equal(hdr.version.patch, 3);
    assert_int_equal(hdr.version.build, 45);
    assert_int_equal(hdr.security_counter, 7);
    assert_int_equal(hdr.payload_size, PAYLOAD_SIZE);
    assert_int_equal(hdr.load_address, 0x08005200);
    assert_int_equal(hdr.flags, 0);
    assert_true(hdr.has_key_id);
    assert_int_equal(fota_image_total_size(&hdr), 512 + PAYLOAD_SIZE + 96);
}

static int parse_modified(size_t off, const uint8_t *bytes, size_t n)
{
    uint8_t buf[512];
    struct fota_image_header hdr;

    memcpy(buf, image, sizeof(buf));
    memcpy(buf + off, bytes, n);
    return fota_image_header_parse(&hdr, buf, sizeof(buf));
}

static void test_header_refusals(void **state)
{
    uint8_t le[4];

    (void)state;
    assert_int_equal(parse_modified(0, (const uint8_t *)"FOTB", 4), FOTA_E_MAGIC);
    fota_store16_le(le, 2);
    assert_int_equal(parse_modified(FOTA_IMAGE_OFF_FORMAT, le, 2), FOTA_E_FORMAT);
    fota_store16_le(le, 60);
    assert_int_equal(parse_modified(FOTA_IMAGE_OFF_HEADER_SIZE, le, 2), FOTA_E_HEADER);
    fota_store16_le(le, 4096);
    assert_int_equal(parse_modified(FOTA_IMAGE_OFF_HEADER_SIZE, le, 2), FOTA_E_HEADER);
    fota_store16_le(le, 510);
    assert_int_equal(parse_modified(FOTA_IMAGE_OFF_HEADER_SIZE, le, 2), FOTA_E_HEADER);
    fota_store32_le(le, 1);
    assert_int_equal(parse_modified(FOTA_IMAGE_OFF_FLAGS, le, 4), FOTA_E_FORMAT);
    fota_store32_le(le, 0xFFFFFFF0u);
    assert_int_equal(parse_modified(FOTA_IMAGE_OFF_PAYLOAD_SIZE, le, 4), FOTA_E_HEADER);
}

static void test_header_truncated(void **state)
{
    struct fota_image_header hdr;

    (void)state;
    assert_int_equal(fota_image_header_parse(&hdr, image, 0), FOTA_E_TRUNCATED);
    assert_int_equal(fota_image_header_parse(&hdr, image, 3), FOTA_E_TRUNCATED);
    assert_int_equal(fota_image_header_parse(&hdr, image, 63), FOTA_E_TRUNCATED);
    assert_int_equal(fota_image_header_parse(&hdr, image, 100), FOTA_E_TRUNCATED);
    /* The fixed part was there, so the caller learns how much to read. */
    assert_int_equal(hdr.header_size, 512);
    assert_int_equal(fota_image_header_parse(&hdr, (const uint8_t *)"ELF!", 4),
                     FOTA_E_MAGIC);
}

static void tlv_put(uint8_t *at, uint16_t type, uint16_t len)
{
    fota_store16_le(at, type);
    fota_store16_le(at + 2, len);
}

static void test_tlv_rules(void **state)
{
    uint8_t buf[512];
    struct fota_image_header hdr;

    (void)state;
    /* An unknown non-critical entry before the key id is skipped. */
    memcpy(buf, image, sizeof(buf));
    memmove(buf + 64 + 8, buf + 64, 12);
    tlv_put(buf + 64, 0x0042, 3);
    assert_int_equal(fota_image_header_parse(&hdr, buf, sizeof(buf)), 0);
    assert_true(hdr.has_key_id);
    assert_memory_equal(hdr.key_id, image + 68, 8);

    tlv_put(buf + 64, 0x0042 | FOTA_TLV_CRITICAL, 3);
    assert_int_equal(fota_image_header_parse(&hdr, buf, sizeof(buf)), FOTA_E_FORMAT);

    tlv_put(buf + 64, 0x0042, 600);
    assert_int_equal(fota_image_header_parse(&hdr, buf, sizeof(buf)), FOTA_E_HEADER);

    memcpy(buf, image, sizeof(buf));
    tlv_put(buf + 64, FOTA_TLV_KEY_ID, 4);
    assert_int_equal(fota_image_header_parse(&hdr, buf, sizeof(buf)), FOTA_E_HEADER);

    /* No TLV at all: the end marker comes first. */
    tlv_put(buf + 64, FOTA_TLV_END, 0);
    assert_int_equal(fota_image_header_parse(&hdr, buf, sizeof(buf)), 0);
    assert_false(hdr.has_key_id);
}

static void test_header_write_limits(void **state)
{
    struct fota_image_header hdr;
    uint8_t buf[128];

    (void)state;
    assert_int_equal(fota_image_header_parse(&hdr, image, 512), 0);
    assert_int_equal(fota_image_header_write(&hdr, buf, sizeof(buf)), FOTA_E_TOO_BIG);
    hdr.header_size = 72; /* fixed part + key id, but no room for the end */
    assert_int_equal(fota_image_header_write(&hdr, buf, sizeof(buf)), FOTA_E_HEADER);
    hdr.header_size = 80;
    assert_int_equal(fota_image_header_write(&hdr, buf, sizeof(buf)), 80);
    assert_int_equal(fota_image_header_parse(&hdr, buf, 80), 0);
    assert_true(hdr.has_key_id);
}

static void test_verify_valid(void **state)
{
    struct fota_image_header hdr;

    (void)state;
    assert_int_equal(verify(image, image_size, &hdr), 0);
    assert_int_equal(hdr.payload_size, PAYLOAD_SIZE);
    /* Trailing bytes after the image are the caller's business (a slot). */
    assert_int_equal(verify(image, sizeof(image), &hdr), 0);
}

static void test_verify_every_flip(void **state)
{
    static uint8_t copy[IMAGE_MAX];
    struct fota_image_header hdr;
    size_t payload_end = 512 + PAYLOAD_SIZE;
    unsigned refused = 0, tried = 0;

    (void)state;
    for (size_t off = 0; off < image_size; off++) {
        /* Every byte of header and trailer, every 7th payload byte. */
        if (off >= 512 && off < payload_end && off % 7 && off != payload_end - 1)
            continue;
        memcpy(copy, image, image_size);
        copy[off] ^= (uint8_t)(1u << (off % 8));
        tried++;
        int err = verify(copy, image_size, &hdr);
        if (err < 0)
            refused++;
        if (off >= 512 && off < payload_end)
            assert_int_equal(err, FOTA_E_DIGEST);
        if (off >= payload_end + 32)
            assert_int_equal(err, FOTA_E_SIGNATURE);
    }
    print_message("image flips: %u tried, %u refused\n", tried, refused);
    assert_int_equal(refused, tried);
}

static void test_verify_truncated(void **state)
{
    struct fota_image_header hdr;
    const size_t lengths[] = {0, 2, 63, 64, 511, 512, 3000, 3511, 3512, 3600, 3607};

    (void)state;
    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++)
        assert_int_equal(verify(image, lengths[i], &hdr), FOTA_E_TRUNCATED);
}

static void test_verify_small_buffer(void **state)
{
    struct fota_image_source src;
    struct test_mem_source mem;
    struct fota_image_header hdr;

    (void)state;
    test_mem_source_init(&src, &mem, image, (uint32_t)image_size);
    assert_int_equal(fota_image_verify(&src, key.pub, scratch, 256, &hdr), FOTA_E_TOO_BIG);
    assert_int_equal(fota_image_verify(&src, key.pub, scratch, 32, &hdr), FOTA_E_TOO_BIG);
    assert_int_equal(fota_image_verify(&src, key.pub, scratch, 512, &hdr), 0);
}

static void test_verify_wrong_key(void **state)
{
    struct test_key other;
    struct fota_image_source src;
    struct test_mem_source mem;
    struct fota_image_header hdr;

    (void)state;
    test_key_make(&other, 0x43);
    test_mem_source_init(&src, &mem, image, (uint32_t)image_size);
    assert_int_equal(fota_image_verify(&src, other.pub, scratch, sizeof(scratch), &hdr),
                     FOTA_E_SIGNATURE);
}

static void test_manifest_verify(void **state)
{
    struct fota_image_header hdr;
    const uint8_t *digest = image + 512 + PAYLOAD_SIZE;

    (void)state;
    assert_int_equal(fota_image_header_parse(&hdr, image, 512), 0);
    assert_int_equal(fota_image_manifest_verify(&hdr, image, digest, digest + 32, key.pub), 0);
    uint8_t header[512];
    memcpy(header, image, sizeof(header));
    header[FOTA_IMAGE_OFF_COUNTER] ^= 1;
    assert_int_equal(fota_image_manifest_verify(&hdr, header, digest, digest + 32, key.pub),
                     FOTA_E_SIGNATURE);
}

static void test_version_compare(void **state)
{
    const struct fota_version v[] = {
        {1, 0, 0, 0}, {1, 0, 0, 1}, {1, 0, 1, 0}, {1, 1, 0, 0}, {2, 0, 0, 0},
    };

    (void)state;
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 5; j++) {
            int c = fota_version_compare(&v[i], &v[j]);
            assert_true(i < j ? c < 0 : i > j ? c > 0 : c == 0);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_round_trip),
        cmocka_unit_test(test_header_refusals),
        cmocka_unit_test(test_header_truncated),
        cmocka_unit_test(test_tlv_rules),
        cmocka_unit_test(test_header_write_limits),
        cmocka_unit_test(test_verify_valid),
        cmocka_unit_test(test_verify_every_flip),
        cmocka_unit_test(test_verify_truncated),
        cmocka_unit_test(test_verify_small_buffer),
        cmocka_unit_test(test_verify_wrong_key),
        cmocka_unit_test(test_manifest_verify),
        cmocka_unit_test(test_version_compare),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
