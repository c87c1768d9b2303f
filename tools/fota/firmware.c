/*
 * Firmware input: format detection, raw binaries, and the layout of the
 * pieces that HEX and ELF files describe (see firmware.h).
 */
#include <stdlib.h>
#include <string.h>

#include "firmware_int.h"
#include "util.h"

const char *firmware_format_name(enum firmware_format format)
{
    switch (format) {
    case FIRMWARE_AUTO: return "auto";
    case FIRMWARE_RAW: return "raw";
    case FIRMWARE_HEX: return "hex";
    case FIRMWARE_ELF: return "elf";
    }
    return "?";
}

int firmware_format_parse(enum firmware_format *format, const char *s)
{
    if (strcmp(s, "auto") == 0)
        *format = FIRMWARE_AUTO;
    else if (strcmp(s, "bin") == 0 || strcmp(s, "raw") == 0)
        *format = FIRMWARE_RAW;
    else if (strcmp(s, "hex") == 0 || strcmp(s, "ihex") == 0)
        *format = FIRMWARE_HEX;
    else if (strcmp(s, "elf") == 0)
        *format = FIRMWARE_ELF;
    else
        return -1;
    return 0;
}

static int is_text(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((data[i] < 0x20 || data[i] > 0x7e) && data[i] != '\r' && data[i] != '\n' &&
            data[i] != '\t')
            return 0;
    return 1;
}

/* Intel HEX is text whose first non-blank character is ':'. Any binary byte
 * makes the file raw, so firmware that happens to start with 0x3a (':') is
 * not mistaken for HEX. */
static enum firmware_format detect(const uint8_t *data, size_t len)
{
    size_t i = 0;

    if (len >= 4 && data[0] == 0x7f && data[1] == 'E' && data[2] == 'L' && data[3] == 'F')
        return FIRMWARE_ELF;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    if (i < len && data[i] == ':' && is_text(data, len))
        return FIRMWARE_HEX;
    return FIRMWARE_RAW;
}

int fw_pieces_add(struct fw_pieces *p, uint64_t address, uint64_t size,
                  const uint8_t *data, unsigned long where, const char *name)
{
    if (p->count == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        struct fw_piece *v = realloc(p->v, cap * sizeof(*v));

        if (v == NULL)
            return -1;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->count].address = address;
    p->v[p->count].size = size;
    p->v[p->count].data = data;
    p->v[p->count].where = where;
    p->v[p->count].name = name;
    p->count++;
    return 0;
}

void fw_pieces_free(struct fw_pieces *p)
{
    free(p->v);
    memset(p, 0, sizeof(*p));
}

static int piece_order(const void *a, const void *b)
{
    const struct fw_piece *x = a, *y = b;

    if (x->address != y->address)
        return x->address < y->address ? -1 : 1;
    /* Equal addresses: keep file order (qsort is not stable). */
    if (x->where != y->where)
        return x->where < y->where ? -1 : 1;
    return 0;
}

/* "line 12" or "section 3 (.data)" into buf. */
static const char *piece_where(const struct fw_pieces *p, const struct fw_piece *piece,
                               char *buf, size_t size)
{
    if (piece->name && piece->name[0])
        snprintf(buf, size, "%s %lu (%s)", p->where_name, piece->where, piece->name);
    else
        snprintf(buf, size, "%s %lu", p->where_name, piece->where);
    return buf;
}

int firmware_assemble(struct firmware *fw, const char *path, struct fw_pieces *p)
{
    char w1[96], w2[96];
    uint64_t start, end = 0;
    size_t i;

    if (p->count == 0) {
        tool_error("%s: no data: the %s file describes no bytes to load", path,
                   firmware_format_name(fw->format) /* "hex"/"elf" */);
        return -1;
    }
    qsort(p->v, p->count, sizeof(p->v[0]), piece_order);
    start = p->v[0].address;
    for (i = 0; i < p->count; i++) {
        const struct fw_piece *x = &p->v[i];

        if (x->address >= UINT64_C(0x100000000) ||
            x->size > UINT64_C(0x100000000) - x->address) {
            tool_error("%s: %s: data at 0x%llx..0x%llx is beyond the 32-bit address space",
                       path, piece_where(p, x, w1, sizeof(w1)),
                       (unsigned long long)x->address,
                       (unsigned long long)(x->address + x->size - 1));
            return -1;
        }
        if (i > 0 && x->address < end) {
            tool_error("%s: %s overlaps %s at address 0x%08llx", path,
                       piece_where(p, x, w1, sizeof(w1)),
                       piece_where(p, &p->v[i - 1], w2, sizeof(w2)),
                       (unsigned long long)x->address);
            return -1;
        }
        end = x->address + x->size;
    }
    if (end - start > FIRMWARE_MAX_SPAN) {
        tool_error("%s: the data spans 0x%08llx..0x%08llx (%llu bytes), more than %u MiB: "
                   "is a section placed at its RAM address instead of in flash "
                   "(AT> in the linker script)? %s starts at 0x%08llx",
                   path, (unsigned long long)start, (unsigned long long)(end - 1),
                   (unsigned long long)(end - start), FIRMWARE_MAX_SPAN >> 20,
                   piece_where(p, &p->v[p->count - 1], w1, sizeof(w1)),
                   (unsigned long long)p->v[p->count - 1].address);
        return -1;
    }
    fw->size = (size_t)(end - start);
    fw->data = malloc(fw->size);
    if (fw->data == NULL) {
        tool_error("%s: out of memory", path);
        return -1;
    }
    memset(fw->data, 0xFF, fw->size);
    for (i = 0; i < p->count; i++)
        memcpy(fw->data + (p->v[i].address - start), p->v[i].data, (size_t)p->v[i].size);
    fw->load_address = (uint32_t)start;
    fw->has_address = 1;
    return 0;
}

int firmware_parse(struct firmware *fw, const char *name, const uint8_t *data, size_t len,
                   enum firmware_format format)
{
    memset(fw, 0, sizeof(*fw));
    fw->format = format == FIRMWARE_AUTO ? detect(data, len) : format;
    switch (fw->format) {
    case FIRMWARE_HEX:
        return firmware_hex_parse(fw, name, data, len);
    case FIRMWARE_ELF:
        return firmware_elf_parse(fw, name, data, len);
    default:
        /* Raw: the bytes are the payload; the address comes from the caller. */
        fw->data = malloc(len);
        if (fw->data == NULL) {
            tool_error("%s: out of memory", name);
            return -1;
        }
        memcpy(fw->data, data, len);
        fw->size = len;
        return 0;
    }
}

int firmware_load(struct firmware *fw, const char *path, enum firmware_format format)
{
    uint8_t *file;
    size_t len;
    int err;

    memset(fw, 0, sizeof(*fw));
    if (tool_read_file(path, TOOL_MAX_FILE_SIZE, &file, &len) != 0)
        return -1;
    if (len == 0) {
        tool_error("%s: empty file, no firmware to sign", path);
        free(file);
        return -1;
    }
    if (format == FIRMWARE_AUTO)
        format = detect(file, len);
    if (format != FIRMWARE_HEX && format != FIRMWARE_ELF) {
        /* Raw: the file is the payload, kept without a copy. */
        fw->format = format;
        fw->data = file;
        fw->size = len;
        return 0;
    }
    err = firmware_parse(fw, path, file, len, format);
    free(file);
    return err;
}

void firmware_free(struct firmware *fw)
{
    free(fw->data);
    memset(fw, 0, sizeof(*fw));
}
