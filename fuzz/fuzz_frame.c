/*
 * libFuzzer target: the streaming frame decoder and every message parser of
 * include/fota/proto.h.
 *
 * Input: byte 0 picks the decoder's limit, byte 1 seeds the chunking, the
 * rest is the byte stream. The stream is fed twice, once whole and once in
 * the chunks byte 1 chooses, and both must give the same frames and errors at
 * the same stream offsets (the decoder's contract: any split gives the same
 * result). Every frame body goes through every parser; a body a parser takes
 * must come back byte for byte from the matching encoder.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fota/error.h"
#include "fota/proto.h"

#include "fuzz_chunk.h"

#define BUF_SIZE 4096u
#define MAX_EVENTS 512u

#define CHECK(c) do { if (!(c)) abort(); } while (0)

struct event {
    int result;      /* FOTA_PROTO_FRAME_READY or an error */
    size_t at;       /* stream offset just after the byte that ended it */
    uint8_t type;
    size_t len;
    uint32_t sum;    /* of the body, to compare the two feeds cheaply */
};

struct run {
    struct event ev[MAX_EVENTS];
    size_t count;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t dec_buf[BUF_SIZE];
static uint8_t out[BUF_SIZE + FOTA_PROTO_OVERHEAD];

/* The encoded frame's body must be body itself (skip: trailing bytes not
 * compared, the HELLO mac). */
static void same_body(int n, const uint8_t *body, size_t len, size_t skip)
{
    CHECK(n >= 0);
    CHECK((size_t)n == len + FOTA_PROTO_OVERHEAD);
    CHECK(memcmp(out + FOTA_PROTO_HEADER_SIZE, body, len - skip) == 0);
}

static void parse_all(const uint8_t *body, size_t len)
{
    static const uint8_t zero[FOTA_PROTO_SECRET_SIZE];
    uint8_t nonce[FOTA_PROTO_NONCE_SIZE];
    struct fota_proto_hello hello;
    struct fota_proto_offer offer;
    struct fota_proto_request req;
    struct fota_proto_data dat;
    struct fota_proto_report rep;
    struct fota_proto_error_msg em;
    uint32_t v;

    if (fota_proto_challenge_parse(nonce, body, len) == 0)
        same_body(fota_proto_challenge_encode(out, sizeof(out), nonce), body, len, 0);
    if (fota_proto_hello_parse(&hello, body, len) == 0) {
        CHECK(hello.id_len >= 1 && hello.id_len <= FOTA_PROTO_ID_MAX);
        CHECK(strlen(hello.id) == hello.id_len);
        CHECK(strlen(hello.model) == hello.model_len);
        same_body(fota_proto_hello_encode(out, sizeof(out), &hello, zero, zero), body, len,
                  FOTA_PROTO_MAC_SIZE);
        /* The mac the encoder wrote verifies; the one received rarely does. */
        CHECK(fota_proto_hello_check(zero, zero, out + FOTA_PROTO_HEADER_SIZE, len) == 0);
    }
    (void)fota_proto_hello_check(zero, zero, body, len);
    if (fota_proto_offer_parse(&offer, body, len) == 0) {
        CHECK(offer.manifest_len == offer.header.header_size + FOTA_IMAGE_TRAILER_SIZE);
        CHECK(offer.manifest + offer.manifest_len <= body + len);
        same_body(fota_proto_offer_encode(out, sizeof(out), offer.offset, offer.manifest,
                                          offer.manifest_len), body, len, 0);
    }
    if (fota_proto_nothing_parse(&v, body, len) == 0)
        same_body(fota_proto_nothing_encode(out, sizeof(out), v), body, len, 0);
    if (fota_proto_request_parse(&req, body, len) == 0)
        same_body(fota_proto_request_encode(out, sizeof(out), &req), body, len, 0);
    if (fota_proto_data_parse(&dat, body, len) == 0) {
        CHECK(dat.len >= 1 && dat.bytes + dat.len <= body + len);
        same_body(fota_proto_data_encode(out, sizeof(out), dat.offset, dat.bytes, dat.len),
                  body, len, 0);
    }
    if (fota_proto_ack_parse(&v, body, len) == 0)
        same_body(fota_proto_ack_encode(out, sizeof(out), v), body, len, 0);
    if (fota_proto_report_parse(&rep, body, len) == 0)
        same_body(fota_proto_report_encode(out, sizeof(out), &rep), body, len, 0);
    if (fota_proto_reported_parse(&v, body, len) == 0)
        same_body(fota_proto_reported_encode(out, sizeof(out), v), body, len, 0);
    if (fota_proto_error_parse(&em, body, len) == 0) {
        CHECK(em.text_len <= FOTA_PROTO_ERROR_TEXT_MAX);
        (void)fota_proto_error_name(em.code);
        same_body(fota_proto_error_encode(out, sizeof(out), em.code, em.text, em.text_len),
                  body, len, 0);
    }
}

static uint32_t sum(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;

    while (n-- > 0)
        h = (h ^ *p++) * 16777619u;
    return h;
}

/* Feeds stream in chunks (seed 0: whole), recording what the decoder says;
 * after an error the decoder is reset and the stream goes on. */
static void feed(struct run *r, size_t limit, const uint8_t *stream, size_t len,
                 uint32_t seed, int parse)
{
    struct fota_proto_decoder dec;
    size_t pos = 0;

    fota_proto_decoder_init(&dec, dec_buf, sizeof(dec_buf));
    fota_proto_decoder_set_limit(&dec, limit);
    r->count = 0;
    while (pos < len && r->count < MAX_EVENTS) {
        size_t chunk = fuzz_chunk(&seed, len - pos, 97), used = 0;
        struct fota_proto_frame fr;
        int rc;

        rc = fota_proto_decoder_feed(&dec, stream + pos, chunk, &used);
        CHECK(used <= chunk);
        pos += used;
        if (rc == FOTA_PROTO_NEED_MORE) {
            CHECK(used == chunk);
            continue;
        }
        r->ev[r->count].result = rc;
        r->ev[r->count].at = pos;
        if (rc == FOTA_PROTO_FRAME_READY) {
            CHECK(fota_proto_decoder_frame(&dec, &fr) == 0);
            CHECK(fr.len + FOTA_PROTO_OVERHEAD <= limit);
            r->ev[r->count].type = fr.type;
            r->ev[r->count].len = fr.len;
            r->ev[r->count].sum = sum(fr.body, fr.len);
            (void)fota_proto_type_name(fr.type);
            if (parse)
                parse_all(fr.body, fr.len);
        } else {
            CHECK(rc < 0);
            CHECK(fota_proto_decoder_frame(&dec, &fr) == FOTA_E_AGAIN);
            (void)fota_proto_error_code(rc);
            fota_proto_decoder_reset(&dec);
            if (used == 0)
                pos++; /* cannot happen, but never loop forever */
        }
        r->count++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct run whole, split;
    size_t limit;
    uint32_t seed;

    if (size < 2)
        return 0;
    limit = FOTA_PROTO_OVERHEAD + (size_t)data[0] * 16u;
    if (limit > BUF_SIZE)
        limit = BUF_SIZE;
    seed = 0x9E3779B9u ^ ((uint32_t)data[1] << 8 | data[1]);
    feed(&whole, limit, data + 2, size - 2, 0, 1);
    feed(&split, limit, data + 2, size - 2, seed, 0);
    CHECK(whole.count == split.count);
    for (size_t i = 0; i < whole.count; i++) {
        CHECK(whole.ev[i].result == split.ev[i].result);
        CHECK(whole.ev[i].at == split.ev[i].at);
        if (whole.ev[i].result == FOTA_PROTO_FRAME_READY) {
            CHECK(whole.ev[i].type == split.ev[i].type);
            CHECK(whole.ev[i].len == split.ev[i].len);
            CHECK(whole.ev[i].sum == split.ev[i].sum);
        }
    }
    return 0;
}
