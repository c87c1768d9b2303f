/*
 * The wire protocol codec (core/proto.c): round trips of every message, the
 * streaming decoder under every chunking, every single-byte corruption of a
 * frame, TOO_BIG before the body, truncated and padded bodies, the HELLO mac
 * against libsodium, and random garbage fed to the decoder and every parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "fota/bytes.h"
#include "fota/crc32.h"
#include "fota/error.h"
#include "fota/proto.h"
#include "test_images.h"

#define BUF 4096u

static uint32_t rng_state = 0x12345678u;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void rng_fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng();
}

static const uint8_t secret[32] = {
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
    0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
    0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20};
static const uint8_t server_nonce[16] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5,
                                         0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB,
                                         0xAC, 0xAD, 0xAE, 0xAF};

/* ---- decoding helpers ---- */

struct decoded {
    uint8_t type;
    uint8_t body[BUF];
    size_t len;
};

/* Feeds a whole buffer in chunks of the given sizes (cycled; 0: random 1..64)
 * and expects exactly one frame, which ends the input. */
static void decode_chunked(const uint8_t *frame, size_t len, size_t chunk,
                           struct decoded *out)
{
    static uint8_t buf[BUF];
    struct fota_proto_decoder dec;
    struct fota_proto_frame f;
    size_t off = 0;
    int frames = 0;

    fota_proto_decoder_init(&dec, buf, sizeof(buf));
    assert_int_equal(fota_proto_decoder_frame(&dec, &f), FOTA_E_AGAIN);
    while (off < len) {
        size_t n = chunk ? chunk : 1 + rng() % 64;
        size_t used;
        int r;

        if (n > len - off)
            n = len - off;
        r = fota_proto_decoder_feed(&dec, frame + off, n, &used);
        assert_true(used <= n);
        off += used;
        if (r == FOTA_PROTO_FRAME_READY) {
            frames++;
            assert_int_equal(fota_proto_decoder_frame(&dec, &f), 0);
            out->type = f.type;
            out->len = f.len;
            memcpy(out->body, f.body, f.len);
        } else {
            assert_int_equal(r, FOTA_PROTO_NEED_MORE);
            assert_int_equal(used, n);
        }
    }
    assert_int_equal(frames, 1);
    assert_int_equal(off, len);
}

/* Decodes frame whole, byte by byte and in random chunks; all must agree. */
static void decode_all_ways(const uint8_t *frame, size_t len, struct decoded *out)
{
    static struct decoded other;

    decode_chunked(frame, len, len, out);
    decode_chunked(frame, len, 1, &other);
    assert_int_equal(other.type, out->type);
    assert_int_equal(other.len, out->len);
    assert_memory_equal(other.body, out->body, out->len);
    for (int i = 0; i < 8; i++) {
        decode_chunked(frame, len, 0, &other);
        assert_int_equal(other.len, out->len);
        assert_memory_equal(other.body, out->body, out->len);
    }
    assert_int_equal(len, out->len + FOTA_PROTO_OVERHEAD);
}

/* The parsers by type, for the garbage and truncation tests. */
static int parse_any(uint8_t type, const uint8_t *body, size_t len)
{
    union {
        uint8_t nonce[16];
        struct fota_proto_hello hello;
        struct fota_proto_offer offer;
        struct fota_proto_request request;
        struct fota_proto_data data;
        struct fota_proto_report report;
        struct fota_proto_error_msg error;
        uint32_t v;
    } u;

    switch (type) {
    case FOTA_PROTO_CHALLENGE: return fota_proto_challenge_parse(u.nonce, body, len);
    case FOTA_PROTO_HELLO: return fota_proto_hello_parse(&u.hello, body, len);
    case FOTA_PROTO_OFFER: return fota_proto_offer_parse(&u.offer, body, len);
    case FOTA_PROTO_NOTHING: return fota_proto_nothing_parse(&u.v, body, len);
    case FOTA_PROTO_REQUEST: return fota_proto_request_parse(&u.request, body, len);
    case FOTA_PROTO_DATA: return fota_proto_data_parse(&u.data, body, len);
    case FOTA_PROTO_ACK: return fota_proto_ack_parse(&u.v, body, len);
    case FOTA_PROTO_REPORT: return fota_proto_report_parse(&u.report, body, len);
    case FOTA_PROTO_REPORTED: return fota_proto_reported_parse(&u.v, body, len);
    case FOTA_PROTO_ERROR: return fota_proto_error_parse(&u.error, body, len);
    default: return FOTA_E_PROTO;
    }
}

/* ---- sample messages ---- */

static struct fota_proto_hello sample_hello(void)
{
    struct fota_proto_hello h;

    memset(&h, 0, sizeof(h));
    h.id_len = 9;
    memcpy(h.id, "dev-00042", 9);
    h.model_len = 13;
    memcpy(h.model, "STM32F103ZE r", 13);
    h.version = (struct fota_version){1, 2, 0x0304, 0x05060708};
    for (int i = 0; i < 32; i++) {
        h.digest[i] = (uint8_t)i;
        h.held_digest[i] = (uint8_t)(0x80 + i);
    }
    h.held_bytes = 123456;
    h.max_frame = 1034;
    h.window = 4;
    h.chunk = 800;
    for (int i = 0; i < 16; i++)
        h.nonce[i] = (uint8_t)(0x30 + i);
    return h;
}

static uint8_t manifest[FOTA_IMAGE_MAX_HEADER_SIZE + FOTA_IMAGE_TRAILER_SIZE];
static size_t manifest_len;
static uint8_t image[8192];
static size_t image_len;

static void manifest_make(void)
{
    struct test_key key;
    struct test_image_spec spec = {
        .version = {1, 4, 2, 77},
        .security_counter = 3,
        .payload_size = 3000,
        .load_address = 0x08005200u,
        .header_size = 512,
        .payload_seed = 9,
    };

    test_key_make(&key, 0x11);
    image_len = test_image_make(image, sizeof(image), &key, &spec);
    assert_int_not_equal(image_len, 0);
    memcpy(manifest, image, 512);
    memcpy(manifest + 512, image + 512 + 3000, FOTA_IMAGE_TRAILER_SIZE);
    manifest_len = 512 + FOTA_IMAGE_TRAILER_SIZE;
}

/* Every message as a frame, for the corruption and chunking sweeps. */
static size_t frames_make(uint8_t frames[][BUF], size_t lens[])
{
    struct fota_proto_hello h = sample_hello();
    struct fota_proto_request rq = {.offset = 4096};
    struct fota_proto_report rp = {.sequence = 7, .event = FOTA_PROTO_EV_REVERTED,
                                   .reason = 2, .error = -8,
                                   .version = {2, 0, 1, 9}};
    uint8_t data[700];
    size_t n = 0;
    int r;

    rng_fill(data, sizeof(data));
    memset(rq.digest, 0x5C, sizeof(rq.digest));
    memset(rp.digest, 0xC5, sizeof(rp.digest));
#define ADD(expr)                          \
    do {                                   \
        r = (expr);                        \
        assert_true(r > 0);                \
        lens[n++] = (size_t)r;             \
    } while (0)
    ADD(fota_proto_challenge_encode(frames[n], BUF, server_nonce));
    ADD(fota_proto_hello_encode(frames[n], BUF, &h, secret, server_nonce));
    ADD(fota_proto_offer_encode(frames[n], BUF, 1024, manifest, manifest_len));
    ADD(fota_proto_nothing_encode(frames[n], BUF, 3600));
    ADD(fota_proto_request_encode(frames[n], BUF, &rq));
    ADD(fota_proto_data_encode(frames[n], BUF, 2048, data, sizeof(data)));
    ADD(fota_proto_ack_encode(frames[n], BUF, 2748));
    ADD(fota_proto_report_encode(frames[n], BUF, &rp));
    ADD(fota_proto_reported_encode(frames[n], BUF, 7));
    ADD(fota_proto_error_encode(frames[n], BUF, FOTA_PROTO_E_NOT_ASSIGNED, "not yours", 9));
#undef ADD
    return n;
}

/* ---- round trips ---- */

static void test_frame_layout(void **state)
{
    uint8_t frame[64];
    uint8_t body[3] = {1, 2, 3};
    int n;

    (void)state;
    n = fota_proto_frame_encode(frame, sizeof(frame), 0x42, body, 3);
    assert_int_equal(n, 13);
    assert_int_equal(frame[0], 0x46);
    assert_int_equal(frame[1], 1);
    assert_int_equal(frame[2], 0x42);
    assert_int_equal(frame[3], 0);
    assert_int_equal(fota_load16_le(frame + 4), 3);
    assert_memory_equal(frame + 6, body, 3);
    assert_int_equal(fota_load32_le(frame + 9), fota_crc32(0, frame, 9));
    /* zlib's crc32 of the same bytes, computed by hand once: the CRC is the
     * standard one, not a variant. */
    assert_int_equal(fota_crc32(0, "123456789", 9), 0xCBF43926u);
    /* Room checks: one byte short is refused, exact fits. */
    assert_int_equal(fota_proto_frame_encode(frame, 12, 0x42, body, 3), FOTA_E_TOO_BIG);
    assert_int_equal(fota_proto_frame_encode(frame, 13, 0x42, body, 3), 13);
    assert_int_equal(fota_proto_frame_encode(frame, 9, 0x42, NULL, 0), FOTA_E_TOO_BIG);
    assert_int_equal(fota_proto_frame_encode(frame, 10, 0x42, NULL, 0), 10);
    assert_int_equal(fota_proto_frame_seal(frame, 64, 1, 65536), FOTA_E_TOO_BIG);
    /* Built in place. */
    memcpy(frame + FOTA_PROTO_HEADER_SIZE, body, 3);
    assert_int_equal(fota_proto_frame_seal(frame, 13, 0x42, 3), 13);
    assert_int_equal(fota_load32_le(frame + 9), fota_crc32(0, frame, 9));
    memset(frame, 0, 6);
    assert_int_equal(fota_proto_frame_encode(frame, 13, 0x42, frame + 6, 3), 13);
    assert_memory_equal(frame + 6, body, 3);
    assert_int_equal(frame[0], 0x46);
    /* DATA read straight into the output buffer. */
    uint8_t out[64], ref[64];
    for (int i = 0; i < 20; i++)
        out[10 + i] = ref[i] = (uint8_t)(i * 7);
    assert_int_equal(fota_proto_data_encode(out, sizeof(out), 99, out + 10, 20), 34);
    assert_int_equal(fota_load32_le(out + 6), 99);
    assert_memory_equal(out + 10, ref, 20);
    struct fota_proto_data d;
    assert_int_equal(fota_proto_data_parse(&d, out + 6, 24), 0);
    assert_memory_equal(d.bytes, ref, 20);
}

static void test_challenge_round_trip(void **state)
{
    static struct decoded d;
    uint8_t frame[64], nonce[16];

    (void)state;
    int n = fota_proto_challenge_encode(frame, sizeof(frame), server_nonce);
    assert_int_equal(n, 26);
    decode_all_ways(frame, (size_t)n, &d);
    assert_int_equal(d.type, FOTA_PROTO_CHALLENGE);
    assert_int_equal(fota_proto_challenge_parse(nonce, d.body, d.len), 0);
    assert_memory_equal(nonce, server_nonce, 16);
    assert_int_equal(fota_proto_challenge_parse(nonce, d.body, 15), FOTA_E_PROTO);
    assert_int_equal(fota_proto_challenge_parse(nonce, d.body, 17), FOTA_E_PROTO);
}

static void test_hello_round_trip(void **state)
{
    static struct decoded d;
    struct fota_proto_hello h = sample_hello(), p;
    uint8_t frame[256];
    uint8_t mac[32];

    (void)state;
    int n = fota_proto_hello_encode(frame, sizeof(frame), &h, secret, server_nonce);
    assert_int_equal(n, 10 + 131 + 9 + 13);
    decode_all_ways(frame, (size_t)n, &d);
    assert_int_equal(d.type, FOTA_PROTO_HELLO);
    assert_int_equal(fota_proto_hello_parse(&p, d.body, d.len), 0);
    assert_int_equal(p.id_len, 9);
    assert_string_equal(p.id, "dev-00042");
    assert_int_equal(p.model_len, 13);
    assert_string_equal(p.model, "STM32F103ZE r");
    assert_int_equal(p.version.major, 1);
    assert_int_equal(p.version.minor, 2);
    assert_int_equal(p.version.patch, 0x0304);
    assert_int_equal(p.version.build, 0x05060708);
    assert_memory_equal(p.digest, h.digest, 32);
    assert_memory_equal(p.held_digest, h.held_digest, 32);
    assert_int_equal(p.held_bytes, 123456);
    assert_int_equal(p.max_frame, 1034);
    assert_int_equal(p.window, 4);
    assert_int_equal(p.chunk, 800);
    assert_memory_equal(p.nonce, h.nonce, 16);
    /* The mac is the last 32 bytes and checks. */
    assert_memory_equal(p.mac, d.body + d.len - 32, 32);
    assert_int_equal(fota_proto_hello_check(secret, server_nonce, d.body, d.len), 0);
    assert_int_equal(fota_proto_hello_mac(mac, secret, server_nonce, d.body, d.len), 0);
    assert_memory_equal(mac, p.mac, 32);

    /* No model at all. */
    h.model_len = 0;
    n = fota_proto_hello_encode(frame, sizeof(frame), &h, secret, server_nonce);
    assert_int_equal(n, 10 + 131 + 9);
    decode_all_ways(frame, (size_t)n, &d);
    assert_int_equal(fota_proto_hello_parse(&p, d.body, d.len), 0);
    assert_int_equal(p.model_len, 0);
    assert_string_equal(p.model, "");

    /* The largest HELLO. */
    h.id_len = 32;
    memset(h.id, 'x', 32);
    h.model_len = 32;
    memset(h.model, ' ', 32);
    n = fota_proto_hello_encode(frame, sizeof(frame), &h, secret, server_nonce);
    assert_int_equal(n, FOTA_PROTO_HELLO_MAX_SIZE + FOTA_PROTO_OVERHEAD);
    assert_int_equal(fota_proto_hello_parse(&p, frame + 6, (size_t)n - 10), 0);
    assert_int_equal(fota_proto_hello_encode(frame, (size_t)n - 1, &h, secret, server_nonce),
                     FOTA_E_TOO_BIG);
}

/* The mac as the spec states it, computed by libsodium. */
static void test_hello_mac_oracle(void **state)
{
    struct fota_proto_hello h = sample_hello();
    uint8_t frame[256], msg[512], mac[32];
    crypto_auth_hmacsha256_state st;

    (void)state;
    int n = fota_proto_hello_encode(frame, sizeof(frame), &h, secret, server_nonce);
    size_t len = (size_t)n - 10;
    memcpy(msg, "fota-hello-v1", 13);
    memcpy(msg + 13, server_nonce, 16);
    memcpy(msg + 29, frame + 6, len - 32);
    crypto_auth_hmacsha256_init(&st, secret, 32);
    crypto_auth_hmacsha256_update(&st, msg, 29 + len - 32);
    crypto_auth_hmacsha256_final(&st, mac);
    assert_memory_equal(mac, frame + 6 + len - 32, 32);

    /* Any change of a byte, of the nonce or of the secret fails the check. */
    for (size_t i = 0; i < len; i++) {
        frame[6 + i] ^= 0x01;
        assert_int_equal(fota_proto_hello_check(secret, server_nonce, frame + 6, len),
                         FOTA_E_AUTH);
        frame[6 + i] ^= 0x01;
    }
    uint8_t other[32];
    memcpy(other, secret, 32);
    other[31] ^= 0x80;
    assert_int_equal(fota_proto_hello_check(other, server_nonce, frame + 6, len), FOTA_E_AUTH);
    memcpy(other, server_nonce, 16);
    other[0] ^= 1;
    assert_int_equal(fota_proto_hello_check(secret, other, frame + 6, len), FOTA_E_AUTH);
    assert_int_equal(fota_proto_hello_check(secret, server_nonce, frame + 6, len), 0);
    assert_int_equal(fota_proto_hello_check(secret, server_nonce, frame + 6, 31), FOTA_E_PROTO);
    assert_int_equal(fota_proto_hello_mac(mac, secret, server_nonce, frame + 6, 31),
                     FOTA_E_PROTO);
}

static void test_hello_fields(void **state)
{
    struct fota_proto_hello h = sample_hello(), p;
    uint8_t frame[256];
    int n;

    (void)state;
    /* The encoder refuses what the parser would. */
    struct fota_proto_hello bad = h;
    bad.id_len = 0;
    assert_int_equal(fota_proto_hello_encode(frame, 256, &bad, secret, server_nonce), FOTA_E_INVAL);
    bad = h;
    bad.id_len = 33;
    assert_int_equal(fota_proto_hello_encode(frame, 256, &bad, secret, server_nonce), FOTA_E_INVAL);
    bad = h;
    bad.id[3] = ' ';
    assert_int_equal(fota_proto_hello_encode(frame, 256, &bad, secret, server_nonce), FOTA_E_INVAL);
    bad = h;
    bad.model[0] = 0x7F;
    assert_int_equal(fota_proto_hello_encode(frame, 256, &bad, secret, server_nonce), FOTA_E_INVAL);
    bad = h;
    bad.model_len = 33;
    assert_int_equal(fota_proto_hello_encode(frame, 256, &bad, secret, server_nonce), FOTA_E_INVAL);
    bad = h;
    bad.max_frame = 255;
    assert_int_equal(fota_proto_hello_encode(frame, 256, &bad, secret, server_nonce), FOTA_E_INVAL);
    bad = h;
    bad.window = 0;
    assert_int_equal(fota_proto_hello_encode(frame, 256, &bad, secret, server_nonce), FOTA_E_INVAL);
    bad = h;
    bad.window = 65;
    assert_int_equal(fota_proto_hello_encode(frame, 256, &bad, secret, server_nonce), FOTA_E_INVAL);
    bad = h;
    bad.chunk = FOTA_PROTO_CHUNK_MIN - 1;
    assert_int_equal(fota_proto_hello_encode(frame, 256, &bad, secret, server_nonce), FOTA_E_INVAL);
    bad = h;
    bad.chunk = 1021; /* more than a 1034-byte frame carries */
    assert_int_equal(fota_proto_hello_encode(frame, 256, &bad, secret, server_nonce), FOTA_E_INVAL);
    bad = h;
    bad.max_frame = 256;
    bad.window = 64;
    bad.chunk = FOTA_PROTO_DATA_MAX(256);
    assert_true(fota_proto_hello_encode(frame, 256, &bad, secret, server_nonce) > 0);
    bad.chunk = FOTA_PROTO_CHUNK_MIN;
    assert_true(fota_proto_hello_encode(frame, 256, &bad, secret, server_nonce) > 0);

    /* The parser refuses each bad field in an otherwise good body. */
    n = fota_proto_hello_encode(frame, sizeof(frame), &h, secret, server_nonce);
    uint8_t *body = frame + 6;
    size_t len = (size_t)n - 10;
    size_t at_model = 1 + h.id_len;
    size_t at_max_frame = len - 32 - 16 - 2 - 1 - 2;
    size_t at_chunk = at_max_frame + 3;
    struct {
        size_t at;
        uint8_t value;
    } cases[] = {
        {0, 0},                 /* id length 0 */
        {0, 33},                /* id length too long */
        {0, 8},                 /* id length disagrees with the body length */
        {1, ' '},               /* space in the id */
        {2, 0x80},              /* non-ASCII in the id */
        {at_model, 33},         /* model too long */
        {at_model, 12},         /* model length disagrees */
        {at_model + 1, 0x1F},   /* control character in the model */
        {at_max_frame + 1, 0},  /* max_frame 0x000A < 256 */
        {at_max_frame + 2, 0},  /* window 0 */
        {at_max_frame + 2, 65}, /* window 65 */
        {at_chunk + 1, 0},      /* chunk 0x0320 -> 0x0020: below 64 */
        {at_chunk + 1, 4},      /* chunk 0x0420: more than max_frame carries */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t saved = body[cases[i].at];

        body[cases[i].at] = cases[i].value;
        assert_int_equal(fota_proto_hello_parse(&p, body, len), FOTA_E_PROTO);
        body[cases[i].at] = saved;
    }
    assert_int_equal(fota_proto_hello_parse(&p, body, len), 0);
}

static void test_offer_round_trip(void **state)
{
    static struct decoded d;
    static uint8_t frame[BUF];
    struct fota_proto_offer o;

    (void)state;
    int n = fota_proto_offer_encode(frame, sizeof(frame), 1024, manifest, manifest_len);
    assert_int_equal(n, 10 + 4 + 512 + 96);
    decode_all_ways(frame, (size_t)n, &d);
    assert_int_equal(d.type, FOTA_PROTO_OFFER);
    assert_int_equal(fota_proto_offer_parse(&o, d.body, d.len), 0);
    assert_int_equal(o.offset, 1024);
    assert_int_equal(o.manifest_len, manifest_len);
    assert_memory_equal(o.manifest, manifest, manifest_len);
    assert_int_equal(o.header.header_size, 512);
    assert_int_equal(o.header.payload_size, 3000);
    assert_int_equal(o.header.security_counter, 3);
    assert_int_equal(o.header.version.minor, 4);
    assert_ptr_equal(o.digest, o.manifest + 512);
    assert_ptr_equal(o.signature, o.digest + 32);
    assert_memory_equal(o.digest, image + 512 + 3000, 32);
    /* The offset may be the whole image (all held), not beyond. */
    uint32_t total = (uint32_t)image_len;
    assert_true(fota_proto_offer_encode(frame, BUF, total, manifest, manifest_len) > 0);
    assert_int_equal(fota_proto_offer_parse(&o, frame + 6, 4 + manifest_len), 0);
    assert_int_equal(fota_proto_offer_encode(frame, BUF, total + 1, manifest, manifest_len),
                     FOTA_E_INVAL);
    fota_store32_le(frame + 6, total + 1);
    assert_int_equal(fota_proto_offer_parse(&o, frame + 6, 4 + manifest_len), FOTA_E_PROTO);
    /* A manifest cut short or padded is a framing error. */
    fota_store32_le(frame + 6, 0);
    assert_int_equal(fota_proto_offer_parse(&o, frame + 6, 4 + manifest_len - 1), FOTA_E_PROTO);
    assert_int_equal(fota_proto_offer_parse(&o, frame + 6, 4 + manifest_len + 1), FOTA_E_PROTO);
    assert_int_equal(fota_proto_offer_parse(&o, frame + 6, FOTA_PROTO_OFFER_MIN_SIZE - 1),
                     FOTA_E_PROTO);
    assert_int_equal(fota_proto_offer_encode(frame, BUF, 0, manifest, manifest_len - 1),
                     FOTA_E_INVAL);
    /* A manifest the device cannot read: the header's own error. */
    frame[6 + 4] = 'X';
    assert_int_equal(fota_proto_offer_parse(&o, frame + 6, 4 + manifest_len), FOTA_E_MAGIC);
    frame[6 + 4] = 'F';
    frame[6 + 4 + FOTA_IMAGE_OFF_FORMAT] = 2;
    assert_int_equal(fota_proto_offer_parse(&o, frame + 6, 4 + manifest_len), FOTA_E_FORMAT);
    frame[6 + 4 + FOTA_IMAGE_OFF_FORMAT] = 1;
    frame[6 + 4 + FOTA_IMAGE_OFF_HEADER_SIZE] = 0x02; /* 0x202: not a multiple of 4 */
    assert_int_equal(fota_proto_offer_parse(&o, frame + 6, 4 + manifest_len), FOTA_E_HEADER);
    frame[6 + 4 + FOTA_IMAGE_OFF_HEADER_SIZE] = 0x00;
    assert_int_equal(fota_proto_offer_parse(&o, frame + 6, 4 + manifest_len), 0);
    /* Room. */
    assert_int_equal(fota_proto_offer_encode(frame, (size_t)n - 1, 0, manifest, manifest_len),
                     FOTA_E_TOO_BIG);
}

static void test_small_messages_round_trip(void **state)
{
    static struct decoded d;
    uint8_t frame[128];
    uint32_t v;
    int n;

    (void)state;
    n = fota_proto_nothing_encode(frame, sizeof(frame), 86400);
    assert_int_equal(n, 14);
    decode_all_ways(frame, (size_t)n, &d);
    assert_int_equal(d.type, FOTA_PROTO_NOTHING);
    assert_int_equal(fota_proto_nothing_parse(&v, d.body, d.len), 0);
    assert_int_equal(v, 86400);

    n = fota_proto_ack_encode(frame, sizeof(frame), 0xFFFFFFFEu);
    decode_all_ways(frame, (size_t)n, &d);
    assert_int_equal(d.type, FOTA_PROTO_ACK);
    assert_int_equal(fota_proto_ack_parse(&v, d.body, d.len), 0);
    assert_int_equal(v, 0xFFFFFFFEu);

    n = fota_proto_reported_encode(frame, sizeof(frame), 0x80000001u);
    decode_all_ways(frame, (size_t)n, &d);
    assert_int_equal(d.type, FOTA_PROTO_REPORTED);
    assert_int_equal(fota_proto_reported_parse(&v, d.body, d.len), 0);
    assert_int_equal(v, 0x80000001u);

    for (size_t len = 0; len < 9; len++) {
        if (len == 4)
            continue;
        assert_int_equal(fota_proto_nothing_parse(&v, d.body, len), FOTA_E_PROTO);
        assert_int_equal(fota_proto_ack_parse(&v, d.body, len), FOTA_E_PROTO);
        assert_int_equal(fota_proto_reported_parse(&v, d.body, len), FOTA_E_PROTO);
    }
    assert_int_equal(fota_proto_ack_encode(frame, 13, 1), FOTA_E_TOO_BIG);

    struct fota_proto_request rq = {.offset = 77}, rp;
    memset(rq.digest, 0xD1, 32);
    n = fota_proto_request_encode(frame, sizeof(frame), &rq);
    assert_int_equal(n, 46);
    decode_all_ways(frame, (size_t)n, &d);
    assert_int_equal(d.type, FOTA_PROTO_REQUEST);
    assert_int_equal(fota_proto_request_parse(&rp, d.body, d.len), 0);
    assert_int_equal(rp.offset, 77);
    assert_memory_equal(rp.digest, rq.digest, 32);
    assert_int_equal(fota_proto_request_parse(&rp, d.body, 35), FOTA_E_PROTO);
    assert_int_equal(fota_proto_request_parse(&rp, d.body, 37), FOTA_E_PROTO);
}

static void test_data_round_trip(void **state)
{
    static struct decoded d;
    static uint8_t frame[BUF], bytes[BUF];
    struct fota_proto_data p;

    (void)state;
    rng_fill(bytes, sizeof(bytes));
    for (size_t len = 1; len <= 1024; len = len * 3 + 1) {
        int n = fota_proto_data_encode(frame, sizeof(frame), (uint32_t)(len * 7), bytes, len);

        assert_int_equal(n, (int)(len + 14));
        decode_all_ways(frame, (size_t)n, &d);
        assert_int_equal(d.type, FOTA_PROTO_DATA);
        assert_int_equal(fota_proto_data_parse(&p, d.body, d.len), 0);
        assert_int_equal(p.offset, len * 7);
        assert_int_equal(p.len, len);
        assert_memory_equal(p.bytes, bytes, len);
    }
    /* No empty DATA, no range past 4 GiB. */
    assert_int_equal(fota_proto_data_encode(frame, BUF, 0, bytes, 0), FOTA_E_INVAL);
    assert_int_equal(fota_proto_data_encode(frame, BUF, 0xFFFFFFF0u, bytes, 16), FOTA_E_INVAL);
    assert_true(fota_proto_data_encode(frame, BUF, 0xFFFFFFF0u, bytes, 15) > 0);
    assert_int_equal(fota_proto_data_parse(&p, frame + 6, 19), 0);
    fota_store32_le(frame + 6, 0xFFFFFFF2u);
    assert_int_equal(fota_proto_data_parse(&p, frame + 6, 19), FOTA_E_PROTO);
    assert_int_equal(fota_proto_data_parse(&p, frame + 6, 4), FOTA_E_PROTO);
    assert_int_equal(fota_proto_data_parse(&p, frame + 6, 0), FOTA_E_PROTO);
    /* The largest DATA a max_frame allows fills it exactly. */
    assert_int_equal(fota_proto_data_encode(frame, 1034, 0, bytes, FOTA_PROTO_DATA_MAX(1034)),
                     1034);
    assert_int_equal(fota_proto_data_encode(frame, 1034, 0, bytes,
                                            FOTA_PROTO_DATA_MAX(1034) + 1),
                     FOTA_E_TOO_BIG);
}

static void test_report_round_trip(void **state)
{
    static struct decoded d;
    uint8_t frame[128];
    struct fota_proto_report r = {
        .sequence = 0xDEADBEEF, .event = FOTA_PROTO_EV_REFUSED, .reason = 3,
        .error = -32768, .version = {9, 8, 0x0706, 0x05040302}};
    struct fota_proto_report p;

    (void)state;
    memset(r.digest, 0x3C, 32);
    int n = fota_proto_report_encode(frame, sizeof(frame), &r);
    assert_int_equal(n, 58);
    decode_all_ways(frame, (size_t)n, &d);
    assert_int_equal(d.type, FOTA_PROTO_REPORT);
    assert_int_equal(fota_proto_report_parse(&p, d.body, d.len), 0);
    assert_int_equal(p.sequence, 0xDEADBEEF);
    assert_int_equal(p.event, FOTA_PROTO_EV_REFUSED);
    assert_int_equal(p.reason, 3);
    assert_int_equal(p.error, -32768);
    assert_int_equal(p.version.major, 9);
    assert_int_equal(p.version.minor, 8);
    assert_int_equal(p.version.patch, 0x0706);
    assert_int_equal(p.version.build, 0x05040302);
    assert_memory_equal(p.digest, r.digest, 32);
    /* Byte layout per docs/protocol.md. */
    assert_int_equal(fota_load32_le(d.body), 0xDEADBEEF);
    assert_int_equal(d.body[4], 5);
    assert_int_equal(d.body[5], 3);
    assert_int_equal(fota_load16_le(d.body + 6), 0x8000);
    assert_int_equal(d.body[8], 9);
    assert_int_equal(fota_load32_le(d.body + 12), 0x05040302);
    assert_memory_equal(d.body + 16, r.digest, 32);

    r.error = -17;
    assert_true(fota_proto_report_encode(frame, sizeof(frame), &r) > 0);
    assert_int_equal(fota_proto_report_parse(&p, frame + 6, 48), 0);
    assert_int_equal(p.error, -17);

    /* Fields out of range: event 0 and 7, a positive error, an unknown reason. */
    frame[6 + 4] = 0;
    assert_int_equal(fota_proto_report_parse(&p, frame + 6, 48), FOTA_E_PROTO);
    frame[6 + 4] = 7;
    assert_int_equal(fota_proto_report_parse(&p, frame + 6, 48), FOTA_E_PROTO);
    frame[6 + 4] = 1;
    frame[6 + 5] = 6;
    assert_int_equal(fota_proto_report_parse(&p, frame + 6, 48), FOTA_E_PROTO);
    frame[6 + 5] = 0;
    fota_store16_le(frame + 6 + 6, 1);
    assert_int_equal(fota_proto_report_parse(&p, frame + 6, 48), FOTA_E_PROTO);
    fota_store16_le(frame + 6 + 6, 0);
    assert_int_equal(fota_proto_report_parse(&p, frame + 6, 48), 0);
    assert_int_equal(fota_proto_report_parse(&p, frame + 6, 47), FOTA_E_PROTO);
    assert_int_equal(fota_proto_report_parse(&p, frame + 6, 49), FOTA_E_PROTO);
    r.event = 0;
    assert_int_equal(fota_proto_report_encode(frame, sizeof(frame), &r), FOTA_E_INVAL);
    r.event = 1;
    r.error = 1;
    assert_int_equal(fota_proto_report_encode(frame, sizeof(frame), &r), FOTA_E_INVAL);
}

static void test_error_round_trip(void **state)
{
    static struct decoded d;
    uint8_t frame[256];
    char text[200];
    struct fota_proto_error_msg e;

    (void)state;
    int n = fota_proto_error_encode(frame, sizeof(frame), FOTA_PROTO_E_AUTH, "bad mac", 7);
    assert_int_equal(n, 19);
    decode_all_ways(frame, (size_t)n, &d);
    assert_int_equal(d.type, FOTA_PROTO_ERROR);
    assert_int_equal(fota_proto_error_parse(&e, d.body, d.len), 0);
    assert_int_equal(e.code, FOTA_PROTO_E_AUTH);
    assert_int_equal(e.text_len, 7);
    assert_memory_equal(e.text, "bad mac", 7);

    n = fota_proto_error_encode(frame, sizeof(frame), 0x1234, NULL, 0);
    assert_int_equal(n, 12);
    assert_int_equal(fota_proto_error_parse(&e, frame + 6, 2), 0);
    assert_int_equal(e.code, 0x1234); /* unknown codes pass through */
    assert_int_equal(e.text_len, 0);

    /* A long text is cut at 120 bytes; a longer body is refused. */
    memset(text, 'z', sizeof(text));
    n = fota_proto_error_encode(frame, sizeof(frame), 5, text, sizeof(text));
    assert_int_equal(n, 10 + 2 + 120);
    assert_int_equal(fota_proto_error_parse(&e, frame + 6, 122), 0);
    assert_int_equal(fota_proto_error_parse(&e, frame + 6, 123), FOTA_E_PROTO);
    assert_int_equal(fota_proto_error_parse(&e, frame + 6, 1), FOTA_E_PROTO);
    assert_int_equal(fota_proto_error_encode(frame, sizeof(frame), 0, NULL, 0), FOTA_E_INVAL);
    fota_store16_le(frame + 6, 0);
    assert_int_equal(fota_proto_error_parse(&e, frame + 6, 2), FOTA_E_PROTO);

    assert_int_equal(fota_proto_error_code(FOTA_E_MAGIC), FOTA_PROTO_E_BAD_FRAME);
    assert_int_equal(fota_proto_error_code(FOTA_E_FORMAT), FOTA_PROTO_E_VERSION);
    assert_int_equal(fota_proto_error_code(FOTA_E_TOO_BIG), FOTA_PROTO_E_TOO_BIG);
    assert_int_equal(fota_proto_error_code(FOTA_E_CRC), FOTA_PROTO_E_BAD_CRC);
    assert_int_equal(fota_proto_error_code(FOTA_E_TIMEOUT), FOTA_PROTO_E_TIMEOUT);
    assert_int_equal(fota_proto_error_code(FOTA_E_AUTH), FOTA_PROTO_E_AUTH);
    assert_int_equal(fota_proto_error_code(FOTA_E_HEADER), FOTA_PROTO_E_PROTO);
    assert_string_equal(fota_proto_error_name(FOTA_PROTO_E_REFUSED), "REFUSED");
    assert_string_equal(fota_proto_error_name(99), "?");
    assert_string_equal(fota_proto_type_name(FOTA_PROTO_REPORTED), "REPORTED");
    assert_string_equal(fota_proto_type_name(0), "?");
}

/* ---- the decoder ---- */

/* All frames back to back in one stream, in every chunk size from 1 to 97
 * and random ones: the same frames come out, each stopping the feed at its
 * last byte. */
static void test_decoder_stream(void **state)
{
    static uint8_t frames[10][BUF], stream[10 * BUF], buf[BUF];
    size_t lens[10], total = 0;
    size_t n = frames_make(frames, lens);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        memcpy(stream + total, frames[i], lens[i]);
        total += lens[i];
    }
    for (size_t chunk = 0; chunk <= 97; chunk++) {
        struct fota_proto_decoder dec;
        size_t off = 0, got = 0;

        fota_proto_decoder_init(&dec, buf, sizeof(buf));
        while (off < total) {
            size_t c = chunk ? chunk : 1 + rng() % 300;
            size_t used;
            int r;

            if (c > total - off)
                c = total - off;
            r = fota_proto_decoder_feed(&dec, stream + off, c, &used);
            off += used;
            if (r == FOTA_PROTO_FRAME_READY) {
                struct fota_proto_frame f;

                assert_true(got < n);
                assert_int_equal(fota_proto_decoder_frame(&dec, &f), 0);
                assert_int_equal(f.len + 10, lens[got]);
                assert_memory_equal(f.body, frames[got] + 6, f.len);
                assert_int_equal(f.type, frames[got][2]);
                assert_int_equal(parse_any(f.type, f.body, f.len), 0);
                got++;
            } else {
                assert_int_equal(r, FOTA_PROTO_NEED_MORE);
                assert_int_equal(used, c);
            }
        }
        assert_int_equal(got, n);
    }
}

/* Every single-byte change of every frame (three xor patterns per byte) is
 * caught: bad magic, bad version, TOO_BIG, bad CRC, never a frame. */
static void test_decoder_corruption(void **state)
{
    static uint8_t frames[10][BUF], buf[BUF], bad[BUF + 2048];
    static const uint8_t patterns[] = {0x01, 0x80, 0xFF, 0x5A};
    size_t lens[10];
    size_t n = frames_make(frames, lens);
    unsigned long counts[5] = {0}, total = 0;

    (void)state;
    for (size_t i = 0; i < n; i++) {
        for (size_t at = 0; at < lens[i]; at++) {
            for (size_t k = 0; k < sizeof(patterns); k++) {
                struct fota_proto_decoder dec;
                size_t used, len = lens[i];
                int r;

                memcpy(bad, frames[i], len);
                bad[at] ^= patterns[k];
                /* Whatever the length says, enough bytes follow to end it. */
                memset(bad + len, 0, 2048);
                fota_proto_decoder_init(&dec, buf, 1024 + 600);
                r = fota_proto_decoder_feed(&dec, bad, len + 2048, &used);
                total++;
                if (at == 0) {
                    assert_int_equal(r, FOTA_E_MAGIC);
                    assert_int_equal(used, 1);
                    counts[0]++;
                } else if (at == 1) {
                    assert_int_equal(r, FOTA_E_FORMAT);
                    assert_int_equal(used, 2);
                    counts[1]++;
                } else if (r == FOTA_E_TOO_BIG) {
                    assert_true(at == 4 || at == 5);
                    assert_int_equal(used, 6);
                    counts[2]++;
                } else {
                    assert_int_equal(r, FOTA_E_CRC);
                    counts[3]++;
                }
                /* A failed decoder stays failed until reset. */
                assert_int_equal(fota_proto_decoder_feed(&dec, frames[i], lens[i], &used), r);
                assert_int_equal(used, 0);
                fota_proto_decoder_reset(&dec);
                assert_int_equal(fota_proto_decoder_feed(&dec, frames[i], lens[i], &used),
                                 FOTA_PROTO_FRAME_READY);
                assert_int_equal(used, lens[i]);
            }
        }
    }
    printf("corruption: %lu corrupted frames: %lu bad magic, %lu bad version, "
           "%lu too big, %lu bad CRC\n", total, counts[0], counts[1], counts[2], counts[3]);
    assert_int_equal(counts[0] + counts[1] + counts[2] + counts[3], total);
}

/* TOO_BIG is known from the header: no body byte is taken. */
static void test_decoder_too_big(void **state)
{
    static uint8_t buf[512], frame[BUF], bytes[BUF];
    struct fota_proto_decoder dec;
    size_t used;

    (void)state;
    memset(bytes, 0xAB, sizeof(bytes));
    int n = fota_proto_data_encode(frame, sizeof(frame), 0, bytes, 503 - 10 - 4 + 1);
    assert_int_equal(n, 504);
    fota_proto_decoder_init(&dec, buf, 503);
    /* Header bytes one by one: the sixth fails. */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(fota_proto_decoder_feed(&dec, frame + i, 1, &used),
                         FOTA_PROTO_NEED_MORE);
        assert_int_equal(used, 1);
    }
    assert_int_equal(fota_proto_decoder_feed(&dec, frame + 5, (size_t)n - 5, &used),
                     FOTA_E_TOO_BIG);
    assert_int_equal(used, 1);
    /* One byte less fits exactly. */
    n = fota_proto_data_encode(frame, sizeof(frame), 0, bytes, 503 - 10 - 4);
    fota_proto_decoder_reset(&dec);
    assert_int_equal(fota_proto_decoder_feed(&dec, frame, (size_t)n, &used),
                     FOTA_PROTO_FRAME_READY);
    assert_int_equal(used, 503);
    /* A lower limit applies from the next header (a server before HELLO). */
    fota_proto_decoder_init(&dec, buf, sizeof(buf));
    fota_proto_decoder_set_limit(&dec, 100);
    assert_int_equal(fota_proto_decoder_feed(&dec, frame, (size_t)n, &used), FOTA_E_TOO_BIG);
    assert_int_equal(used, 6);
    fota_proto_decoder_set_limit(&dec, 100000); /* capped at the buffer */
    assert_int_equal(dec.limit, sizeof(buf));
    /* The largest length: 65535 + 10 is over every limit. */
    uint8_t hdr[6] = {0x46, 1, FOTA_PROTO_DATA, 0, 0xFF, 0xFF};
    static uint8_t big[70000];
    fota_proto_decoder_init(&dec, big, sizeof(big));
    assert_int_equal(dec.limit, FOTA_PROTO_MAX_FRAME);
    assert_int_equal(fota_proto_decoder_feed(&dec, hdr, 6, &used), FOTA_E_TOO_BIG);
    hdr[4] = 0xF5; /* 65525 + 10 = 65535: fits */
    fota_proto_decoder_reset(&dec);
    assert_int_equal(fota_proto_decoder_feed(&dec, hdr, 6, &used), FOTA_PROTO_NEED_MORE);
}

/* Truncated bodies of every message are refused by its parser; so are
 * bodies with a byte too many, except where the message is variable (DATA,
 * ERROR text), whose shorter forms are checked in their own tests. */
static void test_truncated_bodies(void **state)
{
    static uint8_t frames[10][BUF];
    size_t lens[10];
    size_t n = frames_make(frames, lens);
    unsigned long refused = 0;

    (void)state;
    for (size_t i = 0; i < n; i++) {
        uint8_t type = frames[i][2];
        size_t len = lens[i] - 10;
        size_t min_ok = type == FOTA_PROTO_DATA ? 5 : type == FOTA_PROTO_ERROR ? 2 : len;

        assert_int_equal(parse_any(type, frames[i] + 6, len), 0);
        for (size_t cut = 0; cut < min_ok; cut++) {
            assert_int_not_equal(parse_any(type, frames[i] + 6, cut), 0);
            refused++;
        }
        if (type != FOTA_PROTO_DATA && type != FOTA_PROTO_ERROR) {
            assert_int_not_equal(parse_any(type, frames[i] + 6, len + 1), 0);
            refused++;
        }
    }
    printf("truncated or padded bodies refused: %lu\n", refused);
}

/* Random buffers through the decoder (in random chunks) and every parser:
 * never a crash or a read out of bounds (ASan), and whatever parses
 * re-encodes to the same body. */
static void test_random_garbage(void **state)
{
    static uint8_t buf[1100], garbage[1200];
    unsigned long runs = 100000, frames = 0, errors = 0, parsed = 0;
    clock_t start = clock();

    (void)state;
    for (unsigned long run = 0; run < runs; run++) {
        struct fota_proto_decoder dec;
        size_t len = rng() % sizeof(garbage), off = 0;

        rng_fill(garbage, len);
        /* A third of the runs start with a valid header so the decoder gets
         * past the magic and version checks, and a third are whole frames
         * (valid CRC) of a random body, with a length a message might have,
         * so the parsers see garbage through the decoder too. */
        if (run % 3 == 1 && len >= 6) {
            garbage[0] = 0x46;
            garbage[1] = 1;
            garbage[2] = (uint8_t)(1 + rng() % 10);
            if (garbage[2] == 10)
                garbage[2] = 0x7F;
            fota_store16_le(garbage + 4, (uint16_t)(rng() % 1100));
        } else if (run % 3 == 2) {
            static const size_t sizes[] = {16, 130, 161, 193, 4, 36, 48, 2, 122, 622};
            uint8_t type = (uint8_t)(1 + rng() % 10);
            size_t body = rng() % 2 ? sizes[rng() % 10] : rng() % 700;

            if (type == 10)
                type = 0x7F;
            if (type == FOTA_PROTO_OFFER && rng() % 2) {
                /* A real manifest with random damage. */
                body = 4 + manifest_len;
                memcpy(garbage + 10, manifest, manifest_len);
                garbage[10 + rng() % manifest_len] ^= (uint8_t)(1u << (rng() % 8));
                if (rng() % 2)
                    fota_store16_le(garbage + 10 + FOTA_IMAGE_OFF_HEADER_SIZE,
                                    (uint16_t)(rng() % 700));
            }
            assert_true(fota_proto_frame_seal(garbage, sizeof(garbage), type, body) > 0);
            len = body + 10 + rng() % 20;
        }
        fota_proto_decoder_init(&dec, buf, sizeof(buf));
        while (off < len) {
            size_t c = 1 + rng() % 200, used;
            int r;

            if (c > len - off)
                c = len - off;
            r = fota_proto_decoder_feed(&dec, garbage + off, c, &used);
            assert_true(used <= c);
            off += used;
            if (r < 0) {
                errors++;
                fota_proto_decoder_reset(&dec);
                if (used == 0)
                    off++;
            } else if (r == FOTA_PROTO_FRAME_READY) {
                struct fota_proto_frame f;

                frames++;
                assert_int_equal(fota_proto_decoder_frame(&dec, &f), 0);
                parsed += parse_any(f.type, f.body, f.len) == 0;
            }
        }
        /* Straight into every parser too, at every type. */
        for (uint8_t t = 1; t <= 10; t++)
            parsed += parse_any(t == 10 ? 0x7F : t, garbage, len % 260) == 0;
    }
    printf("random garbage: %lu buffers, %lu decoder errors, %lu frames, %lu bodies parsed, "
           "%.2f s\n", runs, errors, frames, parsed,
           (double)(clock() - start) / CLOCKS_PER_SEC);
    assert_true(errors > runs / 2);
    assert_true(frames >= runs / 3);
    assert_true(parsed > 0);
}

/* A body that parses re-encodes to the same bytes (parsers and encoders agree
 * on every field), checked on random valid-looking HELLO and REPORT bodies. */
static void test_reencode(void **state)
{
    static uint8_t frame[512], body[512];
    unsigned long same = 0;

    (void)state;
    for (int run = 0; run < 20000; run++) {
        struct fota_proto_hello h;
        struct fota_proto_report r;
        size_t len;

        /* HELLO: random fields within range. */
        uint8_t id_len = (uint8_t)(1 + rng() % 32), model_len = (uint8_t)(rng() % 33);
        len = 131u + id_len + model_len;
        rng_fill(body, len);
        body[0] = id_len;
        for (int i = 0; i < id_len; i++)
            body[1 + i] = (uint8_t)(0x21 + rng() % 94);
        body[1 + id_len] = model_len;
        for (int i = 0; i < model_len; i++)
            body[2 + id_len + i] = (uint8_t)(0x20 + rng() % 95);
        size_t tail = 2u + id_len + model_len + 8 + 64 + 4;
        uint16_t max_frame = (uint16_t)(256 + rng() % 60000);
        fota_store16_le(body + tail, max_frame);
        body[tail + 2] = (uint8_t)(1 + rng() % 64);
        fota_store16_le(body + tail + 3,
                        (uint16_t)(64 + rng() % (FOTA_PROTO_DATA_MAX(max_frame) - 63)));
        assert_int_equal(fota_proto_hello_parse(&h, body, len), 0);
        int n = fota_proto_hello_encode(frame, sizeof(frame), &h, secret, server_nonce);
        assert_int_equal(n, (int)len + 10);
        /* All but the mac (the random body's mac is not a real one). */
        assert_memory_equal(frame + 6, body, len - 32);

        rng_fill(body, 48);
        body[4] = (uint8_t)(1 + rng() % 6);
        body[5] = (uint8_t)(rng() % 6);
        if (body[7] < 0x80)
            body[6] = body[7] = 0;
        assert_int_equal(fota_proto_report_parse(&r, body, 48), 0);
        n = fota_proto_report_encode(frame, sizeof(frame), &r);
        assert_int_equal(n, 58);
        assert_memory_equal(frame + 6, body, 48);
        same += 2;
    }
    printf("re-encoded identically: %lu bodies\n", same);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_layout),
        cmocka_unit_test(test_challenge_round_trip),
        cmocka_unit_test(test_hello_round_trip),
        cmocka_unit_test(test_hello_mac_oracle),
        cmocka_unit_test(test_hello_fields),
        cmocka_unit_test(test_offer_round_trip),
        cmocka_unit_test(test_small_messages_round_trip),
        cmocka_unit_test(test_data_round_trip),
        cmocka_unit_test(test_report_round_trip),
        cmocka_unit_test(test_error_round_trip),
        cmocka_unit_test(test_decoder_stream),
        cmocka_unit_test(test_decoder_corruption),
        cmocka_unit_test(test_decoder_too_big),
        cmocka_unit_test(test_truncated_bodies),
        cmocka_unit_test(test_random_garbage),
        cmocka_unit_test(test_reencode),
    };

    if (sodium_init() < 0)
        return 1;
    manifest_make();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
