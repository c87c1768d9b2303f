/*
 * Power-cut sweep of the bootloader (core/boot.c, core/boot_state.c).
 *
 * Each scenario starts from a flash image and runs a device until it settles:
 * the bootloader decides, the image that boots confirms itself (or, if it is
 * one that never does, crashes), and the agent downloads the scenario's next
 * update and marks it pending. A first run without cuts counts the flash
 * operations N and records what each one is; then for every k in 1..N the
 * run is repeated from the same start with the power cut at operation k (a
 * program cut after several unit counts, an erase with two seeds), once with
 * no further cut and once with a second cut somewhere in the recovery. At
 * every boot and at the end it asserts: the primary holds exactly one of
 * the scenario's correctly signed images (never a mix, never the bad one),
 * that image is what fota_boot_go() named, its counter is not below the
 * stored one, the stored counter never went backwards, and no page was
 * erased more often than docs/flash-layout.md allows.
 *
 * The agent's own progress (which update, downloaded or not) is kept in the
 * test as if it were persistent: the agent is not under test here.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fota/boot.h"
#include "fota/error.h"
#include "test_boot_sim.h"

enum image_id { V1, V2, V3, V2_BAD, IMAGES, NO_IMAGE = -1 };

static const char *const image_names[IMAGES] = {"v1", "v2", "v3", "v2-bad-signature"};

#define BIT(i) (1u << (i))
#define MAX_UPDATES 2
#define MAX_BOOTS 64
#define MAX_OPS 4096

struct scenario {
    const char *name;
    enum image_id factory;           /* in the primary at the start */
    enum image_id setup_update;      /* installed before the sweep, with a cut */
    enum image_id updates[MAX_UPDATES]; /* the agent's updates, in turn */
    int n_updates;
    uint32_t unconfirmed;            /* images that never confirm themselves */
    uint32_t allowed;                /* images that may boot */
    uint32_t finals;                 /* images the device may settle on */
    enum image_id final;             /* the one it settles on without cuts */
};

/* A cut before a confirm completes makes the device revert, so most
 * scenarios may settle on the old image as well as on the new one. */
static const struct scenario scenarios[] = {
    {"install v2 over v1", V1, NO_IMAGE, {V2}, 1, 0, BIT(V1) | BIT(V2), BIT(V1) | BIT(V2), V2},
    {"revert an unconfirmed v2", V1, NO_IMAGE, {V2}, 1, BIT(V2), BIT(V1) | BIT(V2), BIT(V1),
     V1},
    {"confirm v2 then install v3", V1, NO_IMAGE, {V2, V3}, 2, 0, BIT(V1) | BIT(V2) | BIT(V3),
     BIT(V1) | BIT(V2) | BIT(V3), V3},
    {"install v3 after an interrupted install of v2", V1, V2, {V3}, 1, 0, BIT(V2) | BIT(V3),
     BIT(V2) | BIT(V3), V3},
    {"bad signature in the secondary", V1, NO_IMAGE, {V2_BAD}, 1, 0, BIT(V1), BIT(V1), V1},
    {"rollback to v1 below the counter", V2, NO_IMAGE, {V1}, 1, 0, BIT(V2), BIT(V2), V2},
};
#define SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

struct op {
    uint8_t kind;
    uint32_t addr;
    uint32_t len;
};

/* One device and what a run observed. */
struct run {
    struct boot_sim sim;
    struct boot_sim_image img[IMAGES];
    const struct scenario *sc;
    uint8_t *start;      /* the flash at the start of every run */
    /* the agent's progress */
    int next_update;
    int downloaded;
    /* the harness */
    int second_cut;      /* arm a second cut after the first */
    uint32_t second_span; /* within this many operations */
    uint32_t rng;
    int cuts;
    struct op *trace;    /* the uncut run's operations, when recording */
    uint64_t traced;
    /* observations */
    int in_swap;
    uint32_t swaps;
    uint32_t downloads;
    uint32_t state_writes;
    uint32_t max_counter;
    enum image_id running;
    enum image_id base;  /* the last image that ran for good */
    enum image_id trial; /* the last image installed on trial */
    char why[160];
};

static uint32_t rng_next(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static int violation(struct run *r, const char *what, long value)
{
    if (r->why[0] == '\0')
        snprintf(r->why, sizeof(r->why), "%s (%ld)", what, value);
    return -1;
}

static int violation_image(struct run *r, const char *what, enum image_id id)
{
    if (r->why[0] == '\0')
        snprintf(r->why, sizeof(r->why), "%s: %s", what,
                 id == NO_IMAGE ? "none" : image_names[id]);
    return -1;
}

static int in_area(uint32_t addr, uint32_t start, uint32_t pages, uint32_t page_size)
{
    return addr >= start && addr - start < pages * page_size;
}

/* Before every operation: record it, count state writes, and notice a swap
 * beginning (the state says one is in progress where it did not). */
static void on_op(void *arg, uint64_t op, enum fota_posix_flash_op kind, uint32_t addr,
                  uint32_t len)
{
    struct run *r = arg;
    const struct fota_boot_layout *l = &r->sim.cfg.layout;
    uint32_t page = r->sim.flash.flash.page_size;
    struct fota_boot_state st;

    if (r->trace != NULL && op <= MAX_OPS) {
        r->trace[op - 1] = (struct op){(uint8_t)kind, addr, len};
        r->traced = op;
    }
    if (kind == FOTA_POSIX_FLASH_PROG && in_area(addr, l->state_addr, 2, page))
        r->state_writes++;
    if (fota_boot_state_read(&r->sim.cfg, &st) == 0) {
        int in_swap = st.swap_kind != FOTA_BOOT_SWAP_NONE;

        r->swaps += in_swap && !r->in_swap;
        r->in_swap = in_swap;
    }
}

/* The simulated reset after a cut: power back on, maybe arm the second cut. */
static void power_cycle(struct run *r)
{
    struct fota_posix_flash *f = &r->sim.flash;

    r->cuts++;
    fota_posix_flash_power_on(f);
    if (r->second_cut && r->cuts == 1) {
        uint64_t at = f->ops + 1 + rng_next(&r->rng) % r->second_span;
        uint32_t units = rng_next(&r->rng) % 130;

        fota_posix_flash_cut_at(f, at, units, rng_next(&r->rng));
    }
}

static enum image_id image_in_primary(const struct run *r)
{
    for (int i = 0; i < IMAGES; i++)
        if (boot_sim_holds(&r->sim, r->sim.cfg.layout.primary_addr, &r->img[i]))
            return (enum image_id)i;
    return NO_IMAGE;
}

static int counter_check(struct run *r)
{
    struct fota_boot_state st;

    if (fota_boot_state_read(&r->sim.cfg, &st) != 0)
        return violation(r, "state unreadable", 0);
    if (st.counter < r->max_counter)
        return violation(r, "security counter went backwards to", (long)st.counter);
    r->max_counter = st.counter;
    return 0;
}

/* An install keeps the image it replaces whole in the secondary, a revert
 * brings exactly that image back, and nothing else changes the primary. In
 * these scenarios the primary is never lost, so never recovered either. */
static int action_check(struct run *r, uint8_t action, enum image_id id)
{
    const struct fota_boot_layout *l = &r->sim.cfg.layout;

    switch (action) {
    case FOTA_BOOT_ACTION_INSTALLED:
        if (!boot_sim_holds(&r->sim, l->secondary_addr, &r->img[r->base]))
            return violation_image(r, "the install did not keep the previous image", r->base);
        r->trial = id;
        return 0;
    case FOTA_BOOT_ACTION_BOOT:
        if (id != r->base && id != r->trial)
            return violation_image(r, "the primary changed under a plain boot", id);
        break;
    case FOTA_BOOT_ACTION_REVERTED:
    case FOTA_BOOT_ACTION_REFUSED:
        if (id != r->base)
            return violation_image(r, "did not boot the previous image", id);
        break;
    default:
        return violation(r, "unexpected action", action);
    }
    r->base = id;
    r->trial = NO_IMAGE;
    return 0;
}

/* What the bootloader decided must be a whole, allowed, signed image. */
static int observe(struct run *r, const struct fota_boot_result *res)
{
    enum image_id id;

    if (res->record.action == FOTA_BOOT_ACTION_RECOVERY)
        return violation(r, "no bootable image: recovery, error", res->record.error);
    id = image_in_primary(r);
    if (id == NO_IMAGE)
        return violation(r, "the primary holds none of the images whole", 0);
    if (!(r->sc->allowed & BIT(id)))
        return violation_image(r, "booted an image it must not", id);
    if (memcmp(&res->image.version, &r->img[id].version, sizeof(res->image.version)) != 0)
        return violation_image(r, "the result names another image than the primary's", id);
    if (counter_check(r) != 0)
        return -1;
    if (r->img[id].counter < r->max_counter)
        return violation_image(r, "booted an image below the stored counter", id);
    r->running = id;
    return action_check(r, res->record.action, id);
}

static int version_is(const struct fota_version *v, const struct boot_sim_image *img)
{
    return memcmp(v, &img->version, sizeof(*v)) == 0;
}

/* The agent moves past updates that are running or were turned down. */
static int agent_settled(struct run *r)
{
    struct fota_boot_record rec;
    int err = fota_boot_record_read(&r->sim.cfg, &rec);

    if (err < 0)
        return err;
    while (r->next_update < r->sc->n_updates) {
        const struct boot_sim_image *u = &r->img[r->sc->updates[r->next_update]];
        int refused = rec.action == FOTA_BOOT_ACTION_REVERTED ||
                      rec.action == FOTA_BOOT_ACTION_REFUSED;

        if (!version_is(&r->img[r->running].version, u) && !(refused && version_is(&rec.version, u)))
            return 0;
        r->next_update++;
        r->downloaded = 0;
    }
    return 1;
}

/* The image that booted runs: 0 when the device has settled, 1 when it
 * resets, or the flash's error. */
static int app_run(struct run *r)
{
    struct fota_boot_state st;
    int err = fota_boot_state_read(&r->sim.cfg, &st);

    if (err < 0)
        return err;
    if (r->sc->unconfirmed & BIT(r->running))
        return st.trial ? 1 : 0; /* crashes before it would confirm */
    err = fota_boot_confirm(&r->sim.cfg);
    if (err < 0)
        return err;
    if (counter_check(r) != 0)
        return -1;
    r->base = r->running; /* confirmed: it runs for good */
    r->trial = NO_IMAGE;
    err = agent_settled(r);
    if (err != 0)
        return err < 0 ? err : 0;
    if (!r->downloaded) {
        r->downloads++;
        err = boot_sim_download(&r->sim, &r->img[r->sc->updates[r->next_update]]);
        if (err < 0)
            return err;
        r->downloaded = 1;
    }
    err = fota_boot_mark_pending(&r->sim.cfg);
    return err < 0 ? err : 1;
}

/* Resets and runs the device until it settles. */
static int device_run(struct run *r)
{
    for (int boot = 0; boot < MAX_BOOTS; boot++) {
        struct fota_boot_result res;
        int err = fota_boot_go(&r->sim.cfg, &res);

        if (err == 0 && observe(r, &res) != 0)
            return -1;
        if (err == 0)
            err = app_run(r);
        if (err == 0)
            return 0;
        if (err == FOTA_E_IO)
            power_cycle(r);
        else if (err < 0)
            return violation(r, fota_strerror(err), err);
    }
    return violation(r, "never settled after boots:", MAX_BOOTS);
}

static uint32_t div_up(uint32_t a, uint32_t b)
{
    return a / b + (a % b != 0);
}

/* docs/flash-layout.md: per swap a primary page is erased at most twice, a
 * secondary page once (plus once per download); the state pages take turns,
 * one erase per page full of snapshots; each power cut may add one erase. */
static int wear_check(struct run *r)
{
    const struct fota_boot_layout *l = &r->sim.cfg.layout;
    const struct fota_flash *fl = &r->sim.flash.flash;
    uint32_t slots = fl->page_size / FOTA_BOOT_RECORD_SIZE;
    uint32_t cuts = (uint32_t)r->cuts;

    for (uint32_t p = 0; p < fl->size / fl->page_size; p++) {
        uint32_t addr = fl->base + p * fl->page_size;
        uint32_t bound = 0;

        if (in_area(addr, l->primary_addr, l->primary_pages, fl->page_size))
            bound = 2 * r->swaps + cuts;
        else if (in_area(addr, l->secondary_addr, l->secondary_pages, fl->page_size))
            bound = r->swaps + r->downloads + cuts;
        else if (in_area(addr, l->state_addr, 2, fl->page_size))
            bound = div_up(r->state_writes, 2 * slots) + cuts;
        if (r->sim.flash.erase_count[p] > bound)
            return violation(r, "page erased more often than documented: page", (long)p);
    }
    return 0;
}

/* ---- one run from the start image ---- */

struct cut {
    uint64_t at;      /* 0: no cut */
    uint32_t units;
    uint32_t seed;
    int second;
};

static int run_once(struct run *r, const struct cut *cut, uint32_t span)
{
    struct fota_posix_flash *f = &r->sim.flash;
    uint32_t pages = f->flash.size / f->flash.page_size;

    memcpy(f->mem, r->start, f->flash.size);
    memset(f->erase_count, 0, pages * sizeof(*f->erase_count));
    f->ops = 0;
    fota_posix_flash_power_on(f);
    if (cut->at)
        fota_posix_flash_cut_at(f, cut->at, cut->units, cut->seed);
    r->next_update = 0;
    r->downloaded = 0;
    r->second_cut = cut->second;
    r->second_span = span;
    r->rng = cut->seed | 1u;
    r->cuts = 0;
    r->in_swap = 0;
    r->swaps = 0;
    r->downloads = 0;
    r->state_writes = 0;
    r->max_counter = 0;
    r->running = NO_IMAGE;
    r->base = image_in_primary(r);
    r->trial = NO_IMAGE;
    r->why[0] = '\0';
    if (counter_check(r) != 0 || device_run(r) != 0 || wear_check(r) != 0)
        return -1;
    if (!(r->sc->finals & BIT(r->running)))
        return violation_image(r, "settled on an image it must not", r->running);
    return 0;
}

/* ---- the device and its start ---- */

static void run_open(struct run *r, const struct scenario *sc,
                     const struct fota_posix_flash_geometry *geo,
                     const struct fota_boot_layout *layout, uint32_t buf_size,
                     uint16_t header_size, const uint32_t payload[3])
{
    memset(r, 0, sizeof(*r));
    boot_sim_open(&r->sim, geo, layout, buf_size);
    r->sc = sc;
    for (int i = V1; i <= V3; i++)
        boot_sim_image_make(&r->sim, &r->img[i], (uint8_t)(i + 1), (uint32_t)(i + 1),
                            payload[i], header_size, (uint8_t)(i + 1));
    boot_sim_image_copy(&r->img[V2_BAD], &r->img[V2]);
    r->img[V2_BAD].bytes[r->img[V2_BAD].size - 7] ^= 0x20;
    r->sim.flash.trace = on_op;
    r->sim.flash.trace_arg = r;
    boot_sim_factory(&r->sim, layout->primary_addr, layout->primary_pages, &r->img[sc->factory]);
    r->start = malloc(geo->size);
    assert_non_null(r->start);
    memcpy(r->start, r->sim.flash.mem, geo->size);
}

static void run_close(struct run *r)
{
    for (int i = 0; i < IMAGES; i++)
        boot_sim_image_free(&r->img[i]);
    free(r->start);
    boot_sim_close(&r->sim);
}

/* Scenario 4's start: v2 installed after a cut half way through its swap,
 * and confirmed. */
static void start_after_interrupted_install(struct run *r)
{
    struct scenario setup = *r->sc;
    const struct scenario *sc = r->sc;
    struct cut none = {0};
    struct cut mid = {0};
    uint64_t first = 0, last = 0;

    setup.updates[0] = sc->setup_update;
    setup.allowed = BIT(sc->factory) | BIT(sc->setup_update);
    setup.finals = BIT(sc->setup_update);
    r->sc = &setup;
    r->trace = calloc(MAX_OPS, sizeof(*r->trace));
    assert_int_equal(run_once(r, &none, 1), 0);
    /* The swap's operations are the erases of primary pages. */
    for (uint64_t i = 0; i < r->traced; i++) {
        if (r->trace[i].kind == FOTA_POSIX_FLASH_ERASE &&
            in_area(r->trace[i].addr, r->sim.cfg.layout.primary_addr,
                    r->sim.cfg.layout.primary_pages, r->sim.flash.flash.page_size)) {
            first = first ? first : i + 1;
            last = i + 1;
        }
    }
    free(r->trace);
    r->trace = NULL;
    mid.at = (first + last) / 2;
    mid.units = 5;
    mid.seed = 99;
    assert_int_equal(run_once(r, &mid, 1), 0);
    assert_int_equal(r->cuts, 1);
    assert_int_equal(r->running, sc->setup_update);
    memcpy(r->start, r->sim.flash.mem, r->sim.flash.flash.size);
    r->sc = sc;
}

/* ---- the sweep ---- */

struct totals {
    uint64_t cut_points;
    uint64_t runs;
    uint64_t second_cuts;
    uint64_t failures;
};

/* The unit counts a program is cut after: every one for a state snapshot,
 * none / half / all but the last / all (and failed) for a page. */
static uint32_t cut_variants(const struct run *r, const struct op *op, uint32_t *units)
{
    uint32_t n = op->len / r->sim.flash.flash.write_size;

    if (op->kind == FOTA_POSIX_FLASH_ERASE) {
        units[0] = 0;
        units[1] = 1; /* not a unit count: a second seed */
        return 2;
    }
    if (op->len <= FOTA_BOOT_RECORD_SIZE) {
        for (uint32_t u = 0; u <= n; u++)
            units[u] = u;
        return n + 1;
    }
    units[0] = 0;
    units[1] = n / 2;
    units[2] = n - 1;
    units[3] = n;
    return 4;
}

static void report(struct run *r, const struct cut *cut, struct totals *t)
{
    if (t->failures++ < 10)
        printf("  FAIL %s: cut at op %llu (units %u, seed %u%s): %s\n", r->sc->name,
               (unsigned long long)cut->at, cut->units, cut->seed,
               cut->second ? ", second cut" : "", r->why);
}

/* The run without cuts, which must end on the scenario's final image;
 * returns N and each operation in *ops. */
static uint64_t uncut_run(struct run *r, struct op **ops, struct totals *t)
{
    struct cut none = {0};

    r->trace = calloc(MAX_OPS, sizeof(*r->trace));
    assert_non_null(r->trace);
    if (run_once(r, &none, 1) == 0 && r->running != r->sc->final)
        violation_image(r, "the uncut run ended on another image", r->running);
    if (r->why[0] != '\0')
        report(r, &none, t);
    assert_true(r->traced < MAX_OPS);
    *ops = r->trace;
    r->trace = NULL; /* the cut runs must not overwrite it */
    return r->traced;
}

static void sweep_scenario(const struct scenario *sc, struct totals *all)
{
    static const uint32_t payload[3] = {700, 1100, 400}; /* 4, 6 and 3 pages */
    struct totals t = {0};
    struct run r;
    struct op *ops;
    uint64_t n;

    run_open(&r, sc, &boot_sim_small_geometry, &boot_sim_small_layout, 256,
             BOOT_SIM_SMALL_HEADER, payload);
    if (sc->setup_update != NO_IMAGE)
        start_after_interrupted_install(&r);
    n = uncut_run(&r, &ops, &t);
    for (uint64_t k = 1; k <= n; k++) {
        uint32_t units[32];
        uint32_t variants = cut_variants(&r, &ops[k - 1], units);

        for (uint32_t v = 0; v < variants; v++) {
            t.cut_points++;
            for (int second = 0; second < 2; second++) {
                struct cut cut = {k, units[v], (uint32_t)(k * 977u + v * 31u + 7u), second};

                t.runs++;
                if (run_once(&r, &cut, (uint32_t)(n - k + 8)) != 0)
                    report(&r, &cut, &t);
                t.second_cuts += r.cuts > 1;
            }
        }
    }
    printf("  %-46s %4llu ops, %5llu cut points, %5llu runs (%llu with a second cut), "
           "%llu failures\n",
           sc->name, (unsigned long long)n, (unsigned long long)t.cut_points,
           (unsigned long long)t.runs, (unsigned long long)t.second_cuts,
           (unsigned long long)t.failures);
    all->cut_points += t.cut_points;
    all->runs += t.runs;
    all->second_cuts += t.second_cuts;
    all->failures += t.failures;
    free(ops);
    run_close(&r);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_sweep_small_layout(void **state)
{
    struct totals all = {0};
    struct timespec t0;

    (void)state;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    printf("power-cut sweep, small layout (256-byte pages, 8-page slots):\n");
    for (size_t i = 0; i < SCENARIOS; i++)
        sweep_scenario(&scenarios[i], &all);
    printf("power-cut sweep: %zu scenarios, %llu cut points, %llu runs, %llu failures "
           "(%.1f s)\n",
           SCENARIOS, (unsigned long long)all.cut_points, (unsigned long long)all.runs,
           (unsigned long long)all.failures, seconds_since(&t0));
    assert_int_equal(all.failures, 0);
}

/* The real geometry with images of 100 and 120 KiB: too many operations
 * for every k, so 50 cut points spread evenly over the install. */
static void test_sweep_stm32_sampled(void **state)
{
    static const uint32_t payload[3] = {100u * 1024u, 120u * 1024u, 90u * 1024u};
    const uint32_t samples = 50;
    struct totals t = {0};
    struct timespec t0;
    struct run r;
    struct op *ops;
    uint64_t n;

    (void)state;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    run_open(&r, &scenarios[0], &fota_posix_flash_stm32f103ze, &fota_boot_layout_stm32f103ze,
             2048, 0x200, payload);
    n = uncut_run(&r, &ops, &t);
    for (uint32_t i = 0; i < samples; i++) {
        uint64_t k = 1 + i * (n - 1) / (samples - 1);
        uint32_t units[32];
        uint32_t variants = cut_variants(&r, &ops[k - 1], units);
        struct cut cut = {k, units[i % variants], 1000u + i, (int)(i % 2)};

        t.cut_points++;
        t.runs++;
        if (run_once(&r, &cut, (uint32_t)(n - k + 8)) != 0)
            report(&r, &cut, &t);
        t.second_cuts += r.cuts > 1;
    }
    printf("power-cut sweep, STM32F103ZE layout (%s, 100 -> 120 KiB): %llu ops, "
           "%llu sampled cut points, %llu with a second cut, %llu failures (%.1f s)\n",
           scenarios[0].name, (unsigned long long)n, (unsigned long long)t.cut_points,
           (unsigned long long)t.second_cuts, (unsigned long long)t.failures,
           seconds_since(&t0));
    free(ops);
    run_close(&r);
    assert_int_equal(t.failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_small_layout),
        cmocka_unit_test(test_sweep_stm32_sampled),
    };

    setvbuf(stdout, NULL, _IOLBF, 0);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
