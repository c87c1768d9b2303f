/*
 * The wire protocol's message bodies (docs/protocol.md, "Messages"): an
 * encoder that writes a whole frame and a parser of the body for each.
 *
 * Every parser reads untrusted bytes: it checks the body length before it
 * reads a field, checks every field's range, and refuses trailing bytes, so
 * a body either parses exactly or is refused with FOTA_E_PROTO.
 */
#include <string.h>

#include "fota/boot.h"
#include "fota/bytes.h"
#include "fota/error.h"
#include "fota/hmac.h"
#include "fota/proto.h"

#define VERSION_SIZE 8u

static const uint8_t hello_label[13] = {'f', 'o', 't', 'a', '-', 'h', 'e',
                                        'l', 'l', 'o', '-', 'v', '1'};

/* Where a body of body_len bytes goes in out, or NULL when the frame does
 * not fit out_size or a frame at all. */
static uint8_t *body_at(uint8_t *out, size_t out_size, size_t body_len)
{
    if (out == NULL || body_len > FOTA_PROTO_MAX_BODY ||
        out_size < FOTA_PROTO_OVERHEAD || out_size - FOTA_PROTO_OVERHEAD < body_len)
        return NULL;
    return out + FOTA_PROTO_HEADER_SIZE;
}

/* ---- shared field helpers ---- */

static void version_store(uint8_t *p, const struct fota_version *v)
{
    p[0] = v->major;
    p[1] = v->minor;
    fota_store16_le(p + 2, v->patch);
    fota_store32_le(p + 4, v->build);
}

static void version_load(struct fota_version *v, const uint8_t *p)
{
    v->major = p[0];
    v->minor = p[1];
    v->patch = fota_load16_le(p + 2);
    v->build = fota_load32_le(p + 4);
}

/* A whole frame whose body is one u32. */
static int u32_encode(uint8_t *out, size_t out_size, uint8_t type, uint32_t v)
{
    uint8_t *body = body_at(out, out_size, 4);

    if (body == NULL)
        return FOTA_E_TOO_BIG;
    fota_store32_le(body, v);
    return fota_proto_frame_seal(out, out_size, type, 4);
}

static int u32_parse(uint32_t *v, const uint8_t *body, size_t len)
{
    if (body == NULL || len != 4)
        return FOTA_E_PROTO;
    *v = fota_load32_le(body);
    return 0;
}

/* 1 when the len bytes at s are all in lo..0x7E. */
static int text_ok(const char *s, size_t len, uint8_t lo)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)s[i];

        if (c < lo || c > 0x7Eu)
            return 0;
    }
    return 1;
}

/* ---- CHALLENGE ---- */

int fota_proto_challenge_encode(uint8_t *out, size_t out_size,
                                const uint8_t nonce[FOTA_PROTO_NONCE_SIZE])
{
    return fota_proto_frame_encode(out, out_size, FOTA_PROTO_CHALLENGE, nonce,
                                   FOTA_PROTO_NONCE_SIZE);
}

int fota_proto_challenge_parse(uint8_t nonce[FOTA_PROTO_NONCE_SIZE],
                               const uint8_t *body, size_t len)
{
    if (body == NULL || len != FOTA_PROTO_CHALLENGE_SIZE)
        return FOTA_E_PROTO;
    memcpy(nonce, body, FOTA_PROTO_NONCE_SIZE);
    return 0;
}

/* ---- HELLO ---- */

static size_t hello_size(const struct fota_proto_hello *msg)
{
    return FOTA_PROTO_HELLO_FIXED_SIZE + msg->id_len + msg->model_len;
}

static int hello_fields_ok(const struct fota_proto_hello *msg)
{
    return msg->id_len >= 1 && msg->id_len <= FOTA_PROTO_ID_MAX &&
           text_ok(msg->id, msg->id_len, 0x21u) &&
           msg->model_len <= FOTA_PROTO_MODEL_MAX &&
           text_ok(msg->model, msg->model_len, 0x20u) &&
           msg->max_frame >= FOTA_PROTO_MIN_FRAME && msg->window >= 1 &&
           msg->window <= FOTA_PROTO_WINDOW_MAX && msg->chunk >= FOTA_PROTO_CHUNK_MIN &&
           msg->chunk <= FOTA_PROTO_DATA_MAX(msg->max_frame);
}

int fota_proto_hello_mac(uint8_t mac[FOTA_PROTO_MAC_SIZE],
                         const uint8_t secret[FOTA_PROTO_SECRET_SIZE],
                         const uint8_t server_nonce[FOTA_PROTO_NONCE_SIZE],
                         const uint8_t *body, size_t len)
{
    struct fota_hmac_sha256 h;

    if (body == NULL || len < FOTA_PROTO_MAC_SIZE)
        return FOTA_E_PROTO;
    fota_hmac_sha256_init(&h, secret, FOTA_PROTO_SECRET_SIZE);
    fota_hmac_sha256_update(&h, hello_label, sizeof(hello_label));
    fota_hmac_sha256_update(&h, server_nonce, FOTA_PROTO_NONCE_SIZE);
    fota_hmac_sha256_update(&h, body, len - FOTA_PROTO_MAC_SIZE);
    fota_hmac_sha256_final(&h, mac);
    return 0;
}

int fota_proto_hello_check(const uint8_t secret[FOTA_PROTO_SECRET_SIZE],
                           const uint8_t server_nonce[FOTA_PROTO_NONCE_SIZE],
                           const uint8_t *body, size_t len)
{
    uint8_t mac[FOTA_PROTO_MAC_SIZE];
    int err = fota_proto_hello_mac(mac, secret, server_nonce, body, len);

    if (err < 0)
        return err;
    if (!fota_crypto_equal(mac, body + len - FOTA_PROTO_MAC_SIZE, FOTA_PROTO_MAC_SIZE))
        return FOTA_E_AUTH;
    return 0;
}

int fota_proto_hello_encode(uint8_t *out, size_t out_size,
                            const struct fota_proto_hello *msg,
                            const uint8_t secret[FOTA_PROTO_SECRET_SIZE],
                            const uint8_t server_nonce[FOTA_PROTO_NONCE_SIZE])
{
    size_t len;
    uint8_t *body;
    uint8_t *p;

    if (!hello_fields_ok(msg))
        return FOTA_E_INVAL;
    len = hello_size(msg);
    body = body_at(out, out_size, len);
    if (body == NULL)
        return FOTA_E_TOO_BIG;
    p = body;
    *p++ = msg->id_len;
    memcpy(p, msg->id, msg->id_len);
    p += msg->id_len;
    *p++ = msg->model_len;
    memcpy(p, msg->model, msg->model_len);
    p += msg->model_len;
    version_store(p, &msg->version);
    p += VERSION_SIZE;
    memcpy(p, msg->digest, FOTA_PROTO_DIGEST_SIZE);
    p += FOTA_PROTO_DIGEST_SIZE;
    memcpy(p, msg->held_digest, FOTA_PROTO_DIGEST_SIZE);
    p += FOTA_PROTO_DIGEST_SIZE;
    fota_store32_le(p, msg->held_bytes);
    p += 4;
    fota_store16_le(p, msg->max_frame);
    p += 2;
    *p++ = msg->window;
    fota_store16_le(p, msg->chunk);
    p += 2;
    memcpy(p, msg->nonce, FOTA_PROTO_NONCE_SIZE);
    p += FOTA_PROTO_NONCE_SIZE;
    fota_proto_hello_mac(p, secret, server_nonce, body, len);
    return fota_proto_frame_seal(out, out_size, FOTA_PROTO_HELLO, len);
}

int fota_proto_hello_parse(struct fota_proto_hello *out, const uint8_t *body,
                           size_t len)
{
    const uint8_t *p = body;

    memset(out, 0, sizeof(*out));
    if (body == NULL || len < FOTA_PROTO_HELLO_FIXED_SIZE + 1)
        return FOTA_E_PROTO;
    out->id_len = *p++;
    if (out->id_len < 1 || out->id_len > FOTA_PROTO_ID_MAX)
        return FOTA_E_PROTO;
    /* The id is followed by at least the model length byte. */
    if (len < 1u + out->id_len + 1u)
        return FOTA_E_PROTO;
    memcpy(out->id, p, out->id_len);
    p += out->id_len;
    out->model_len = *p++;
    if (out->model_len > FOTA_PROTO_MODEL_MAX || len != hello_size(out))
        return FOTA_E_PROTO;
    memcpy(out->model, p, out->model_len);
    p += out->model_len;
    version_load(&out->version, p);
    p += VERSION_SIZE;
    memcpy(out->digest, p, FOTA_PROTO_DIGEST_SIZE);
    p += FOTA_PROTO_DIGEST_SIZE;
    memcpy(out->held_digest, p, FOTA_PROTO_DIGEST_SIZE);
    p += FOTA_PROTO_DIGEST_SIZE;
    out->held_bytes = fota_load32_le(p);
    p += 4;
    out->max_frame = fota_load16_le(p);
    p += 2;
    out->window = *p++;
    out->chunk = fota_load16_le(p);
    p += 2;
    memcpy(out->nonce, p, FOTA_PROTO_NONCE_SIZE);
    p += FOTA_PROTO_NONCE_SIZE;
    memcpy(out->mac, p, FOTA_PROTO_MAC_SIZE);
    return hello_fields_ok(out) ? 0 : FOTA_E_PROTO;
}

/* ---- OFFER ---- */

/* Checks a manifest's framing: 0, FOTA_E_PROTO or the header's error. */
static int manifest_parse(struct fota_image_header *hdr, const uint8_t *m, size_t len)
{
    int err;

    if (len < FOTA_IMAGE_FIXED_HEADER_SIZE + FOTA_IMAGE_TRAILER_SIZE)
        return FOTA_E_PROTO;
    err = fota_image_header_parse(hdr, m, len - FOTA_IMAGE_TRAILER_SIZE);
    if (err == FOTA_E_TRUNCATED)
        return FOTA_E_PROTO;
    if (err < 0)
        return err;
    if (len != (size_t)hdr->header_size + FOTA_IMAGE_TRAILER_SIZE)
        return FOTA_E_PROTO;
    return 0;
}

int fota_proto_offer_encode(uint8_t *out, size_t out_size, uint32_t offset,
                            const uint8_t *manifest, size_t manifest_len)
{
    struct fota_image_header hdr;
    uint8_t *body;

    if (manifest == NULL || manifest_parse(&hdr, manifest, manifest_len) < 0 ||
        offset > fota_image_total_size(&hdr))
        return FOTA_E_INVAL;
    body = body_at(out, out_size, 4u + manifest_len);
    if (body == NULL)
        return FOTA_E_TOO_BIG;
    if (body + 4 != manifest)
        memcpy(body + 4, manifest, manifest_len);
    fota_store32_le(body, offset);
    return fota_proto_frame_seal(out, out_size, FOTA_PROTO_OFFER, 4u + manifest_len);
}

int fota_proto_offer_parse(struct fota_proto_offer *out, const uint8_t *body,
                           size_t len)
{
    int err;

    memset(out, 0, sizeof(*out));
    if (body == NULL || len < FOTA_PROTO_OFFER_MIN_SIZE)
        return FOTA_E_PROTO;
    out->offset = fota_load32_le(body);
    out->manifest = body + 4;
    out->manifest_len = len - 4;
    err = manifest_parse(&out->header, out->manifest, out->manifest_len);
    if (err < 0)
        return err;
    if (out->offset > fota_image_total_size(&out->header))
        return FOTA_E_PROTO;
    out->digest = out->manifest + out->header.header_size;
    out->signature = out->digest + FOTA_IMAGE_DIGEST_SIZE;
    return 0;
}

/* ---- NOTHING, ACK, REPORTED ---- */

int fota_proto_nothing_encode(uint8_t *out, size_t out_size, uint32_t poll_interval)
{
    return u32_encode(out, out_size, FOTA_PROTO_NOTHING, poll_interval);
}

int fota_proto_nothing_parse(uint32_t *poll_interval, const uint8_t *body, size_t len)
{
    return u32_parse(poll_interval, body, len);
}

int fota_proto_ack_encode(uint8_t *out, size_t out_size, uint32_t offset)
{
    return u32_encode(out, out_size, FOTA_PROTO_ACK, offset);
}

int fota_proto_ack_parse(uint32_t *offset, const uint8_t *body, size_t len)
{
    return u32_parse(offset, body, len);
}

int fota_proto_reported_encode(uint8_t *out, size_t out_size, uint32_t sequence)
{
    return u32_encode(out, out_size, FOTA_PROTO_REPORTED, sequence);
}

int fota_proto_reported_parse(uint32_t *sequence, const uint8_t *body, size_t len)
{
    return u32_parse(sequence, body, len);
}

/* ---- REQUEST ---- */

int fota_proto_request_encode(uint8_t *out, size_t out_size,
                              const struct fota_proto_request *msg)
{
    uint8_t *body = body_at(out, out_size, FOTA_PROTO_REQUEST_SIZE);

    if (body == NULL)
        return FOTA_E_TOO_BIG;
    memcpy(body, msg->digest, FOTA_PROTO_DIGEST_SIZE);
    fota_store32_le(body + FOTA_PROTO_DIGEST_SIZE, msg->offset);
    return fota_proto_frame_seal(out, out_size, FOTA_PROTO_REQUEST,
                                 FOTA_PROTO_REQUEST_SIZE);
}

int fota_proto_request_parse(struct fota_proto_request *out, const uint8_t *body,
                             size_t len)
{
    memset(out, 0, sizeof(*out));
    if (body == NULL || len != FOTA_PROTO_REQUEST_SIZE)
        return FOTA_E_PROTO;
    memcpy(out->digest, body, FOTA_PROTO_DIGEST_SIZE);
    out->offset = fota_load32_le(body + FOTA_PROTO_DIGEST_SIZE);
    return 0;
}

/* ---- DATA ---- */

static int data_range_ok(uint32_t offset, size_t len)
{
    return len >= 1 && len <= FOTA_PROTO_MAX_BODY - FOTA_PROTO_DATA_HEAD_SIZE &&
           offset <= UINT32_MAX - (uint32_t)len;
}

int fota_proto_data_encode(uint8_t *out, size_t out_size, uint32_t offset,
                           const uint8_t *bytes, size_t len)
{
    uint8_t *body;

    if (bytes == NULL || !data_range_ok(offset, len))
        return FOTA_E_INVAL;
    body = body_at(out, out_size, FOTA_PROTO_DATA_HEAD_SIZE + len);
    if (body == NULL)
        return FOTA_E_TOO_BIG;
    if (body + FOTA_PROTO_DATA_HEAD_SIZE != bytes)
        memcpy(body + FOTA_PROTO_DATA_HEAD_SIZE, bytes, len);
    fota_store32_le(body, offset);
    return fota_proto_frame_seal(out, out_size, FOTA_PROTO_DATA,
                                 FOTA_PROTO_DATA_HEAD_SIZE + len);
}

int fota_proto_data_parse(struct fota_proto_data *out, const uint8_t *body,
                          size_t len)
{
    memset(out, 0, sizeof(*out));
    if (body == NULL || len <= FOTA_PROTO_DATA_HEAD_SIZE)
        return FOTA_E_PROTO;
    out->offset = fota_load32_le(body);
    out->bytes = body + FOTA_PROTO_DATA_HEAD_SIZE;
    out->len = len - FOTA_PROTO_DATA_HEAD_SIZE;
    return data_range_ok(out->offset, out->len) ? 0 : FOTA_E_PROTO;
}

/* ---- REPORT ---- */

static int report_fields_ok(const struct fota_proto_report *msg)
{
    return msg->event >= FOTA_PROTO_EV_DOWNLOADED && msg->event <= FOTA_PROTO_EV_FAILED &&
           msg->reason <= FOTA_BOOT_REASON_PRIMARY_INVALID && msg->error <= 0;
}

int fota_proto_report_encode(uint8_t *out, size_t out_size,
                             const struct fota_proto_report *msg)
{
    uint8_t *body;

    if (!report_fields_ok(msg))
        return FOTA_E_INVAL;
    body = body_at(out, out_size, FOTA_PROTO_REPORT_SIZE);
    if (body == NULL)
        return FOTA_E_TOO_BIG;
    fota_store32_le(body, msg->sequence);
    body[4] = msg->event;
    body[5] = msg->reason;
    fota_store16_le(body + 6, (uint16_t)msg->error);
    version_store(body + 8, &msg->version);
    memcpy(body + 16, msg->digest, FOTA_PROTO_DIGEST_SIZE);
    return fota_proto_frame_seal(out, out_size, FOTA_PROTO_REPORT,
                                 FOTA_PROTO_REPORT_SIZE);
}

int fota_proto_report_parse(struct fota_proto_report *out, const uint8_t *body,
                            size_t len)
{
    uint16_t error;

    memset(out, 0, sizeof(*out));
    if (body == NULL || len != FOTA_PROTO_REPORT_SIZE)
        return FOTA_E_PROTO;
    out->sequence = fota_load32_le(body);
    out->event = body[4];
    out->reason = body[5];
    error = fota_load16_le(body + 6);
    /* Two's complement without an implementation-defined conversion. */
    out->error = error & 0x8000u ? (int16_t)-(int32_t)(0x10000u - error) : (int16_t)error;
    version_load(&out->version, body + 8);
    memcpy(out->digest, body + 16, FOTA_PROTO_DIGEST_SIZE);
    return report_fields_ok(out) ? 0 : FOTA_E_PROTO;
}

/* ---- ERROR ---- */

int fota_proto_error_encode(uint8_t *out, size_t out_size, uint16_t code,
                            const char *text, size_t text_len)
{
    uint8_t *body;

    if (code == 0 || (text == NULL && text_len > 0))
        return FOTA_E_INVAL;
    if (text_len > FOTA_PROTO_ERROR_TEXT_MAX)
        text_len = FOTA_PROTO_ERROR_TEXT_MAX;
    body = body_at(out, out_size, FOTA_PROTO_ERROR_MIN_SIZE + text_len);
    if (body == NULL)
        return FOTA_E_TOO_BIG;
    if (text_len > 0)
        memcpy(body + FOTA_PROTO_ERROR_MIN_SIZE, text, text_len);
    fota_store16_le(body, code);
    return fota_proto_frame_seal(out, out_size, FOTA_PROTO_ERROR,
                                 FOTA_PROTO_ERROR_MIN_SIZE + text_len);
}

int fota_proto_error_parse(struct fota_proto_error_msg *out, const uint8_t *body,
                           size_t len)
{
    memset(out, 0, sizeof(*out));
    if (body == NULL || len < FOTA_PROTO_ERROR_MIN_SIZE ||
        len > FOTA_PROTO_ERROR_MIN_SIZE + FOTA_PROTO_ERROR_TEXT_MAX)
        return FOTA_E_PROTO;
    out->code = fota_load16_le(body);
    out->text = (const char *)body + FOTA_PROTO_ERROR_MIN_SIZE;
    out->text_len = len - FOTA_PROTO_ERROR_MIN_SIZE;
    return out->code != 0 ? 0 : FOTA_E_PROTO;
}
