/*
 * Describing fota images for the tools (see imageinfo.h).
 */
#include <stdio.h>
#include <string.h>

#include "fota/bytes.h"
#include "fota/error.h"
#include "imageinfo.h"

#define TLV_HEAD 4u

static int mem_read(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
    const struct image_mem *mem = ctx;

    if (offset > mem->len || len > mem->len - offset)
        return FOTA_E_TRUNCATED;
    memcpy(buf, mem->data + offset, len);
    return 0;
}

int image_source_init(struct fota_image_source *src, struct image_mem *mem,
                      const uint8_t *data, size_t len)
{
    if (len > UINT32_MAX)
        return -1;
    mem->data = data;
    mem->len = len;
    src->ctx = mem;
    src->read = mem_read;
    src->size = (uint32_t)len;
    return 0;
}

static const char *tlv_problem(int err, const struct fota_image_tlv *tlv)
{
    if (err == FOTA_E_FORMAT)
        return "unknown critical entry";
    if (tlv->type == FOTA_TLV_KEY_ID && tlv->len != FOTA_IMAGE_KEY_ID_SIZE)
        return "key-id entry must hold 8 bytes";
    return "entry runs past the end of the header";
}

void image_tlvs_list(struct image_tlvs *t, const uint8_t *header, uint32_t header_size)
{
    struct fota_image_tlv tlv;
    uint32_t off = FOTA_IMAGE_FIXED_HEADER_SIZE;
    int more;

    memset(t, 0, sizeof(*t));
    while ((more = fota_image_tlv_next(header, header_size, &off, &tlv)) != 0) {
        if (t->count < IMAGE_MAX_TLVS) {
            t->v[t->count].offset = tlv.offset;
            t->v[t->count].type = tlv.type;
            t->v[t->count].len = tlv.len;
            t->count++;
        }
        if (more < 0) {
            t->problem = tlv_problem(more, &tlv);
            t->problem_offset = tlv.offset;
            return;
        }
    }
    if (off + TLV_HEAD <= header_size) {
        t->ended = 1;
        t->end_offset = off;
    }
}

const char *image_tlv_name(uint16_t type)
{
    if (type == FOTA_TLV_KEY_ID)
        return "key-id";
    if (type == FOTA_TLV_END)
        return "end";
    return type & FOTA_TLV_CRITICAL ? "unknown (critical)" : "unknown (skipped)";
}

void image_version_string(char *buf, size_t size, const struct fota_version *v)
{
    snprintf(buf, size, "%u.%u.%u+%lu", v->major, v->minor, v->patch, (unsigned long)v->build);
}

static void explain_tlv(char *msg, size_t size, const char *what, const uint8_t *data,
                        uint32_t header_size)
{
    struct image_tlvs t;

    image_tlvs_list(&t, data, header_size);
    if (t.problem != NULL)
        snprintf(msg, size, "%s: TLV type 0x%04x at byte %lu: %s", what,
                 fota_load16_le(data + t.problem_offset), (unsigned long)t.problem_offset,
                 t.problem);
    else
        snprintf(msg, size, "%s", what);
}

void image_explain(char *msg, size_t size, int err, const uint8_t *data, size_t len,
                   const struct fota_image_header *hdr)
{
    uint32_t header_size = len >= FOTA_IMAGE_FIXED_HEADER_SIZE
                               ? fota_load16_le(data + FOTA_IMAGE_OFF_HEADER_SIZE) : 0;

    switch (err) {
    case FOTA_E_MAGIC:
        snprintf(msg, size, "bad magic: the file starts with %02x %02x %02x %02x, "
                 "a fota image with 46 4f 54 41 (\"FOTA\")", data[0], data[1], data[2], data[3]);
        return;
    case FOTA_E_TRUNCATED:
        if (len < FOTA_IMAGE_FIXED_HEADER_SIZE)
            snprintf(msg, size, "truncated at byte %zu: the file has %zu bytes, "
                     "less than the %u-byte fixed header", len, len,
                     FOTA_IMAGE_FIXED_HEADER_SIZE);
        else if (len < hdr->header_size)
            snprintf(msg, size, "truncated at byte %zu: the file has %zu bytes, "
                     "the header alone is %u bytes", len, len, hdr->header_size);
        else
            snprintf(msg, size, "truncated at byte %zu: the file has %zu bytes, the header says "
                     "header %u + payload %lu + trailer %u = %lu", len, len, hdr->header_size,
                     (unsigned long)hdr->payload_size, FOTA_IMAGE_TRAILER_SIZE,
                     (unsigned long)fota_image_total_size(hdr));
        return;
    case FOTA_E_FORMAT: {
        uint16_t format = fota_load16_le(data + FOTA_IMAGE_OFF_FORMAT);
        uint32_t flags = fota_load32_le(data + FOTA_IMAGE_OFF_FLAGS);

        if (format != FOTA_IMAGE_FORMAT_VERSION)
            snprintf(msg, size, "unsupported format version %u (this tool reads version %u)",
                     format, FOTA_IMAGE_FORMAT_VERSION);
        else if (flags & ~FOTA_IMAGE_KNOWN_FLAGS)
            snprintf(msg, size, "unsupported flags 0x%08lx (unknown flags are critical)",
                     (unsigned long)flags);
        else
            explain_tlv(msg, size, "unsupported critical header entry", data, header_size);
        return;
    }
    case FOTA_E_HEADER:
        if (header_size < FOTA_IMAGE_FIXED_HEADER_SIZE ||
            header_size > FOTA_IMAGE_MAX_HEADER_SIZE || header_size % 4)
            snprintf(msg, size, "malformed header: header size %lu at byte %u is invalid "
                     "(a multiple of 4 from %u to %u)", (unsigned long)header_size,
                     FOTA_IMAGE_OFF_HEADER_SIZE, FOTA_IMAGE_FIXED_HEADER_SIZE,
                     FOTA_IMAGE_MAX_HEADER_SIZE);
        else if (fota_image_total_size(hdr) == 0)
            snprintf(msg, size, "malformed header: payload size %lu makes the image "
                     "larger than 4 GiB", (unsigned long)hdr->payload_size);
        else
            explain_tlv(msg, size, "malformed header", data, header_size);
        return;
    case FOTA_E_DIGEST:
        snprintf(msg, size, "digest mismatch: the SHA-256 of header || payload (bytes 0..%lu) "
                 "differs from the digest stored at byte %lu",
                 (unsigned long)(hdr->header_size + hdr->payload_size - 1),
                 (unsigned long)(hdr->header_size + hdr->payload_size));
        return;
    case FOTA_E_SIGNATURE:
        snprintf(msg, size, "bad signature: the Ed25519 signature at byte %lu does not verify "
                 "header || digest with this key",
                 (unsigned long)(hdr->header_size + hdr->payload_size + FOTA_IMAGE_DIGEST_SIZE));
        return;
    default:
        snprintf(msg, size, "%s", fota_strerror(err));
        return;
    }
}
