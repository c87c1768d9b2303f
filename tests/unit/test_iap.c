/* The recovery download (core/iap.c): the original loader's protocol fed in
 * every split, answers, resent messages, refusals, and the slot's bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fota/error.h"
#include "fota/iap.h"
#include "fota/posix_flash.h"

/* 64 KiB of 1 KiB pages, half-words; the slot is its upper 32 KiB. */
static const struct fota_posix_flash_geometry geo = {
    .base = 0x08000000u, .size = 64u * 1024u, .page_size = 1024u, .write_size = 2u,
    .erased = 0xFF};
#define SLOT_ADDR 0x08008000u
#define SLOT_SIZE (32u * 1024u)

struct rig {
    struct fota_posix_flash flash;
    struct fota_iap_config cfg;
    struct fota_iap iap;
    uint8_t chunk[FOTA_IAP_CHUNK];
    uint32_t now;
    char answers[512]; /* every answer, space-separated */
};

static struct rig *rig_new(void)
{
    struct rig *r = calloc(1, sizeof(*r));

    assert_non_null(r);
    assert_int_equal(fota_posix_flash_open(&r->flash, NULL, &geo), 0);
    r->cfg = (struct fota_iap_config){&r->flash.flash, SLOT_ADDR, SLOT_SIZE, r->chunk};
    assert_int_equal(fota_iap_init(&r->iap, &r->cfg), 0);
    r->now = 1000;
    return r;
}

static void rig_free(struct rig *r)
{
    fota_posix_flash_close(&r->flash);
    free(r);
}

/* Takes the pending answer, if any, into r->answers. */
static void take_answer(struct rig *r)
{
    const uint8_t *p;
    size_t n;

    fota_iap_output(&r->iap, &p, &n);
    if (n == 0)
        return;
    strncat(r->answers, (const char *)p, n);
    strcat(r->answers, " ");
    fota_iap_sent(&r->iap, n);
}

/* Feeds bytes in pieces of `piece` (0: all at once). */
static int feed(struct rig *r, const uint8_t *p, size_t len, size_t piece)
{
    size_t off = 0;
    int err = 0;

    while (off < len && err == 0) {
        size_t n = piece == 0 || len - off < piece ? len - off : piece;

        err = fota_iap_input(&r->iap, p + off, n, r->now);
        off += n;
        r->now += 1;
    }
    return err;
}

/* The quiet time passes. */
static int quiet(struct rig *r)
{
    int rc;

    r->now += FOTA_IAP_QUIET_MS;
    rc = fota_iap_step(&r->iap, r->now);
    take_answer(r);
    return rc < 0 ? rc : fota_iap_step(&r->iap, r->now);
}

static uint8_t *image_make(uint32_t size)
{
    uint8_t *img = malloc(size);

    for (uint32_t i = 0; i < size; i++)
        img[i] = (uint8_t)(i * 131u + (i >> 8) + 7u);
    return img;
}

/* "<n>;" and chunk n of img. */
static size_t message(uint8_t *out, const uint8_t *img, uint32_t size, uint32_t n)
{
    uint32_t off = (n - 1u) * FOTA_IAP_CHUNK;
    uint32_t len = size - off < FOTA_IAP_CHUNK ? size - off : FOTA_IAP_CHUNK;
    int k = sprintf((char *)out, "%u;", (unsigned)n);

    memcpy(out + k, img + off, len);
    return (size_t)k + len;
}

/* A whole download, each message fed in pieces of `piece`; resend (if not
 * 0) sends that chunk twice, as the server does when an answer is lost. */
static void download(uint32_t size, size_t piece, uint32_t resend, uint32_t *answers_ok)
{
    struct rig *r = rig_new();
    uint8_t *img = image_make(size);
    uint8_t msg[FOTA_IAP_CHUNK + 16];
    char expect[512] = "0 ";
    uint32_t chunks = (size + FOTA_IAP_CHUNK - 1) / FOTA_IAP_CHUNK;
    int k = sprintf((char *)msg, "0;%u", (unsigned)size);
    assert_int_equal(feed(r, msg, (size_t)k, piece), 0);
    assert_int_equal(quiet(r), 0);
    for (uint32_t n = 1; n <= chunks; n++) {
        size_t len = message(msg, img, size, n);

        assert_int_equal(feed(r, msg, len, piece), 0);
        assert_true(fota_iap_step(&r->iap, r->now) >= 0);
        take_answer(r);
        sprintf(expect + strlen(expect), "%u ", (unsigned)n);
        if (n == resend && n != chunks) {
            assert_int_equal(feed(r, msg, len, piece), 0);
            take_answer(r);
            sprintf(expect + strlen(expect), "%u ", (unsigned)n);
        }
    }
    assert_int_equal(fota_iap_step(&r->iap, r->now), FOTA_IAP_DONE);
    assert_string_equal(r->answers, expect);
    assert_memory_equal(r->flash.mem + (SLOT_ADDR - geo.base), img, size);
    if (size % 2)
        assert_int_equal(r->flash.mem[SLOT_ADDR - geo.base + size], 0xFF);
    (*answers_ok)++;
    free(img);
    rig_free(r);
}

static void test_downloads(void **state)
{
    static const uint32_t sizes[] = {1, 2, 1023, 1024, 1025, 3001, 8192, 20001};
    static const size_t pieces[] = {0, 1, 2, 3, 7, 100, 1023, 1025};
    uint32_t runs = 0;

    (void)state;
    for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
        for (unsigned p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++)
            download(sizes[s], pieces[p], p % 3 == 0 ? 0 : 1 + p % 3, &runs);
    printf("iap: %u downloads (8 sizes x 8 splits, some with a chunk sent twice), "
           "answers and slot bytes exact\n", (unsigned)runs);
}

/* The size line sent again (the "0" was lost) is answered again. */
static void test_size_line_again(void **state)
{
    struct rig *r = rig_new();

    (void)state;
    assert_int_equal(feed(r, (const uint8_t *)"0;5000", 6, 0), 0);
    assert_int_equal(quiet(r), 0);
    assert_int_equal(feed(r, (const uint8_t *)"0;5000", 6, 0), 0);
    assert_int_equal(quiet(r), 0);
    assert_string_equal(r->answers, "0 0 ");
    /* another size on the same connection is not the protocol */
    assert_int_equal(feed(r, (const uint8_t *)"0;6000", 6, 0), 0);
    assert_int_equal(quiet(r), FOTA_E_PROTO);
    rig_free(r);
}

/* The server sent the size line again (our "0" was late) and chunk 1 right
 * after it, all in one read: the copy ends with its digits. */
static void test_size_line_again_then_chunk(void **state)
{
    struct rig *r = rig_new();
    uint8_t *img = image_make(2000);
    uint8_t msg[16 + FOTA_IAP_CHUNK + 16];
    size_t k;

    (void)state;
    assert_int_equal(feed(r, (const uint8_t *)"0;2000", 6, 0), 0);
    assert_int_equal(quiet(r), 0);
    memcpy(msg, "0;2000", 6);
    k = 6 + message(msg + 6, img, 2000, 1);
    assert_int_equal(feed(r, msg, k, 0), 0);
    take_answer(r);
    assert_int_equal(feed(r, msg + 6, message(msg + 6, img, 2000, 2), 0), 0);
    take_answer(r);
    assert_int_equal(fota_iap_step(&r->iap, r->now), FOTA_IAP_DONE);
    /* the copy's "0" gave way to "1" before it went out */
    assert_string_equal(r->answers, "0 1 2 ");
    assert_memory_equal(r->flash.mem + (SLOT_ADDR - geo.base), img, 2000);
    free(img);
    rig_free(r);
}

/* The last chunk sent again after the download is complete (its answer
 * was lost): answered again, not written again; a chunk past the end is
 * not the protocol. */
static void test_last_chunk_again(void **state)
{
    struct rig *r = rig_new();
    uint8_t *img = image_make(1500);
    uint8_t msg[FOTA_IAP_CHUNK + 16];
    uint64_t ops;

    (void)state;
    assert_int_equal(feed(r, (const uint8_t *)"0;1500", 6, 0), 0);
    assert_int_equal(quiet(r), 0);
    assert_int_equal(feed(r, msg, message(msg, img, 1500, 1), 0), 0);
    take_answer(r);
    assert_int_equal(feed(r, msg, message(msg, img, 1500, 2), 0), 0);
    ops = r->flash.ops;
    assert_int_equal(fota_iap_step(&r->iap, r->now), 0); /* "2" not sent yet */
    assert_int_equal(feed(r, msg, message(msg, img, 1500, 2), 7), 0);
    take_answer(r);
    assert_int_equal(fota_iap_step(&r->iap, r->now), FOTA_IAP_DONE);
    assert_string_equal(r->answers, "0 1 2 ");
    assert_int_equal(r->flash.ops, ops);
    assert_int_equal(feed(r, (const uint8_t *)"3;", 2, 0), FOTA_E_PROTO);
    free(img);
    rig_free(r);
}

static int stream_result(const char *text, size_t len)
{
    struct rig *r = rig_new();
    int err;

    err = feed(r, (const uint8_t *)text, len, 0);
    if (err == 0)
        err = quiet(r);
    rig_free(r);
    return err;
}

static void test_refusals(void **state)
{
    (void)state;
    assert_int_equal(stream_result("x", 1), FOTA_E_PROTO);          /* not a digit */
    assert_int_equal(stream_result("1;abc", 5), FOTA_E_PROTO);      /* chunk before size */
    assert_int_equal(stream_result("0;12a", 5), FOTA_E_PROTO);      /* letters in the size */
    assert_int_equal(stream_result("0;0", 3), FOTA_E_PROTO);        /* size 0 */
    assert_int_equal(stream_result("0;32769", 7), FOTA_E_TOO_BIG);  /* over the slot */
    assert_int_equal(stream_result("0;99999999999", 13), FOTA_E_PROTO); /* 11 digits */
    assert_int_equal(stream_result(";", 1), FOTA_E_PROTO);          /* no number */
    assert_int_equal(stream_result("0;0;", 4), FOTA_E_PROTO);       /* ';' in the size */
}

/* After the size, a chunk out of order is refused and nothing is written. */
static void test_out_of_order(void **state)
{
    struct rig *r = rig_new();
    uint8_t *img = image_make(4096);
    uint8_t msg[FOTA_IAP_CHUNK + 16];

    (void)state;
    assert_int_equal(feed(r, (const uint8_t *)"0;4096", 6, 0), 0);
    assert_int_equal(quiet(r), 0);
    assert_int_equal(feed(r, msg, message(msg, img, 4096, 2), 0), FOTA_E_PROTO);
    assert_int_equal(r->flash.ops, 0);
    free(img);
    rig_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_downloads),
        cmocka_unit_test(test_size_line_again),
        cmocka_unit_test(test_size_line_again_then_chunk),
        cmocka_unit_test(test_last_chunk_again),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_out_of_order),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
