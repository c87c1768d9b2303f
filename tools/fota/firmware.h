/*
 * Firmware input for `fota sign`: a raw binary, an Intel HEX file or an ELF
 * executable, turned into one contiguous payload and its load address.
 *
 * HEX and ELF describe pieces of memory; the payload runs from the lowest
 * address to the end of the highest piece, gaps filled with 0xFF (erased
 * flash), so the same firmware in any of the three forms gives the same bytes
 * (`arm-none-eabi-objcopy -O binary --gap-fill 0xff` for the raw form).
 */
#ifndef FOTA_TOOL_FIRMWARE_H
#define FOTA_TOOL_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

/* A payload spanning more than this is refused: it is almost always a
 * section placed at its RAM address instead of in flash. */
#define FIRMWARE_MAX_SPAN (16u * 1024u * 1024u)

enum firmware_format {
    FIRMWARE_AUTO = 0, /* detect from the content */
    FIRMWARE_RAW,
    FIRMWARE_HEX,
    FIRMWARE_ELF,
};

struct firmware {
    uint8_t *data;            /* malloc'd payload */
    size_t size;
    uint32_t load_address;    /* address of data[0]; valid when has_address */
    int has_address;          /* HEX and ELF carry addresses, raw does not */
    enum firmware_format format;
};

/* Reads path in the given format (FIRMWARE_AUTO: ELF magic 7f 45 4c 46, text
 * starting with ':' is Intel HEX, anything else raw). Returns 0 or -1 after
 * printing a sentence naming the file (and line or offset). */
int firmware_load(struct firmware *fw, const char *path, enum firmware_format format);

/* firmware_load() of bytes already in memory (len >= 1); name stands for the
 * file in messages. A raw payload is copied, so data stays the caller's.
 * Returns 0 or -1 after printing a sentence naming name. */
int firmware_parse(struct firmware *fw, const char *name, const uint8_t *data, size_t len,
                   enum firmware_format format);

void firmware_free(struct firmware *fw);

/* "raw", "hex", "elf" (and "auto"). */
const char *firmware_format_name(enum firmware_format format);

/* Parses "auto", "bin"/"raw", "hex"/"ihex", "elf". Returns 0 or -1. */
int firmware_format_parse(enum firmware_format *format, const char *s);

#endif
