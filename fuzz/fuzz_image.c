/*
 * libFuzzer target: the image header parser, the TLV walker and the whole
 * image verification (include/fota/image.h) over an image in memory.
 *
 * Images are checked against the fuzzing key below, whose private half is
 * fuzz/fuzz-key.pem (a throwaway key made for the corpus, never used to sign
 * firmware): the seed images in fuzz/corpus/image verify, so the fuzzer
 * starts from inputs that reach the digest and signature checks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fota/error.h"
#include "fota/image.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fota pubkey --c fuzz/fuzz-key.pem (key id 92d0a254b1c595aa) */
static const uint8_t fuzz_public_key[32] = {
    0x00, 0x63, 0xd9, 0x84, 0xad, 0x36, 0xe3, 0x6b,
    0x04, 0x4a, 0x29, 0xa5, 0x16, 0x80, 0x96, 0x19,
    0x6b, 0xb4, 0x81, 0xea, 0xb6, 0xa8, 0x96, 0xe0,
    0xab, 0x00, 0xee, 0xc9, 0x88, 0x19, 0x04, 0xb5,
};

struct mem {
    const uint8_t *data;
    size_t size;
    uint32_t reads;
};

/* Reads outside the image would be a verifier bug: it is told the size. */
static int mem_read(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
    struct mem *m = ctx;

    CHECK((size_t)offset <= m->size && len <= m->size - offset);
    memcpy(buf, m->data + offset, len);
    m->reads++;
    return 0;
}

static int same_header(const struct fota_image_header *a, const struct fota_image_header *b)
{
    return a->format_version == b->format_version && a->header_size == b->header_size &&
           fota_version_compare(&a->version, &b->version) == 0 &&
           a->security_counter == b->security_counter &&
           a->payload_size == b->payload_size && a->load_address == b->load_address &&
           a->flags == b->flags && a->has_key_id == b->has_key_id &&
           (!a->has_key_id || memcmp(a->key_id, b->key_id, sizeof(a->key_id)) == 0);
}

/* Walks the TLVs of a parsed header: every entry lies inside it and the walk
 * moves forward. */
static void walk(const uint8_t *header, uint32_t header_size)
{
    uint32_t off = FOTA_IMAGE_FIXED_HEADER_SIZE, prev;
    struct fota_image_tlv tlv;
    int rc;

    do {
        prev = off;
        rc = fota_image_tlv_next(header, header_size, &off, &tlv);
        if (rc == 1) {
            CHECK(off > prev && off <= header_size);
            CHECK(tlv.offset == prev);
            CHECK((uint32_t)tlv.offset + 4u + tlv.len <= header_size);
            CHECK(tlv.value == header + tlv.offset + 4);
        }
    } while (rc == 1);
    CHECK(rc == 0 || rc == FOTA_E_HEADER || rc == FOTA_E_FORMAT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t scratch[FOTA_IMAGE_MAX_HEADER_SIZE];
    static uint8_t rewritten[FOTA_IMAGE_MAX_HEADER_SIZE];
    struct fota_image_header hdr, again, vhdr;
    struct mem m = {data, size, 0};
    struct fota_image_source src = {&m, mem_read, 0};
    int parsed, verified, rc;

    if (size > UINT32_MAX)
        return 0;
    src.size = (uint32_t)size;
    parsed = fota_image_header_parse(&hdr, data, size);
    CHECK(parsed == 0 || parsed == FOTA_E_MAGIC || parsed == FOTA_E_FORMAT ||
          parsed == FOTA_E_HEADER || parsed == FOTA_E_TRUNCATED);
    if (parsed == 0) {
        CHECK(hdr.header_size >= FOTA_IMAGE_FIXED_HEADER_SIZE &&
              hdr.header_size <= FOTA_IMAGE_MAX_HEADER_SIZE && hdr.header_size <= size);
        walk(data, hdr.header_size);
        /* What the writer makes of a parsed header parses to the same. The
         * writer may refuse a header with no room for its end TLV, which
         * the format allows (the list also ends with the header). */
        rc = fota_image_header_write(&hdr, rewritten, sizeof(rewritten));
        CHECK(rc == hdr.header_size || rc == FOTA_E_HEADER);
        if (rc == hdr.header_size) {
            CHECK(fota_image_header_parse(&again, rewritten, hdr.header_size) == 0);
            CHECK(same_header(&hdr, &again));
        }
    }

    verified = fota_image_verify(&src, fuzz_public_key, scratch, sizeof(scratch), &vhdr);
    if (verified == 0) {
        /* Only a signed image verifies: its header parses the same. */
        CHECK(parsed == 0 && same_header(&hdr, &vhdr));
        CHECK(fota_image_total_size(&hdr) != 0 && fota_image_total_size(&hdr) <= size);
    }
    if (parsed != 0)
        CHECK(verified != 0);
    return 0;
}
