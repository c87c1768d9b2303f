/*
 * What fota-sim run shows: the progress line while it runs, and the summary
 * table and totals at the end (fleet_int.h). The last line gives every
 * figure as key=value, for scripts.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet_int.h"

double fleet_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void fleet_cut_point(struct fleet *f, int sending, int between, uint8_t type, uint32_t pos)
{
    uint32_t key = (uint32_t)(sending ? 1u : 0u) << 31 | (uint32_t)(type & 0x7Fu) << 24 |
                   (uint32_t)(between ? 1u : 0u) << 23 | (pos < 0x7FFFFFu ? pos : 0x7FFFFFu);

    if (f->n_points == f->cap_points) {
        size_t cap = f->cap_points ? f->cap_points * 2 : 256;
        uint32_t *p = realloc(f->cut_points, cap * sizeof(*p));

        if (p == NULL)
            return; /* the figure is only lower */
        f->cut_points = p;
        f->cap_points = cap;
    }
    f->cut_points[f->n_points++] = key;
}

static int key_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

static size_t distinct_points(struct fleet *f)
{
    size_t n = 0;

    if (f->n_points == 0)
        return 0;
    qsort(f->cut_points, f->n_points, sizeof(*f->cut_points), key_cmp);
    for (size_t i = 0; i < f->n_points; i++)
        if (i == 0 || f->cut_points[i] != f->cut_points[i - 1])
            n++;
    return n;
}

struct totals {
    size_t ok, failed;
    uint64_t data, resent;
    uint32_t conn_cuts, power_cuts, power_boot, breaks, max_conn, max_power, max_break;
    uint32_t installed, reverted, corrupted, crc_errors;
};

static void totals_get(const struct fleet *f, struct totals *t)
{
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < f->n; i++) {
        const struct fleet_dev *d = &f->devs[i];

        if (d->phase == DEV_DONE)
            t->ok++;
        else if (d->phase == DEV_FAILED)
            t->failed++;
        t->data += d->data_bytes;
        t->resent += d->resent;
        t->conn_cuts += d->conn_cuts;
        t->power_cuts += d->power_cuts;
        t->power_boot += d->power_cuts_boot;
        t->breaks += d->breaks;
        if (d->resent_max_break > t->max_break)
            t->max_break = d->resent_max_break;
        t->installed += d->installed;
        t->corrupted += d->corrupted;
        t->crc_errors += d->crc_errors;
        t->reverted += d->reverted;
        if (d->resent_max_conn > t->max_conn)
            t->max_conn = d->resent_max_conn;
        if (d->resent_max_power > t->max_power)
            t->max_power = d->resent_max_power;
    }
}

void fleet_progress(struct fleet *f, int final)
{
    struct totals t;
    double now = fleet_seconds() - f->t0;

    if (!final && now < f->next_progress)
        return;
    f->next_progress = now + (f->tty ? 0.2 : 1.0);
    totals_get(f, &t);
    printf("%s[%6.1fs] devices %zu/%zu done, %zu failed, %zu running; %.2f MiB received; "
           "cuts %u connection, %u power%s",
           f->tty ? "\r" : "", now, t.ok, f->n, t.failed, f->active,
           (double)t.data / (1024.0 * 1024.0), t.conn_cuts, t.power_cuts,
           f->tty ? "\033[K" : "\n");
    if (final && f->tty)
        putchar('\n');
    fflush(stdout);
}

static void version_text(char *buf, size_t size, const struct fleet_dev *d)
{
    if (!d->has_final)
        snprintf(buf, size, "-");
    else
        store_version_format(buf, size, &d->final_version);
}

void fleet_summary(struct fleet *f, double seconds)
{
    struct totals t;
    char version[STORE_VERSION_TEXT_SIZE];
    uint32_t window_bytes = simdev_window_bytes(&f->o->agent);
    size_t points = distinct_points(f);

    totals_get(f, &t);
    printf("\n%-16s %-10s %5s %9s %8s %5s %5s %7s %8s  %s\n", "device", "version", "boots",
           "installed", "reverted", "cuts", "power", "resent", "time", "result");
    for (size_t i = 0; i < f->n; i++) {
        const struct fleet_dev *d = &f->devs[i];

        version_text(version, sizeof(version), d);
        printf("%-16s %-10s %5u %9u %8u %5u %5u %7llu %7.1fs  %s%s%s%s\n", d->id, version,
               d->boots, d->installed, d->reverted, d->conn_cuts, d->power_cuts,
               (unsigned long long)d->resent, d->done_at,
               d->phase == DEV_DONE ? "OK" : "FAIL", d->phase == DEV_DONE ? "" : " (",
               d->phase == DEV_DONE ? "" : d->reason, d->phase == DEV_DONE ? "" : ")");
    }
    printf("\n%zu devices: %zu OK, %zu failed, in %.1f s\n", f->n, t.ok, t.failed, seconds);
    printf("received %llu DATA bytes (%.2f MiB); installs %u, reverts %u\n",
           (unsigned long long)t.data, (double)t.data / (1024.0 * 1024.0), t.installed,
           t.reverted);
    printf("connection cuts %u (%u inside a frame, %u between frames, %zu distinct "
           "points); at most %u bytes fetched again after one (window %u bytes)\n",
           t.conn_cuts, f->cuts_inside, f->cuts_between, points, t.max_conn, window_bytes);
    printf("power cuts %u (%u in the bootloader, %u in the application); at most %u bytes "
           "fetched again after one\n", t.power_cuts, t.power_boot,
           t.power_cuts - t.power_boot, t.max_power);
    printf("connections lost by themselves (closed or reset by the server) %u; at most %u "
           "bytes fetched again after one\n", t.breaks, t.max_break);
    if (f->o->corrupt > 0)
        printf("frames corrupted on the way in %u; ERROR BAD_CRC sent by the devices %u\n",
               t.corrupted, t.crc_errors);
    printf("figures: devices=%zu ok=%zu failed=%zu seconds=%.2f data_bytes=%llu "
           "resent_bytes=%llu conn_cuts=%u cuts_inside=%u cuts_between=%u cut_points=%zu "
           "max_resent_per_cut=%u power_cuts=%u power_cuts_boot=%u "
           "max_resent_per_power_cut=%u lost=%u max_resent_per_loss=%u window_bytes=%u "
           "installs=%u reverts=%u corrupted=%u crc_errors=%u seed=%llu\n",
           f->n, t.ok, t.failed, seconds, (unsigned long long)t.data,
           (unsigned long long)t.resent, t.conn_cuts, f->cuts_inside, f->cuts_between, points,
           t.max_conn, t.power_cuts, t.power_boot, t.max_power, t.breaks, t.max_break,
           window_bytes, t.installed, t.reverted, t.corrupted, t.crc_errors,
           (unsigned long long)f->o->seed);
    fflush(stdout);
}
