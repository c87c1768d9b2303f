/*
 * Review tests of the bootloader core: the layout check at the top of the
 * 32-bit address space, the per-page erase bounds of docs/flash-layout.md
 * under a single power cut, and the application calls made in states the
 * other tests do not reach (a swap interrupted, garbage in the secondary).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fota/boot.h"
#include "fota/error.h"
#include "test_boot_sim.h"

#define PAGE 256u
#define HDR BOOT_SIM_SMALL_HEADER

/* ---- layouts at the top of the address space ---- */

/* 64 KiB of 256-byte pages whose last byte is 0xFFFFFFFF: the end of an area
 * that reaches it is 2^32, which wraps to 0 in 32 bits. */
#define TOP_BASE 0xFFFF0000u
static const struct fota_posix_flash_geometry top_geometry = {
    .base = TOP_BASE,
    .size = 0x10000u,
    .page_size = PAGE,
    .write_size = 2u,
    .erased = 0xFFu,
};

static uint32_t top_page(uint32_t n)
{
    return TOP_BASE + n * PAGE;
}

static int top_check(const struct fota_boot_layout *layout)
{
    struct fota_posix_flash flash;
    struct fota_boot_config cfg = {.layout = *layout};
    int err;

    assert_int_equal(fota_posix_flash_open(&flash, NULL, &top_geometry), 0);
    cfg.flash = &flash.flash;
    err = fota_boot_config_check(&cfg);
    fota_posix_flash_close(&flash);
    return err;
}

static void test_overlap_at_top_of_address_space_refused(void **state)
{
    /* The primary (pages 215-255) ends at 2^32 and overlaps the secondary
     * (pages 200-239): a swap would exchange pages with themselves. */
    const struct fota_boot_layout slots = {
        .state_addr = top_page(0),
        .primary_addr = top_page(215),
        .primary_pages = 41,
        .secondary_addr = top_page(200),
        .secondary_pages = 40,
    };
    /* The state log (pages 254-255) ends at 2^32 inside the primary. */
    const struct fota_boot_layout log_at_top = {
        .state_addr = top_page(254),
        .primary_addr = top_page(200),
        .primary_pages = 56,
        .secondary_addr = top_page(10),
        .secondary_pages = 55,
    };

    (void)state;
    assert_int_equal(top_check(&slots), FOTA_E_INVAL);
    assert_int_equal(top_check(&log_at_top), FOTA_E_INVAL);
}

/* The same flash with areas that touch 0xFFFFFFFF without overlapping is
 * usable: install, confirm and revert there like anywhere else. */
static void test_layout_ending_at_top_of_address_space_works(void **state)
{
    const struct fota_boot_layout layout = {
        .state_addr = top_page(200),
        .primary_addr = top_page(247),
        .primary_pages = 9,
        .secondary_addr = top_page(230),
        .secondary_pages = 8,
    };
    struct boot_sim sim;
    struct boot_sim_image v1, v2;
    struct fota_boot_result res;

    (void)state;
    assert_int_equal(top_check(&layout), 0);
    boot_sim_open(&sim, &top_geometry, &layout, PAGE);
    boot_sim_image_make(&sim, &v1, 1, 1, 700, HDR, 1);
    boot_sim_image_make(&sim, &v2, 2, 2, 1100, HDR, 2);
    boot_sim_factory(&sim, layout.primary_addr, layout.primary_pages, &v1);
    assert_int_equal(boot_sim_download(&sim, &v2), 0);
    assert_int_equal(fota_boot_mark_pending(&sim.cfg), 0);
    assert_int_equal(fota_boot_go(&sim.cfg, &res), 0);
    assert_int_equal(res.record.action, FOTA_BOOT_ACTION_INSTALLED);
    assert_true(boot_sim_holds(&sim, layout.primary_addr, &v2));
    assert_true(boot_sim_holds(&sim, layout.secondary_addr, &v1));
    assert_int_equal(fota_boot_go(&sim.cfg, &res), 0); /* not confirmed */
    assert_int_equal(res.record.action, FOTA_BOOT_ACTION_REVERTED);
    assert_true(boot_sim_holds(&sim, layout.primary_addr, &v1));
    boot_sim_image_free(&v1);
    boot_sim_image_free(&v2);
    boot_sim_close(&sim);
}

/* ---- erase bounds per page under one cut ---- */

struct wear_run {
    struct boot_sim sim;
    struct boot_sim_image v1, v2;
    uint8_t *start;
    uint32_t state_progs;
    uint8_t kind[512];
    uint32_t len[512];
    uint64_t traced;
};

static void wear_trace(void *arg, uint64_t op, enum fota_posix_flash_op kind, uint32_t addr,
                       uint32_t len)
{
    struct wear_run *w = arg;
    const struct fota_boot_layout *l = &w->sim.cfg.layout;

    if (kind == FOTA_POSIX_FLASH_PROG && addr >= l->state_addr &&
        addr - l->state_addr < FOTA_BOOT_STATE_PAGES * PAGE)
        w->state_progs++;
    if (op <= 512) {
        w->kind[op - 1] = (uint8_t)kind;
        w->len[op - 1] = len;
        w->traced = op;
    }
}

/* From the start (v1 running, v2 pending): boot until an image runs and
 * confirms itself, resetting after every cut. Returns the swaps done. */
static uint32_t wear_device(struct wear_run *w, uint64_t cut_at, uint32_t units, uint32_t seed)
{
    struct fota_posix_flash *f = &w->sim.flash;
    const struct fota_boot_layout *l = &w->sim.cfg.layout;

    memcpy(f->mem, w->start, f->flash.size);
    memset(f->erase_count, 0, (f->flash.size / PAGE) * sizeof(*f->erase_count));
    f->ops = 0;
    w->state_progs = 0;
    fota_posix_flash_power_on(f);
    if (cut_at)
        fota_posix_flash_cut_at(f, cut_at, units, seed);
    for (int boot = 0; boot < 8; boot++) {
        struct fota_boot_result res;
        int err = fota_boot_go(&w->sim.cfg, &res);

        if (err == 0) {
            assert_int_not_equal(res.record.action, FOTA_BOOT_ACTION_RECOVERY);
            err = fota_boot_confirm(&w->sim.cfg);
        }
        if (err == 0) {
            /* v2 stays after its install; v1 is back after a revert. */
            if (boot_sim_holds(&w->sim, l->primary_addr, &w->v2))
                return 1;
            assert_true(boot_sim_holds(&w->sim, l->primary_addr, &w->v1));
            return 2;
        }
        assert_int_equal(err, FOTA_E_IO);
        fota_posix_flash_power_on(f);
    }
    fail_msg("never settled");
    return 0;
}

/* docs/flash-layout.md, "Wear": per swap primary page 0 once, pages 1..m-1
 * twice, page m once, pages above never; secondary pages 0..m-1 once; each
 * state page at most ceil(W / 2R) times for W snapshot writes; a power cut
 * adds at most one erase to a page, on at most two pages. */
static void wear_assert(const struct wear_run *w, uint32_t m, uint32_t swaps, uint32_t cuts)
{
    const struct fota_boot_layout *l = &w->sim.cfg.layout;
    const uint32_t *ec = w->sim.flash.erase_count;
    uint32_t p0 = boot_sim_page(&w->sim, l->primary_addr);
    uint32_t s0 = boot_sim_page(&w->sim, l->secondary_addr);
    uint32_t st0 = boot_sim_page(&w->sim, l->state_addr);
    uint32_t r = PAGE / FOTA_BOOT_RECORD_SIZE;
    uint32_t over = 0;

    for (uint32_t i = 0; i < l->primary_pages; i++) {
        uint32_t doc = i == 0 || i == m ? swaps : i < m ? 2 * swaps : 0;

        over += ec[p0 + i] > doc;
        if (ec[p0 + i] > doc + cuts || (cuts == 0 && ec[p0 + i] != doc))
            fail_msg("primary page %u erased %u times, documented %u", i, ec[p0 + i], doc);
    }
    for (uint32_t i = 0; i < l->secondary_pages; i++) {
        uint32_t doc = i < m ? swaps : 0;

        over += ec[s0 + i] > doc;
        if (ec[s0 + i] > doc + cuts || (cuts == 0 && ec[s0 + i] != doc))
            fail_msg("secondary page %u erased %u times, documented %u", i, ec[s0 + i], doc);
    }
    for (uint32_t i = 0; i < FOTA_BOOT_STATE_PAGES; i++) {
        uint32_t doc = (w->state_progs + 2 * r - 1) / (2 * r);

        over += ec[st0 + i] > doc;
        if (ec[st0 + i] > doc + cuts)
            fail_msg("state page %u erased %u times for %u writes", i, ec[st0 + i],
                     w->state_progs);
    }
    if (over > 2 * cuts)
        fail_msg("%u pages erased more often than documented after %u cuts", over, cuts);
}

static void test_single_cut_wear_per_page(void **state)
{
    const uint32_t m = 6; /* v2 takes 6 pages, v1 4 */
    struct wear_run *w = calloc(1, sizeof(*w));
    uint64_t n;

    (void)state;
    assert_non_null(w);
    boot_sim_open(&w->sim, &boot_sim_small_geometry, &boot_sim_small_layout, PAGE);
    boot_sim_image_make(&w->sim, &w->v1, 1, 1, 700, HDR, 1);
    boot_sim_image_make(&w->sim, &w->v2, 2, 2, 1100, HDR, 2);
    boot_sim_factory(&w->sim, w->sim.cfg.layout.primary_addr, w->sim.cfg.layout.primary_pages,
                     &w->v1);
    boot_sim_factory(&w->sim, w->sim.cfg.layout.secondary_addr,
                     w->sim.cfg.layout.secondary_pages, &w->v2);
    assert_int_equal(fota_boot_mark_pending(&w->sim.cfg), 0);
    w->start = malloc(w->sim.flash.flash.size);
    assert_non_null(w->start);
    memcpy(w->start, w->sim.flash.mem, w->sim.flash.flash.size);
    w->sim.flash.trace = wear_trace;
    w->sim.flash.trace_arg = w;

    assert_int_equal(wear_device(w, 0, 0, 0), 1);
    wear_assert(w, m, 1, 0);
    n = w->traced;
    assert_true(n > 0 && n < 512);
    for (uint64_t k = 1; k <= n; k++) {
        uint32_t units = w->len[k - 1] / w->sim.flash.flash.write_size;
        uint32_t variants[4] = {0, units / 2, units - 1, units};
        uint32_t count = w->kind[k - 1] == FOTA_POSIX_FLASH_ERASE ? 2 : 4;

        for (uint32_t v = 0; v < count; v++) {
            uint32_t swaps = wear_device(w, k, variants[v], (uint32_t)(k * 31u + v));

            wear_assert(w, m, swaps, 1);
            /* the trace of the uncut run is still what the next k reads */
            w->traced = n;
        }
    }
    w->sim.flash.trace = NULL;
    free(w->start);
    boot_sim_image_free(&w->v1);
    boot_sim_image_free(&w->v2);
    boot_sim_close(&w->sim);
    free(w);
}

/* ---- application calls in unusual states ---- */

static void test_calls_refused_while_swap_interrupted(void **state)
{
    struct boot_sim sim;
    struct boot_sim_image v1, v2;
    struct fota_boot_result res;
    struct fota_boot_state st;

    (void)state;
    boot_sim_open(&sim, &boot_sim_small_geometry, &boot_sim_small_layout, PAGE);
    boot_sim_image_make(&sim, &v1, 1, 1, 700, HDR, 1);
    boot_sim_image_make(&sim, &v2, 2, 2, 1100, HDR, 2);
    boot_sim_factory(&sim, sim.cfg.layout.primary_addr, sim.cfg.layout.primary_pages, &v1);
    assert_int_equal(boot_sim_download(&sim, &v2), 0);
    assert_int_equal(fota_boot_mark_pending(&sim.cfg), 0);
    /* Cut the install half way: 1 starting snapshot, then 3 ops a step. */
    fota_posix_flash_cut_at(&sim.flash, sim.flash.ops + 1 + 3 * 8 + 2, 3, 5);
    assert_int_equal(fota_boot_go(&sim.cfg, &res), FOTA_E_IO);
    fota_posix_flash_power_on(&sim.flash);
    assert_int_equal(fota_boot_state_read(&sim.cfg, &st), 0);
    assert_int_equal(st.swap_kind, FOTA_BOOT_SWAP_INSTALL);
    /* Neither the agent nor a confirm may touch the state mid-swap. */
    assert_int_equal(fota_boot_mark_pending(&sim.cfg), FOTA_E_STATE);
    assert_int_equal(fota_boot_confirm(&sim.cfg), FOTA_E_STATE);
    assert_int_equal(fota_boot_go(&sim.cfg, &res), 0);
    assert_int_equal(res.record.action, FOTA_BOOT_ACTION_INSTALLED);
    assert_true(boot_sim_holds(&sim, sim.cfg.layout.primary_addr, &v2));
    assert_true(boot_sim_holds(&sim, sim.cfg.layout.secondary_addr, &v1));
    boot_sim_image_free(&v1);
    boot_sim_image_free(&v2);
    boot_sim_close(&sim);
}

static void test_pending_garbage_refused_without_erasing(void **state)
{
    struct boot_sim sim;
    struct boot_sim_image v1;
    struct fota_boot_result res;
    uint8_t *secondary;
    uint64_t ops;

    (void)state;
    boot_sim_open(&sim, &boot_sim_small_geometry, &boot_sim_small_layout, PAGE);
    boot_sim_image_make(&sim, &v1, 1, 1, 700, HDR, 1);
    boot_sim_factory(&sim, sim.cfg.layout.primary_addr, sim.cfg.layout.primary_pages, &v1);
    /* A header that parses and claims the largest image, then noise. */
    secondary = sim.flash.mem + (sim.cfg.layout.secondary_addr - sim.flash.flash.base);
    memcpy(secondary, v1.bytes, HDR);
    for (uint32_t i = HDR; i < sim.cfg.layout.secondary_pages * PAGE; i++)
        secondary[i] = (uint8_t)(i * 37u + 11u);
    secondary[0x14] = 0xFF; /* payload size: far beyond the slot */
    secondary[0x15] = 0xFF;
    assert_int_equal(fota_boot_mark_pending(&sim.cfg), 0);
    ops = sim.flash.ops;
    assert_int_equal(fota_boot_go(&sim.cfg, &res), 0);
    assert_int_equal(res.record.action, FOTA_BOOT_ACTION_REFUSED);
    assert_int_equal(res.record.reason, FOTA_BOOT_REASON_VERIFY_FAILED);
    assert_int_equal(res.record.error, FOTA_E_TOO_BIG);
    assert_true(boot_sim_holds(&sim, sim.cfg.layout.primary_addr, &v1));
    assert_int_equal(sim.flash.ops - ops, 1); /* the refusal's snapshot only */
    boot_sim_image_free(&v1);
    boot_sim_close(&sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlap_at_top_of_address_space_refused),
        cmocka_unit_test(test_layout_ending_at_top_of_address_space_works),
        cmocka_unit_test(test_single_cut_wear_per_page),
        cmocka_unit_test(test_calls_refused_while_swap_interrupted),
        cmocka_unit_test(test_pending_garbage_refused_without_erasing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
