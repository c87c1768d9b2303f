/* The device configuration record (core/devcfg.c): round trip, every
 * corrupted byte refused, the field rules, erased flash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fota/bytes.h"
#include "fota/crc32.h"
#include "fota/devcfg.h"
#include "fota/error.h"

static struct fota_devcfg sample(void)
{
    struct fota_devcfg c;

    memset(&c, 0, sizeof(c));
    strcpy(c.id, "dev-0001");
    for (unsigned i = 0; i < sizeof(c.secret); i++)
        c.secret[i] = (uint8_t)(i * 7 + 1);
    strcpy(c.host, "fota.example.com");
    c.port = 7000;
    strcpy(c.apn, "cmnet");
    strcpy(c.user, "gprs");
    strcpy(c.password, "secret");
    return c;
}

/* Recomputes the CRC after an edit, so only the field rules can refuse. */
static void crc_fix(uint8_t rec[FOTA_DEVCFG_SIZE])
{
    fota_store32_le(rec + FOTA_DEVCFG_SIZE - 4, fota_crc32(0, rec, FOTA_DEVCFG_SIZE - 4));
}

static void test_round_trip(void **state)
{
    struct fota_devcfg in = sample(), out;
    uint8_t rec[FOTA_DEVCFG_SIZE];

    (void)state;
    assert_int_equal(fota_devcfg_write(rec, &in), 0);
    assert_memory_equal(rec, "FCFG", 4);
    assert_int_equal(fota_devcfg_parse(&out, rec, sizeof(rec)), 0);
    assert_memory_equal(&in, &out, sizeof(in));
    assert_int_equal(fota_devcfg_parse(&out, rec, sizeof(rec) - 1), FOTA_E_TRUNCATED);
}

static void test_every_flip_refused(void **state)
{
    struct fota_devcfg in = sample(), out;
    uint8_t rec[FOTA_DEVCFG_SIZE];
    unsigned refused = 0;

    (void)state;
    assert_int_equal(fota_devcfg_write(rec, &in), 0);
    for (unsigned i = 0; i < FOTA_DEVCFG_SIZE; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            rec[i] ^= (uint8_t)(1u << bit);
            refused += fota_devcfg_parse(&out, rec, sizeof(rec)) < 0;
            rec[i] ^= (uint8_t)(1u << bit);
        }
    }
    printf("devcfg: %u of %u single-bit flips refused\n", refused, FOTA_DEVCFG_SIZE * 8);
    assert_int_equal(refused, FOTA_DEVCFG_SIZE * 8);
}

static void test_erased_flash(void **state)
{
    struct fota_devcfg out;
    uint8_t rec[FOTA_DEVCFG_SIZE];

    (void)state;
    memset(rec, 0xFF, sizeof(rec));
    assert_int_equal(fota_devcfg_parse(&out, rec, sizeof(rec)), FOTA_E_MAGIC);
    memset(rec, 0, sizeof(rec));
    assert_int_equal(fota_devcfg_parse(&out, rec, sizeof(rec)), FOTA_E_MAGIC);
}

/* The writer refuses to make a record its reader would refuse. */
static void test_writer_rules(void **state)
{
    uint8_t rec[FOTA_DEVCFG_SIZE];
    struct fota_devcfg c[6];

    (void)state;
    for (unsigned i = 0; i < 6; i++)
        c[i] = sample();
    c[0].id[0] = '\0';
    c[1].id[2] = ' ';
    memset(c[2].id, 'a', 33);
    c[3].host[0] = '\0';
    c[4].port = 0;
    memset(c[5].apn, 'x', sizeof(c[5].apn));
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(fota_devcfg_write(rec, &c[i]), FOTA_E_HEADER);
}

/* A record with a good CRC but a field out of range: refused on reading. */
static void test_reader_rules(void **state)
{
    static const struct {
        unsigned off, len;
        uint8_t byte;
    } edits[] = {
        {8, 1, 0},      /* empty id */
        {10, 1, ' '},   /* a space in the id */
        {8, 33, 'a'},   /* a 33-character id */
        {8, 40, 'a'},   /* an id without its NUL */
        {8, 1, 0x7F},   /* DEL in the id */
        {80, 1, 0},     /* empty host */
        {80, 64, 'h'},  /* a host without its NUL */
        {144, 2, 0},    /* server port 0 */
        {148, 64, 'x'}, /* an APN without its NUL */
        {212, 32, 'u'}, /* a user without its NUL */
        {244, 32, 'p'}, /* a password without its NUL */
        {82, 1, '"'},   /* a quote in the host (AT+CIPSTART quotes it) */
        {82, 1, ' '},   /* a space in the host */
        {149, 1, '"'},  /* a quote in the APN (AT+CSTT quotes it) */
        {213, 1, '\n'}, /* a control character in the user */
        {245, 1, 0x80}, /* a byte above 0x7E in the password */
    };
    struct fota_devcfg good = sample(), out;
    uint8_t rec[FOTA_DEVCFG_SIZE];

    (void)state;
    for (unsigned i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        assert_int_equal(fota_devcfg_write(rec, &good), 0);
        memset(rec + edits[i].off, edits[i].byte, edits[i].len);
        crc_fix(rec);
        assert_int_equal(fota_devcfg_parse(&out, rec, sizeof(rec)), FOTA_E_HEADER);
    }
    /* and a format it does not know */
    assert_int_equal(fota_devcfg_write(rec, &good), 0);
    rec[4] = 2;
    crc_fix(rec);
    assert_int_equal(fota_devcfg_parse(&out, rec, sizeof(rec)), FOTA_E_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_every_flip_refused),
        cmocka_unit_test(test_erased_flash),
        cmocka_unit_test(test_writer_rules),
        cmocka_unit_test(test_reader_rules),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
