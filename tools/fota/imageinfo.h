/*
 * Helpers for commands that read fota images from files: a
 * fota_image_source over bytes in memory, a list of the header's TLV entries
 * for display, and sentences that explain why the core refused an image.
 *
 * Accepting or refusing an image is always the core's decision
 * (fota_image_header_parse, fota_image_verify); this module only describes.
 */
#ifndef FOTA_TOOL_IMAGEINFO_H
#define FOTA_TOOL_IMAGEINFO_H

#include <stddef.h>
#include <stdint.h>

#include "fota/image.h"

struct image_mem {
    const uint8_t *data;
    size_t len;
};

/* src reads from mem (which must outlive src). Refuses files of 4 GiB or
 * more (returns -1); 0 otherwise. */
int image_source_init(struct fota_image_source *src, struct image_mem *mem,
                      const uint8_t *data, size_t len);

#define IMAGE_MAX_TLVS 64

struct image_tlv {
    uint32_t offset; /* of the entry's type field, from the image's first byte */
    uint16_t type;
    uint16_t len;
};

struct image_tlvs {
    struct image_tlv v[IMAGE_MAX_TLVS];
    size_t count;
    int ended;            /* an end entry was found (at end_offset) */
    uint32_t end_offset;
    const char *problem;  /* why the list is malformed or refused, or NULL */
    uint32_t problem_offset;
};

/* Lists the TLV entries of a header (header_size bytes at header), the way
 * the core walks them. */
void image_tlvs_list(struct image_tlvs *t, const uint8_t *header, uint32_t header_size);

/* "key-id", "end" or "unknown" (critical or not). */
const char *image_tlv_name(uint16_t type);

/* "1.2.3+4". */
void image_version_string(char *buf, size_t size, const struct fota_version *v);

/* Writes a sentence (no file name) saying why the core returned err for the
 * image in data[0..len), e.g. "truncated at byte 100: the file has 100 bytes,
 * the header says header 512 + payload 1024 + trailer 96 = 1632". hdr is what
 * the core filled in. */
void image_explain(char *msg, size_t size, int err, const uint8_t *data, size_t len,
                   const struct fota_image_header *hdr);

#endif
