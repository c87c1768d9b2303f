/*
 * Image header parsing and whole-image verification. The same code checks an
 * image in a file (fota verify), in a download (the agent) and in a flash slot
 * (the bootloader), so all three refuse exactly the same images.
 */
#include <string.h>

#include "fota/bytes.h"
#include "fota/error.h"
#include "fota/image.h"

#define TLV_HEAD_SIZE 4u

static int magic_ok(const uint8_t *buf)
{
    return buf[0] == FOTA_IMAGE_MAGIC_0 && buf[1] == FOTA_IMAGE_MAGIC_1 &&
           buf[2] == FOTA_IMAGE_MAGIC_2 && buf[3] == FOTA_IMAGE_MAGIC_3;
}

static uint32_t tlv_padded(uint32_t len)
{
    return (len + 3u) & ~3u;
}

int fota_image_tlv_next(const uint8_t *header, uint32_t header_size, uint32_t *off,
                        struct fota_image_tlv *tlv)
{
    if (*off + TLV_HEAD_SIZE > header_size)
        return 0;
    tlv->offset = *off;
    tlv->type = fota_load16_le(header + *off);
    tlv->len = fota_load16_le(header + *off + 2);
    tlv->value = header + *off + TLV_HEAD_SIZE;
    if (tlv->type == FOTA_TLV_END)
        return 0;
    if (*off + TLV_HEAD_SIZE + tlv->len > header_size)
        return FOTA_E_HEADER;
    if (tlv->type == FOTA_TLV_KEY_ID && tlv->len != FOTA_IMAGE_KEY_ID_SIZE)
        return FOTA_E_HEADER;
    if (tlv->type != FOTA_TLV_KEY_ID && (tlv->type & FOTA_TLV_CRITICAL))
        return FOTA_E_FORMAT;
    *off += TLV_HEAD_SIZE + tlv_padded(tlv->len);
    return 1;
}

static int tlv_parse(struct fota_image_header *hdr, const uint8_t *buf)
{
    struct fota_image_tlv tlv;
    uint32_t off = FOTA_IMAGE_FIXED_HEADER_SIZE;
    int more;

    while ((more = fota_image_tlv_next(buf, hdr->header_size, &off, &tlv)) > 0) {
        if (tlv.type == FOTA_TLV_KEY_ID) {
            memcpy(hdr->key_id, tlv.value, FOTA_IMAGE_KEY_ID_SIZE);
            hdr->has_key_id = 1;
        }
    }
    return more;
}

static void fixed_parse(struct fota_image_header *hdr, const uint8_t *buf)
{
    memset(hdr, 0, sizeof(*hdr));
    hdr->format_version = fota_load16_le(buf + FOTA_IMAGE_OFF_FORMAT);
    hdr->header_size = fota_load16_le(buf + FOTA_IMAGE_OFF_HEADER_SIZE);
    hdr->version.major = buf[FOTA_IMAGE_OFF_MAJOR];
    hdr->version.minor = buf[FOTA_IMAGE_OFF_MINOR];
    hdr->version.patch = fota_load16_le(buf + FOTA_IMAGE_OFF_PATCH);
    hdr->version.build = fota_load32_le(buf + FOTA_IMAGE_OFF_BUILD);
    hdr->security_counter = fota_load32_le(buf + FOTA_IMAGE_OFF_COUNTER);
    hdr->payload_size = fota_load32_le(buf + FOTA_IMAGE_OFF_PAYLOAD_SIZE);
    hdr->load_address = fota_load32_le(buf + FOTA_IMAGE_OFF_LOAD_ADDRESS);
    hdr->flags = fota_load32_le(buf + FOTA_IMAGE_OFF_FLAGS);
}

int fota_image_header_parse(struct fota_image_header *hdr, const uint8_t *buf,
                            size_t len)
{
    memset(hdr, 0, sizeof(*hdr));
    if (len >= 4 && !magic_ok(buf))
        return FOTA_E_MAGIC;
    if (len < FOTA_IMAGE_FIXED_HEADER_SIZE)
        return FOTA_E_TRUNCATED;
    fixed_parse(hdr, buf);
    if (hdr->format_version != FOTA_IMAGE_FORMAT_VERSION)
        return FOTA_E_FORMAT;
    if (hdr->header_size < FOTA_IMAGE_FIXED_HEADER_SIZE ||
        hdr->header_size > FOTA_IMAGE_MAX_HEADER_SIZE || hdr->header_size % 4)
        return FOTA_E_HEADER;
    if (hdr->flags & ~FOTA_IMAGE_KNOWN_FLAGS)
        return FOTA_E_FORMAT;
    if (fota_image_total_size(hdr) == 0)
        return FOTA_E_HEADER;
    if (len < hdr->header_size)
        return FOTA_E_TRUNCATED;
    return tlv_parse(hdr, buf);
}

int fota_image_header_write(const struct fota_image_header *hdr, uint8_t *buf,
                            size_t buf_size)
{
    uint32_t off = FOTA_IMAGE_FIXED_HEADER_SIZE;
    uint32_t need = off + (hdr->has_key_id ? TLV_HEAD_SIZE + FOTA_IMAGE_KEY_ID_SIZE : 0);

    if (hdr->header_size < need + TLV_HEAD_SIZE ||
        hdr->header_size > FOTA_IMAGE_MAX_HEADER_SIZE || hdr->header_size % 4)
        return FOTA_E_HEADER;
    if (buf_size < hdr->header_size)
        return FOTA_E_TOO_BIG;
    memset(buf, 0, FOTA_IMAGE_FIXED_HEADER_SIZE);
    memset(buf + off, 0xFF, hdr->header_size - off);
    buf[0] = FOTA_IMAGE_MAGIC_0;
    buf[1] = FOTA_IMAGE_MAGIC_1;
    buf[2] = FOTA_IMAGE_MAGIC_2;
    buf[3] = FOTA_IMAGE_MAGIC_3;
    fota_store16_le(buf + FOTA_IMAGE_OFF_FORMAT, hdr->format_version);
    fota_store16_le(buf + FOTA_IMAGE_OFF_HEADER_SIZE, hdr->header_size);
    buf[FOTA_IMAGE_OFF_MAJOR] = hdr->version.major;
    buf[FOTA_IMAGE_OFF_MINOR] = hdr->version.minor;
    fota_store16_le(buf + FOTA_IMAGE_OFF_PATCH, hdr->version.patch);
    fota_store32_le(buf + FOTA_IMAGE_OFF_BUILD, hdr->version.build);
    fota_store32_le(buf + FOTA_IMAGE_OFF_COUNTER, hdr->security_counter);
    fota_store32_le(buf + FOTA_IMAGE_OFF_PAYLOAD_SIZE, hdr->payload_size);
    fota_store32_le(buf + FOTA_IMAGE_OFF_LOAD_ADDRESS, hdr->load_address);
    fota_store32_le(buf + FOTA_IMAGE_OFF_FLAGS, hdr->flags);
    if (hdr->has_key_id) {
        fota_store16_le(buf + off, FOTA_TLV_KEY_ID);
        fota_store16_le(buf + off + 2, FOTA_IMAGE_KEY_ID_SIZE);
        memcpy(buf + off + TLV_HEAD_SIZE, hdr->key_id, FOTA_IMAGE_KEY_ID_SIZE);
        off += TLV_HEAD_SIZE + FOTA_IMAGE_KEY_ID_SIZE;
    }
    fota_store16_le(buf + off, FOTA_TLV_END);
    fota_store16_le(buf + off + 2, 0);
    return hdr->header_size;
}

uint32_t fota_image_total_size(const struct fota_image_header *hdr)
{
    uint32_t fixed = (uint32_t)hdr->header_size + FOTA_IMAGE_TRAILER_SIZE;

    if (hdr->payload_size > UINT32_MAX - fixed)
        return 0;
    return fixed + hdr->payload_size;
}

int fota_image_manifest_verify(const struct fota_image_header *hdr,
                               const uint8_t *header,
                               const uint8_t digest[FOTA_IMAGE_DIGEST_SIZE],
                               const uint8_t signature[FOTA_IMAGE_SIGNATURE_SIZE],
                               const uint8_t pub[FOTA_ED25519_PUBLIC_KEY_SIZE])
{
    struct fota_ed25519_verifier v;

    fota_ed25519_verify_start(&v, signature, pub);
    fota_ed25519_verify_update(&v, header, hdr->header_size);
    fota_ed25519_verify_update(&v, digest, FOTA_IMAGE_DIGEST_SIZE);
    return fota_ed25519_verify_finish(&v);
}

static int header_read(const struct fota_image_source *src, uint8_t *buf,
                       uint32_t buf_size, struct fota_image_header *hdr)
{
    uint32_t len = src->size < FOTA_IMAGE_FIXED_HEADER_SIZE ? src->size
                                                            : FOTA_IMAGE_FIXED_HEADER_SIZE;
    int err;

    if (buf_size < FOTA_IMAGE_FIXED_HEADER_SIZE)
        return FOTA_E_TOO_BIG;
    err = src->read(src->ctx, 0, buf, len);
    if (err < 0)
        return err;
    err = fota_image_header_parse(hdr, buf, len);
    if (err != FOTA_E_TRUNCATED || len < FOTA_IMAGE_FIXED_HEADER_SIZE)
        return err;
    if (hdr->header_size > buf_size)
        return FOTA_E_TOO_BIG;
    len = src->size < hdr->header_size ? src->size : hdr->header_size;
    err = src->read(src->ctx, 0, buf, len);
    if (err < 0)
        return err;
    return fota_image_header_parse(hdr, buf, len);
}

/* SHA-256 of the first len bytes of the source, read through buf. */
static int digest_compute(const struct fota_image_source *src, uint32_t len,
                          uint8_t *buf, uint32_t buf_size,
                          uint8_t digest[FOTA_IMAGE_DIGEST_SIZE])
{
    struct fota_sha256 sha;
    uint32_t off = 0;

    fota_sha256_init(&sha);
    while (off < len) {
        uint32_t n = len - off < buf_size ? len - off : buf_size;
        int err = src->read(src->ctx, off, buf, n);

        if (err < 0)
            return err;
        fota_sha256_update(&sha, buf, n);
        off += n;
    }
    fota_sha256_final(&sha, digest);
    return 0;
}

int fota_image_verify(const struct fota_image_source *src,
                      const uint8_t pub[FOTA_ED25519_PUBLIC_KEY_SIZE],
                      uint8_t *buf, uint32_t buf_size,
                      struct fota_image_header *hdr)
{
    uint8_t trailer[FOTA_IMAGE_TRAILER_SIZE];
    uint8_t digest[FOTA_IMAGE_DIGEST_SIZE];
    uint32_t signed_len;
    int err = header_read(src, buf, buf_size, hdr);

    if (err < 0)
        return err;
    signed_len = hdr->header_size + hdr->payload_size;
    if (src->size < fota_image_total_size(hdr))
        return FOTA_E_TRUNCATED;
    err = src->read(src->ctx, signed_len, trailer, sizeof(trailer));
    if (err < 0)
        return err;
    err = digest_compute(src, signed_len, buf, buf_size, digest);
    if (err < 0)
        return err;
    if (memcmp(digest, trailer, FOTA_IMAGE_DIGEST_SIZE) != 0)
        return FOTA_E_DIGEST;
    /* The digest pass reused buf: read the header back for the signature. */
    err = src->read(src->ctx, 0, buf, hdr->header_size);
    if (err < 0)
        return err;
    return fota_image_manifest_verify(hdr, buf, trailer,
                                      trailer + FOTA_IMAGE_DIGEST_SIZE, pub);
}

/* Where in flash an image source reads: addr is the image's first byte. */
struct flash_at {
    const struct fota_flash *flash;
    uint32_t addr;
};

static int flash_at_read(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
    const struct flash_at *at = ctx;

    return at->flash->read(at->flash->ctx, at->addr + offset, buf, len);
}

int fota_image_verify_flash(const struct fota_flash *fl, uint32_t addr, uint32_t size,
                            const uint8_t pub[FOTA_ED25519_PUBLIC_KEY_SIZE],
                            uint8_t *buf, uint32_t buf_size,
                            struct fota_image_header *hdr)
{
    struct flash_at at = {fl, addr};
    struct fota_image_source src = {.ctx = &at, .read = flash_at_read, .size = size};

    return fota_image_verify(&src, pub, buf, buf_size, hdr);
}

int fota_version_compare(const struct fota_version *a, const struct fota_version *b)
{
    if (a->major != b->major)
        return a->major < b->major ? -1 : 1;
    if (a->minor != b->minor)
        return a->minor < b->minor ? -1 : 1;
    if (a->patch != b->patch)
        return a->patch < b->patch ? -1 : 1;
    if (a->build != b->build)
        return a->build < b->build ? -1 : 1;
    return 0;
}
