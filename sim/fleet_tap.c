/*
 * The wire tap of fota-sim run (fleet_int.h): follows the frames a device
 * exchanges so that the simulator can place cuts between or inside frames,
 * tell when a session ended up to date or with a refusal, and measure the
 * bytes fetched again after each cut. It reads only frame headers and the
 * first body bytes; the agent does the real decoding.
 */
#include <string.h>

#include "fleet_int.h"
#include "fota/bytes.h"
#include "fota/proto.h"

#define HEAD_SIZE (FOTA_PROTO_HEADER_SIZE + 4u)

void fleet_tap_reset(struct fleet_tap *t)
{
    memset(t, 0, sizeof(*t));
}

/* Takes bytes of data[0..len) up to the end of the current frame. Returns
 * how many; *complete says whether the frame ended there. */
static size_t tap_take(struct fleet_tap *t, const uint8_t *data, size_t len, int *complete)
{
    size_t used = 0;

    *complete = 0;
    while (used < len && t->have < HEAD_SIZE && (t->size == 0 || t->have < t->size)) {
        t->head[t->have++] = data[used++];
        if (t->have == FOTA_PROTO_HEADER_SIZE)
            t->size = FOTA_PROTO_OVERHEAD + fota_load16_le(t->head + 4);
    }
    if (t->size != 0 && used < len && t->have < t->size) {
        size_t n = t->size - t->have;

        if (n > len - used)
            n = len - used;
        t->have += (uint32_t)n;
        used += n;
    }
    if (t->size != 0 && t->have == t->size)
        *complete = 1;
    return used;
}

static void tap_next_frame(struct fleet_tap *t)
{
    uint32_t body_len = t->size - FOTA_PROTO_OVERHEAD;

    if (t->head[2] == FOTA_PROTO_DATA && body_len >= FOTA_PROTO_DATA_HEAD_SIZE)
        t->last_data_end = fota_load32_le(t->head + FOTA_PROTO_HEADER_SIZE) + body_len -
                           FOTA_PROTO_DATA_HEAD_SIZE;
    t->last_type = t->head[2];
    t->have = 0;
    t->size = 0;
}

size_t fleet_tap_frame_ends(const struct fleet_tap *t, const uint8_t *data, size_t len,
                            size_t *ends, size_t max)
{
    struct fleet_tap copy = *t;
    size_t pos = 0, n = 0;
    int complete;

    while (pos < len && n < max) {
        pos += tap_take(&copy, data + pos, len - pos, &complete);
        if (!complete)
            break;
        ends[n++] = pos;
        tap_next_frame(&copy);
    }
    return n;
}

/* The furthest image byte that reached the device, from a DATA frame of
 * which `have` bytes are in. */
static void data_reach(struct fleet_dev *d, const struct fleet_tap *t)
{
    uint32_t body_len = t->size - FOTA_PROTO_OVERHEAD;
    uint32_t in_body, bytes, end;

    if (t->have < HEAD_SIZE || body_len < FOTA_PROTO_DATA_HEAD_SIZE)
        return;
    in_body = t->have - FOTA_PROTO_HEADER_SIZE;
    if (in_body > body_len)
        in_body = body_len; /* the CRC */
    bytes = in_body - FOTA_PROTO_DATA_HEAD_SIZE;
    end = fota_load32_le(t->head + FOTA_PROTO_HEADER_SIZE) + bytes;
    if (end > d->dl_hi)
        d->dl_hi = end;
}

static void frame_received(struct fleet_dev *d, const struct fleet_tap *t)
{
    const uint8_t *body4 = t->head + FOTA_PROTO_HEADER_SIZE;
    uint32_t body_len = t->size - FOTA_PROTO_OVERHEAD;

    switch (t->head[2]) {
    case FOTA_PROTO_NOTHING:
        d->sess.nothing = 1;
        break;
    case FOTA_PROTO_DATA:
        if (body_len > FOTA_PROTO_DATA_HEAD_SIZE)
            d->data_bytes += body_len - FOTA_PROTO_DATA_HEAD_SIZE;
        break;
    case FOTA_PROTO_REPORTED:
        if (body_len >= 4 && d->sess.refused_sent &&
            fota_load32_le(body4) == d->sess.refused_seq)
            d->sess.refused_acked = 1;
        break;
    case FOTA_PROTO_ERROR:
        d->sess.error_rx = 1;
        if (body_len >= 2)
            d->sess.error_code = fota_load16_le(body4);
        break;
    default:
        break;
    }
}

void fleet_tap_received(struct fleet_dev *d, const uint8_t *data, size_t len)
{
    struct fleet_tap *t = &d->tap;
    size_t pos = 0;
    int complete;

    while (pos < len) {
        pos += tap_take(t, data + pos, len - pos, &complete);
        if (t->have >= FOTA_PROTO_HEADER_SIZE && t->head[2] == FOTA_PROTO_DATA)
            data_reach(d, t);
        if (!complete)
            break;
        frame_received(d, t);
        tap_next_frame(t);
    }
}

void fleet_tap_position(const struct fleet_tap *t, uint8_t *type, uint32_t *pos)
{
    if (t->have == 0) {
        *type = t->last_type;
        *pos = t->last_type == FOTA_PROTO_DATA ? t->last_data_end : 0;
    } else if (t->have < 3) {
        *type = 0; /* the type byte is not in yet */
        *pos = t->have;
    } else {
        *type = t->head[2];
        *pos = t->have;
        if (*type == FOTA_PROTO_DATA && t->have >= HEAD_SIZE)
            *pos = fota_load32_le(t->head + FOTA_PROTO_HEADER_SIZE) + t->have - HEAD_SIZE;
    }
}

/* A REQUEST: the transfer (re)starts at offset. Measures what a cut cost. */
static void request_seen(struct fleet_dev *d, const struct fota_proto_request *r)
{
    uint32_t resent;

    if (memcmp(r->digest, d->dl_digest, sizeof(d->dl_digest)) != 0) {
        memcpy(d->dl_digest, r->digest, sizeof(d->dl_digest));
        d->dl_hi = r->offset;
        d->dl_pending = CUT_NONE;
        return;
    }
    /* What reached the device beyond the offset it asks from now is fetched
     * again: counted once, here. From now on dl_hi follows this session's
     * bytes only, so a later cut does not count the same bytes again. */
    resent = d->dl_hi > r->offset ? d->dl_hi - r->offset : 0;
    d->dl_hi = r->offset;
    if (d->dl_pending == CUT_NONE)
        return;
    d->resent += resent;
    if (d->dl_pending == CUT_POWER && resent > d->resent_max_power)
        d->resent_max_power = resent;
    else if (d->dl_pending == CUT_CONN && resent > d->resent_max_conn)
        d->resent_max_conn = resent;
    else if (d->dl_pending == CUT_BREAK && resent > d->resent_max_break)
        d->resent_max_break = resent;
    d->dl_pending = CUT_NONE;
}

void fleet_tap_sending(struct fleet_dev *d, const uint8_t *frame, size_t len)
{
    const uint8_t *body = frame + FOTA_PROTO_HEADER_SIZE;
    size_t body_len;
    struct fota_proto_request req;
    struct fota_proto_report rep;

    if (len < FOTA_PROTO_OVERHEAD)
        return;
    body_len = fota_load16_le(frame + 4);
    if (body_len + FOTA_PROTO_OVERHEAD != len)
        return;
    switch (frame[2]) {
    case FOTA_PROTO_REQUEST:
        if (fota_proto_request_parse(&req, body, body_len) == 0)
            request_seen(d, &req);
        break;
    case FOTA_PROTO_REPORT:
        if (fota_proto_report_parse(&rep, body, body_len) == 0 &&
            rep.event == FOTA_PROTO_EV_REFUSED) {
            d->sess.refused = rep;
            d->sess.refused_seq = rep.sequence;
            d->sess.refused_sent = 1;
        }
        break;
    case FOTA_PROTO_ERROR:
        d->sess.error_tx = 1;
        if (body_len >= 2 && fota_load16_le(body) == FOTA_PROTO_E_BAD_CRC)
            d->crc_errors++;
        break;
    default:
        break;
    }
}

void fleet_tap_interrupted(struct fleet_dev *d, enum fleet_cut_kind kind)
{
    /* A power cut outweighs a connection lost, not measured yet: it may
     * lose progress that was not recorded. */
    if (d->dl_pending != CUT_POWER)
        d->dl_pending = (uint8_t)kind;
}
