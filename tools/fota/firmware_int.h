/*
 * Internals shared by the firmware readers: each reader lists the pieces of
 * memory its file describes, and firmware_assemble() lays them out.
 */
#ifndef FOTA_TOOL_FIRMWARE_INT_H
#define FOTA_TOOL_FIRMWARE_INT_H

#include "firmware.h"

struct fw_piece {
    uint64_t address;
    uint64_t size;
    const uint8_t *data;  /* points into the reader's buffer */
    unsigned long where;  /* line number (HEX) or section/segment index (ELF) */
    const char *name;     /* ELF section name, or NULL */
};

struct fw_pieces {
    struct fw_piece *v;
    size_t count;
    size_t cap;
    const char *where_name; /* "line", "section" or "segment" */
};

/* Appends a piece; returns 0 or -1 (out of memory). */
int fw_pieces_add(struct fw_pieces *p, uint64_t address, uint64_t size,
                  const uint8_t *data, unsigned long where, const char *name);

void fw_pieces_free(struct fw_pieces *p);

/* Lays the pieces out into fw->data (0xFF in the gaps) and sets the load
 * address to the lowest one. Refuses overlaps, addresses beyond 32 bits and
 * spans over FIRMWARE_MAX_SPAN. Returns 0 or -1 (printed, naming path). */
int firmware_assemble(struct firmware *fw, const char *path, struct fw_pieces *p);

int firmware_hex_parse(struct firmware *fw, const char *path, const uint8_t *text, size_t len);
int firmware_elf_parse(struct firmware *fw, const char *path, const uint8_t *file, size_t len);

#endif
