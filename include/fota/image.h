/*
 * The fota image format (docs/image-format.md is the specification).
 *
 *   header (header_size bytes: 64 fixed bytes, then TLV entries, then 0xFF)
 *   payload (payload_size bytes: the firmware, placed at load_address)
 *   digest (32 bytes: SHA-256 of header || payload)
 *   signature (64 bytes: Ed25519 over header || digest)
 *
 * header || digest || signature is the image's manifest: it can be checked
 * before the payload is fetched, and the payload is then checked against the
 * digest. All integers are little-endian.
 */
#ifndef FOTA_IMAGE_H
#define FOTA_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "fota/ed25519.h"
#include "fota/flash.h"
#include "fota/sha256.h"

#define FOTA_IMAGE_MAGIC_0 'F'
#define FOTA_IMAGE_MAGIC_1 'O'
#define FOTA_IMAGE_MAGIC_2 'T'
#define FOTA_IMAGE_MAGIC_3 'A'
#define FOTA_IMAGE_FORMAT_VERSION 1
#define FOTA_IMAGE_FIXED_HEADER_SIZE 64
#define FOTA_IMAGE_MAX_HEADER_SIZE 2048
#define FOTA_IMAGE_DIGEST_SIZE FOTA_SHA256_SIZE
#define FOTA_IMAGE_SIGNATURE_SIZE FOTA_ED25519_SIGNATURE_SIZE
#define FOTA_IMAGE_TRAILER_SIZE (FOTA_IMAGE_DIGEST_SIZE + FOTA_IMAGE_SIGNATURE_SIZE)
#define FOTA_IMAGE_KEY_ID_SIZE 8

/* Byte offsets of the fixed header fields. */
enum fota_image_field {
    FOTA_IMAGE_OFF_MAGIC = 0x00,
    FOTA_IMAGE_OFF_FORMAT = 0x04,
    FOTA_IMAGE_OFF_HEADER_SIZE = 0x06,
    FOTA_IMAGE_OFF_MAJOR = 0x08,
    FOTA_IMAGE_OFF_MINOR = 0x09,
    FOTA_IMAGE_OFF_PATCH = 0x0A,
    FOTA_IMAGE_OFF_BUILD = 0x0C,
    FOTA_IMAGE_OFF_COUNTER = 0x10,
    FOTA_IMAGE_OFF_PAYLOAD_SIZE = 0x14,
    FOTA_IMAGE_OFF_LOAD_ADDRESS = 0x18,
    FOTA_IMAGE_OFF_FLAGS = 0x1C,
    FOTA_IMAGE_OFF_RESERVED = 0x20, /* 32 bytes, written as zero, ignored */
};

/* TLV entries after the fixed header: type (u16), length (u16), value,
 * padded with 0xFF to a multiple of 4. A type with the critical bit set must
 * be understood: a reader that does not know it refuses the image. The first
 * entry of type FOTA_TLV_END (or the end of the header) ends the list. */
enum fota_tlv_type {
    FOTA_TLV_KEY_ID = 0x0001, /* first 8 bytes of SHA-256(public key) */
    FOTA_TLV_CRITICAL = 0x8000,
    FOTA_TLV_END = 0xFFFF,
};

/* No flag is defined yet: every flag bit is critical, and a reader refuses
 * an image with a bit it does not know. */
#define FOTA_IMAGE_KNOWN_FLAGS 0u

struct fota_version {
    uint8_t major;
    uint8_t minor;
    uint16_t patch;
    uint32_t build;
};

struct fota_image_header {
    uint16_t format_version;
    uint16_t header_size;
    struct fota_version version;
    uint32_t security_counter;
    uint32_t payload_size;
    uint32_t load_address;
    uint32_t flags;
    uint8_t has_key_id;
    uint8_t key_id[FOTA_IMAGE_KEY_ID_SIZE];
};

/* Parses and checks the header in the first len bytes of buf. Needs the
 * whole header (header_size bytes, known once the fixed part is read): a
 * shorter buf gives FOTA_E_TRUNCATED with hdr->header_size filled in when
 * at least the fixed part was there. Returns 0, FOTA_E_MAGIC, FOTA_E_FORMAT
 * (unknown format version, flag or critical TLV), FOTA_E_HEADER (a size out of
 * range, a malformed TLV) or FOTA_E_TRUNCATED. */
int fota_image_header_parse(struct fota_image_header *hdr, const uint8_t *buf,
                            size_t len);

/* One TLV entry of a header. */
struct fota_image_tlv {
    uint32_t offset; /* of its type field, from the header's first byte */
    uint16_t type;
    uint16_t len;
    const uint8_t *value;
};

/* Walks the TLV entries of a header (header_size bytes): *off starts at
 * FOTA_IMAGE_FIXED_HEADER_SIZE and is advanced past each entry. Returns 1
 * with tlv filled, 0 at the end of the list, or an error with tlv naming the
 * offending entry: FOTA_E_HEADER (it runs past the header, or a known type
 * has the wrong length), FOTA_E_FORMAT (unknown critical type). The parser
 * and the tools' listings both walk the list through this. */
int fota_image_tlv_next(const uint8_t *header, uint32_t header_size, uint32_t *off,
                        struct fota_image_tlv *tlv);

/* Writes hdr as header_size bytes into buf (buf_size >= hdr->header_size):
 * the fixed part, a key-id TLV when has_key_id, an end TLV, 0xFF padding.
 * Returns header_size or FOTA_E_TOO_BIG / FOTA_E_HEADER. */
int fota_image_header_write(const struct fota_image_header *hdr, uint8_t *buf,
                            size_t buf_size);

/* header_size + payload_size + trailer, or 0 when that overflows 32 bits. */
uint32_t fota_image_total_size(const struct fota_image_header *hdr);

/* Checks the manifest signature: Ed25519 by pub over header || digest, where
 * header is hdr->header_size bytes. Returns 0 or FOTA_E_SIGNATURE. */
int fota_image_manifest_verify(const struct fota_image_header *hdr,
                               const uint8_t *header,
                               const uint8_t digest[FOTA_IMAGE_DIGEST_SIZE],
                               const uint8_t signature[FOTA_IMAGE_SIGNATURE_SIZE],
                               const uint8_t pub[FOTA_ED25519_PUBLIC_KEY_SIZE]);

/* Where an image is read from: a slot in flash, a file in memory, ... */
struct fota_image_source {
    void *ctx;
    /* Copy len bytes at offset (from the image's first byte) into buf. */
    int (*read)(void *ctx, uint32_t offset, void *buf, uint32_t len);
    uint32_t size; /* bytes available to read */
};

/* Verifies a whole image: header, digest of header || payload, signature.
 * buf (buf_size bytes, at least FOTA_IMAGE_FIXED_HEADER_SIZE and at least the
 * image's header_size) is scratch. hdr is filled as soon as the header
 * parses, so a caller can report sizes after FOTA_E_TRUNCATED. Returns 0,
 * a header error, FOTA_E_TRUNCATED (the source is shorter than the image),
 * FOTA_E_TOO_BIG (buf cannot hold the header), FOTA_E_DIGEST,
 * FOTA_E_SIGNATURE or a read error. */
int fota_image_verify(const struct fota_image_source *src,
                      const uint8_t pub[FOTA_ED25519_PUBLIC_KEY_SIZE],
                      uint8_t *buf, uint32_t buf_size,
                      struct fota_image_header *hdr);

/* fota_image_verify() of the image stored in fl from addr on, with at most
 * size bytes readable: the one check the bootloader and the agent both make
 * of a slot, so they accept and refuse the same images. */
int fota_image_verify_flash(const struct fota_flash *fl, uint32_t addr, uint32_t size,
                            const uint8_t pub[FOTA_ED25519_PUBLIC_KEY_SIZE],
                            uint8_t *buf, uint32_t buf_size,
                            struct fota_image_header *hdr);

/* Orders two versions: <0, 0, >0 like memcmp (build number included). */
int fota_version_compare(const struct fota_version *a, const struct fota_version *b);

#endif
