/*
 * The device agent (core/agent.c, core/agent_store.c) against a scripted
 * server: a whole update from the offer to the confirmed image, the window,
 * refusals (signature, digest, rollback, address), NOTHING, server errors and
 * the back-off, malformed frames, and the reports after the bootloader acted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fota/agent.h"
#include "fota/error.h"
#include "fota/link.h"
#include "test_agent_sim.h"

static struct dev dev;
static struct srv srv;
static struct boot_sim_image v1, v2;

/* A device fresh from the factory (v1, counter 1, in the primary) and a
 * server that assigns v2 (counter 2). */
static void world_open(enum dev_layout layout, uint8_t window, uint32_t rx_size,
                       uint32_t payload)
{
    dev_open(&dev, layout, window, rx_size);
    dev_image(&dev, &v1, 1, 1, payload / 2 + 1, 1);
    dev_image(&dev, &v2, 2, 2, payload, 2);
    boot_sim_factory(&dev.sim, dev.sim.cfg.layout.primary_addr,
                     dev.sim.cfg.layout.primary_pages, &v1);
    boot_sim_factory(&dev.sim, dev.sim.cfg.layout.secondary_addr,
                     dev.sim.cfg.layout.secondary_pages, NULL);
    assert_int_equal(dev_boot(&dev), 0);
    srv_init(&srv, "dev-0001", dev_secret);
    srv_assign(&srv, v2.bytes, v2.size);
    dev_attach(&dev, &srv);
}

static int world_small(void **state)
{
    (void)state;
    /* 1701 bytes of payload: an odd image size, 8 pages of 256. */
    world_open(DEV_SMALL, 4, 256, 1701);
    return 0;
}

static int world_close(void **state)
{
    (void)state;
    boot_sim_image_free(&v1);
    boot_sim_image_free(&v2);
    dev_close(&dev);
    return 0;
}

static struct fota_boot_state boot_state(void)
{
    struct fota_boot_state st;

    assert_int_equal(fota_boot_state_read(&dev.sim.cfg, &st), 0);
    return st;
}

static int secondary_holds(const struct boot_sim_image *img)
{
    return boot_sim_holds(&dev.sim, dev.sim.cfg.layout.secondary_addr, img);
}

static int secondary_untouched(void)
{
    const struct fota_flash *fl = &dev.sim.flash.flash;
    const uint8_t *p = dev.sim.flash.mem + (dev.sim.cfg.layout.secondary_addr - fl->base);

    for (uint32_t i = 0; i < dev.sim.cfg.layout.secondary_pages * fl->page_size; i++)
        if (p[i] != fl->erased)
            return 0;
    return 1;
}

/* The bootloader at the reset the agent asked for. */
static struct fota_boot_result reboot(void)
{
    struct fota_boot_result res;

    assert_int_equal(fota_boot_go(&dev.sim.cfg, &res), 0);
    assert_int_equal(dev_boot(&dev), 0);
    return res;
}

static void check_download(const struct boot_sim_image *img)
{
    const struct fota_proto_report *r;

    assert_true(secondary_holds(img));
    assert_true(boot_state().pending);
    assert_int_equal(srv_count_reports(&srv, FOTA_PROTO_EV_DOWNLOADED), 1);
    r = srv_last_report(&srv);
    assert_int_equal(r->event, FOTA_PROTO_EV_DOWNLOADED);
    assert_int_equal(r->error, 0);
    assert_int_equal(r->version.major, img->version.major);
    assert_memory_equal(r->digest, img->bytes + img->size - 96, 32);
    assert_int_equal(srv.proto_errors, 0);
    assert_int_equal(srv.acks_ahead, 0);
    assert_true(srv.acks > 0);
    assert_true(srv.max_inflight <= dev.cfg.window);
}

/* The frame size the device asks for is the one it gets, and the download
 * takes one ACK per frame. */
static void test_chunk_asked(void **state)
{
    (void)state;
    dev.cfg.chunk = 100;
    assert_int_equal(dev_boot(&dev), 0);
    assert_int_equal(dev_run_sessions(&dev, &srv, 4), RUN_RESET);
    check_download(&v2);
    assert_int_equal(srv.hello.chunk, 100);
    assert_int_equal(srv.data_frames, (v2.size + 99) / 100);
    assert_int_equal(srv.data_bytes, v2.size);
    assert_true(srv.acks >= 2);
}

/* ---- over a transport: fota_link ---- */

/* fota_link drives the agent over the server as a transport, bytes in
 * pieces of 1..37, the first two connects failing: the whole download, with
 * the back-off between attempts, then the reset request. */
static void test_link_update(void **state)
{
    struct dev_link dl = {.dev = &dev, .srv = &srv, .fail_connects = 2};
    struct fota_transport t;
    struct fota_link link;
    uint8_t buf[64];
    int rc = 0;

    (void)state;
    dev.max_chunk = 37;
    dev_link_transport(&dl, &t);
    fota_link_init(&link, &dev.agent, &t, buf, sizeof(buf));
    for (unsigned i = 0; i < 100000 && rc != FOTA_LINK_RESET; i++) {
        rc = fota_link_poll(&link, dev.now);
        if (rc != FOTA_LINK_RESET && (int32_t)(fota_link_wake_at(&link) - dev.now) > 0 &&
            srv.out_len == srv.out_off)
            dev.now = fota_link_wake_at(&link); /* nothing to move: the clock */
    }
    assert_int_equal(rc, FOTA_LINK_RESET);
    assert_int_equal(link.failures, 2);
    assert_int_equal(link.connects, 1);
    assert_int_equal(dl.connects, 1);
    check_download(&v2);
    assert_int_equal(srv.data_bytes, v2.size);
    printf("fota_link: %u bytes in %u DATA frames over 1..37-byte pieces, after 2 failed "
           "connects\n", srv.data_bytes, srv.data_frames);
}

/* ---- the whole update ---- */

static void test_full_update(void **state)
{
    const struct fota_proto_report *r;
    struct fota_boot_result res;

    (void)state;
    assert_int_equal(dev_run_sessions(&dev, &srv, 4), RUN_RESET);
    check_download(&v2);
    assert_int_equal(srv.data_bytes, v2.size); /* nothing fetched twice */
    assert_int_equal(srv.n_requests, 1);
    assert_int_equal(srv.requests[0], 0);
    assert_int_equal(dev.stalls, 0);
    assert_int_equal(srv.hello.version.major, 1);
    assert_int_equal(srv.hello.window, 4);
    assert_int_equal(srv.hello.max_frame, 256);
    assert_int_equal(srv.hello.chunk, FOTA_PROTO_DATA_MAX(256)); /* chunk 0: the most */
    printf("full update, small layout: %u bytes in %u DATA frames, %u ACKs, "
           "%u flash ops, max %u frames in flight\n", srv.data_bytes, srv.data_frames,
           srv.acks, (unsigned)dev.sim.flash.ops, srv.max_inflight);

    /* The bootloader installs it; the agent reports INSTALLED once. */
    res = reboot();
    assert_int_equal(res.record.action, FOTA_BOOT_ACTION_INSTALLED);
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_int_equal(srv_count_reports(&srv, FOTA_PROTO_EV_INSTALLED), 1);
    r = srv_last_report(&srv);
    assert_int_equal(r->event, FOTA_PROTO_EV_INSTALLED);
    assert_int_equal(r->reason, FOTA_BOOT_REASON_REQUESTED);
    assert_int_equal(r->version.major, 2);
    assert_memory_equal(r->digest, v2.bytes + v2.size - 96, 32);
    assert_true(r->sequence != srv.reports[0].sequence);
    /* The server saw v2 running: nothing to do. */
    assert_int_equal(srv.hello.version.major, 2);
    assert_int_equal(srv.nothings, 1);
    assert_int_equal(dev.last_idle, srv.poll_s * 1000u);
    /* Held bytes are no longer stated: the download was installed. */
    assert_int_equal(srv.hello.held_bytes, 0);

    /* Not confirmed yet: the next session reports nothing new. */
    dev.now += dev.last_idle;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_int_equal(srv.n_reports, 2);

    /* The application confirms; the next session says so, once. */
    assert_int_equal(fota_boot_confirm(&dev.sim.cfg), 0);
    dev.now += dev.last_idle;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_int_equal(srv.n_reports, 3);
    r = srv_last_report(&srv);
    assert_int_equal(r->event, FOTA_PROTO_EV_CONFIRMED);
    assert_int_equal(r->version.major, 2);
    /* Three events, three increasing sequence numbers. */
    assert_true(srv.reports[1].sequence > srv.reports[0].sequence);
    assert_true(srv.reports[2].sequence > srv.reports[1].sequence);
    assert_memory_equal(r->digest, v2.bytes + v2.size - 96, 32);
    /* A reset of the device: still nothing reported twice. */
    assert_int_equal(dev_boot(&dev), 0);
    assert_int_equal(dev_run_sessions(&dev, &srv, 2), RUN_IDLE);
    assert_int_equal(srv.n_reports, 3);
    assert_int_equal(srv.proto_errors, 0);
    assert_int_equal(boot_state().counter, 2);
}

/* Confirmed before the first session after the install: INSTALLED and then
 * CONFIRMED in the same session. */
static void test_confirm_early(void **state)
{
    (void)state;
    assert_int_equal(dev_run_sessions(&dev, &srv, 4), RUN_RESET);
    reboot();
    assert_int_equal(fota_boot_confirm(&dev.sim.cfg), 0);
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_int_equal(srv.n_reports, 3);
    assert_int_equal(srv.reports[1].event, FOTA_PROTO_EV_INSTALLED);
    assert_int_equal(srv.reports[2].event, FOTA_PROTO_EV_CONFIRMED);
    assert_int_equal(srv.connections, 2);
}

/* No confirm: the bootloader reverts at the next reset, the agent reports
 * REVERTED (reason NOT_CONFIRMED) for v2. */
static void test_revert(void **state)
{
    const struct fota_proto_report *r;
    struct fota_boot_result res;

    (void)state;
    assert_int_equal(dev_run_sessions(&dev, &srv, 4), RUN_RESET);
    res = reboot();
    assert_int_equal(res.record.action, FOTA_BOOT_ACTION_INSTALLED);
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_int_equal(srv_last_report(&srv)->event, FOTA_PROTO_EV_INSTALLED);
    res = reboot();
    assert_int_equal(res.record.action, FOTA_BOOT_ACTION_REVERTED);
    srv_assign(&srv, NULL, 0); /* the operator withdrew v2 meanwhile */
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    r = srv_last_report(&srv);
    assert_int_equal(srv.n_reports, 3);
    assert_int_equal(r->event, FOTA_PROTO_EV_REVERTED);
    assert_int_equal(r->reason, FOTA_BOOT_REASON_NOT_CONFIRMED);
    assert_int_equal(r->version.major, 2);
    assert_memory_equal(r->digest, v2.bytes + v2.size - 96, 32);
    assert_int_equal(srv.hello.version.major, 1);
    /* Reported once. */
    dev.now += dev.last_idle;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_int_equal(dev_boot(&dev), 0);
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_int_equal(srv.n_reports, 3);
}

/* The bootloader refuses the pending image (a payload bit flipped in the
 * slot between download and reset): REFUSED, VERIFY_FAILED, DIGEST. */
static void test_boot_refused(void **state)
{
    const struct fota_proto_report *r;

    (void)state;
    assert_int_equal(dev_run_sessions(&dev, &srv, 4), RUN_RESET);
    dev.sim.flash.mem[dev.sim.cfg.layout.secondary_addr - dev.sim.flash.flash.base +
                      BOOT_SIM_SMALL_HEADER + 5] ^= 0x01;
    assert_int_equal(reboot().record.action, FOTA_BOOT_ACTION_REFUSED);
    srv_assign(&srv, NULL, 0);
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    r = srv_last_report(&srv);
    assert_int_equal(srv.n_reports, 2);
    assert_int_equal(r->event, FOTA_PROTO_EV_REFUSED);
    assert_int_equal(r->reason, FOTA_BOOT_REASON_VERIFY_FAILED);
    assert_int_equal(r->error, FOTA_E_DIGEST);
    assert_int_equal(r->version.major, 2);
    assert_memory_equal(r->digest, v2.bytes + v2.size - 96, 32);
}

/* The reset came before the server acknowledged DOWNLOADED (power cut):
 * the outcome is reported all the same. */
static void test_reset_before_reported(void **state)
{
    (void)state;
    srv.no_reported = 1;
    /* No REPORTED: timed out, and the reset is asked for all the same. */
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_RESET);
    assert_int_equal(dev.agent.last_error, FOTA_E_TIMEOUT);
    assert_int_equal(dev.stalls, 1);
    assert_true(boot_state().pending);
    assert_int_equal(srv_count_reports(&srv, FOTA_PROTO_EV_DOWNLOADED), 1);
    /* The port did not reset: a new agent asks for it before connecting. */
    assert_int_equal(dev_boot(&dev), 0);
    assert_int_equal(dev_run(&dev, &srv, 100), RUN_RESET);
    assert_int_equal(srv.connections, 1);
    srv.no_reported = 0;
    assert_int_equal(reboot().record.action, FOTA_BOOT_ACTION_INSTALLED);
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_int_equal(srv_last_report(&srv)->event, FOTA_PROTO_EV_INSTALLED);
}

/* Finds the first program of the bootloader's state pages (the mark). */
struct mark_finder {
    uint32_t lo, hi;
    uint64_t op;
};

static void find_mark(void *arg, uint64_t op, enum fota_posix_flash_op kind, uint32_t addr,
                      uint32_t len)
{
    struct mark_finder *m = arg;

    (void)len;
    if (m->op == 0 && kind == FOTA_POSIX_FLASH_PROG && addr >= m->lo && addr < m->hi)
        m->op = op;
}

/* A second update whose mark never reached flash (power cut on it): after
 * the reset the agent verifies and marks again, and does not take the old
 * boot record (v2's install, already reported) for a new outcome. */
static void test_mark_lost(void **state)
{
    static struct boot_sim_image v3;
    struct mark_finder m = {0};
    struct fota_posix_flash *f = &dev.sim.flash;
    uint8_t *snapshot = malloc(f->flash.size);
    uint64_t base;

    (void)state;
    assert_non_null(snapshot);
    assert_int_equal(dev_run_sessions(&dev, &srv, 2), RUN_RESET);
    reboot();
    assert_int_equal(fota_boot_confirm(&dev.sim.cfg), 0);
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE); /* INSTALLED, CONFIRMED */
    assert_int_equal(srv.n_reports, 3);
    dev_image(&dev, &v3, 3, 3, 1500, 3);
    srv_assign(&srv, v3.bytes, v3.size);

    /* A dry run finds which operation marks v3 pending. */
    memcpy(snapshot, f->mem, f->flash.size);
    base = f->ops;
    m.lo = dev.sim.cfg.layout.state_addr;
    m.hi = m.lo + FOTA_BOOT_STATE_PAGES * f->flash.page_size;
    f->trace = find_mark;
    f->trace_arg = &m;
    dev.now += dev.last_idle;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_RESET);
    f->trace = NULL;
    assert_true(m.op > base);

    /* Again from the same flash, the power going at the mark. */
    memcpy(f->mem, snapshot, f->flash.size);
    assert_int_equal(dev_boot(&dev), 0);
    srv.n_reports = 0;
    fota_posix_flash_cut_at(f, f->ops + (m.op - base), 0, 1);
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_POWER_CUT);
    fota_posix_flash_power_on(f);
    assert_false(boot_state().pending);
    assert_int_equal(dev_boot(&dev), 0);
    assert_int_equal(dev_run_sessions(&dev, &srv, 2), RUN_RESET);
    assert_true(boot_state().pending);
    assert_true(secondary_holds(&v3));
    /* Only DOWNLOADED reports for v3: nothing about v2 again. */
    for (unsigned i = 0; i < srv.n_reports; i++) {
        assert_int_equal(srv.reports[i].event, FOTA_PROTO_EV_DOWNLOADED);
        assert_int_equal(srv.reports[i].version.major, 3);
    }
    assert_int_equal(reboot().record.action, FOTA_BOOT_ACTION_INSTALLED);
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_int_equal(srv_last_report(&srv)->event, FOTA_PROTO_EV_INSTALLED);
    assert_int_equal(srv_last_report(&srv)->version.major, 3);
    boot_sim_image_free(&v3);
    free(snapshot);
}

/* ---- the window and the link ---- */

static void window_case(uint8_t window, uint32_t rx_size, uint32_t chunk, uint32_t max_chunk,
                        uint32_t record_every)
{
    world_open(DEV_SMALL, window, rx_size, 1701);
    srv.chunk = chunk;
    dev.max_chunk = max_chunk;
    dev.cfg.record_every = record_every;
    int r = dev_run_sessions(&dev, &srv, 2);
    if (r != RUN_RESET)
        printf("window %u chunk %u: run %d, stalls %u, err %d, reports %u, data %u, frames %u acks %u sessions %u\n", window, chunk, r, dev.stalls, dev.agent.last_error, srv.n_reports, srv.data_bytes, srv.data_frames, srv.acks, dev.sessions);
    assert_int_equal(r, RUN_RESET);
    check_download(&v2);
    assert_int_equal(srv.data_bytes, v2.size);
    assert_int_equal(dev.stalls, 0);
    assert_true(srv.max_inflight <= window);
    /* The window fills: with a window of w the server really has w frames
     * out at some point (the image has more than w frames). */
    if ((uint32_t)window * (chunk ? chunk : rx_size - 14) < v2.size)
        assert_int_equal(srv.max_inflight, window);
    world_close(NULL);
}

static void test_window(void **state)
{
    (void)state;
    window_case(1, 256, 0, 0, 0);
    window_case(1, 256, 1, 0, 0);    /* one byte per frame, stop-and-wait */
    window_case(2, 256, 101, 7, 0);  /* odd frames, link chunks of 1..7 */
    window_case(3, 300, 0, 64, 0);
    window_case(4, 256, 33, 1, 0);   /* byte by byte */
    window_case(8, 1024, 0, 0, 0);
    window_case(64, 256, 13, 0, 0);
    window_case(64, 256, 0, 0, 4096); /* records only by the frame count */
    window_case(5, 256, 241, 0, 64);  /* a record every 64 bytes */
}

static void test_stm32_layout(void **state)
{
    (void)state;
    /* 100 KiB of payload, 1 KiB frames, window 4, random link chunks. */
    world_open(DEV_STM32, 4, 1034, 100 * 1024 + 3);
    dev.max_chunk = 700;
    assert_int_equal(dev_run_sessions(&dev, &srv, 2), RUN_RESET);
    check_download(&v2);
    assert_int_equal(srv.data_bytes, v2.size);
    assert_int_equal(dev.stalls, 0);
    printf("full update, STM32F103ZE layout: %u bytes in %u DATA frames, %u ACKs, "
           "%u flash ops, %u erases of the progress page\n", srv.data_bytes,
           srv.data_frames, srv.acks, (unsigned)dev.sim.flash.ops,
           dev.sim.flash.erase_count[255]);
    assert_int_equal(reboot().record.action, FOTA_BOOT_ACTION_INSTALLED);
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_int_equal(srv_last_report(&srv)->event, FOTA_PROTO_EV_INSTALLED);
    world_close(NULL);
}

/* ---- refusals ---- */

static void check_refused(int err, uint32_t data_bytes_max)
{
    const struct fota_proto_report *r = srv_last_report(&srv);

    assert_non_null(r);
    assert_int_equal(r->event, FOTA_PROTO_EV_REFUSED);
    assert_int_equal(r->error, err);
    assert_true(srv.data_bytes <= data_bytes_max);
    assert_false(boot_state().pending);
    assert_int_equal(srv.device_errors, 1); /* ERROR REFUSED before closing */
    assert_int_equal(srv.proto_errors, 0);
    /* The next poll comes at the poll interval, not the back-off. */
    assert_int_equal(dev.last_idle, 3600u * 1000u);
}

static void test_refuse_bad_signature_manifest(void **state)
{
    (void)state;
    v2.bytes[v2.size - 1] ^= 0x01;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    check_refused(FOTA_E_SIGNATURE, 0);
    assert_true(secondary_untouched());
}

/* The manifest is good but the bytes served end in another signature: the
 * final verification refuses, the download is forgotten. */
static void test_refuse_bad_signature_data(void **state)
{
    static struct boot_sim_image good;

    (void)state;
    boot_sim_image_copy(&good, &v2);
    v2.bytes[v2.size - 1] ^= 0x01;
    srv.manifest_image = good.bytes;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    check_refused(FOTA_E_SIGNATURE, v2.size);
    assert_int_equal(srv.data_bytes, v2.size);
    /* Forgotten: the next HELLO holds nothing, and the download starts over. */
    dev.now += dev.last_idle;
    srv.manifest_image = NULL;
    memcpy(v2.bytes, good.bytes, good.size);
    assert_int_equal(dev_run_sessions(&dev, &srv, 2), RUN_RESET);
    assert_int_equal(srv.hello.held_bytes, 0);
    assert_int_equal(srv.requests[srv.n_requests - 1], 0);
    assert_true(secondary_holds(&good));
    boot_sim_image_free(&good);
}

static void test_refuse_bad_digest(void **state)
{
    static struct boot_sim_image good;

    (void)state;
    boot_sim_image_copy(&good, &v2);
    v2.bytes[BOOT_SIM_SMALL_HEADER + 700] ^= 0x40; /* a payload byte */
    srv.manifest_image = good.bytes;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    check_refused(FOTA_E_DIGEST, v2.size);
    boot_sim_image_free(&good);
}

/* The bytes served are another validly signed image of the same size: the
 * slot verifies, but it is not the image offered. */
static void test_refuse_other_image(void **state)
{
    static struct boot_sim_image other;

    (void)state;
    dev_image(&dev, &other, 3, 3, 1701, 3);
    assert_int_equal(other.size, v2.size);
    srv.serve = other.bytes;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    check_refused(FOTA_E_DIGEST, v2.size);
    assert_memory_equal(srv_last_report(&srv)->digest, v2.bytes + v2.size - 96, 32);
    assert_true(boot_sim_holds(&dev.sim, dev.sim.cfg.layout.secondary_addr, &other));
    boot_sim_image_free(&other);
}

/* A DATA frame lost on the way: the next one leaves a gap, is dropped and
 * answered with an ACK of what is held; the session times out and the next
 * one resumes. Nothing is written out of place. */
static void test_data_gap(void **state)
{
    (void)state;
    srv.skip_data_frame = 3;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_int_equal(dev.agent.last_error, FOTA_E_TIMEOUT);
    assert_int_equal(dev.stalls, 1);
    assert_int_equal(srv.acks_ahead, 0);
    dev.now += dev.last_idle;
    srv.skip_data_frame = 0;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_RESET);
    assert_int_equal(srv.requests[1], 2u * 242u);
    check_download(&v2);
}

static void test_refuse_rollback(void **state)
{
    struct fota_boot_state st = boot_state();

    (void)state;
    st.counter = 3; /* v2 has counter 2 */
    assert_int_equal(fota_boot_state_write(&dev.sim.cfg, &st), 0);
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    check_refused(FOTA_E_ROLLBACK, 0);
    assert_true(secondary_untouched());
    assert_int_equal(srv.n_requests, 0);
}

/* While the running image is on trial the secondary holds the image a
 * revert needs: the offer is declined (ERROR REFUSED, nothing reported,
 * nothing written) and taken after the back-off once the image confirmed. */
static void test_trial_defers_download(void **state)
{
    struct fota_boot_state st = boot_state();

    (void)state;
    st.trial = 1;
    assert_int_equal(fota_boot_state_write(&dev.sim.cfg, &st), 0);
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_true(secondary_untouched());
    assert_int_equal(srv.n_requests, 0);
    assert_int_equal(srv_count_reports(&srv, FOTA_PROTO_EV_REFUSED), 0);
    assert_int_equal(srv.device_errors, 1);
    assert_true(dev.last_idle < 3600u * 1000u); /* the back-off, not the poll */
    assert_int_equal(fota_boot_confirm(&dev.sim.cfg), 0);
    dev.now += dev.last_idle;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_RESET);
    check_download(&v2);
}

static void test_refuse_address(void **state)
{
    (void)state;
    boot_sim_image_free(&v2);
    boot_sim_image_make_at(&dev.sim, &v2, 2, 2, 1000, BOOT_SIM_SMALL_HEADER, 2,
                           dev.sim.cfg.layout.secondary_addr + BOOT_SIM_SMALL_HEADER);
    srv_assign(&srv, v2.bytes, v2.size);
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    check_refused(FOTA_E_ADDRESS, 0);
    assert_true(secondary_untouched());
}

static void test_refuse_too_big(void **state)
{
    (void)state;
    boot_sim_image_free(&v2);
    /* 8 pages of 256 = 2048 bytes: one byte too many. */
    dev_image(&dev, &v2, 2, 2, 2048 - BOOT_SIM_SMALL_HEADER - 96 + 1, 2);
    srv_assign(&srv, v2.bytes, v2.size);
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    check_refused(FOTA_E_TOO_BIG, 0);
    assert_true(secondary_untouched());
}

/* ---- the server's answers ---- */

static void test_nothing_idle(void **state)
{
    uint64_t ops = dev.sim.flash.ops;

    (void)state;
    srv_assign(&srv, NULL, 0);
    srv.poll_s = 90;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_int_equal(srv.nothings, 1);
    assert_int_equal(dev.last_idle, 90000);
    assert_int_equal(srv.n_reports, 0);
    assert_int_equal(dev.sim.flash.ops, ops); /* nothing written */
    /* NOTHING with 0: the configured default. */
    srv.poll_s = 0;
    dev.now += dev.last_idle;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_int_equal(dev.last_idle, FOTA_AGENT_POLL_INTERVAL_S * 1000u);
    dev.cfg.poll_interval_s = 5;
    dev.now += dev.last_idle;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_int_equal(dev.last_idle, 5000);
    assert_int_equal(dev.stalls, 0);
    assert_int_equal(srv.hello.held_bytes, 0);
    assert_string_equal(srv.hello.id, "dev-0001");
    assert_string_equal(srv.hello.model, "STM32F103ZE+SIM800C");
}

static void test_server_error_backoff(void **state)
{
    static const uint32_t expect[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};

    (void)state;
    srv.error_after_hello = FOTA_PROTO_E_SERVER;
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
        assert_int_equal(dev.last_idle, expect[i]);
        dev.now += dev.last_idle;
    }
    assert_int_equal(srv.errors_sent, 8);
    assert_int_equal(srv.hellos, 8);
    /* The server recovers: the update goes through, the back-off restarts. */
    srv.error_after_hello = 0;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_RESET);
    check_download(&v2);
    /* Wrong secret on the server's side: AUTH, back-off again from 1 s. */
    reboot();
    srv.secret[0] ^= 1;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_int_equal(dev.last_idle, 1000);
    assert_int_equal(srv.errors_sent, 9);
    srv.proto_errors = 0;
}

/* The server never answers: the agent gives up after 30 s and backs off. */
static void test_answer_timeout(void **state)
{
    uint32_t start = dev.now;

    (void)state;
    /* Driven by hand: nothing ever arrives. */
    assert_int_equal(fota_agent_step(&dev.agent, dev.now), FOTA_AGENT_CONNECT);
    fota_agent_connected(&dev.agent);
    assert_int_equal(fota_agent_step(&dev.agent, dev.now), FOTA_AGENT_WAIT);
    assert_int_equal(fota_agent_wake_at(&dev.agent), start + 30000);
    assert_int_equal(fota_agent_step(&dev.agent, start + 29999), FOTA_AGENT_WAIT);
    /* Timed out: ERROR TIMEOUT, then CLOSE, then idle for the back-off. */
    assert_int_equal(fota_agent_step(&dev.agent, start + 30000), FOTA_AGENT_SEND);
    const uint8_t *p;
    size_t n;
    fota_agent_output(&dev.agent, &p, &n);
    assert_int_equal(n, 12);
    assert_int_equal(p[2], FOTA_PROTO_ERROR);
    assert_int_equal(p[6], FOTA_PROTO_E_TIMEOUT);
    fota_agent_sent(&dev.agent, n);
    assert_int_equal(fota_agent_step(&dev.agent, start + 30000), FOTA_AGENT_CLOSE);
    assert_int_equal(fota_agent_step(&dev.agent, start + 30000), FOTA_AGENT_IDLE);
    assert_int_equal(fota_agent_wake_at(&dev.agent), start + 31000);
    assert_int_equal(dev.agent.last_error, FOTA_E_TIMEOUT);
    /* A connection that never opens: given up after the same timeout. */
    assert_int_equal(fota_agent_step(&dev.agent, start + 31000), FOTA_AGENT_CONNECT);
    assert_int_equal(fota_agent_step(&dev.agent, start + 31000), FOTA_AGENT_WAIT);
    assert_int_equal(fota_agent_step(&dev.agent, start + 61000), FOTA_AGENT_CLOSE);
    assert_int_equal(fota_agent_step(&dev.agent, start + 61000), FOTA_AGENT_IDLE);
    assert_int_equal(fota_agent_wake_at(&dev.agent), start + 61000 + 2000);
    /* And one refused at once: the port calls disconnected(). */
    assert_int_equal(fota_agent_step(&dev.agent, start + 63000), FOTA_AGENT_CONNECT);
    fota_agent_disconnected(&dev.agent);
    assert_int_equal(fota_agent_step(&dev.agent, start + 63000), FOTA_AGENT_IDLE);
    assert_int_equal(fota_agent_wake_at(&dev.agent), start + 63000 + 4000);
    /* Input while not connected is refused. */
    size_t used = 99;
    assert_int_equal(fota_agent_input(&dev.agent, p, 1, &used), FOTA_E_STATE);
    assert_int_equal(used, 0);
}

/* connect_timeout_ms: a connection may take longer to open than an answer
 * to come (a modem's bring-up), and only the opening gets that time. */
static void test_connect_timeout(void **state)
{
    uint32_t start = dev.now;

    (void)state;
    dev.cfg.connect_timeout_ms = 300000;
    assert_int_equal(fota_agent_step(&dev.agent, start), FOTA_AGENT_CONNECT);
    assert_int_equal(fota_agent_step(&dev.agent, start), FOTA_AGENT_WAIT);
    assert_int_equal(fota_agent_wake_at(&dev.agent), start + 300000);
    assert_int_equal(fota_agent_step(&dev.agent, start + 299999), FOTA_AGENT_WAIT);
    fota_agent_connected(&dev.agent);
    /* open: the CHALLENGE is due within the answer timeout */
    assert_int_equal(fota_agent_step(&dev.agent, start + 299999), FOTA_AGENT_WAIT);
    assert_int_equal(fota_agent_wake_at(&dev.agent), start + 299999 + 30000);
    fota_agent_disconnected(&dev.agent);
    assert_int_equal(fota_agent_step(&dev.agent, start + 300000), FOTA_AGENT_IDLE);
    /* and a connection that never opens is given up at the connect timeout */
    assert_int_equal(fota_agent_step(&dev.agent, fota_agent_wake_at(&dev.agent)),
                     FOTA_AGENT_CONNECT);
    start = fota_agent_wake_at(&dev.agent) - 300000;
    assert_int_equal(fota_agent_step(&dev.agent, start + 300000), FOTA_AGENT_CLOSE);
    assert_int_equal(dev.agent.last_error, FOTA_E_TIMEOUT);
}

/* A corrupted DATA frame: the agent sends ERROR BAD_CRC and closes without
 * writing anything for it; the next session resumes where it stood. */
static void test_malformed_frame(void **state)
{
    (void)state;
    srv.corrupt_data_frame = 4;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_IDLE);
    assert_int_equal(srv.device_errors, 1);
    assert_int_equal(dev.agent.last_error, FOTA_E_CRC);
    assert_int_equal(dev.last_idle, 1000);
    /* What was held was recorded: three frames (the ones before the bad
     * one) at most, and resumed from there. */
    dev.now += dev.last_idle;
    assert_int_equal(dev_run(&dev, &srv, 100000), RUN_RESET);
    assert_int_equal(srv.n_requests, 2);
    assert_true(srv.requests[1] > 0);
    assert_true(srv.requests[1] <= 3u * 242u);
    assert_true(srv.hello.held_bytes == srv.requests[1]);
    assert_true(srv.data_bytes - v2.size <= 4u * 242u);
    check_download(&v2);
}

/* Garbage where a frame should be: closed with ERROR BAD_FRAME, flash
 * untouched by it. */
static void test_garbage_no_flash_write(void **state)
{
    static const uint8_t garbage[] = "0;1024\r\n";
    uint64_t ops;
    size_t used;
    const uint8_t *p;
    size_t n;

    (void)state;
    assert_int_equal(fota_agent_step(&dev.agent, dev.now), FOTA_AGENT_CONNECT);
    fota_agent_connected(&dev.agent);
    ops = dev.sim.flash.ops;
    assert_int_equal(fota_agent_input(&dev.agent, garbage, sizeof(garbage) - 1, &used), 0);
    assert_int_equal(used, sizeof(garbage) - 1);
    assert_int_equal(fota_agent_step(&dev.agent, dev.now), FOTA_AGENT_SEND);
    fota_agent_output(&dev.agent, &p, &n);
    assert_int_equal(p[2], FOTA_PROTO_ERROR);
    assert_int_equal(p[6], FOTA_PROTO_E_BAD_FRAME);
    fota_agent_sent(&dev.agent, n);
    assert_int_equal(fota_agent_step(&dev.agent, dev.now), FOTA_AGENT_CLOSE);
    assert_int_equal(dev.sim.flash.ops, ops);
}

/* A DATA frame out of order is dropped and answered with an ACK of what is
 * held; a DATA frame before any REQUEST is a protocol error. */
static void test_unexpected_frames(void **state)
{
    uint8_t frame[64], data[8] = {0};
    const uint8_t *p;
    size_t n, used;
    uint64_t ops;

    (void)state;
    assert_int_equal(fota_agent_step(&dev.agent, dev.now), FOTA_AGENT_CONNECT);
    fota_agent_connected(&dev.agent);
    ops = dev.sim.flash.ops;
    int len = fota_proto_data_encode(frame, sizeof(frame), 0, data, sizeof(data));
    assert_int_equal(fota_agent_input(&dev.agent, frame, (size_t)len, &used), 0);
    assert_int_equal(fota_agent_step(&dev.agent, dev.now), FOTA_AGENT_SEND);
    fota_agent_output(&dev.agent, &p, &n);
    assert_int_equal(p[2], FOTA_PROTO_ERROR);
    assert_int_equal(p[6], FOTA_PROTO_E_PROTO);
    assert_int_equal(dev.sim.flash.ops, ops);
}

/* Drives the agent by hand up to RECEIVING (v2 offered, REQUEST sent), so
 * that a test can feed it DATA frames a hostile server makes up. */
static void hand_to_receiving(void)
{
    uint8_t frame[1024], manifest[FOTA_IMAGE_MAX_HEADER_SIZE + FOTA_IMAGE_TRAILER_SIZE];
    uint8_t nonce[FOTA_PROTO_NONCE_SIZE] = {7};
    uint16_t hs = (uint16_t)(v2.bytes[6] | v2.bytes[7] << 8);
    const uint8_t *p;
    size_t n, used;
    int len;

    assert_int_equal(fota_agent_step(&dev.agent, dev.now), FOTA_AGENT_CONNECT);
    fota_agent_connected(&dev.agent);
    len = fota_proto_challenge_encode(frame, sizeof(frame), nonce);
    assert_int_equal(fota_agent_input(&dev.agent, frame, (size_t)len, &used), 0);
    assert_int_equal(fota_agent_step(&dev.agent, dev.now), FOTA_AGENT_SEND);
    fota_agent_output(&dev.agent, &p, &n);
    assert_int_equal(p[2], FOTA_PROTO_HELLO);
    fota_agent_sent(&dev.agent, n);
    memcpy(manifest, v2.bytes, hs);
    memcpy(manifest + hs, v2.bytes + v2.size - FOTA_IMAGE_TRAILER_SIZE,
           FOTA_IMAGE_TRAILER_SIZE);
    len = fota_proto_offer_encode(frame, sizeof(frame), 0, manifest,
                                  hs + FOTA_IMAGE_TRAILER_SIZE);
    assert_true(len > 0);
    assert_int_equal(fota_agent_input(&dev.agent, frame, (size_t)len, &used), 0);
    assert_int_equal(fota_agent_step(&dev.agent, dev.now), FOTA_AGENT_SEND);
    fota_agent_output(&dev.agent, &p, &n);
    assert_int_equal(p[2], FOTA_PROTO_REQUEST);
    fota_agent_sent(&dev.agent, n);
}

/* Feeds one DATA frame at offset with len bytes of v2 (zeros past its end). */
static void hand_data(uint32_t offset, uint32_t len)
{
    uint8_t frame[256], bytes[242] = {0};
    size_t used;
    int n;

    assert_true(len <= sizeof(bytes));
    for (uint32_t i = 0; i < len; i++)
        if ((uint64_t)offset + i < v2.size)
            bytes[i] = v2.bytes[offset + i];
    n = fota_proto_data_encode(frame, sizeof(frame), offset, bytes, len);
    assert_true(n > 0);
    assert_int_equal(fota_agent_input(&dev.agent, frame, (size_t)n, &used), 0);
    assert_int_equal(used, (size_t)n);
}

/* The next frame the agent sends is of this type (an ACK: of offset). */
static void hand_expect(uint8_t type, uint32_t offset)
{
    const uint8_t *p;
    size_t n;

    assert_int_equal(fota_agent_step(&dev.agent, dev.now), FOTA_AGENT_SEND);
    fota_agent_output(&dev.agent, &p, &n);
    assert_int_equal(p[2], type);
    if (type == FOTA_PROTO_ACK)
        assert_int_equal(p[6] | p[7] << 8 | p[8] << 16 | (uint32_t)p[9] << 24, offset);
    if (type == FOTA_PROTO_ERROR)
        assert_int_equal(p[6], offset);
    fota_agent_sent(&dev.agent, n);
}

/* DATA whose range leaves the image (near 2^32 too) is a protocol error:
 * ERROR PROTO, close, and nothing reaches flash. */
static void test_data_out_of_range(void **state)
{
    static const uint32_t offsets[][2] = {
        {0xFFFFFFF0u, 8},          /* offset + len just below 2^32 */
        {0xFFFFFF00u, 242},        /* reaches 2^32 - 14 */
        {0x80000000u, 1},
        {0, 0},                    /* the image's last byte and one past it */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        uint32_t off = offsets[i][0], len = offsets[i][1];
        uint64_t ops;

        if (len == 0) {
            off = v2.size - 1;
            len = 2;
        }
        hand_to_receiving();
        ops = dev.sim.flash.ops;
        hand_data(off, len);
        hand_expect(FOTA_PROTO_ERROR, FOTA_PROTO_E_PROTO);
        assert_int_equal(fota_agent_step(&dev.agent, dev.now), FOTA_AGENT_CLOSE);
        assert_int_equal(dev.sim.flash.ops, ops);
        assert_int_equal(dev.agent.p.held, 0);
        dev.now += 100000;
    }
}

/* DATA overlapping what is held is taken from the first new byte; a frame
 * with nothing new, or one after a gap, is dropped and answered with an ACK
 * of what is held. The slot ends up holding the image's bytes. */
static void test_data_overlap_and_repeat(void **state)
{
    const uint8_t *slot;

    (void)state;
    hand_to_receiving();
    hand_data(0, 100);
    hand_data(50, 100);               /* [100, 150) new */
    hand_data(0, 150);                /* nothing new */
    hand_expect(FOTA_PROTO_ACK, 150);
    hand_data(151, 10);               /* after a gap */
    hand_expect(FOTA_PROTO_ACK, 150);
    hand_data(149, 2);                /* [150, 151) new */
    hand_data(0, 242);                /* [151, 242) new */
    hand_expect(FOTA_PROTO_ACK, 242);
    assert_int_equal(dev.agent.p.held, 0); /* acknowledged, recorded only at a page */
    slot = dev.sim.flash.mem + (dev.sim.cfg.layout.secondary_addr - dev.sim.flash.flash.base);
    assert_memory_equal(slot, v2.bytes, 240); /* whole write units; the rest in RAM */
}

/* The config is checked before anything is read or written. */
static void test_config_check(void **state)
{
    struct fota_agent_config good = dev.cfg, c;
    struct fota_agent a;
    uint32_t page = dev.sim.flash.flash.page_size;

    (void)state;
    assert_int_equal(fota_agent_init(&a, &good), 0);
#define BAD(change)                                              \
    do {                                                         \
        c = good;                                                \
        change;                                                  \
        assert_int_equal(fota_agent_init(&a, &c), FOTA_E_INVAL); \
    } while (0)
    BAD(c.progress_addr = dev.sim.cfg.layout.secondary_addr);
    BAD(c.progress_addr = dev.sim.cfg.layout.primary_addr + 3 * page);
    BAD(c.progress_addr = dev.sim.cfg.layout.state_addr + page);
    BAD(c.progress_addr = good.progress_addr + 2);
    BAD(c.progress_addr = dev.sim.flash.flash.base + dev.sim.flash.flash.size);
    BAD(c.progress_addr = dev.sim.flash.flash.base - page);
    BAD(c.device_id = "");
    BAD(c.device_id = NULL);
    BAD(c.device_id = "123456789012345678901234567890123"); /* 33 */
    BAD(c.model = "123456789012345678901234567890123");
    BAD(c.secret = NULL);
    BAD(c.random = NULL);
    BAD(c.rx_size = 255);
    BAD(c.rx_size = 65536);
    BAD(c.rx_buf = NULL);
    BAD(c.tx_size = FOTA_AGENT_TX_MIN - 1);
    BAD(c.scratch_size = page - 2);
    BAD(c.scratch_size = page + 1);
    BAD(c.window = 0);
    BAD(c.window = 65);
    BAD(c.chunk = FOTA_PROTO_CHUNK_MIN - 1);
    BAD(c.chunk = (uint16_t)(FOTA_PROTO_DATA_MAX(good.rx_size) + 1));
    BAD(c.boot.public_key = NULL);
    BAD(c.boot.flash = NULL);
#undef BAD
    c = good;
    c.model = NULL;
    c.device_id = "12345678901234567890123456789012"; /* 32 */
    c.rx_size = 256;
    c.window = 64;
    c.chunk = FOTA_PROTO_DATA_MAX(256);
    assert_int_equal(fota_agent_init(&a, &c), 0);
    c.chunk = FOTA_PROTO_CHUNK_MIN;
    assert_int_equal(fota_agent_init(&a, &c), 0);
    assert_int_equal(fota_agent_step(&a, 0), FOTA_AGENT_CONNECT);
}

/* A link that gives the agent one byte at a time and takes its output one
 * byte at a time still completes the update; the input stops at the OFFER
 * and at the last DATA until the step has run. */
static void test_byte_by_byte(void **state)
{
    (void)state;
    dev.max_chunk = 1;
    assert_int_equal(dev_run_sessions(&dev, &srv, 2), RUN_RESET);
    check_download(&v2);
    assert_int_equal(srv.data_bytes, v2.size);
    assert_int_equal(dev.agent.bytes_received, v2.size);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_update, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_chunk_asked, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_link_update, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_confirm_early, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_revert, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_boot_refused, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_reset_before_reported, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_mark_lost, world_small, world_close),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_stm32_layout),
        cmocka_unit_test_setup_teardown(test_refuse_bad_signature_manifest, world_small,
                                        world_close),
        cmocka_unit_test_setup_teardown(test_refuse_bad_signature_data, world_small,
                                        world_close),
        cmocka_unit_test_setup_teardown(test_refuse_bad_digest, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_refuse_other_image, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_data_gap, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_refuse_rollback, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_trial_defers_download, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_refuse_address, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_refuse_too_big, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_nothing_idle, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_server_error_backoff, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_answer_timeout, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_connect_timeout, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_malformed_frame, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_garbage_no_flash_write, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_unexpected_frames, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_data_out_of_range, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_data_overlap_and_repeat, world_small,
                                        world_close),
        cmocka_unit_test_setup_teardown(test_config_check, world_small, world_close),
        cmocka_unit_test_setup_teardown(test_byte_by_byte, world_small, world_close),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
