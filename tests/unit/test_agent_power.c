/*
 * Power cuts during a download (core/agent.c, core/agent_store.c): the power
 * goes at every flash operation of a whole download (each with several
 * partial effects), then the device resets and the agent resumes. At no
 * point may an image that is not exactly the offered one be pending; after
 * the reset the download completes, fetching again at most what was not
 * recorded. Then the same over the session that reports the bootloader's
 * outcome: every event still reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fota/agent.h"
#include "fota/error.h"
#include "test_agent_sim.h"

#define MAX_OPS 8192

static struct dev dev;
static struct srv srv;
static struct boot_sim_image v1, v2;

struct power_case {
    struct dev_download dl;
    uint32_t record_every; /* agent config; 0: a page */
    unsigned stride;       /* cut at every stride-th operation */
    unsigned double_cuts;  /* then cut again at each of the first n after the reset */
};

/* What each operation of the clean run was. */
struct op_trace {
    uint8_t kind[MAX_OPS + 1];
    uint32_t addr[MAX_OPS + 1];
    uint64_t count;
};
static struct op_trace trace;

static void trace_op(void *arg, uint64_t op, enum fota_posix_flash_op kind, uint32_t addr,
                     uint32_t len)
{
    struct op_trace *t = arg;

    (void)len;
    if (op <= MAX_OPS) {
        t->kind[op] = (uint8_t)kind;
        t->addr[op] = addr;
    }
    t->count = op;
}

static void world_open(const struct power_case *c)
{
    assert_int_equal(dev_download_open(&dev, &srv, &c->dl, c->record_every, &v1, &v2), 0);
}

static int pending(void)
{
    struct fota_boot_state st;

    assert_int_equal(fota_boot_state_read(&dev.sim.cfg, &st), 0);
    return st.pending;
}

static int secondary_holds_v2(void)
{
    return boot_sim_holds(&dev.sim, dev.sim.cfg.layout.secondary_addr, &v2);
}

/* The operations that compact the progress page: its erase and the first
 * record after it. A cut there loses the log (docs/protocol.md, "Device
 * progress log"): the download starts over, safely. */
static int is_progress_erase(uint64_t op)
{
    return op <= MAX_OPS && trace.kind[op] == FOTA_POSIX_FLASH_ERASE &&
           trace.addr[op] == dev.cfg.progress_addr;
}

static int is_compaction(uint64_t op)
{
    return is_progress_erase(op) || (op > 1 && is_progress_erase(op - 1));
}

struct sweep_stats {
    unsigned long runs, cut_pending, log_lost, double_cuts;
    uint32_t max_refetch;
};

/* The download, cut at operation `at`, then reset and resumed. */
static void run_download_cut(const struct power_case *c, uint64_t at, uint32_t units,
                             uint32_t seed, struct sweep_stats *st)
{
    uint32_t page = dev.sim.flash.flash.page_size;
    uint32_t every = c->record_every ? c->record_every : page;
    uint32_t frame = dev_download_frame(&c->dl);
    uint32_t bound;
    int r;

    world_open(c);
    fota_posix_flash_cut_at(&dev.sim.flash, at, units, seed);
    r = dev_run_sessions(&dev, &srv, 6);
    assert_int_equal(r, RUN_POWER_CUT);
    /* Whatever the cut did, a pending image is the exact one. */
    fota_posix_flash_power_on(&dev.sim.flash);
    int was_pending = pending();
    if (was_pending) {
        assert_true(secondary_holds_v2());
        st->cut_pending++;
    }
    /* The reset: the agent starts from what the flash holds. */
    assert_int_equal(dev_boot(&dev), 0);
    r = dev_run_sessions(&dev, &srv, 8);
    assert_int_equal(r, RUN_RESET);
    assert_true(pending());
    assert_true(secondary_holds_v2());
    /* Marked before the cut: the reset comes first, INSTALLED will tell. */
    if (!was_pending)
        assert_true(srv_count_reports(&srv, FOTA_PROTO_EV_DOWNLOADED) >= 1);
    assert_int_equal(srv.proto_errors, 0);
    assert_int_equal(srv.acks_ahead, 0);
    assert_int_equal(srv_count_reports(&srv, FOTA_PROTO_EV_REFUSED), 0);
    /* Fetched twice: what was in flight, what was received but not yet
     * recorded, and the frame being written. A cut while the progress page
     * itself is erased may lose the log: the download starts over. */
    bound = c->dl.window * frame + every + frame;
    if (is_compaction(at)) {
        st->log_lost += srv.data_bytes - v2.size > bound;
        bound = v2.size;
    }
    if (srv.data_bytes - v2.size > bound)
        printf("cut at op %llu (kind %u at 0x%08x, units %u): fetched twice %u > %u, "
               "requests %u: %u %u %u\n", (unsigned long long)at, trace.kind[at],
               trace.addr[at], units, srv.data_bytes - v2.size, bound, srv.n_requests,
               srv.requests[0], srv.requests[1], srv.requests[2]);
    assert_true(srv.data_bytes - v2.size <= bound);
    if (srv.data_bytes - v2.size > st->max_refetch && !is_compaction(at))
        st->max_refetch = srv.data_bytes - v2.size;
    st->runs++;
    dev_close(&dev);
}

/* Two cuts: at operation `at` of the download, then at operation `second`
 * of what the agent does after the reset (the resume and its repair of a
 * half-written page, typically). Still never a bad image pending, and the
 * download still completes. */
static void run_double_cut(const struct power_case *c, uint64_t at, uint64_t second,
                           struct sweep_stats *st)
{
    int r;

    world_open(c);
    fota_posix_flash_cut_at(&dev.sim.flash, at, 1, (uint32_t)at);
    assert_int_equal(dev_run_sessions(&dev, &srv, 6), RUN_POWER_CUT);
    assert_int_equal(dev_boot(&dev), 0);
    fota_posix_flash_cut_at(&dev.sim.flash, dev.sim.flash.ops + second, 1,
                            (uint32_t)(at * 31u + second));
    r = dev_run_sessions(&dev, &srv, 6);
    fota_posix_flash_power_on(&dev.sim.flash);
    if (pending())
        assert_true(secondary_holds_v2());
    if (r == RUN_POWER_CUT) {
        assert_int_equal(dev_boot(&dev), 0);
        r = dev_run_sessions(&dev, &srv, 8);
        st->double_cuts++;
    }
    assert_int_equal(r, RUN_RESET);
    assert_true(pending());
    assert_true(secondary_holds_v2());
    assert_int_equal(srv.acks_ahead, 0);
    /* A genuine image is never refused: nothing recorded was lost. */
    assert_int_equal(srv_count_reports(&srv, FOTA_PROTO_EV_REFUSED), 0);
    st->runs++;
    dev_close(&dev);
}

static void download_sweep(const struct power_case *c, struct sweep_stats *st)
{
    uint64_t ops;

    dev_download_images(&c->dl, &v1, &v2);
    /* The clean run, traced. */
    world_open(c);
    memset(&trace, 0, sizeof(trace));
    dev.sim.flash.trace = trace_op;
    dev.sim.flash.trace_arg = &trace;
    assert_int_equal(dev_run_sessions(&dev, &srv, 2), RUN_RESET);
    ops = dev.sim.flash.ops;
    dev_close(&dev);
    assert_true(ops <= MAX_OPS);
    for (uint64_t at = 1; at <= ops; at += c->stride) {
        /* Partial effects: nothing done, one unit done, a random mix. */
        run_download_cut(c, at, 0, (uint32_t)at, st);
        run_download_cut(c, at, 1, (uint32_t)at * 7u + 1u, st);
        run_download_cut(c, at, (uint32_t)(at * 2654435761u % 64u), (uint32_t)at * 13u, st);
        for (uint64_t second = 1; c->double_cuts && second <= c->double_cuts; second++)
            run_double_cut(c, at, second, st);
    }
    printf("  window %2u, %4u-byte frames, image %6u, record every %4u: %4llu ops, "
           "most fetched twice %u\n", c->dl.window, dev_download_frame(&c->dl), v2.size,
           c->record_every ? c->record_every : dev.sim.flash.flash.page_size,
           (unsigned long long)ops, st->max_refetch);
    st->max_refetch = 0;
    dev_download_free(&v1, &v2);
}

static void test_power_cut_download(void **state)
{
    static const struct power_case cases[] = {
        {{DEV_SMALL, 4, 256, 0, 1701}, 0, 1, 10},
        {{DEV_SMALL, 1, 256, 101, 1701}, 0, 1, 6},
        {{DEV_SMALL, 64, 256, 31, 1600}, 64, 1, 0},
        {{DEV_SMALL, 2, 256, 1, 301}, 0, 1, 0}, /* a byte per frame */
        {{DEV_STM32, 4, 1034, 0, 40 * 1024 + 1}, 0, 1, 4},
    };
    struct sweep_stats st = {0};
    clock_t start = clock();

    (void)state;
    printf("power cut at every flash operation of a download:\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        download_sweep(&cases[i], &st);
    printf("power cut during download: %lu runs, %lu left the image pending, "
           "%lu lost the progress log, %lu cut twice, %.2f s\n", st.runs, st.cut_pending,
           st.log_lost, st.double_cuts, (double)(clock() - start) / CLOCKS_PER_SEC);
}

/* After the install: cut the session that reports INSTALLED (and records
 * the phases), reset, and check the events still reach the server. */
static void test_power_cut_reports(void **state)
{
    static const struct power_case c = {{DEV_SMALL, 4, 256, 0, 1701}, 0, 1, 0};
    struct fota_boot_result res;
    uint64_t base, ops;
    unsigned long runs = 0, dup_installed = 0;

    (void)state;
    dev_download_images(&c.dl, &v1, &v2);
    for (uint64_t at = 1;; at++) {
        uint32_t units = (uint32_t)(at % 3);
        int cut;

        world_open(&c);
        assert_int_equal(dev_run_sessions(&dev, &srv, 2), RUN_RESET);
        assert_int_equal(fota_boot_go(&dev.sim.cfg, &res), 0);
        assert_int_equal(res.record.action, FOTA_BOOT_ACTION_INSTALLED);
        srv_assign(&srv, NULL, 0);
        srv.n_reports = 0;
        assert_int_equal(dev_boot(&dev), 0);
        base = dev.sim.flash.ops;
        fota_posix_flash_cut_at(&dev.sim.flash, base + at, units, (uint32_t)at);
        /* The reporting session, the confirm, the next session. */
        int r = dev_run(&dev, &srv, 100000);
        cut = r == RUN_POWER_CUT;
        fota_posix_flash_power_on(&dev.sim.flash);
        assert_int_equal(dev_boot(&dev), 0);
        if (cut)
            assert_int_equal(dev_run_sessions(&dev, &srv, 1), RUN_IDLE);
        ops = dev.sim.flash.ops - base;
        assert_int_equal(fota_boot_confirm(&dev.sim.cfg), 0);
        dev.now += 600000;
        assert_int_equal(dev_run_sessions(&dev, &srv, 2), RUN_IDLE);
        /* INSTALLED may be sent again after a cut, with its sequence: the
         * server stores it once. */
        unsigned installed = srv_count_reports(&srv, FOTA_PROTO_EV_INSTALLED);
        assert_true(installed >= 1);
        for (unsigned i = 1; i < installed; i++)
            assert_int_equal(srv.reports[i].sequence, srv.reports[0].sequence);
        assert_int_equal(srv_count_reports(&srv, FOTA_PROTO_EV_CONFIRMED), 1);
        assert_int_equal(srv.n_reports, installed + 1);
        dup_installed += installed - 1;
        runs++;
        dev_close(&dev);
        if (!cut) {
            /* The cut point lies past the reporting session: done. */
            printf("power cut while reporting: %lu runs over %llu operations, "
                   "INSTALLED sent again (same sequence) %lu times, CONFIRMED once\n",
                   runs, (unsigned long long)ops, dup_installed);
            break;
        }
        assert_true(at < 200);
    }
    dev_download_free(&v1, &v2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_cut_download),
        cmocka_unit_test(test_power_cut_reports),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
