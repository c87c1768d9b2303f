/*
 * fota-sim run --modem (modemrun.h): the device core's SIM800C driver on a
 * real tty, the agent over it through fota_link.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fota/error.h"
#include "fota/link.h"
#include "modemrun.h"
#include "provision.h"
#include "simdev.h"
#include "simmodem.h"

/* How often the progress line is printed. */
#define MODEMRUN_PROGRESS_MS 1000u

struct modemrun {
    const struct modemrun_options *o;
    char id[STORE_ID_MAX + 1];
    struct provision prov;
    struct simdev dev;
    struct simdev_app app;
    struct simmodem modem;
    struct fota_link link;
    uint8_t link_buf[1536];
    struct timespec t0;
    uint32_t boots, installs, reverts;
    /* Of the boots before this one (each starts a new agent and link). */
    uint32_t data_before, connects_before, failures_before;
    uint32_t next_progress;
};

/* The longest wait for the modem to send its last bytes before a reset. */
#define MODEMRUN_DRAIN_MS 10000u

static uint32_t run_ms(const struct modemrun *r)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint32_t)((t.tv_sec - r->t0.tv_sec) * 1000 + (t.tv_nsec - r->t0.tv_nsec) / 1000000);
}

static uint32_t clock_of(void *ctx)
{
    return run_ms(ctx);
}

static void say(const struct modemrun *r, const char *fmt, ...)
{
    va_list ap;

    printf("[%6.1fs] %s: ", run_ms(r) / 1000.0, r->id);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* The device to run: --device, or the only one in SIMDIR. */
static int device_pick(struct modemrun *r)
{
    const struct modemrun_options *o = r->o;
    char **ids = NULL;
    long n;

    if (o->device != NULL) {
        if (strlen(o->device) >= sizeof(r->id)) {
            fprintf(stderr, "fota-sim: --device '%s' is too long\n", o->device);
            return -1;
        }
        strcpy(r->id, o->device);
        return 0;
    }
    n = simdev_scan(o->simdir, &ids);
    if (n == 1)
        snprintf(r->id, sizeof(r->id), "%s", ids[0]);
    else if (n >= 0)
        fprintf(stderr, "fota-sim: %s holds %ld devices: name one with --device ID\n",
                o->simdir, n);
    for (long i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    return n == 1 ? 0 : -1;
}

/* Opens the device's provisioning and flash files. */
static int device_load(struct modemrun *r)
{
    char msg[320];
    char *conf = simdev_path(r->o->simdir, r->id, ".conf");
    char *flash = simdev_path(r->o->simdir, r->id, ".flash");
    int rc = -1;

    if (conf == NULL || flash == NULL) {
        fprintf(stderr, "fota-sim: out of memory\n");
    } else if (provision_read(conf, &r->prov, msg, sizeof(msg)) < 0) {
        fprintf(stderr, "fota-sim: %s\n", msg);
    } else if (r->o->server == NULL && r->prov.server[0] == '\0') {
        fprintf(stderr, "fota-sim: %s names no server: give --server HOST:PORT\n", conf);
    } else if (simdev_open(&r->dev, flash) == 0) {
        rc = 0;
    }
    free(conf);
    free(flash);
    return rc;
}

static void boot_say(struct modemrun *r, const struct fota_boot_result *res, int confirmed)
{
    char line[128], version[32];

    if (res->record.action == FOTA_BOOT_ACTION_INSTALLED ||
        res->record.action == FOTA_BOOT_ACTION_RECOVERED)
        r->installs++;
    if (res->record.action == FOTA_BOOT_ACTION_REVERTED)
        r->reverts++;
    simdev_record_str(line, &res->record);
    simdev_version_str(version, &res->image.version);
    say(r, "reset: %s -> running %s%s", line, version,
        confirmed ? ", confirmed itself" : "");
}

/* Power on: bootloader, application, a new modem driver and agent (the MCU
 * restarts; the modem keeps its power and whatever state it had). */
static int device_start(struct modemrun *r)
{
    struct fota_boot_result res;
    const char *stage;
    int confirmed, err;

    r->boots++;
    err = simdev_power_on(&r->dev, &res, &confirmed, &stage);
    if (err == 0 && res.record.action == FOTA_BOOT_ACTION_RECOVERY)
        say(r, "no valid image: the recovery loader runs the agent");
    else if (err == 0)
        boot_say(r, &res, confirmed);
    if (err == 0) {
        stage = "starting the agent";
        err = simdev_app_start(&r->dev, &r->app, r->id, r->prov.secret, &r->o->agent);
    }
    if (err == 0) {
        stage = "starting the modem driver";
        err = simmodem_start(&r->modem);
    }
    if (err < 0) {
        say(r, "%s: %s", stage, fota_strerror(err));
        return -1;
    }
    fota_link_init(&r->link, &r->app.agent, &r->modem.transport, r->link_buf,
                   sizeof(r->link_buf));
    return 0;
}

/* The server has nothing more: is the image in the primary slot good? */
static int device_finish(struct modemrun *r)
{
    struct fota_image_header hdr;
    char version[32];
    int err = simdev_primary_verify(&r->dev, r->app.scratch, sizeof(r->app.scratch), &hdr);

    if (err < 0) {
        say(r, "FAILED: up to date, but its primary image does not verify: %s",
            fota_strerror(err));
        return 1;
    }
    simdev_version_str(version, &hdr.version);
    say(r, "up to date: runs %s, verified", version);
    printf("figures: devices=1 ok=1 failed=0 seconds=%.2f data_bytes=%u boots=%u installs=%u "
           "reverts=%u connections=%u failed_connections=%u power_key_presses=%u\n",
           run_ms(r) / 1000.0, (unsigned)(r->data_before + r->app.agent.bytes_received),
           (unsigned)r->boots, (unsigned)r->installs, (unsigned)r->reverts,
           (unsigned)(r->connects_before + r->link.connects),
           (unsigned)(r->failures_before + r->link.failures),
           (unsigned)r->modem.key_presses);
    return 0;
}

static void progress(struct modemrun *r, uint32_t now)
{
    if ((int32_t)(now - r->next_progress) < 0)
        return;
    r->next_progress = now + MODEMRUN_PROGRESS_MS;
    say(r, "%u data bytes, %u connections, %u failed, %s",
        (unsigned)r->app.agent.bytes_received, (unsigned)r->link.connects,
        (unsigned)r->link.failures,
        r->app.agent.last_error ? fota_strerror(r->app.agent.last_error) : "no error");
}

static int run_loop(struct modemrun *r)
{
    uint32_t deadline = r->o->timeout_s * 1000u;

    for (;;) {
        uint32_t now = run_ms(r);

        if ((int32_t)(now - deadline) >= 0) {
            say(r, "FAILED: not up to date after %u s (%u data bytes, last error: %s)",
                r->o->timeout_s, (unsigned)r->app.agent.bytes_received,
                r->app.agent.last_error ? fota_strerror(r->app.agent.last_error) : "none");
            return 1;
        }
        if (fota_link_poll(&r->link, now) == FOTA_LINK_RESET) {
            say(r, "reset requested: the image is pending");
            if (simmodem_drain(&r->modem, clock_of, r, MODEMRUN_DRAIN_MS) < 0)
                return 1;
            r->data_before += r->app.agent.bytes_received;
            r->connects_before += r->link.connects;
            r->failures_before += r->link.failures;
            if (device_start(r) < 0)
                return 1;
            continue;
        }
        if (r->app.agent.up_to_date > 0 && !r->app.agent.connected &&
            !fota_agent_reports_outstanding(&r->app.agent))
            return device_finish(r); /* NOTHING, and every report acknowledged */
        progress(r, now);
        if (simmodem_run(&r->modem, now, fota_link_wake_at(&r->link)) < 0)
            return 1;
    }
}

int modemrun_run(const struct modemrun_options *o)
{
    struct modemrun *r = calloc(1, sizeof(*r));
    int rc = 1;

    if (r == NULL) {
        fprintf(stderr, "fota-sim: out of memory\n");
        return 1;
    }
    r->o = o;
    r->modem.tty = -1;
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    if (device_pick(r) == 0 && device_load(r) == 0) {
        const char *server = o->server ? o->server : r->prov.server;

        if (simmodem_open(&r->modem, o->tty, server, o->apn, o->verbose) == 0) {
            say(r, "through the modem on %s to %s (APN \"%s\")", o->tty, server, o->apn);
            if (device_start(r) == 0)
                rc = run_loop(r);
            simmodem_close(&r->modem);
        }
        simdev_close(&r->dev);
    }
    provision_wipe(&r->prov);
    free(r);
    return rc;
}
