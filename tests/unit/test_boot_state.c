/* The bootloader's state log (core/boot_state.c), CRC-32 (core/crc32.c) and
 * the STM32 layouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fota/agent.h"
#include "fota/boot.h"
#include "fota/bytes.h"
#include "fota/crc32.h"
#include "fota/error.h"
#include "test_boot_sim.h"

#define SLOTS (256u / FOTA_BOOT_RECORD_SIZE)

static struct boot_sim sim;

static int sim_setup(void **state)
{
    (void)state;
    boot_sim_open(&sim, &boot_sim_small_geometry, &boot_sim_small_layout, 256);
    return 0;
}

static int sim_teardown(void **state)
{
    (void)state;
    boot_sim_close(&sim);
    return 0;
}

static uint8_t *state_page(uint32_t page)
{
    return sim.flash.mem + (sim.cfg.layout.state_addr - sim.flash.flash.base) +
           page * sim.flash.flash.page_size;
}

static uint32_t state_erases(uint32_t page)
{
    return sim.flash.erase_count[boot_sim_page(&sim, sim.cfg.layout.state_addr) + page];
}

/* Writes a snapshot whose counter is n and checks it reads back. */
static void write_counter(uint32_t n)
{
    struct fota_boot_state st;

    assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
    st.counter = n;
    assert_int_equal(fota_boot_state_write(&sim.cfg, &st), 0);
    assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
    assert_int_equal(st.counter, n);
}

static void test_crc32(void **state)
{
    static const char check[] = "123456789";

    (void)state;
    assert_int_equal(fota_crc32(0, check, 9), 0xCBF43926u);
    assert_int_equal(fota_crc32(fota_crc32(0, check, 4), check + 4, 5), 0xCBF43926u);
    assert_int_equal(fota_crc32(0, check, 0), 0);
}

static void test_fresh(void **state)
{
    struct fota_boot_state st;

    (void)state;
    assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
    assert_int_equal(st.counter, 0);
    assert_false(st.pending);
    assert_false(st.trial);
    assert_int_equal(st.swap_kind, FOTA_BOOT_SWAP_NONE);
    assert_int_equal(st.record.action, FOTA_BOOT_ACTION_NONE);
    assert_int_equal(st.log_page, 0);
    assert_int_equal(st.log_next, 0);
}

static void test_round_trip(void **state)
{
    struct fota_boot_state st;
    struct fota_boot_state back;

    (void)state;
    assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
    st.counter = 0x01020304u;
    st.pending = 1;
    st.swap_kind = FOTA_BOOT_SWAP_INSTALL;
    st.swap_pages = 7;
    st.swap_done = 20;
    st.record.action = FOTA_BOOT_ACTION_REFUSED;
    st.record.reason = FOTA_BOOT_REASON_ROLLBACK;
    st.record.error = FOTA_E_ROLLBACK;
    st.record.version = (struct fota_version){1, 2, 0x0304, 0x05060708u};
    assert_int_equal(fota_boot_state_write(&sim.cfg, &st), 0);
    assert_int_equal(fota_boot_state_read(&sim.cfg, &back), 0);
    assert_int_equal(back.seq, UINT32_MAX - 1);
    assert_int_equal(back.counter, st.counter);
    assert_int_equal(back.pending, 1);
    assert_int_equal(back.trial, 0);
    assert_int_equal(back.swap_kind, FOTA_BOOT_SWAP_INSTALL);
    assert_int_equal(back.swap_pages, 7);
    assert_int_equal(back.swap_done, 20);
    assert_int_equal(back.record.action, FOTA_BOOT_ACTION_REFUSED);
    assert_int_equal(back.record.reason, FOTA_BOOT_REASON_ROLLBACK);
    assert_int_equal(back.record.error, FOTA_E_ROLLBACK);
    assert_int_equal(back.record.version.major, 1);
    assert_int_equal(back.record.version.minor, 2);
    assert_int_equal(back.record.version.patch, 0x0304);
    assert_int_equal(back.record.version.build, 0x05060708u);
    assert_int_equal(back.log_page, 0);
    assert_int_equal(back.log_next, 1);
}

static void test_append_in_order(void **state)
{
    (void)state;
    for (uint32_t n = 1; n <= SLOTS; n++)
        write_counter(n);
    /* One page filled in slot order, newest last, nothing erased. */
    for (uint32_t slot = 0; slot < SLOTS; slot++)
        assert_int_equal(fota_load32_le(state_page(0) + slot * 32 + 4), slot + 1);
    assert_int_equal(state_erases(0) + state_erases(1), 0);
}

static void test_wraps_between_pages(void **state)
{
    struct fota_boot_state st;

    (void)state;
    for (uint32_t n = 1; n <= 5 * SLOTS + 3; n++) {
        write_counter(n);
        assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
        assert_int_equal(st.log_page, ((n - 1) / SLOTS) % 2);
        assert_int_equal(st.log_next, (n - 1) % SLOTS + 1);
    }
    /* Five page changes: pages 1, 0, 1, 0, 1. */
    assert_int_equal(state_erases(1), 3);
    assert_int_equal(state_erases(0), 2);
}

static void test_newest_wins_across_pages(void **state)
{
    struct fota_boot_state st;

    (void)state;
    for (uint32_t n = 1; n <= SLOTS + 1; n++)
        write_counter(n);
    /* Page 0 is full of older snapshots after the one on page 1. */
    assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
    assert_int_equal(st.counter, SLOTS + 1);
    assert_int_equal(st.log_page, 1);
    assert_int_equal(st.log_next, 1);
}

static void test_half_written_record_skipped(void **state)
{
    struct fota_boot_state st;

    (void)state;
    write_counter(1);
    write_counter(2);
    for (uint32_t units = 0; units < 16; units++) {
        uint64_t next = sim.flash.ops + 1;

        assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
        uint32_t before = st.counter;
        st.counter = 100 + units;
        fota_posix_flash_cut_at(&sim.flash, next, units, units * 7u + 1u);
        assert_int_equal(fota_boot_state_write(&sim.cfg, &st), FOTA_E_IO);
        fota_posix_flash_power_on(&sim.flash);
        assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
        /* Cut in its last unit, the record may have got all its bits. */
        if (st.counter != 100 + units || units < 15)
            assert_int_equal(st.counter, before);
        write_counter(200 + units);
    }
}

static void test_completed_write_reported_failed_counts(void **state)
{
    struct fota_boot_state st;

    (void)state;
    write_counter(1);
    assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
    st.counter = 9;
    fota_posix_flash_cut_at(&sim.flash, sim.flash.ops + 1, 16, 1);
    assert_int_equal(fota_boot_state_write(&sim.cfg, &st), FOTA_E_IO);
    fota_posix_flash_power_on(&sim.flash);
    assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
    assert_int_equal(st.counter, 9);
}

static void test_interrupted_page_erase(void **state)
{
    struct fota_boot_state st;

    (void)state;
    for (uint32_t n = 1; n <= 2 * SLOTS; n++)
        write_counter(n);
    /* Page 1 is full and newest; the next write erases page 0. */
    for (uint32_t seed = 0; seed < 8; seed++) {
        assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
        st.counter = 1000;
        fota_posix_flash_cut_at(&sim.flash, sim.flash.ops + 1, 0, seed);
        assert_int_equal(fota_boot_state_write(&sim.cfg, &st), FOTA_E_IO);
        fota_posix_flash_power_on(&sim.flash);
        assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
        assert_int_equal(st.counter, 2 * SLOTS);
        assert_int_equal(st.log_page, 1);
    }
    write_counter(2 * SLOTS + 1);
    assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
    assert_int_equal(st.log_page, 0);
    assert_int_equal(st.log_next, 1);
}

static void test_garbage_page_ignored(void **state)
{
    struct fota_boot_state st;
    uint32_t x = 12345;

    (void)state;
    for (uint32_t i = 0; i < 256; i++) {
        x = x * 1103515245u + 12345u;
        state_page(1)[i] = (uint8_t)(x >> 16);
    }
    assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
    assert_int_equal(st.counter, 0);
    assert_int_equal(st.log_page, 0);
    for (uint32_t n = 1; n <= SLOTS + 1; n++)
        write_counter(n);
    assert_int_equal(state_erases(1), 1);
    assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
    assert_int_equal(st.log_page, 1);
}

static void test_garbage_first_page_fresh(void **state)
{
    struct fota_boot_state st;

    (void)state;
    /* A fresh device whose page 0 is not erased: the first snapshot goes to
     * the first erased slot, or to page 1 when there is none. */
    memset(state_page(0), 0x00, 3 * 32);
    write_counter(1);
    assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
    assert_int_equal(st.log_page, 0);
    assert_int_equal(st.log_next, 4);
    memset(state_page(0), 0x00, 256);
    memset(state_page(1), 0x00, 256);
    assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
    assert_int_equal(st.counter, 0);
    write_counter(2);
    assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
    assert_int_equal(st.log_page, 1);
}

static void test_inconsistent_swap_fields_rejected(void **state)
{
    struct fota_boot_state st;
    uint8_t *rec = state_page(0) + 32;

    (void)state;
    write_counter(5);
    write_counter(6);
    /* Snapshot 2 claims more steps done than its swap has: not a snapshot. */
    rec[0x09] = FOTA_BOOT_SWAP_INSTALL;
    fota_store16_le(rec + 0x0A, 2);
    fota_store16_le(rec + 0x0C, 7);
    fota_store32_le(rec + 0x1C, fota_crc32(0, rec, 0x1C));
    assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
    assert_int_equal(st.counter, 5);
}

static void test_config_checked(void **state)
{
    struct fota_boot_config cfg = sim.cfg;
    struct fota_posix_flash_geometry geo = boot_sim_small_geometry;
    struct fota_boot_state st;
    struct fota_posix_flash wide;

    (void)state;
    cfg.layout.primary_pages = cfg.layout.secondary_pages;
    assert_int_equal(fota_boot_state_read(&cfg, &st), FOTA_E_INVAL);
    cfg = sim.cfg;
    cfg.layout.secondary_addr -= 256;
    assert_int_equal(fota_boot_state_read(&cfg, &st), FOTA_E_INVAL);
    cfg = sim.cfg;
    cfg.layout.secondary_addr += 1;
    assert_int_equal(fota_boot_state_read(&cfg, &st), FOTA_E_INVAL);
    cfg = sim.cfg;
    cfg.layout.secondary_pages = 100;
    cfg.layout.primary_pages = 101;
    assert_int_equal(fota_boot_state_read(&cfg, &st), FOTA_E_INVAL);
    cfg = sim.cfg;
    cfg.layout.state_addr = 0x07000000;
    assert_int_equal(fota_boot_state_read(&cfg, &st), FOTA_E_INVAL);
    /* Write units wider than a record cannot append one. */
    geo.write_size = 64;
    assert_int_equal(fota_posix_flash_open(&wide, NULL, &geo), 0);
    cfg = sim.cfg;
    cfg.flash = &wide.flash;
    assert_int_equal(fota_boot_state_read(&cfg, &st), FOTA_E_INVAL);
    fota_posix_flash_close(&wide);
}

static void test_stm32_layout(void **state)
{
    const struct fota_boot_layout *l = &fota_boot_layout_stm32f103ze;
    struct fota_posix_flash stm32;
    struct fota_boot_config cfg = {.layout = *l};
    struct fota_boot_state st;

    (void)state;
    assert_int_equal(l->state_addr, 0x08000000u + 8u * 2048u);
    assert_int_equal(l->primary_addr, 0x08000000u + 10u * 2048u);
    assert_int_equal(l->secondary_addr, 0x08000000u + 125u * 2048u);
    assert_int_equal(l->primary_pages, l->secondary_pages + 1u);
    /* pages 239-254 for the port's recovery loader, 255 for the agent */
    assert_int_equal(l->secondary_addr + l->secondary_pages * 2048u, 0x08000000u + 239u * 2048u);
    assert_int_equal(fota_posix_flash_open(&stm32, NULL, &fota_posix_flash_stm32f103ze), 0);
    cfg.flash = &stm32.flash;
    assert_int_equal(fota_boot_config_check(&cfg), 0);
    assert_int_equal(fota_boot_state_read(&cfg, &st), 0);
    fota_posix_flash_close(&stm32);
}

/* 256 KiB of payload behind the default header: more than the ZE's slot. */
#define ZG_TEST_PAYLOAD (256u * 1024u)

static void test_stm32f103zg_layout(void **state)
{
    const struct fota_boot_layout *l = &fota_boot_layout_stm32f103zg;
    const struct fota_boot_layout *ze = &fota_boot_layout_stm32f103ze;
    const uint32_t image = 0x200u + ZG_TEST_PAYLOAD + FOTA_IMAGE_TRAILER_SIZE;
    struct fota_posix_flash zg;
    struct fota_boot_config cfg = {.layout = *l};
    struct fota_boot_state st;

    (void)state;
    /* The ZE's bootloader, configuration and state pages, and its
     * application address. */
    assert_int_equal(l->state_addr, ze->state_addr);
    assert_int_equal(l->primary_addr, ze->primary_addr);
    assert_int_equal(l->primary_pages, l->secondary_pages + 1u);
    assert_int_equal(l->secondary_addr, l->primary_addr + l->primary_pages * 2048u);
    /* pages 495-510 for the recovery loader, 511 for the agent */
    assert_int_equal(l->secondary_addr + l->secondary_pages * 2048u, 0x08000000u + 495u * 2048u);
    assert_int_equal(FOTA_AGENT_PROGRESS_ADDR_STM32F103ZG, 0x08000000u + 511u * 2048u);
    assert_true(image <= l->secondary_pages * 2048u);
    assert_true(image > ze->secondary_pages * 2048u);
    assert_int_equal(fota_posix_flash_open(&zg, NULL, &fota_posix_flash_stm32f103zg), 0);
    assert_int_equal(zg.flash.size, 512u * 2048u);
    cfg.flash = &zg.flash;
    assert_int_equal(fota_boot_config_check(&cfg), 0);
    assert_int_equal(fota_boot_state_read(&cfg, &st), 0);
    fota_posix_flash_close(&zg);
}

/* Marks the secondary of dev pending and resets: what the bootloader did. */
static struct fota_boot_result pending_reset(struct boot_sim *dev)
{
    struct fota_boot_result res;

    assert_int_equal(fota_boot_mark_pending(&dev->cfg), 0);
    assert_int_equal(fota_boot_go(&dev->cfg, &res), 0);
    return res;
}

/* A 256 KiB image: the ZG's bootloader installs it and boots it on trial;
 * the ZE's refuses it as too big, even with its bytes in the pages past the
 * slot. */
static void test_stm32f103zg_installs_256k(void **state)
{
    struct boot_sim zg, ze;
    struct boot_sim_image v1, v2;
    struct fota_boot_result res;

    (void)state;
    boot_sim_open(&zg, &fota_posix_flash_stm32f103zg, &fota_boot_layout_stm32f103zg, 2048);
    boot_sim_image_make(&zg, &v1, 1, 1, 20000, 0x200, 1);
    boot_sim_image_make(&zg, &v2, 2, 2, ZG_TEST_PAYLOAD, 0x200, 2);
    boot_sim_factory(&zg, zg.cfg.layout.primary_addr, zg.cfg.layout.primary_pages, &v1);
    assert_int_equal(boot_sim_download(&zg, &v2), 0);
    res = pending_reset(&zg);
    assert_int_equal(res.record.action, FOTA_BOOT_ACTION_INSTALLED);
    assert_int_equal(res.image.payload_size, ZG_TEST_PAYLOAD);
    assert_int_equal(res.load_address, 0x08005200u);
    assert_true(boot_sim_holds(&zg, zg.cfg.layout.primary_addr, &v2));
    assert_true(boot_sim_holds(&zg, zg.cfg.layout.secondary_addr, &v1));
    assert_int_equal(fota_boot_confirm(&zg.cfg), 0);
    assert_int_equal(fota_boot_go(&zg.cfg, &res), 0);
    assert_int_equal(res.record.action, FOTA_BOOT_ACTION_BOOT);
    assert_int_equal(res.image.security_counter, 2);

    /* The same bytes on a ZE (same key, same load address). */
    boot_sim_open(&ze, &fota_posix_flash_stm32f103ze, &fota_boot_layout_stm32f103ze, 2048);
    boot_sim_factory(&ze, ze.cfg.layout.primary_addr, ze.cfg.layout.primary_pages, &v1);
    memcpy(ze.flash.mem + (ze.cfg.layout.secondary_addr - ze.flash.flash.base), v2.bytes,
           v2.size);
    res = pending_reset(&ze);
    assert_int_equal(res.record.action, FOTA_BOOT_ACTION_REFUSED);
    assert_int_equal(res.record.error, FOTA_E_TOO_BIG);
    assert_true(boot_sim_holds(&ze, ze.cfg.layout.primary_addr, &v1));
    printf("STM32F103ZG: a %u-byte image (%u bytes of payload) installed and confirmed; "
           "the STM32F103ZE refused it: too big\n", (unsigned)v2.size,
           (unsigned)ZG_TEST_PAYLOAD);
    boot_sim_image_free(&v1);
    boot_sim_image_free(&v2);
    boot_sim_close(&zg);
    boot_sim_close(&ze);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32),
        cmocka_unit_test_setup_teardown(test_fresh, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_append_in_order, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_wraps_between_pages, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_newest_wins_across_pages, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_half_written_record_skipped, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_completed_write_reported_failed_counts, sim_setup,
                                        sim_teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_page_erase, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_page_ignored, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_first_page_fresh, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_inconsistent_swap_fields_rejected, sim_setup,
                                        sim_teardown),
        cmocka_unit_test_setup_teardown(test_config_checked, sim_setup, sim_teardown),
        cmocka_unit_test(test_stm32_layout),
        cmocka_unit_test(test_stm32f103zg_layout),
        cmocka_unit_test(test_stm32f103zg_installs_256k),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
