/*
 * fota-sim run: the loop and the life of each simulated device (fleet.h).
 *
 * Sections: the fault generator; the device's life (power on, bootloader,
 * application, agent); the connection (connect, read with cuts, write with
 * cuts); the loop. The devices are loaded by fleet_setup.c.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sodium.h>

#include "fleet_int.h"
#include "fota/error.h"

/* A power cut is armed within 1.5 times the most flash operations a boot
 * cycle took so far (a download, or an install and what follows), so that
 * cuts land in both; at first within this many. */
#define POWER_CUT_SPAN 256u
/* A device whose bootloader fails this often in a row is given up. */
#define BOOT_FAILURES_MAX 200u
/* Steps of one device in one turn of the loop, at most: a guard against a
 * device that never waits. */
#define DRIVE_ROUNDS_MAX 1000000u
/* The longest poll() sleep: the progress line is refreshed as often. */
#define TICK_MS 100

/* ---- the fault generator (splitmix64) ------------------------------------ */

static uint64_t rnd_next(struct fleet *f)
{
    uint64_t z = (f->rng += 0x9E3779B97F4A7C15u);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static uint32_t rnd_below(struct fleet *f, uint32_t n)
{
    return n ? (uint32_t)(rnd_next(f) % n) : 0;
}

static int rnd_chance(struct fleet *f, double p)
{
    return p > 0 && (double)(rnd_next(f) >> 11) * 0x1.0p-53 < p;
}

/* ---- messages ------------------------------------------------------------- */

static void say(struct fleet *f, const struct fleet_dev *d, const char *fmt, ...)
{
    va_list ap;

    if (!f->o->verbose)
        return;
    printf("%s[%6.1fs] %s: ", f->tty ? "\r\033[K" : "", fleet_seconds() - f->t0, d->id);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static uint32_t now_ms(void)
{
    return (uint32_t)(uint64_t)(fleet_seconds() * 1000.0);
}

static int due(uint32_t now, uint32_t t)
{
    return (int32_t)(now - t) >= 0;
}

/* ---- the device's life -------------------------------------------------------- */

static void conn_drop(struct fleet_dev *d)
{
    fota_posix_tcp_close(d->fd);
    d->fd = -1;
    d->connecting = d->want_write = d->cut_pending = d->tx_cut = d->tx_open = 0;
    d->in_pos = d->in_len = 0;
}

/* Verifies the primary slot with the bootloader's key; fills the version. */
static int primary_verify(struct fleet_dev *d)
{
    struct fota_image_header hdr;
    int err = simdev_primary_verify(&d->dev, d->app.scratch, sizeof(d->app.scratch), &hdr);

    if (err == 0) {
        d->final_version = hdr.version;
        d->has_final = 1;
    }
    return err;
}

/* A boot cycle ends (a reset, a power cut, the end): how long was it? */
static void cycle_measure(struct fleet *f, struct fleet_dev *d)
{
    uint64_t ops = d->dev.flash.ops - d->cycle_ops;

    if (ops > f->cycle_ops)
        f->cycle_ops = ops;
    d->cycle_ops = d->dev.flash.ops;
}

/* The device leaves the run: done or failed. */
static void dev_finish(struct fleet *f, struct fleet_dev *d, enum fleet_phase phase)
{
    struct fota_image_header hdr;

    conn_drop(d);
    if (d->dev_open) {
        cycle_measure(f, d);
        if (!d->has_final && !d->dev.flash.off &&
            simdev_slot_header(&d->dev, d->dev.boot.layout.primary_addr, &hdr) == 0) {
            d->final_version = hdr.version;
            d->has_final = 1;
        }
        simdev_close(&d->dev);
        d->dev_open = 0;
    }
    if (d->phase == DEV_RUNNING)
        f->active--;
    d->phase = phase;
    d->done_at = fleet_seconds() - f->t0;
    f->finished++;
}

static void dev_fail(struct fleet *f, struct fleet_dev *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
    va_end(ap);
    say(f, d, "FAILED: %s", d->reason);
    dev_finish(f, d, DEV_FAILED);
}

static void dev_done(struct fleet *f, struct fleet_dev *d)
{
    char version[STORE_VERSION_TEXT_SIZE];
    int err = primary_verify(d);

    if (err < 0) {
        dev_fail(f, d, "up to date, but its primary image does not verify: %s",
                 fota_strerror(err));
        return;
    }
    store_version_format(version, sizeof(version), &d->final_version);
    say(f, d, "up to date: runs %s, verified", version);
    dev_finish(f, d, DEV_DONE);
}

static void boot_event(struct fleet *f, struct fleet_dev *d, const struct fota_boot_result *res)
{
    char line[128], version[32];

    switch (res->record.action) {
    case FOTA_BOOT_ACTION_INSTALLED:
    case FOTA_BOOT_ACTION_RECOVERED: d->installed++; break;
    case FOTA_BOOT_ACTION_REVERTED:
        /* The image that did not confirm is fetched again from its start by
         * design (if still assigned): not a cost of the cut before. */
        d->reverted++;
        d->dl_pending = CUT_NONE;
        d->dl_hi = 0;
        break;
    default: break;
    }
    if (!f->o->verbose)
        return;
    simdev_record_str(line, &res->record);
    simdev_version_str(version, &res->image.version);
    say(f, d, "reset: %s -> running %s", line, version);
}

/* Power on: the bootloader decides, then the application runs: it confirms
 * itself when on trial (it works) and starts the agent. A power cut in any
 * of it starts over. */
static void dev_boot(struct fleet *f, struct fleet_dev *d)
{
    struct fota_boot_result res;
    const char *stage;
    int err, confirmed;

    for (;;) {
        if (++d->consecutive_boot_failures > BOOT_FAILURES_MAX) {
            dev_fail(f, d, "%u boots in a row failed", BOOT_FAILURES_MAX);
            return;
        }
        cycle_measure(f, d);
        d->dev.flash.cut_at = 0; /* a cut armed before and not reached */
        if (rnd_chance(f, f->o->power_cuts)) {
            uint64_t span = f->cycle_ops > POWER_CUT_SPAN ? f->cycle_ops * 3 / 2
                                                          : POWER_CUT_SPAN;

            fota_posix_flash_cut_at(&d->dev.flash,
                                    d->dev.flash.ops + 1 + rnd_below(f, (uint32_t)span),
                                    rnd_below(f, 600), (uint32_t)rnd_next(f));
        }
        d->boots++;
        err = simdev_power_on(&d->dev, &res, &confirmed, &stage);
        if (err == 0 || strcmp(stage, "bootloader") != 0)
            boot_event(f, d, &res); /* the bootloader's part is done */
        if (err == 0 && res.record.action == FOTA_BOOT_ACTION_RECOVERY)
            say(f, d, "no valid image: the recovery loader runs the agent");
        if (confirmed)
            say(f, d, "the new image runs and confirms itself");
        if (err == 0) {
            stage = "starting the agent";
            err = simdev_app_start(&d->dev, &d->app, d->id, d->prov.secret, &f->o->agent);
        }
        if (err == 0) {
            d->consecutive_boot_failures = 0;
            return;
        }
        if (!d->dev.flash.off) {
            dev_fail(f, d, "%s: %s", stage, fota_strerror(err));
            return;
        }
        d->power_cuts++;
        if (strcmp(stage, "bootloader") == 0)
            d->power_cuts_boot++;
        fleet_tap_interrupted(d, CUT_POWER);
        say(f, d, "power cut at flash operation %llu (%s)",
            (unsigned long long)d->dev.flash.ops, stage);
        fota_posix_flash_power_on(&d->dev.flash);
    }
}

/* After every agent call: did the flash lose its power? Then the device
 * starts again from the bootloader. Returns 1 when it did. */
static int power_check(struct fleet *f, struct fleet_dev *d)
{
    if (!d->dev.flash.off)
        return 0;
    d->power_cuts++;
    fleet_tap_interrupted(d, CUT_POWER);
    say(f, d, "power cut at flash operation %llu (the application: agent)",
        (unsigned long long)d->dev.flash.ops);
    conn_drop(d);
    fota_posix_flash_power_on(&d->dev.flash);
    dev_boot(f, d);
    return 1;
}

static void dev_start(struct fleet *f, struct fleet_dev *d)
{
    d->phase = DEV_RUNNING;
    f->active++;
    f->started++;
    if (simdev_open(&d->dev, d->flash_path) < 0) {
        dev_fail(f, d, "cannot open its flash file");
        return;
    }
    d->dev_open = 1;
    dev_boot(f, d);
}

/* ---- the connection ------------------------------------------------------------ */

static void conn_start(struct fleet *f, struct fleet_dev *d)
{
    int rc;

    fleet_tap_reset(&d->tap);
    memset(&d->sess, 0, sizeof(d->sess));
    d->conn_corrupted = 0;
    d->rx_budget = 0;
    d->rx_last = f->now;
    rc = fota_posix_tcp_connect(&d->fd, d->server);
    if (rc == 0) {
        fota_agent_connected(&d->app.agent);
    } else if (rc == FOTA_E_AGAIN) {
        d->connecting = 1;
    } else {
        d->last_errno = errno;
        fota_agent_disconnected(&d->app.agent);
    }
}

/* The link broke by itself (the server closed, reset or is gone), or the
 * connection could not be made. */
static void conn_broken(struct fleet_dev *d, int err)
{
    if (d->fd >= 0 && !d->connecting) {
        d->breaks++;
        fleet_tap_interrupted(d, CUT_BREAK);
    }
    d->last_errno = err;
    conn_drop(d);
    fota_agent_disconnected(&d->app.agent);
}

/* A cut of ours: the link drops without a word to either side. */
static void cut_record(struct fleet *f, int sending, int between, uint8_t type, uint32_t pos)
{
    if (between)
        f->cuts_between++;
    else
        f->cuts_inside++;
    fleet_cut_point(f, sending, between, type, pos);
}

/* Notes where the cut about to be planned falls. */
static void cut_plan(struct fleet_dev *d, int sending, int between, uint8_t type, uint32_t pos)
{
    d->cut_sending = (uint8_t)(sending != 0);
    d->cut_between = (uint8_t)(between != 0);
    d->cut_type = type;
    d->cut_pos = pos;
}

static void conn_cut(struct fleet *f, struct fleet_dev *d)
{
    d->conn_cuts++;
    cut_record(f, d->cut_sending, d->cut_between, d->cut_type, d->cut_pos);
    fleet_tap_interrupted(d, CUT_CONN);
    say(f, d, "connection cut");
    conn_drop(d);
    fota_agent_disconnected(&d->app.agent);
}

/* --flaky on n received bytes: per frame they hold, maybe a cut between it
 * and the previous one or at a byte inside it. Returns the bytes delivered
 * before the cut (n when none). */
static size_t rx_cut(struct fleet *f, struct fleet_dev *d, size_t n)
{
    size_t ends[64];
    size_t ne = fleet_tap_frame_ends(&d->tap, d->in, n, ends, 64);
    size_t start = 0;

    for (size_t i = 0; i <= ne; i++) {
        size_t end = i < ne ? ends[i] : n;
        int boundary = start > 0 || d->tap.have == 0;
        size_t k;

        if (end <= start)
            break;
        if (!rnd_chance(f, f->o->flaky)) {
            start = end;
            continue;
        }
        if (boundary && (end - start == 1 || rnd_below(f, 2) == 0))
            k = start;
        else if (boundary)
            k = start + 1 + rnd_below(f, (uint32_t)(end - start - 1));
        else
            k = start + rnd_below(f, (uint32_t)(end - start));
        d->cut_pending = 1;
        return k;
    }
    return n;
}

/* --corrupt on n received bytes: per frame that starts and ends in them,
 * with probability P, one bit of its body or CRC to flip (the header is
 * left alone: the CRC is what must catch it). At most one frame per
 * connection: the agent drops what follows a bad frame and closes. Returns
 * the byte's index (SIZE_MAX: none) and the bit in *mask; picked before the
 * tap takes the bytes, flipped after, so the tap sees what was sent. */
static size_t rx_corrupt_pick(struct fleet *f, struct fleet_dev *d, size_t n, uint8_t *mask)
{
    size_t ends[64];
    size_t ne = fleet_tap_frame_ends(&d->tap, d->in, n, ends, 64);
    size_t start = d->tap.have == 0 ? 0 : SIZE_MAX;

    for (size_t i = 0; i < ne && !d->conn_corrupted; start = ends[i], i++) {
        size_t first = start + FOTA_PROTO_HEADER_SIZE;

        if (start == SIZE_MAX || ends[i] <= first || !rnd_chance(f, f->o->corrupt))
            continue;
        d->conn_corrupted = 1;
        d->corrupted++;
        *mask = (uint8_t)(1u << rnd_below(f, 8));
        return first + rnd_below(f, (uint32_t)(ends[i] - first));
    }
    return SIZE_MAX;
}

/* --rate: the bytes the link lets through by now, at most a tenth of a
 * second's worth (and a frame) at once. */
static uint32_t rate_budget(struct fleet *f, struct fleet_dev *d)
{
    uint32_t burst = f->o->rate / 10 > SIMDEV_RX_SIZE ? f->o->rate / 10 : SIMDEV_RX_SIZE;
    uint64_t add = (uint64_t)f->o->rate * (uint32_t)(f->now - d->rx_last) / 1000u;

    if (add > 0) {
        d->rx_budget = add + d->rx_budget > burst ? burst : (uint32_t)add + d->rx_budget;
        d->rx_last = f->now;
    }
    return d->rx_budget;
}

/* When the link lets a frame's worth through again (ms from now). */
static int32_t rate_wait(struct fleet *f, struct fleet_dev *d)
{
    uint32_t want = SIMDEV_RX_SIZE > f->o->rate ? f->o->rate : SIMDEV_RX_SIZE;

    if (rate_budget(f, d) >= want)
        return 0;
    return (int32_t)(((uint64_t)(want - d->rx_budget) * 1000u + f->o->rate - 1) / f->o->rate);
}

static void conn_readable(struct fleet *f, struct fleet_dev *d)
{
    size_t max = sizeof(d->in);
    size_t len, bad;
    uint8_t mask = 0;
    int n;

    if (f->o->rate) {
        max = rate_budget(f, d);
        if (max == 0)
            return;
        if (max > sizeof(d->in))
            max = sizeof(d->in);
    }
    n = fota_posix_tcp_read(d->fd, d->in, max);
    if (n == FOTA_E_AGAIN)
        return;
    if (n < 0) {
        conn_broken(d, errno);
        return;
    }
    if (f->o->rate)
        d->rx_budget -= (uint32_t)n;
    len = f->o->flaky > 0 ? rx_cut(f, d, (size_t)n) : (size_t)n;
    bad = f->o->corrupt > 0 ? rx_corrupt_pick(f, d, len, &mask) : SIZE_MAX;
    fleet_tap_received(d, d->in, len);
    if (bad != SIZE_MAX)
        d->in[bad] ^= mask;
    if (d->cut_pending) {
        uint8_t type;
        uint32_t pos;

        fleet_tap_position(&d->tap, &type, &pos);
        cut_plan(d, 0, d->tap.have == 0, type, pos);
    }
    d->in_pos = 0;
    d->in_len = len;
}

static void conn_connect_done(struct fleet_dev *d)
{
    int rc = fota_posix_tcp_connect_result(d->fd);

    if (rc == FOTA_E_AGAIN)
        return;
    if (rc < 0) {
        conn_broken(d, errno); /* never connected: not a lost connection */
        return;
    }
    d->connecting = 0;
    fota_agent_connected(&d->app.agent);
}

/* SEND: writes what the agent has, maybe cutting the frame (--flaky).
 * Returns 1 to go on driving the agent, 0 to wait until writable. */
static int conn_send(struct fleet *f, struct fleet_dev *d)
{
    const uint8_t *p;
    size_t len, done, want;
    int n;

    fota_agent_output(&d->app.agent, &p, &len);
    if (d->fd < 0 || d->connecting || len == 0) {
        d->wake = f->now + 100u; /* not expected: look again soon */
        return 0;
    }
    done = (size_t)(p - d->app.tx_buf);
    if (!d->tx_open) {
        /* A new frame: the whole of it is in tx_buf. */
        d->tx_open = 1;
        fleet_tap_sending(d, p, len);
        if (rnd_chance(f, f->o->flaky)) {
            d->tx_cut = 1;
            d->tx_cut_at = rnd_below(f, (uint32_t)len);
            cut_plan(d, 1, d->tx_cut_at == 0, p[2], d->tx_cut_at);
        }
    }
    want = len;
    if (d->tx_cut)
        want = d->tx_cut_at > done ? d->tx_cut_at - done : 0;
    if (want > 0) {
        n = fota_posix_tcp_write(d->fd, p, want);
        if (n == FOTA_E_AGAIN) {
            d->want_write = 1;
            d->wake = f->now + 1000u; /* POLLOUT normally comes first */
            return 0;
        }
        if (n < 0) {
            conn_broken(d, errno);
            return 1;
        }
        fota_agent_sent(&d->app.agent, (size_t)n);
        d->want_write = 0;
        done += (size_t)n;
        if ((size_t)n == len)
            d->tx_open = 0; /* the frame is out */
        if ((size_t)n < want)
            return 1;
    }
    if (d->tx_cut && done >= d->tx_cut_at)
        conn_cut(f, d);
    return 1;
}

/* The agent closed the connection itself: the session is over. Was it the
 * last one? */
static int session_end(struct fleet *f, struct fleet_dev *d)
{
    char version[STORE_VERSION_TEXT_SIZE];
    const struct fleet_session *s = &d->sess;

    conn_drop(d);
    d->server_error = s->error_rx ? s->error_code : 0;
    if (s->nothing && !s->error_rx && !s->error_tx) {
        dev_done(f, d);
        return 1;
    }
    if (s->refused_acked) {
        store_version_format(version, sizeof(version), &s->refused.version);
        dev_fail(f, d, "refused %s: %s (reported)", version,
                 s->refused.error ? fota_strerror(s->refused.error)
                                  : "refused by the bootloader");
        return 1;
    }
    return 0;
}

/* Runs the agent until it waits for the network or the clock. */
static void dev_drive(struct fleet *f, struct fleet_dev *d)
{
    for (unsigned rounds = 0; d->phase == DEV_RUNNING; rounds++) {
        int act;

        if (rounds == DRIVE_ROUNDS_MAX) {
            dev_fail(f, d, "the agent did not settle in %u steps", DRIVE_ROUNDS_MAX);
            return;
        }

        if (d->fd >= 0 && !d->connecting && d->in_pos < d->in_len) {
            size_t used = 0;

            if (fota_agent_input(&d->app.agent, d->in + d->in_pos, d->in_len - d->in_pos,
                                 &used) < 0)
                used = d->in_len - d->in_pos; /* it takes none now: dropped */
            d->in_pos += used;
            if (power_check(f, d))
                continue;
        }
        if (d->in_pos == d->in_len && d->cut_pending) {
            conn_cut(f, d);
            continue;
        }
        act = fota_agent_step(&d->app.agent, f->now);
        if (power_check(f, d))
            continue;
        switch (act) {
        case FOTA_AGENT_CONNECT:
            conn_drop(d);
            conn_start(f, d);
            break;
        case FOTA_AGENT_SEND:
            if (!conn_send(f, d))
                return;
            break;
        case FOTA_AGENT_WAIT:
            if (d->fd >= 0 && !d->connecting && d->in_pos < d->in_len)
                break;
            d->wake = fota_agent_wake_at(&d->app.agent);
            return;
        case FOTA_AGENT_CLOSE:
            if (session_end(f, d))
                return;
            break;
        case FOTA_AGENT_IDLE:
            d->wake = fota_agent_wake_at(&d->app.agent);
            return;
        case FOTA_AGENT_RESET:
            conn_drop(d);
            say(f, d, "reset requested: the image is pending");
            dev_boot(f, d);
            break;
        default:
            dev_fail(f, d, "the agent asked for action %d", act);
            return;
        }
    }
}

/* ---- the loop ------------------------------------------------------------------- */

static void dev_where(const struct fleet *f, const struct fleet_dev *d, char *buf,
                      size_t size)
{
    char why[160];
    int32_t next = (int32_t)(d->wake - f->now);

    if (d->phase == DEV_QUEUED) {
        snprintf(buf, size, "never started");
        return;
    }
    if (d->fd >= 0 && d->connecting) {
        snprintf(buf, size, "connecting to %s%s%s", d->server->text,
                 d->last_errno ? ", the last attempt: " : "",
                 d->last_errno ? strerror(d->last_errno) : "");
        return;
    }
    if (d->fd >= 0) {
        snprintf(buf, size, "connected, %u bytes of the image received", d->dl_hi);
        return;
    }
    if (d->server_error != 0)
        snprintf(why, sizeof(why), "it answered ERROR %s",
                 fota_proto_error_name(d->server_error));
    else if (d->last_errno != 0)
        snprintf(why, sizeof(why), "%s", strerror(d->last_errno));
    else
        snprintf(why, sizeof(why), "%s",
                 d->app.agent.last_error ? fota_strerror(d->app.agent.last_error) : "no error");
    snprintf(buf, size, "waiting to reconnect to %s in %.1f s (%s)", d->server->text,
             next > 0 ? next / 1000.0 : 0.0, why);
}

static void timeout_all(struct fleet *f)
{
    char where[512];

    for (size_t i = 0; i < f->n; i++) {
        struct fleet_dev *d = &f->devs[i];

        if (d->phase != DEV_RUNNING && d->phase != DEV_QUEUED)
            continue;
        dev_where(f, d, where, sizeof(where));
        dev_fail(f, d, "timeout after %u s: %s", f->o->timeout_s, where);
    }
}

static void files_limit_raise(size_t devices)
{
    struct rlimit rl;

    /* A socket and a flash file per running device. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max &&
        rl.rlim_cur < 2 * devices + 64) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int loop(struct fleet *f, struct pollfd *pfd, size_t *slot)
{
    size_t parallel = f->o->parallel ? f->o->parallel : f->n;
    double deadline = f->t0 + f->o->timeout_s;

    while (f->finished < f->n) {
        size_t np = 0;
        int timeout = TICK_MS;

        f->now = now_ms();
        while (f->active < parallel && f->started < f->n) {
            struct fleet_dev *d = &f->devs[f->started];

            dev_start(f, d);
            dev_drive(f, d);
        }
        if (fleet_seconds() >= deadline) {
            timeout_all(f);
            break;
        }
        for (size_t i = 0; i < f->n; i++) {
            struct fleet_dev *d = &f->devs[i];
            int32_t wait;

            if (d->phase != DEV_RUNNING)
                continue;
            wait = (int32_t)(d->wake - f->now);
            if (wait < timeout)
                timeout = wait < 0 ? 0 : wait;
            slot[i] = (size_t)-1;
            if (d->fd < 0)
                continue;
            pfd[np].fd = d->fd;
            pfd[np].events = 0;
            if (d->connecting || d->want_write)
                pfd[np].events |= POLLOUT;
            if (!d->connecting && d->in_pos == d->in_len) {
                int32_t later = f->o->rate ? rate_wait(f, d) : 0;

                if (later == 0)
                    pfd[np].events |= POLLIN;
                else if (later < timeout)
                    timeout = later;
            }
            pfd[np].revents = 0;
            slot[i] = np++;
        }
        if (poll(pfd, np, timeout) < 0 && errno != EINTR) {
            fprintf(stderr, "fota-sim: poll: %s\n", strerror(errno));
            return -1;
        }
        f->now = now_ms();
        for (size_t i = 0; i < f->n; i++) {
            struct fleet_dev *d = &f->devs[i];
            short ev = 0;

            if (d->phase != DEV_RUNNING)
                continue;
            if (slot[i] != (size_t)-1 && pfd[slot[i]].fd == d->fd)
                ev = pfd[slot[i]].revents;
            if (ev && d->connecting)
                conn_connect_done(d);
            else if ((ev & (POLLIN | POLLHUP | POLLERR)) && d->in_pos == d->in_len)
                conn_readable(f, d);
            if (ev || due(f->now, d->wake))
                dev_drive(f, d);
        }
        fleet_progress(f, 0);
    }
    return 0;
}

int fleet_run(const struct fleet_options *o)
{
    struct fleet f;
    struct pollfd *pfd = NULL;
    size_t *slot = NULL;
    size_t ok = 0;
    int rc;

    memset(&f, 0, sizeof(f));
    f.o = o;
    f.rng = o->seed;
    f.tty = isatty(STDOUT_FILENO);
    if (sodium_init() < 0) {
        fprintf(stderr, "fota-sim: libsodium failed to start\n");
        return 1;
    }
    rc = fleet_devices_load(&f);
    if (rc == 0) {
        pfd = calloc(f.n, sizeof(*pfd));
        slot = calloc(f.n, sizeof(*slot));
        if (pfd == NULL || slot == NULL) {
            fprintf(stderr, "fota-sim: out of memory\n");
            rc = -1;
        }
    }
    if (rc == 0) {
        files_limit_raise(o->parallel ? o->parallel : f.n);
        printf("fota-sim: %zu devices from %s, server %s%s, %u at once, window %u bytes, "
               "flaky %g, power cuts %g, timeout %u s, seed %llu\n",
               f.n, o->simdir, f.addrs[0]->text, f.n_addrs > 1 ? " and others" : "",
               o->parallel ? o->parallel : (unsigned)f.n, simdev_window_bytes(&o->agent), o->flaky,
               o->power_cuts, o->timeout_s, (unsigned long long)o->seed);
        fflush(stdout);
        f.t0 = fleet_seconds();
        rc = loop(&f, pfd, slot);
    }
    if (rc == 0) {
        double seconds = fleet_seconds() - f.t0;

        fleet_progress(&f, 1);
        fleet_summary(&f, seconds);
        for (size_t i = 0; i < f.n; i++)
            ok += f.devs[i].phase == DEV_DONE;
    }
    for (size_t i = 0; i < f.n; i++)
        if (f.devs[i].phase == DEV_RUNNING)
            dev_finish(&f, &f.devs[i], DEV_FAILED);
    free(pfd);
    free(slot);
    fleet_devices_free(&f);
    return rc == 0 && ok == f.n ? 0 : 1;
}
