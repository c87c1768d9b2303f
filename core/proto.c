/*
 * The wire protocol's frames (docs/protocol.md, "Frames"): the encoder and
 * the streaming decoder, which checks each header byte as it arrives so that
 * a bad magic, a bad version or a frame too long is refused before its body.
 * The message bodies are in core/proto_msg.c.
 */
#include <string.h>

#include "fota/bytes.h"
#include "fota/crc32.h"
#include "fota/error.h"
#include "fota/proto.h"

/* Header field offsets. */
#define OFF_MAGIC 0u
#define OFF_VERSION 1u
#define OFF_TYPE 2u
#define OFF_RESERVED 3u
#define OFF_LENGTH 4u

/* ---- frames ---- */

/* Where a body of body_len bytes goes in out, or NULL when the frame does
 * not fit out_size or a frame at all. */
static uint8_t *body_at(uint8_t *out, size_t out_size, size_t body_len)
{
    if (out == NULL || body_len > FOTA_PROTO_MAX_BODY ||
        out_size < FOTA_PROTO_OVERHEAD || out_size - FOTA_PROTO_OVERHEAD < body_len)
        return NULL;
    return out + FOTA_PROTO_HEADER_SIZE;
}

int fota_proto_frame_seal(uint8_t *frame, size_t frame_size, uint8_t type,
                          size_t body_len)
{
    uint32_t crc;

    if (body_at(frame, frame_size, body_len) == NULL)
        return FOTA_E_TOO_BIG;
    frame[OFF_MAGIC] = FOTA_PROTO_MAGIC;
    frame[OFF_VERSION] = FOTA_PROTO_VERSION;
    frame[OFF_TYPE] = type;
    frame[OFF_RESERVED] = 0;
    fota_store16_le(frame + OFF_LENGTH, (uint16_t)body_len);
    crc = fota_crc32(0, frame, FOTA_PROTO_HEADER_SIZE + body_len);
    fota_store32_le(frame + FOTA_PROTO_HEADER_SIZE + body_len, crc);
    return (int)(body_len + FOTA_PROTO_OVERHEAD);
}

int fota_proto_frame_encode(uint8_t *out, size_t out_size, uint8_t type,
                            const uint8_t *body, size_t body_len)
{
    uint8_t *at = body_at(out, out_size, body_len);

    if (at == NULL)
        return FOTA_E_TOO_BIG;
    if (body_len > 0 && at != body)
        memcpy(at, body, body_len);
    return fota_proto_frame_seal(out, out_size, type, body_len);
}

/* ---- the streaming decoder ---- */

void fota_proto_decoder_init(struct fota_proto_decoder *dec, uint8_t *buf,
                             size_t buf_size)
{
    dec->buf = buf;
    dec->buf_size = buf_size;
    dec->limit = buf_size < FOTA_PROTO_MAX_FRAME ? buf_size : FOTA_PROTO_MAX_FRAME;
    fota_proto_decoder_reset(dec);
}

void fota_proto_decoder_set_limit(struct fota_proto_decoder *dec, size_t limit)
{
    if (limit > dec->buf_size)
        limit = dec->buf_size;
    if (limit > FOTA_PROTO_MAX_FRAME)
        limit = FOTA_PROTO_MAX_FRAME;
    dec->limit = limit;
}

void fota_proto_decoder_reset(struct fota_proto_decoder *dec)
{
    dec->have = 0;
    dec->need = FOTA_PROTO_HEADER_SIZE;
    dec->error = 0;
    dec->ready = 0;
}

/* Checks the header byte just stored at dec->have - 1; 0 or the error. */
static int header_byte_check(struct fota_proto_decoder *dec)
{
    const uint8_t *b = dec->buf;
    size_t total;

    switch (dec->have - 1) {
    case OFF_MAGIC:
        return b[OFF_MAGIC] == FOTA_PROTO_MAGIC ? 0 : FOTA_E_MAGIC;
    case OFF_VERSION:
        return b[OFF_VERSION] == FOTA_PROTO_VERSION ? 0 : FOTA_E_FORMAT;
    case OFF_LENGTH + 1:
        total = (size_t)fota_load16_le(b + OFF_LENGTH) + FOTA_PROTO_OVERHEAD;
        if (total > dec->limit)
            return FOTA_E_TOO_BIG;
        dec->need = total;
        return 0;
    default:
        return 0;
    }
}

static int frame_check(const struct fota_proto_decoder *dec)
{
    size_t crc_at = dec->need - FOTA_PROTO_CRC_SIZE;

    if (fota_crc32(0, dec->buf, crc_at) != fota_load32_le(dec->buf + crc_at))
        return FOTA_E_CRC;
    return 0;
}

int fota_proto_decoder_feed(struct fota_proto_decoder *dec, const uint8_t *data,
                            size_t len, size_t *consumed)
{
    size_t used = 0;
    int err = 0;

    if (dec->error) {
        *consumed = 0;
        return dec->error;
    }
    if (dec->ready) {
        dec->ready = 0;
        dec->have = 0;
        dec->need = FOTA_PROTO_HEADER_SIZE;
    }
    /* A header a byte at a time, so each check fires on the byte concerned. */
    while (used < len && dec->have < FOTA_PROTO_HEADER_SIZE) {
        dec->buf[dec->have++] = data[used++];
        err = header_byte_check(dec);
        if (err < 0)
            goto fail;
    }
    if (dec->have >= FOTA_PROTO_HEADER_SIZE && used < len) {
        size_t n = dec->need - dec->have;

        if (n > len - used)
            n = len - used;
        memcpy(dec->buf + dec->have, data + used, n);
        dec->have += n;
        used += n;
    }
    *consumed = used;
    if (dec->have < FOTA_PROTO_HEADER_SIZE || dec->have < dec->need)
        return FOTA_PROTO_NEED_MORE;
    err = frame_check(dec);
    if (err < 0)
        goto fail;
    dec->ready = 1;
    return FOTA_PROTO_FRAME_READY;

fail:
    *consumed = used;
    dec->error = err;
    return err;
}

int fota_proto_decoder_frame(const struct fota_proto_decoder *dec,
                             struct fota_proto_frame *frame)
{
    if (!dec->ready)
        return FOTA_E_AGAIN;
    frame->type = dec->buf[OFF_TYPE];
    frame->body = dec->buf + FOTA_PROTO_HEADER_SIZE;
    frame->len = dec->need - FOTA_PROTO_OVERHEAD;
    return 0;
}

uint16_t fota_proto_error_code(int err)
{
    switch (err) {
    case FOTA_E_MAGIC: return FOTA_PROTO_E_BAD_FRAME;
    case FOTA_E_FORMAT: return FOTA_PROTO_E_VERSION;
    case FOTA_E_TOO_BIG: return FOTA_PROTO_E_TOO_BIG;
    case FOTA_E_CRC: return FOTA_PROTO_E_BAD_CRC;
    case FOTA_E_TIMEOUT: return FOTA_PROTO_E_TIMEOUT;
    case FOTA_E_AUTH: return FOTA_PROTO_E_AUTH;
    default: return FOTA_PROTO_E_PROTO;
    }
}

const char *fota_proto_type_name(uint8_t type)
{
    switch (type) {
    case FOTA_PROTO_CHALLENGE: return "CHALLENGE";
    case FOTA_PROTO_HELLO: return "HELLO";
    case FOTA_PROTO_OFFER: return "OFFER";
    case FOTA_PROTO_NOTHING: return "NOTHING";
    case FOTA_PROTO_REQUEST: return "REQUEST";
    case FOTA_PROTO_DATA: return "DATA";
    case FOTA_PROTO_ACK: return "ACK";
    case FOTA_PROTO_REPORT: return "REPORT";
    case FOTA_PROTO_REPORTED: return "REPORTED";
    case FOTA_PROTO_ERROR: return "ERROR";
    default: return "?";
    }
}

const char *fota_proto_error_name(uint16_t code)
{
    switch (code) {
    case FOTA_PROTO_E_BAD_FRAME: return "BAD_FRAME";
    case FOTA_PROTO_E_VERSION: return "VERSION";
    case FOTA_PROTO_E_TOO_BIG: return "TOO_BIG";
    case FOTA_PROTO_E_BAD_CRC: return "BAD_CRC";
    case FOTA_PROTO_E_PROTO: return "PROTO";
    case FOTA_PROTO_E_TIMEOUT: return "TIMEOUT";
    case FOTA_PROTO_E_UNKNOWN_DEVICE: return "UNKNOWN_DEVICE";
    case FOTA_PROTO_E_AUTH: return "AUTH";
    case FOTA_PROTO_E_NOT_ASSIGNED: return "NOT_ASSIGNED";
    case FOTA_PROTO_E_SERVER: return "SERVER";
    case FOTA_PROTO_E_REFUSED: return "REFUSED";
    default: return "?";
    }
}
