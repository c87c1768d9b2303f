/* The bootloader's decisions and swap (core/boot.c) on the small layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fota/boot.h"
#include "fota/error.h"
#include "test_boot_sim.h"

#define PAGE 256u
#define HDR BOOT_SIM_SMALL_HEADER

static struct boot_sim sim;
/* v1: 4 pages, v2: 6 pages, v3: 3 pages, distinct payloads and counters. */
static struct boot_sim_image v1, v2, v3;

static void images_make(void)
{
    boot_sim_image_make(&sim, &v1, 1, 1, 700, HDR, 1);
    boot_sim_image_make(&sim, &v2, 2, 2, 1100, HDR, 2);
    boot_sim_image_make(&sim, &v3, 3, 3, 400, HDR, 3);
}

static int open_with_buf(uint32_t buf_size)
{
    boot_sim_open(&sim, &boot_sim_small_geometry, &boot_sim_small_layout, buf_size);
    images_make();
    boot_sim_factory(&sim, sim.cfg.layout.primary_addr, sim.cfg.layout.primary_pages, &v1);
    return 0;
}

/* A device fresh from the factory: v1 in the primary, nothing else. */
static int sim_setup(void **state)
{
    (void)state;
    return open_with_buf(PAGE);
}

/* The same with scratch buffers smaller than a page: a divisor of it, and
 * not (pages are then copied in chunks of 130 and 126 bytes). */
static int sim_setup_small_buf(void **state)
{
    (void)state;
    return open_with_buf(HDR);
}

static int sim_setup_odd_buf(void **state)
{
    (void)state;
    return open_with_buf(HDR + 2);
}

static int sim_teardown(void **state)
{
    (void)state;
    boot_sim_image_free(&v1);
    boot_sim_image_free(&v2);
    boot_sim_image_free(&v3);
    boot_sim_close(&sim);
    return 0;
}

static const struct fota_boot_layout *layout(void)
{
    return &sim.cfg.layout;
}

static struct fota_boot_state state_now(void)
{
    struct fota_boot_state st;

    assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
    return st;
}

static void go(struct fota_boot_result *res)
{
    assert_int_equal(fota_boot_go(&sim.cfg, res), 0);
}

static void assert_boots(const struct fota_boot_result *res, const struct boot_sim_image *img)
{
    assert_int_not_equal(res->record.action, FOTA_BOOT_ACTION_RECOVERY);
    assert_int_equal(res->image_addr, layout()->primary_addr);
    assert_int_equal(res->load_address, layout()->primary_addr + HDR);
    assert_int_equal(res->image.version.build, img->version.build);
    assert_true(boot_sim_holds(&sim, layout()->primary_addr, img));
}

static void assert_record(const struct fota_boot_record *rec, uint8_t action, uint8_t reason,
                          int error, const struct boot_sim_image *img)
{
    assert_int_equal(rec->action, action);
    assert_int_equal(rec->reason, reason);
    assert_int_equal(rec->error, error);
    if (img != NULL)
        assert_memory_equal(&rec->version, &img->version, sizeof(img->version));
}

static void stored_record_is(uint8_t action, uint8_t reason, int error,
                             const struct boot_sim_image *img)
{
    struct fota_boot_record rec;

    assert_int_equal(fota_boot_record_read(&sim.cfg, &rec), 0);
    assert_record(&rec, action, reason, error, img);
}

/* Downloads img into the secondary and marks it pending, like the agent. */
static void stage(const struct boot_sim_image *img)
{
    assert_int_equal(boot_sim_download(&sim, img), 0);
    assert_int_equal(fota_boot_mark_pending(&sim.cfg), 0);
}

static void install(const struct boot_sim_image *img)
{
    struct fota_boot_result res;

    stage(img);
    go(&res);
    assert_record(&res.record, FOTA_BOOT_ACTION_INSTALLED, FOTA_BOOT_REASON_REQUESTED, 0, img);
    assert_boots(&res, img);
}

/* ---- decisions ---- */

static void test_fresh_device_boots_v1_without_writing(void **state)
{
    struct fota_boot_result res;

    (void)state;
    go(&res);
    assert_int_equal(res.record.action, FOTA_BOOT_ACTION_BOOT);
    assert_boots(&res, &v1);
    go(&res);
    assert_int_equal(res.record.action, FOTA_BOOT_ACTION_BOOT);
    assert_int_equal(sim.flash.ops, 0);
    stored_record_is(FOTA_BOOT_ACTION_NONE, FOTA_BOOT_REASON_NONE, 0, NULL);
}

static void test_pending_installs_on_trial(void **state)
{
    struct fota_boot_state st;

    (void)state;
    install(&v2);
    st = state_now();
    assert_true(st.trial);
    assert_false(st.pending);
    assert_int_equal(st.swap_kind, FOTA_BOOT_SWAP_NONE);
    assert_int_equal(st.counter, 0);
    /* The previous image is kept, whole, for the revert. */
    assert_true(boot_sim_holds(&sim, layout()->secondary_addr, &v1));
    stored_record_is(FOTA_BOOT_ACTION_INSTALLED, FOTA_BOOT_REASON_REQUESTED, 0, &v2);
}

static void test_unconfirmed_reverts(void **state)
{
    struct fota_boot_result res;

    (void)state;
    install(&v2);
    go(&res);
    assert_record(&res.record, FOTA_BOOT_ACTION_REVERTED, FOTA_BOOT_REASON_NOT_CONFIRMED, 0, &v2);
    assert_boots(&res, &v1);
    assert_true(boot_sim_holds(&sim, layout()->secondary_addr, &v2));
    assert_false(state_now().trial);
    assert_int_equal(state_now().counter, 0);
    /* The revert sticks, and the reverted image is not installed again. */
    go(&res);
    assert_int_equal(res.record.action, FOTA_BOOT_ACTION_BOOT);
    assert_boots(&res, &v1);
    stored_record_is(FOTA_BOOT_ACTION_REVERTED, FOTA_BOOT_REASON_NOT_CONFIRMED, 0, &v2);
}

static void test_confirm_raises_counter(void **state)
{
    struct fota_boot_result res;
    uint64_t ops;

    (void)state;
    install(&v2);
    assert_int_equal(fota_boot_confirm(&sim.cfg), 0);
    assert_false(state_now().trial);
    assert_int_equal(state_now().counter, 2);
    ops = sim.flash.ops;
    assert_int_equal(fota_boot_confirm(&sim.cfg), 0);
    assert_int_equal(sim.flash.ops, ops); /* idempotent: no write */
    go(&res);
    assert_int_equal(res.record.action, FOTA_BOOT_ACTION_BOOT);
    assert_boots(&res, &v2);
    assert_int_equal(sim.flash.ops, ops);
    /* The old image is still in the secondary but may no longer boot. */
    assert_int_equal(fota_boot_mark_pending(&sim.cfg), 0);
    go(&res);
    assert_record(&res.record, FOTA_BOOT_ACTION_REFUSED, FOTA_BOOT_REASON_ROLLBACK,
                  FOTA_E_ROLLBACK, &v1);
    assert_boots(&res, &v2);
}

static void test_confirm_never_lowers_counter(void **state)
{
    struct fota_boot_state st;

    (void)state;
    st = state_now();
    st.counter = 9;
    assert_int_equal(fota_boot_state_write(&sim.cfg, &st), 0);
    assert_int_equal(fota_boot_confirm(&sim.cfg), 0);
    assert_int_equal(state_now().counter, 9);
}

static void test_confirm_v1_then_install_v3(void **state)
{
    struct fota_boot_result res;

    (void)state;
    assert_int_equal(fota_boot_confirm(&sim.cfg), 0);
    assert_int_equal(state_now().counter, 1);
    install(&v2);
    assert_int_equal(fota_boot_confirm(&sim.cfg), 0);
    install(&v3);
    assert_int_equal(fota_boot_confirm(&sim.cfg), 0);
    assert_int_equal(state_now().counter, 3);
    go(&res);
    assert_boots(&res, &v3);
    assert_true(boot_sim_holds(&sim, layout()->secondary_addr, &v2));
}

static void test_bad_signature_refused(void **state)
{
    struct fota_boot_result res;
    struct boot_sim_image bad;

    (void)state;
    boot_sim_image_copy(&bad, &v2);
    bad.bytes[bad.size - 1] ^= 0x01;
    stage(&bad);
    go(&res);
    assert_record(&res.record, FOTA_BOOT_ACTION_REFUSED, FOTA_BOOT_REASON_VERIFY_FAILED,
                  FOTA_E_SIGNATURE, &v2);
    assert_boots(&res, &v1);
    assert_false(state_now().pending);
    go(&res);
    assert_int_equal(res.record.action, FOTA_BOOT_ACTION_BOOT);
    assert_boots(&res, &v1);
    stored_record_is(FOTA_BOOT_ACTION_REFUSED, FOTA_BOOT_REASON_VERIFY_FAILED,
                     FOTA_E_SIGNATURE, &v2);
    boot_sim_image_free(&bad);
}

/* Every header, digest and signature byte, and every 13th payload byte,
 * flipped in turn: the bootloader refuses each image with a reason and
 * keeps booting v1. */
static void test_every_flip_refused(void **state)
{
    struct fota_boot_result res;
    struct boot_sim_image bad;
    uint32_t payload_end = v2.size - FOTA_IMAGE_TRAILER_SIZE;
    unsigned tried = 0, refused = 0;

    (void)state;
    boot_sim_image_copy(&bad, &v2);
    for (uint32_t off = 0; off < v2.size; off++) {
        if (off >= HDR && off < payload_end && (off - HDR) % 13 && off != payload_end - 1)
            continue;
        memcpy(bad.bytes, v2.bytes, v2.size);
        bad.bytes[off] ^= (uint8_t)(1u << (off % 8));
        stage(&bad);
        go(&res);
        tried++;
        if (res.record.action == FOTA_BOOT_ACTION_REFUSED && res.record.error < 0 &&
            (res.record.reason == FOTA_BOOT_REASON_VERIFY_FAILED ||
             res.record.reason == FOTA_BOOT_REASON_ROLLBACK))
            refused++;
        else
            print_message("byte %u flipped: action %u reason %u error %d\n", (unsigned)off,
                          res.record.action, res.record.reason, res.record.error);
        assert_boots(&res, &v1);
    }
    print_message("bootloader flips: %u images with one byte flipped, %u refused\n", tried,
                  refused);
    assert_int_equal(refused, tried);
    boot_sim_image_free(&bad);
}

static void test_bad_digest_refused(void **state)
{
    struct fota_boot_result res;
    struct boot_sim_image bad;

    (void)state;
    boot_sim_image_copy(&bad, &v2);
    bad.bytes[HDR + 10] ^= 0x80;
    stage(&bad);
    go(&res);
    assert_record(&res.record, FOTA_BOOT_ACTION_REFUSED, FOTA_BOOT_REASON_VERIFY_FAILED,
                  FOTA_E_DIGEST, &v2);
    assert_boots(&res, &v1);
    boot_sim_image_free(&bad);
}

static void test_other_key_refused(void **state)
{
    struct fota_boot_result res;
    struct boot_sim_image foreign;
    struct test_key key = sim.key;

    (void)state;
    test_key_make(&sim.key, 0x77);
    boot_sim_image_make(&sim, &foreign, 2, 2, 1100, HDR, 2);
    sim.key = key;
    stage(&foreign);
    go(&res);
    assert_record(&res.record, FOTA_BOOT_ACTION_REFUSED, FOTA_BOOT_REASON_VERIFY_FAILED,
                  FOTA_E_SIGNATURE, &foreign);
    assert_boots(&res, &v1);
    boot_sim_image_free(&foreign);
}

static void test_rollback_refused(void **state)
{
    struct fota_boot_result res;
    struct boot_sim_image old;
    struct fota_boot_state st;

    (void)state;
    boot_sim_image_make(&sim, &old, 0, 0, 500, HDR, 9);
    assert_int_equal(fota_boot_confirm(&sim.cfg), 0); /* counter 1 */
    stage(&old);
    go(&res);
    assert_record(&res.record, FOTA_BOOT_ACTION_REFUSED, FOTA_BOOT_REASON_ROLLBACK,
                  FOTA_E_ROLLBACK, &old);
    assert_boots(&res, &v1);
    st = state_now();
    assert_int_equal(st.counter, 1);
    assert_false(st.pending);
    boot_sim_image_free(&old);
}

static void test_wrong_load_address_refused(void **state)
{
    struct fota_boot_result res;
    struct boot_sim_image moved;

    (void)state;
    boot_sim_image_make_at(&sim, &moved, 2, 2, 1100, HDR, 2, layout()->secondary_addr + HDR);
    stage(&moved);
    go(&res);
    assert_record(&res.record, FOTA_BOOT_ACTION_REFUSED, FOTA_BOOT_REASON_VERIFY_FAILED,
                  FOTA_E_ADDRESS, &moved);
    assert_boots(&res, &v1);
    /* Nor does such an image boot from the primary. */
    boot_sim_factory(&sim, layout()->primary_addr, layout()->primary_pages, &moved);
    go(&res);
    assert_record(&res.record, FOTA_BOOT_ACTION_RECOVERY, FOTA_BOOT_REASON_PRIMARY_INVALID,
                  FOTA_E_ADDRESS, NULL);
    boot_sim_image_free(&moved);
}

static void test_image_larger_than_slot_refused(void **state)
{
    struct fota_boot_result res;
    struct boot_sim_image big;

    (void)state;
    /* 9 pages: the primary has them, but one is the swap's spare. */
    boot_sim_image_make(&sim, &big, 2, 2, 8 * PAGE, HDR, 4);
    boot_sim_factory(&sim, layout()->primary_addr, layout()->primary_pages, &big);
    go(&res);
    assert_record(&res.record, FOTA_BOOT_ACTION_RECOVERY, FOTA_BOOT_REASON_PRIMARY_INVALID,
                  FOTA_E_TOO_BIG, NULL);
    boot_sim_image_free(&big);
}

static void test_corrupt_primary_recovered_from_secondary(void **state)
{
    struct fota_boot_result res;
    uint8_t *primary = sim.flash.mem + (layout()->primary_addr - sim.flash.flash.base);

    (void)state;
    assert_int_equal(boot_sim_download(&sim, &v2), 0);
    primary[HDR + 3] ^= 0x10;
    go(&res);
    assert_record(&res.record, FOTA_BOOT_ACTION_RECOVERED, FOTA_BOOT_REASON_PRIMARY_INVALID,
                  FOTA_E_DIGEST, &v2);
    assert_boots(&res, &v2);
    assert_false(state_now().trial); /* nothing to go back to */
    go(&res);
    assert_int_equal(res.record.action, FOTA_BOOT_ACTION_BOOT);
    assert_boots(&res, &v2);
}

static void test_nothing_valid_stays_in_recovery(void **state)
{
    struct fota_boot_result res;

    (void)state;
    boot_sim_factory(&sim, layout()->primary_addr, layout()->primary_pages, NULL);
    go(&res);
    assert_record(&res.record, FOTA_BOOT_ACTION_RECOVERY, FOTA_BOOT_REASON_PRIMARY_INVALID,
                  FOTA_E_MAGIC, NULL);
    assert_int_equal(sim.flash.ops, 0);
    /* The recovery path downloads into the secondary; the next reset takes it. */
    assert_int_equal(boot_sim_download(&sim, &v2), 0);
    go(&res);
    assert_record(&res.record, FOTA_BOOT_ACTION_RECOVERED, FOTA_BOOT_REASON_PRIMARY_INVALID,
                  FOTA_E_MAGIC, &v2);
    assert_boots(&res, &v2);
}

static void test_corrupt_primary_and_bad_secondary(void **state)
{
    struct fota_boot_result res;
    struct boot_sim_image bad;
    uint8_t *primary = sim.flash.mem + (layout()->primary_addr - sim.flash.flash.base);

    (void)state;
    boot_sim_image_copy(&bad, &v2);
    bad.bytes[bad.size - 5] ^= 0x01;
    stage(&bad);
    primary[HDR] ^= 0x01;
    go(&res);
    assert_record(&res.record, FOTA_BOOT_ACTION_RECOVERY, FOTA_BOOT_REASON_PRIMARY_INVALID,
                  FOTA_E_DIGEST, NULL);
    stored_record_is(FOTA_BOOT_ACTION_REFUSED, FOTA_BOOT_REASON_VERIFY_FAILED,
                     FOTA_E_SIGNATURE, &v2);
    boot_sim_image_free(&bad);
}

/* Damages the secondary's payload after the bootloader verified it, at the
 * swap's first erase: the installed image then fails its check. */
static void corrupt_at_first_erase(void *arg, uint64_t op, enum fota_posix_flash_op kind,
                                   uint32_t addr, uint32_t len)
{
    int *done = arg;

    (void)op;
    (void)addr;
    (void)len;
    if (kind == FOTA_POSIX_FLASH_ERASE && !*done) {
        sim.flash.mem[layout()->secondary_addr - sim.flash.flash.base + HDR + 1] ^= 0x04;
        *done = 1;
    }
}

static void test_install_failing_verification_reverts(void **state)
{
    struct fota_boot_result res;
    int done = 0;

    (void)state;
    stage(&v2);
    sim.flash.trace = corrupt_at_first_erase;
    sim.flash.trace_arg = &done;
    go(&res);
    sim.flash.trace = NULL;
    assert_record(&res.record, FOTA_BOOT_ACTION_REVERTED, FOTA_BOOT_REASON_VERIFY_FAILED,
                  FOTA_E_DIGEST, &v2);
    assert_boots(&res, &v1);
    assert_false(state_now().trial);
}

static void test_mark_pending_refused_during_trial(void **state)
{
    (void)state;
    install(&v2);
    assert_int_equal(fota_boot_mark_pending(&sim.cfg), FOTA_E_STATE);
    assert_int_equal(fota_boot_confirm(&sim.cfg), 0);
    assert_int_equal(fota_boot_mark_pending(&sim.cfg), 0);
    assert_int_equal(fota_boot_mark_pending(&sim.cfg), 0);
    assert_true(state_now().pending);
}

static void test_go_needs_key_and_buffer(void **state)
{
    struct fota_boot_config cfg = sim.cfg;
    struct fota_boot_result res;

    (void)state;
    cfg.buf_size = 63;
    assert_int_equal(fota_boot_go(&cfg, &res), FOTA_E_INVAL);
    cfg = sim.cfg;
    cfg.public_key = NULL;
    assert_int_equal(fota_boot_go(&cfg, &res), FOTA_E_INVAL);
}

/* ---- the swap ---- */

static uint32_t erases(uint32_t base, uint32_t page)
{
    return sim.flash.erase_count[boot_sim_page(&sim, base) + page];
}

/* Install v2 (6 pages) over v1 (4 pages): m = 6. */
static void assert_swap_wear(uint32_t swaps)
{
    const uint32_t m = 6;

    for (uint32_t i = 0; i < layout()->primary_pages; i++) {
        uint32_t expect = i == 0 || i == m ? swaps : i < m ? 2 * swaps : 0;

        assert_int_equal(erases(layout()->primary_addr, i), expect);
    }
    for (uint32_t i = 0; i < layout()->secondary_pages; i++)
        assert_int_equal(erases(layout()->secondary_addr, i), i < m ? swaps : 0);
}

static void test_swap_exchanges_and_undoes(void **state)
{
    struct fota_boot_result res;
    uint8_t primary_before[9 * PAGE];
    uint8_t secondary_before[8 * PAGE];
    const uint8_t *primary = sim.flash.mem + (layout()->primary_addr - sim.flash.flash.base);
    const uint8_t *secondary = sim.flash.mem + (layout()->secondary_addr - sim.flash.flash.base);

    (void)state;
    stage(&v2);
    memcpy(primary_before, primary, sizeof(primary_before));
    memcpy(secondary_before, secondary, sizeof(secondary_before));
    memset(sim.flash.erase_count, 0, 32 * sizeof(*sim.flash.erase_count));
    go(&res);
    /* The first 6 pages trade places; the spare page keeps old page 5. */
    assert_memory_equal(primary, secondary_before, 6 * PAGE);
    assert_memory_equal(secondary, primary_before, 6 * PAGE);
    assert_memory_equal(primary + 6 * PAGE, primary_before + 5 * PAGE, PAGE);
    assert_memory_equal(secondary + 6 * PAGE, secondary_before + 6 * PAGE, 2 * PAGE);
    assert_swap_wear(1);
    go(&res); /* not confirmed: the same swap again */
    assert_memory_equal(primary, primary_before, 6 * PAGE);
    assert_memory_equal(secondary, secondary_before, 6 * PAGE);
    assert_swap_wear(2);
}

static void test_swap_snapshot_count(void **state)
{
    struct fota_boot_result res;
    uint64_t ops;
    const uint32_t m = 6;

    (void)state;
    stage(&v2);
    ops = sim.flash.ops;
    go(&res);
    /* Per step an erase, a program and a snapshot; one snapshot to begin;
     * the log changes pages ceil((3m + 1) / 8) times at most. */
    uint64_t state_erases = erases(layout()->state_addr, 0) + erases(layout()->state_addr, 1);
    assert_int_equal(sim.flash.ops - ops, 3 * m + 3 * m + 3 * m + 1 + state_erases);
    assert_true(state_erases <= (3 * m + 1 + 7) / 8);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, sim_setup, sim_teardown)
    const struct CMUnitTest tests[] = {
        T(test_fresh_device_boots_v1_without_writing),
        T(test_pending_installs_on_trial),
        T(test_unconfirmed_reverts),
        T(test_confirm_raises_counter),
        T(test_confirm_never_lowers_counter),
        T(test_confirm_v1_then_install_v3),
        T(test_bad_signature_refused),
        T(test_bad_digest_refused),
        T(test_every_flip_refused),
        T(test_other_key_refused),
        T(test_rollback_refused),
        T(test_wrong_load_address_refused),
        T(test_image_larger_than_slot_refused),
        T(test_corrupt_primary_recovered_from_secondary),
        T(test_nothing_valid_stays_in_recovery),
        T(test_corrupt_primary_and_bad_secondary),
        T(test_install_failing_verification_reverts),
        T(test_mark_pending_refused_during_trial),
        T(test_go_needs_key_and_buffer),
        T(test_swap_exchanges_and_undoes),
        T(test_swap_snapshot_count),
        cmocka_unit_test_setup_teardown(test_swap_exchanges_and_undoes, sim_setup_small_buf,
                                        sim_teardown),
        cmocka_unit_test_setup_teardown(test_pending_installs_on_trial, sim_setup_small_buf,
                                        sim_teardown),
        cmocka_unit_test_setup_teardown(test_swap_exchanges_and_undoes, sim_setup_odd_buf,
                                        sim_teardown),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
