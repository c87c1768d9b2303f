/*
 * Resuming a download after the link drops (core/agent.c): the connection is
 * cut after every byte the server sends in the downloading session, at frame
 * boundaries and inside frames, for several windows and frame sizes; and
 * again several times per download at random points. Each run must end with
 * the exact image pending, and each cut may cost at most one window of bytes
 * fetched twice.
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

static struct dev dev;
static struct srv srv;
static struct boot_sim_image v1, v2;

struct link_case {
    struct dev_download dl;
    uint32_t max_chunk; /* link delivery chunks; 0: whole queue */
};

static void world_open(const struct link_case *c)
{
    assert_int_equal(dev_download_open(&dev, &srv, &c->dl, 0, &v1, &v2), 0);
    dev.max_chunk = c->max_chunk;
}

static void world_close(void)
{
    dev_close(&dev);
}

static void check_done(const struct link_case *c, unsigned cuts, uint32_t *max_refetch)
{
    struct fota_boot_state st;
    uint32_t refetch = srv.data_bytes - v2.size;

    assert_int_equal(fota_boot_state_read(&dev.sim.cfg, &st), 0);
    assert_true(st.pending);
    assert_true(boot_sim_holds(&dev.sim, dev.sim.cfg.layout.secondary_addr, &v2));
    assert_int_equal(srv_count_reports(&srv, FOTA_PROTO_EV_DOWNLOADED), 1);
    assert_int_equal(srv.n_reports, 1); /* nothing refused, nothing failed */
    assert_int_equal(srv.proto_errors, 0);
    assert_int_equal(srv.acks_ahead, 0);
    assert_true(srv.max_inflight <= c->dl.window);
    assert_true(srv.data_bytes >= v2.size);
    /* At most one window fetched twice per cut. */
    assert_true(refetch <= cuts * c->dl.window * dev_download_frame(&c->dl));
    if (refetch > *max_refetch)
        *max_refetch = refetch;
}

/* One run of case c with the link cut once, after `at` bytes to the device. */
static void run_cut_once(const struct link_case *c, uint64_t at, uint32_t *max_refetch)
{
    world_open(c);
    dev.link_cut_at = at;
    assert_int_equal(dev_run_sessions(&dev, &srv, 6), RUN_RESET);
    /* The run either lost its link or finished before the cut point. */
    check_done(c, 1, max_refetch);
    world_close();
}

static void sweep(const struct link_case *c, unsigned stride, unsigned long *runs)
{
    uint64_t stream;
    uint32_t max_refetch = 0;
    unsigned long n = 0;

    /* A clean run gives the length of what the server sends. */
    dev_download_images(&c->dl, &v1, &v2);
    world_open(c);
    assert_int_equal(dev_run_sessions(&dev, &srv, 2), RUN_RESET);
    stream = dev.delivered;
    world_close();
    for (uint64_t at = 1; at <= stream; at += stride, n++)
        run_cut_once(c, at, &max_refetch);
    dev_download_free(&v1, &v2);
    printf("  window %2u, %4u-byte frames, image %6u: %6llu stream bytes, %5lu cuts, "
           "most fetched twice %u (window %u)\n", c->dl.window, dev_download_frame(&c->dl),
           (unsigned)v2.size, (unsigned long long)stream, n, max_refetch,
           c->dl.window * dev_download_frame(&c->dl));
    *runs += n;
}

/* A cut after every byte of the stream (so at every frame boundary and at
 * every position inside every frame), small layout; then other windows and
 * odd frame sizes with a cut every 7 bytes (a stride prime to the frames). */
static void test_link_cut_every_byte(void **state)
{
    static const struct link_case cases[] = {
        {{DEV_SMALL, 1, 256, 0, 1701}, 0},
        {{DEV_SMALL, 4, 256, 0, 1701}, 0},
        {{DEV_SMALL, 3, 256, 101, 1600}, 0},
        {{DEV_SMALL, 2, 256, 77, 1701}, 9},
        {{DEV_SMALL, 64, 256, 31, 1701}, 0},
    };
    unsigned long runs = 0;
    clock_t start = clock();

    (void)state;
    printf("link cut after every byte (the first two), every 7th (the others):\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        sweep(&cases[i], i < 2 ? 1 : 7, &runs);
    printf("link cut sweep, small layout: %lu runs, %.2f s\n", runs,
           (double)(clock() - start) / CLOCKS_PER_SEC);
}

/* The STM32F103ZE layout, 1 KiB frames: a cut every 97 bytes. */
static void test_link_cut_stm32(void **state)
{
    static const struct link_case c = {{DEV_STM32, 4, 1034, 0, 48 * 1024 + 1}, 500};
    unsigned long runs = 0;
    clock_t start = clock();

    (void)state;
    printf("link cut, STM32F103ZE layout:\n");
    sweep(&c, 97, &runs);
    printf("link cut, STM32F103ZE layout: %lu runs, %.2f s\n", runs,
           (double)(clock() - start) / CLOCKS_PER_SEC);
}

/* Several cuts in one download, at random points. */
static void test_link_cut_many(void **state)
{
    static const struct link_case cases[] = {
        {{DEV_SMALL, 4, 256, 0, 1701}, 13},
        {{DEV_SMALL, 2, 300, 55, 1701}, 0},
        {{DEV_STM32, 8, 1034, 0, 20 * 1024 + 7}, 333},
    };
    uint32_t rng = 0x2545F491u;
    unsigned long runs = 0, total_cuts = 0;
    uint32_t max_refetch = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct link_case *c = &cases[i];

        dev_download_images(&c->dl, &v1, &v2);
        for (int run = 0; run < 100; run++) {
            unsigned cuts = 0;
            int r;

            world_open(c);
            /* Cut, let the agent reconnect, cut again: up to 6 times. */
            for (;;) {
                rng ^= rng << 13;
                rng ^= rng >> 17;
                rng ^= rng << 5;
                dev.link_cut_at = cuts < 6 ? dev.delivered + 1 + rng % (3u * v2.size / 4u) : 0;
                r = dev_run(&dev, &srv, 200000);
                if (r != RUN_IDLE)
                    break;
                if (dev.link_cut_at == 0)
                    cuts++;
                dev.now += dev.last_idle;
                assert_true(cuts < 40);
            }
            assert_int_equal(r, RUN_RESET);
            check_done(c, cuts + 1, &max_refetch);
            total_cuts += cuts;
            runs++;
            world_close();
        }
        dev_download_free(&v1, &v2);
    }
    printf("link cut many times: %lu runs, %lu cuts, most fetched twice in a run %u\n", runs,
           total_cuts, max_refetch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_cut_every_byte),
        cmocka_unit_test(test_link_cut_stm32),
        cmocka_unit_test(test_link_cut_many),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
