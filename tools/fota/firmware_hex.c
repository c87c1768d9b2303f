/*
 * Intel HEX reader. Records ":LLAAAATT<data>CC", one per line:
 *   00 data, 01 end of file, 02 extended segment address (base = value << 4),
 *   04 extended linear address (base = value << 16), 03/05 start address
 *   (accepted, ignored: the image's entry is its vector table).
 * Every record's checksum is checked; blank lines are allowed; anything after
 * the end-of-file record, or a missing one, is an error (a cut-off file must
 * not become a shorter firmware).
 */
#include <stdlib.h>
#include <string.h>

#include "firmware_int.h"
#include "util.h"

#define HEX_MAX_RECORD 255

struct hex_reader {
    const char *path;
    unsigned long line;
    uint32_t base;       /* from the last 02/04 record */
    int segmented;       /* base came from a 02 record */
    uint8_t *bytes;      /* all data bytes, in file order */
    size_t used;
    struct fw_pieces pieces;
};

/* Decodes a line (without its end of line) into rec[]; returns the number of
 * bytes or -1 after printing why. */
static int hex_decode(struct hex_reader *r, const uint8_t *s, size_t len,
                      uint8_t rec[HEX_MAX_RECORD + 5])
{
    size_t i, n;
    uint8_t sum = 0;

    if (len == 0 || s[0] != ':') {
        tool_error("%s:%lu: not an Intel HEX record (a line must start with ':')",
                   r->path, r->line);
        return -1;
    }
    if ((len - 1) % 2 != 0 || len < 11) {
        tool_error("%s:%lu: malformed record (odd or too few hex digits)", r->path, r->line);
        return -1;
    }
    n = (len - 1) / 2;
    if (n > HEX_MAX_RECORD + 5) {
        tool_error("%s:%lu: malformed record (too long)", r->path, r->line);
        return -1;
    }
    for (i = 0; i < n; i++) {
        int hi = host_hex_digit(s[1 + 2 * i]), lo = host_hex_digit(s[2 + 2 * i]);

        if (hi < 0 || lo < 0) {
            tool_error("%s:%lu: malformed record (bad hex digit in column %zu)", r->path,
                       r->line, 2 + 2 * i + (hi >= 0));
            return -1;
        }
        rec[i] = (uint8_t)(hi << 4 | lo);
        sum = (uint8_t)(sum + rec[i]);
    }
    if (n != (size_t)rec[0] + 5) {
        tool_error("%s:%lu: malformed record (length byte says %u data bytes, the line has %zu)",
                   r->path, r->line, rec[0], n - 5);
        return -1;
    }
    if (sum != 0) {
        tool_error("%s:%lu: checksum mismatch (record says 0x%02x, computed 0x%02x)", r->path,
                   r->line, rec[n - 1], (uint8_t)(rec[n - 1] - sum));
        return -1;
    }
    return (int)n;
}

/* Handles one decoded record; returns 1 at end of file, 0 or -1. */
static int hex_record(struct hex_reader *r, const uint8_t *rec)
{
    unsigned count = rec[0];
    uint32_t offset = (uint32_t)rec[1] << 8 | rec[2];
    const uint8_t *data = rec + 4;
    uint64_t address;

    switch (rec[3]) {
    case 0x00:
        if (count == 0)
            return 0;
        if (r->segmented && offset + count > 0x10000u) {
            tool_error("%s:%lu: data record wraps around its 64 KiB segment", r->path, r->line);
            return -1;
        }
        address = (uint64_t)r->base + offset;
        memcpy(r->bytes + r->used, data, count);
        if (fw_pieces_add(&r->pieces, address, count, r->bytes + r->used, r->line, NULL)) {
            tool_error("%s: out of memory", r->path);
            return -1;
        }
        r->used += count;
        return 0;
    case 0x01:
        return 1;
    case 0x02:
    case 0x04:
        if (count != 2) {
            tool_error("%s:%lu: address record (type %02x) must hold 2 bytes, not %u", r->path,
                       r->line, rec[3], count);
            return -1;
        }
        r->segmented = rec[3] == 0x02;
        r->base = ((uint32_t)data[0] << 8 | data[1]) << (r->segmented ? 4 : 16);
        return 0;
    case 0x03:
    case 0x05:
        if (count != 4) {
            tool_error("%s:%lu: start address record (type %02x) must hold 4 bytes, not %u",
                       r->path, r->line, rec[3], count);
            return -1;
        }
        return 0;
    default:
        tool_error("%s:%lu: unknown record type %02x", r->path, r->line, rec[3]);
        return -1;
    }
}

static int blank(const uint8_t *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

int firmware_hex_parse(struct firmware *fw, const char *path, const uint8_t *text, size_t len)
{
    struct hex_reader r;
    uint8_t rec[HEX_MAX_RECORD + 5];
    size_t pos = 0;
    int done = 0, err = 0;

    memset(&r, 0, sizeof(r));
    r.path = path;
    r.pieces.where_name = "line";
    /* Data bytes are fewer than half the text: one buffer holds them all. */
    r.bytes = malloc(len / 2 + 1);
    if (r.bytes == NULL) {
        tool_error("%s: out of memory", path);
        return -1;
    }
    while (pos < len && err == 0) {
        const uint8_t *line = text + pos;
        const uint8_t *nl = memchr(line, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - line) : len - pos;
        size_t trimmed = line_len;

        pos += line_len + (nl != NULL);
        r.line++;
        while (trimmed > 0 && (line[trimmed - 1] == '\r' || line[trimmed - 1] == ' ' ||
                               line[trimmed - 1] == '\t'))
            trimmed--;
        if (blank(line, line_len))
            continue;
        if (done) {
            tool_error("%s:%lu: data after the end-of-file record", path, r.line);
            err = -1;
            break;
        }
        if (hex_decode(&r, line, trimmed, rec) < 0) {
            err = -1;
            break;
        }
        err = hex_record(&r, rec);
        if (err == 1) {
            done = 1;
            err = 0;
        }
    }
    if (err == 0 && !done) {
        tool_error("%s:%lu: no end-of-file record (:00000001FF): the file is cut short",
                   path, r.line);
        err = -1;
    }
    if (err == 0)
        err = firmware_assemble(fw, path, &r.pieces);
    fw_pieces_free(&r.pieces);
    free(r.bytes);
    return err;
}
