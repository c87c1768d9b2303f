/* Host flash model (ports/posix/flash.c): NOR rules, persistence, power cuts. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fota/error.h"
#include "fota/posix_flash.h"

#define BASE 0x08000000u
#define PAGE 256u
#define PAGES 4u
#define SIZE (PAGE * PAGES)
#define SEEDS 200u

/* Small enough to sweep many seeds quickly, shaped like the real part. */
static const struct fota_posix_flash_geometry small = {
    .base = BASE,
    .size = SIZE,
    .page_size = PAGE,
    .write_size = 2,
    .erased = 0xFF,
};

static void open_small(struct fota_posix_flash *f)
{
    assert_int_equal(fota_posix_flash_open(f, NULL, &small), 0);
}

static int prog_at(struct fota_posix_flash *f, uint32_t addr,
                   const void *buf, uint32_t len)
{
    return f->flash.prog(f->flash.ctx, addr, buf, len);
}

static int erase_at(struct fota_posix_flash *f, uint32_t addr)
{
    return f->flash.erase(f->flash.ctx, addr);
}

static int read_at(struct fota_posix_flash *f, uint32_t addr, void *buf,
                   uint32_t len)
{
    return f->flash.read(f->flash.ctx, addr, buf, len);
}

static void assert_all(const uint8_t *p, uint32_t n, uint8_t v)
{
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(p[i], v);
}

static void assert_erased(struct fota_posix_flash *f, uint32_t addr,
                          uint32_t len)
{
    uint8_t buf[SIZE];
    assert_int_equal(read_at(f, addr, buf, len), 0);
    assert_all(buf, len, 0xFF);
}

/* A page of programmed bytes, none of them 0xFF, so that each byte of a cut
 * erase can be told apart as old or erased. */
static void program_page(struct fota_posix_flash *f, uint32_t addr,
                         uint8_t old[PAGE])
{
    for (uint32_t i = 0; i < PAGE; i++)
        old[i] = (uint8_t)(i % 0xFF);
    assert_int_equal(prog_at(f, addr, old, PAGE), 0);
}

/* Temporary files go where the system keeps them, never into the tree. */
static void temp_path(char *path, size_t size, const char *tag)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, size, "%s/fota-posix-flash-%ld-%s.bin", dir ? dir : "/tmp",
             (long)getpid(), tag);
    unlink(path);
}

/* ---- geometry and open ---- */

/* An STM32F103 part of size bytes: 2 KiB pages, half-words, all erased. */
static void check_stm32f103_geometry(const struct fota_posix_flash_geometry *g, uint32_t size)
{
    struct fota_posix_flash f;
    uint8_t buf[64];

    assert_int_equal(g->base, 0x08000000u);
    assert_int_equal(g->size, size);
    assert_int_equal(g->page_size, 2048u);
    assert_int_equal(g->write_size, 2u);
    assert_int_equal(g->erased, 0xFF);

    assert_int_equal(fota_posix_flash_open(&f, NULL, g), 0);
    assert_ptr_equal(f.flash.ctx, &f);
    assert_int_equal(f.flash.base, g->base);
    assert_int_equal(f.flash.size, g->size);
    assert_int_equal(f.flash.page_size, g->page_size);
    assert_int_equal(f.flash.write_size, g->write_size);
    assert_int_equal(f.flash.erased, g->erased);
    assert_int_equal(f.fd, -1);
    assert_int_equal(f.ops, 0);
    assert_int_equal(f.off, 0);
    assert_all(f.mem, g->size, 0xFF);
    for (uint32_t p = 0; p < g->size / g->page_size; p++)
        assert_int_equal(f.erase_count[p], 0);
    assert_int_equal(read_at(&f, g->base + g->size - sizeof buf, buf, sizeof buf), 0);
    assert_int_equal(read_at(&f, g->base + g->size - 1, buf, 2), FOTA_E_INVAL);
    fota_posix_flash_close(&f);
}

static void test_stm32f103ze_geometry(void **state)
{
    (void)state;
    check_stm32f103_geometry(&fota_posix_flash_stm32f103ze, 512u * 1024u);
}

static void test_stm32f103zg_geometry(void **state)
{
    (void)state;
    check_stm32f103_geometry(&fota_posix_flash_stm32f103zg, 1024u * 1024u);
}

static void test_open_rejects_bad_geometry(void **state)
{
    static const struct fota_posix_flash_geometry bad[] = {
        {.base = BASE, .size = 0, .page_size = PAGE, .write_size = 2},
        {.base = BASE, .size = SIZE, .page_size = 0, .write_size = 2},
        {.base = BASE, .size = SIZE, .page_size = 96, .write_size = 2},
        {.base = BASE, .size = SIZE + 2, .page_size = PAGE, .write_size = 2},
        {.base = BASE, .size = SIZE, .page_size = PAGE, .write_size = 0},
        {.base = BASE, .size = SIZE, .page_size = PAGE, .write_size = 3},
        {.base = 0xFFFFFF00u, .size = SIZE, .page_size = PAGE, .write_size = 2},
    };
    struct fota_posix_flash f;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(fota_posix_flash_open(&f, NULL, &bad[i]), FOTA_E_INVAL);
        assert_null(f.mem);
        fota_posix_flash_close(&f);
    }
    assert_int_equal(fota_posix_flash_open(&f, NULL, NULL), FOTA_E_INVAL);
    fota_posix_flash_close(&f);
}

static void test_close_is_safe_on_zeroed_and_twice(void **state)
{
    struct fota_posix_flash f;

    (void)state;
    memset(&f, 0, sizeof f);
    fota_posix_flash_close(&f);
    open_small(&f);
    fota_posix_flash_close(&f);
    fota_posix_flash_close(&f);
}

/* ---- erase ---- */

static void test_erase_sets_erased_and_counts(void **state)
{
    struct fota_posix_flash f;
    uint8_t old[PAGE];

    (void)state;
    open_small(&f);
    program_page(&f, BASE + PAGE, old);
    assert_int_equal(erase_at(&f, BASE + PAGE), 0);
    assert_erased(&f, BASE + PAGE, PAGE);
    assert_int_equal(erase_at(&f, BASE + PAGE), 0);
    assert_int_equal(erase_at(&f, BASE + 3 * PAGE), 0);
    assert_int_equal(f.erase_count[0], 0);
    assert_int_equal(f.erase_count[1], 2);
    assert_int_equal(f.erase_count[2], 0);
    assert_int_equal(f.erase_count[3], 1);
    assert_int_equal(f.ops, 4);
    fota_posix_flash_close(&f);
}

static void test_erase_leaves_other_pages(void **state)
{
    struct fota_posix_flash f;
    uint8_t old[PAGE], buf[PAGE];

    (void)state;
    open_small(&f);
    program_page(&f, BASE, old);
    program_page(&f, BASE + 2 * PAGE, old);
    assert_int_equal(erase_at(&f, BASE + PAGE), 0);
    assert_int_equal(read_at(&f, BASE, buf, PAGE), 0);
    assert_memory_equal(buf, old, PAGE);
    assert_int_equal(read_at(&f, BASE + 2 * PAGE, buf, PAGE), 0);
    assert_memory_equal(buf, old, PAGE);
    fota_posix_flash_close(&f);
}

static void test_erase_rejects_unaligned_and_out_of_range(void **state)
{
    static const uint32_t bad[] = {
        BASE + 1, BASE + 2, BASE + PAGE / 2, BASE - PAGE, BASE + SIZE, 0,
        0xFFFFFF00u,
    };
    struct fota_posix_flash f;

    (void)state;
    open_small(&f);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(erase_at(&f, bad[i]), FOTA_E_INVAL);
    assert_int_equal(f.ops, 0);
    for (uint32_t p = 0; p < PAGES; p++)
        assert_int_equal(f.erase_count[p], 0);
    fota_posix_flash_close(&f);
}

/* ---- program ---- */

static void test_prog_erased_succeeds(void **state)
{
    static const uint8_t data[] = {0x12, 0x34, 0x00, 0xFF, 0xA5, 0x5A};
    struct fota_posix_flash f;
    uint8_t buf[sizeof data + 2];

    (void)state;
    open_small(&f);
    assert_int_equal(prog_at(&f, BASE + 2, data, sizeof data), 0);
    assert_int_equal(read_at(&f, BASE, buf, sizeof buf), 0);
    assert_int_equal(buf[0], 0xFF);
    assert_int_equal(buf[1], 0xFF);
    assert_memory_equal(buf + 2, data, sizeof data);
    assert_erased(&f, BASE + 2 + sizeof data, SIZE - 2 - sizeof data);
    /* The last write unit of the flash is reachable. */
    assert_int_equal(prog_at(&f, BASE + SIZE - 2, data, 2), 0);
    fota_posix_flash_close(&f);
}

static void test_prog_over_programmed_fails_unchanged(void **state)
{
    static const uint8_t first[] = {0x12, 0x34};
    static const uint8_t second[] = {0x02, 0x30}; /* only clears bits */
    struct fota_posix_flash f;
    uint8_t buf[2];

    (void)state;
    open_small(&f);
    assert_int_equal(prog_at(&f, BASE, first, 2), 0);
    assert_int_equal(prog_at(&f, BASE, second, 2), FOTA_E_NOT_ERASED);
    assert_int_equal(read_at(&f, BASE, buf, 2), 0);
    assert_memory_equal(buf, first, 2);
    /* One erased byte in the unit is not enough: the unit is not erased. */
    static const uint8_t half[] = {0x12, 0xFF};
    assert_int_equal(prog_at(&f, BASE + 2, half, 2), 0);
    assert_int_equal(prog_at(&f, BASE + 2, second, 2), FOTA_E_NOT_ERASED);
    assert_int_equal(read_at(&f, BASE + 2, buf, 2), 0);
    assert_memory_equal(buf, half, 2);
    fota_posix_flash_close(&f);
}

static void test_prog_stops_at_first_programmed_unit(void **state)
{
    static const uint8_t blocker[] = {0x11, 0x22};
    static const uint8_t data[] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct fota_posix_flash f;
    uint8_t buf[sizeof data];

    (void)state;
    open_small(&f);
    assert_int_equal(prog_at(&f, BASE + 4, blocker, 2), 0);
    assert_int_equal(prog_at(&f, BASE, data, sizeof data), FOTA_E_NOT_ERASED);
    assert_int_equal(read_at(&f, BASE, buf, sizeof buf), 0);
    assert_memory_equal(buf, data, 4);        /* units before: programmed */
    assert_memory_equal(buf + 4, blocker, 2); /* failing unit: unchanged */
    assert_all(buf + 6, 2, 0xFF);             /* units after: untouched */
    fota_posix_flash_close(&f);
}

static void test_prog_zero_over_programmed_succeeds(void **state)
{
    static const uint8_t first[] = {0x12, 0x34, 0x56, 0x78};
    static const uint8_t zero[] = {0x00, 0x00};
    static const uint8_t almost[] = {0x00, 0x01};
    struct fota_posix_flash f;
    uint8_t buf[4];

    (void)state;
    open_small(&f);
    assert_int_equal(prog_at(&f, BASE, first, sizeof first), 0);
    assert_int_equal(prog_at(&f, BASE, zero, 2), 0);
    assert_int_equal(prog_at(&f, BASE, zero, 2), 0);
    assert_int_equal(prog_at(&f, BASE + 2, almost, 2), FOTA_E_NOT_ERASED);
    assert_int_equal(read_at(&f, BASE, buf, sizeof buf), 0);
    assert_all(buf, 2, 0x00);
    assert_memory_equal(buf + 2, first + 2, 2);
    fota_posix_flash_close(&f);
}

static void test_prog_rejects_misaligned_and_out_of_range(void **state)
{
    static const struct {
        uint32_t addr, len;
    } bad[] = {
        {BASE + 1, 2},        {BASE, 1},          {BASE, 3},
        {BASE - 2, 2},        {BASE + SIZE, 2},   {BASE + SIZE - 2, 4},
        {BASE, SIZE + 2},     {0xFFFFFFFEu, 4},   {BASE + 2, 0xFFFFFFFEu},
    };
    static const uint8_t zero[SIZE + 4];
    struct fota_posix_flash f;

    (void)state;
    open_small(&f);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(prog_at(&f, bad[i].addr, zero, bad[i].len), FOTA_E_INVAL);
    assert_int_equal(f.ops, 0);
    assert_erased(&f, BASE, SIZE);
    fota_posix_flash_close(&f);
}

static void test_read_rejects_out_of_range(void **state)
{
    struct fota_posix_flash f;
    uint8_t buf[SIZE + 2];

    (void)state;
    open_small(&f);
    assert_int_equal(read_at(&f, BASE, buf, SIZE), 0);
    assert_int_equal(read_at(&f, BASE + 1, buf, 1), 0); /* reads need no alignment */
    assert_int_equal(read_at(&f, BASE + SIZE, buf, 0), 0);
    assert_int_equal(read_at(&f, BASE - 1, buf, 1), FOTA_E_INVAL);
    assert_int_equal(read_at(&f, BASE + SIZE, buf, 1), FOTA_E_INVAL);
    assert_int_equal(read_at(&f, BASE, buf, SIZE + 1), FOTA_E_INVAL);
    assert_int_equal(read_at(&f, 0xFFFFFFFFu, buf, 2), FOTA_E_INVAL);
    assert_int_equal(f.ops, 0);
    fota_posix_flash_close(&f);
}

/* ---- file backing ---- */

static void test_file_created_erased_and_persists(void **state)
{
    static const uint8_t data[] = {0xDE, 0xAD, 0xBE, 0xEF};
    struct fota_posix_flash f;
    struct stat st;
    char path[512];
    uint8_t buf[sizeof data];

    (void)state;
    temp_path(path, sizeof path, "persist");
    assert_int_equal(fota_posix_flash_open(&f, path, &small), 0);
    assert_true(f.fd >= 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, SIZE);
    assert_erased(&f, BASE, SIZE);
    assert_int_equal(prog_at(&f, BASE + PAGE + 6, data, sizeof data), 0);
    assert_int_equal(erase_at(&f, BASE + 2 * PAGE), 0);
    fota_posix_flash_close(&f);

    assert_int_equal(fota_posix_flash_open(&f, path, &small), 0);
    assert_int_equal(read_at(&f, BASE + PAGE + 6, buf, sizeof buf), 0);
    assert_memory_equal(buf, data, sizeof data);
    assert_erased(&f, BASE, PAGE + 6);
    assert_int_equal(f.ops, 0); /* counters are per open */
    assert_int_equal(f.erase_count[2], 0);
    fota_posix_flash_close(&f);
    assert_int_equal(unlink(path), 0);
}

static void test_file_of_wrong_size_refused(void **state)
{
    struct fota_posix_flash f;
    struct stat st;
    char path[512];

    (void)state;
    temp_path(path, sizeof path, "size");
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite("abc", 1, 3, fp), 3);
    assert_int_equal(fclose(fp), 0);

    assert_int_equal(fota_posix_flash_open(&f, path, &small), FOTA_E_INVAL);
    assert_null(f.mem);
    fota_posix_flash_close(&f);
    /* Refused, not repaired: the file is left as it was. */
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 3);
    assert_int_equal(unlink(path), 0);
}

static void test_file_in_missing_directory_fails_io(void **state)
{
    struct fota_posix_flash f;
    char path[512];

    (void)state;
    temp_path(path, sizeof path, "nodir");
    strncat(path, "/flash.bin", sizeof path - strlen(path) - 1);
    assert_int_equal(fota_posix_flash_open(&f, path, &small), FOTA_E_IO);
    fota_posix_flash_close(&f);
}

/* ---- power cuts ---- */

static void test_cut_erase_leaves_old_or_erased(void **state)
{
    unsigned all_old = 0, all_erased = 0, mixed = 0;

    (void)state;
    for (uint32_t seed = 0; seed < SEEDS; seed++) {
        struct fota_posix_flash f;
        uint8_t old[PAGE], buf[PAGE];
        unsigned n_old = 0, n_erased = 0;

        open_small(&f);
        program_page(&f, BASE + PAGE, old);
        fota_posix_flash_cut_at(&f, f.ops + 1, 0, seed);
        assert_int_equal(erase_at(&f, BASE + PAGE), FOTA_E_IO);
        assert_int_equal(f.off, 1);
        assert_int_equal(f.erase_count[1], 1); /* a started erase wears */
        fota_posix_flash_power_on(&f);
        assert_int_equal(read_at(&f, BASE + PAGE, buf, PAGE), 0);
        for (uint32_t i = 0; i < PAGE; i++) {
            assert_true(buf[i] == old[i] || buf[i] == 0xFF);
            n_old += buf[i] == old[i];
            n_erased += buf[i] == 0xFF;
        }
        all_old += n_erased == 0;
        all_erased += n_old == 0;
        mixed += n_old > 0 && n_erased > 0;
        assert_erased(&f, BASE, PAGE);
        assert_erased(&f, BASE + 2 * PAGE, 2 * PAGE);
        fota_posix_flash_close(&f);
    }
    assert_true(all_old > 0);
    assert_true(all_erased > 0);
    assert_true(mixed > 0);
}

/* The unit a cut program left half done: it keeps every bit the new value
 * keeps and has no bit set that was clear before. Tallies which of old, new
 * or in between it came out as. */
struct partial_tally {
    unsigned old, new_, between;
};

static void check_partial(const uint8_t *got, const uint8_t *old,
                          const uint8_t *new_, struct partial_tally *t)
{
    int is_old = 1, is_new = 1;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(got[i] & new_[i], new_[i]);
        assert_int_equal(got[i] & ~old[i] & 0xFF, 0);
        is_old &= got[i] == old[i];
        is_new &= got[i] == new_[i];
    }
    t->old += is_old;
    t->new_ += is_new;
    t->between += !is_old && !is_new;
}

static void assert_tally_has_all(const struct partial_tally *t)
{
    assert_true(t->old > 0);
    assert_true(t->new_ > 0);
    assert_true(t->between > 0);
}

static void test_cut_prog_partial_unit(void **state)
{
    static const uint8_t data[8] = {0x12, 0x34, 0x00, 0x80, 0x5A, 0xA5, 0x0F, 0xF0};
    static const uint8_t erased[2] = {0xFF, 0xFF};
    struct partial_tally tally = {0};

    (void)state;
    for (uint32_t seed = 0; seed < SEEDS; seed++) {
        for (uint32_t units = 0; units < 4; units++) {
            struct fota_posix_flash f;
            uint8_t buf[12];

            open_small(&f);
            fota_posix_flash_cut_at(&f, 1, units, seed);
            assert_int_equal(prog_at(&f, BASE + 2, data, sizeof data), FOTA_E_IO);
            assert_int_equal(f.off, 1);
            fota_posix_flash_power_on(&f);
            assert_int_equal(read_at(&f, BASE, buf, sizeof buf), 0);
            assert_all(buf, 2, 0xFF);
            assert_memory_equal(buf + 2, data, 2 * units);
            check_partial(buf + 2 + 2 * units, erased, data + 2 * units,
                          &tally);
            assert_all(buf + 2 + 2 * (units + 1), 2 * (3 - units) + 2, 0xFF);
            fota_posix_flash_close(&f);
        }
    }
    assert_tally_has_all(&tally);
}

/* The 0x0000 exception applies to a unit cut half way too: only bits that
 * were set can have been cleared. */
static void test_cut_prog_zero_over_programmed(void **state)
{
    static const uint8_t old[2] = {0xB7, 0x6D};
    static const uint8_t zero[2] = {0x00, 0x00};
    struct partial_tally tally = {0};

    (void)state;
    for (uint32_t seed = 0; seed < SEEDS; seed++) {
        struct fota_posix_flash f;
        uint8_t buf[2];

        open_small(&f);
        assert_int_equal(prog_at(&f, BASE, old, 2), 0);
        fota_posix_flash_cut_at(&f, 2, 0, seed);
        assert_int_equal(prog_at(&f, BASE, zero, 2), FOTA_E_IO);
        fota_posix_flash_power_on(&f);
        assert_int_equal(read_at(&f, BASE, buf, 2), 0);
        check_partial(buf, old, zero, &tally);
        fota_posix_flash_close(&f);
    }
    assert_tally_has_all(&tally);
}

static void test_cut_prog_after_last_unit_completes_call(void **state)
{
    static const uint8_t data[4] = {1, 2, 3, 4};
    struct fota_posix_flash f;
    uint8_t buf[6];

    (void)state;
    open_small(&f);
    fota_posix_flash_cut_at(&f, 1, 2, 7);
    assert_int_equal(prog_at(&f, BASE, data, sizeof data), FOTA_E_IO);
    fota_posix_flash_power_on(&f);
    assert_int_equal(read_at(&f, BASE, buf, sizeof buf), 0);
    assert_memory_equal(buf, data, sizeof data);
    assert_all(buf + 4, 2, 0xFF);
    fota_posix_flash_close(&f);
}

static void test_cut_prog_never_changes_refused_unit(void **state)
{
    static const uint8_t blocker[] = {0x77, 0x77};
    static const uint8_t data[4] = {0x01, 0x02, 0x03, 0x04};

    (void)state;
    for (uint32_t seed = 0; seed < SEEDS; seed++) {
        struct fota_posix_flash f;
        uint8_t buf[4];

        open_small(&f);
        assert_int_equal(prog_at(&f, BASE + 2, blocker, 2), 0);
        fota_posix_flash_cut_at(&f, 2, seed % 3, seed);
        assert_int_equal(prog_at(&f, BASE, data, sizeof data), FOTA_E_IO);
        fota_posix_flash_power_on(&f);
        assert_int_equal(read_at(&f, BASE + 2, buf, 2), 0);
        assert_memory_equal(buf, blocker, 2);
        fota_posix_flash_close(&f);
    }
}

/* The same seed at the same operation gives the same flash: runs repeat. */
static void test_cut_is_repeatable(void **state)
{
    uint8_t first[PAGE], second[PAGE];
    uint8_t *out[2] = {first, second};

    (void)state;
    for (int run = 0; run < 2; run++) {
        struct fota_posix_flash f;
        uint8_t old[PAGE];

        open_small(&f);
        program_page(&f, BASE, old);
        fota_posix_flash_cut_at(&f, 2, 0, 12345);
        assert_int_equal(erase_at(&f, BASE), FOTA_E_IO);
        fota_posix_flash_power_on(&f);
        assert_int_equal(read_at(&f, BASE, out[run], PAGE), 0);
        fota_posix_flash_close(&f);
    }
    assert_memory_equal(first, second, PAGE);
}

static void test_off_until_power_on(void **state)
{
    static const uint8_t data[2] = {0x12, 0x34};
    struct fota_posix_flash f;
    uint8_t buf[2] = {0xAA, 0xAA};

    (void)state;
    open_small(&f);
    fota_posix_flash_cut_at(&f, 1, 0, 1);
    assert_int_equal(erase_at(&f, BASE), FOTA_E_IO);
    assert_int_equal(f.ops, 1);

    assert_int_equal(read_at(&f, BASE, buf, 2), FOTA_E_IO);
    assert_int_equal(buf[0], 0xAA); /* nothing copied */
    assert_int_equal(prog_at(&f, BASE + 2, data, 2), FOTA_E_IO);
    assert_int_equal(erase_at(&f, BASE + PAGE), FOTA_E_IO);
    assert_int_equal(prog_at(&f, BASE + 1, data, 2), FOTA_E_IO); /* even if bad */
    assert_int_equal(f.ops, 1);
    assert_int_equal(f.erase_count[1], 0);

    fota_posix_flash_power_on(&f);
    assert_int_equal(f.off, 0);
    assert_int_equal(f.cut_at, 0);
    assert_erased(&f, BASE + 2, 2); /* the refused program left no trace */
    assert_int_equal(erase_at(&f, BASE), 0);
    assert_int_equal(prog_at(&f, BASE + 2, data, 2), 0);
    assert_int_equal(f.ops, 3);
    fota_posix_flash_close(&f);
}

static void test_cut_only_at_its_op(void **state)
{
    static const uint8_t data[2] = {0x12, 0x34};
    struct fota_posix_flash f;

    (void)state;
    open_small(&f);
    fota_posix_flash_cut_at(&f, 3, 0, 1);
    assert_int_equal(erase_at(&f, BASE), 0);
    assert_int_equal(prog_at(&f, BASE, data, 2), 0);
    assert_int_equal(f.off, 0);
    assert_int_equal(prog_at(&f, BASE + 2, data, 2), FOTA_E_IO);
    assert_int_equal(f.off, 1);
    fota_posix_flash_close(&f);
}

/* ---- operation counting and trace ---- */

struct trace_rec {
    uint64_t op;
    enum fota_posix_flash_op kind;
    uint32_t addr, len;
    uint8_t first_byte; /* the flash at addr when the trace ran */
};

struct trace_log {
    struct fota_posix_flash *f;
    struct trace_rec rec[8];
    size_t n;
};

static void record(void *arg, uint64_t op, enum fota_posix_flash_op kind,
                   uint32_t addr, uint32_t len)
{
    struct trace_log *log = arg;
    assert_true(log->n < sizeof log->rec / sizeof log->rec[0]);
    log->rec[log->n++] = (struct trace_rec){
        .op = op,
        .kind = kind,
        .addr = addr,
        .len = len,
        .first_byte = log->f->mem[addr - log->f->flash.base],
    };
}

static void assert_rec(const struct trace_rec *r, uint64_t op,
                       enum fota_posix_flash_op kind, uint32_t addr,
                       uint32_t len, uint8_t first_byte)
{
    assert_int_equal(r->op, op);
    assert_int_equal(r->kind, kind);
    assert_int_equal(r->addr, addr);
    assert_int_equal(r->len, len);
    assert_int_equal(r->first_byte, first_byte);
}

static void test_ops_counted_and_traced(void **state)
{
    static const uint8_t data[4] = {0x12, 0x34, 0x56, 0x78};
    struct fota_posix_flash f;
    struct trace_log log = {.f = &f};
    uint8_t buf[4];

    (void)state;
    open_small(&f);
    f.trace = record;
    f.trace_arg = &log;

    assert_int_equal(prog_at(&f, BASE, data, 4), 0);                /* op 1 */
    assert_int_equal(prog_at(&f, BASE, data, 2), FOTA_E_NOT_ERASED); /* op 2 */
    assert_int_equal(prog_at(&f, BASE + 1, data, 2), FOTA_E_INVAL);  /* not an op */
    assert_int_equal(erase_at(&f, BASE + 3), FOTA_E_INVAL);          /* not an op */
    assert_int_equal(read_at(&f, BASE, buf, 4), 0);                  /* not an op */
    assert_int_equal(erase_at(&f, BASE), 0);                         /* op 3 */
    fota_posix_flash_cut_at(&f, 4, 0, 1);
    assert_int_equal(erase_at(&f, BASE + PAGE), FOTA_E_IO); /* op 4, cut */
    assert_int_equal(erase_at(&f, BASE + PAGE), FOTA_E_IO); /* off: not an op */

    assert_int_equal(f.ops, 4);
    assert_int_equal(log.n, 4);
    assert_rec(&log.rec[0], 1, FOTA_POSIX_FLASH_PROG, BASE, 4, 0xFF);
    assert_rec(&log.rec[1], 2, FOTA_POSIX_FLASH_PROG, BASE, 2, 0x12);
    assert_rec(&log.rec[2], 3, FOTA_POSIX_FLASH_ERASE, BASE, PAGE, 0x12);
    assert_rec(&log.rec[3], 4, FOTA_POSIX_FLASH_ERASE, BASE + PAGE, PAGE, 0xFF);
    fota_posix_flash_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stm32f103ze_geometry),
        cmocka_unit_test(test_stm32f103zg_geometry),
        cmocka_unit_test(test_open_rejects_bad_geometry),
        cmocka_unit_test(test_close_is_safe_on_zeroed_and_twice),
        cmocka_unit_test(test_erase_sets_erased_and_counts),
        cmocka_unit_test(test_erase_leaves_other_pages),
        cmocka_unit_test(test_erase_rejects_unaligned_and_out_of_range),
        cmocka_unit_test(test_prog_erased_succeeds),
        cmocka_unit_test(test_prog_over_programmed_fails_unchanged),
        cmocka_unit_test(test_prog_stops_at_first_programmed_unit),
        cmocka_unit_test(test_prog_zero_over_programmed_succeeds),
        cmocka_unit_test(test_prog_rejects_misaligned_and_out_of_range),
        cmocka_unit_test(test_read_rejects_out_of_range),
        cmocka_unit_test(test_file_created_erased_and_persists),
        cmocka_unit_test(test_file_of_wrong_size_refused),
        cmocka_unit_test(test_file_in_missing_directory_fails_io),
        cmocka_unit_test(test_cut_erase_leaves_old_or_erased),
        cmocka_unit_test(test_cut_prog_partial_unit),
        cmocka_unit_test(test_cut_prog_zero_over_programmed),
        cmocka_unit_test(test_cut_prog_after_last_unit_completes_call),
        cmocka_unit_test(test_cut_prog_never_changes_refused_unit),
        cmocka_unit_test(test_cut_is_repeatable),
        cmocka_unit_test(test_off_until_power_on),
        cmocka_unit_test(test_cut_only_at_its_op),
        cmocka_unit_test(test_ops_counted_and_traced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
