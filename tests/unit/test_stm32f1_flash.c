/*
 * The STM32F1 flash driver (ports/stm32f1/flash.c, built with
 * -DSTM32F1_FLASH_MODEL) against a register-level model of the FPEC
 * (stm32f1_flash_model.c). The first group checks the model against the
 * manual's rules, the rest the driver against the model. Built twice: with the
 * driver's default geometry (STM32F103ZE) and with the STM32F100's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "flash.h"
#include "fota/error.h"
#include "stm32f1_flash_model.h"

#define BASE STM32F1_FLASH_BASE
#define SIZE STM32F1_FLASH_SIZE
#define PAGE STM32F1_PAGE_SIZE
#define PAGES (SIZE / PAGE)

static struct stm32f1_model *const m = &stm32f1_model;
static const struct fota_flash *const fl = &stm32f1_flash;

static int setup(void **state)
{
    (void)state;
    return stm32f1_model_init(SIZE, PAGE);
}

/* ---- helpers ---- */

/* What every driver call must leave: FPEC locked, PG, PER, STRT clear, idle. */
static void assert_fpec_locked(void)
{
    assert_true(m->cr & STM32F1_MODEL_CR_LOCK);
    assert_false(m->cr & (STM32F1_MODEL_CR_PG | STM32F1_MODEL_CR_PER | STM32F1_MODEL_CR_STRT));
    assert_false(m->sr & STM32F1_MODEL_SR_BSY);
}

static int prog(uint32_t addr, const void *buf, uint32_t len)
{
    int err = fl->prog(fl->ctx, addr, buf, len);

    assert_fpec_locked();
    return err;
}

static int erase(uint32_t addr)
{
    int err = fl->erase(fl->ctx, addr);

    assert_fpec_locked();
    return err;
}

static void read_at(uint32_t addr, void *buf, uint32_t len)
{
    assert_int_equal(fl->read(fl->ctx, addr, buf, len), 0);
}

/* Bytes that differ from page to page and are rarely 0xFF. */
static void pattern(uint8_t *buf, uint32_t len, uint32_t seed)
{
    for (uint32_t i = 0; i < len; i++)
        buf[i] = (uint8_t)((seed * 131u + i * 7u + (i >> 8)) % 251u);
}

static void assert_page_is(uint32_t page, uint32_t seed)
{
    uint8_t want[PAGE], got[PAGE];

    pattern(want, PAGE, seed);
    read_at(BASE + page * PAGE, got, PAGE);
    assert_memory_equal(got, want, PAGE);
}

static void assert_erased(uint32_t addr, uint32_t len)
{
    uint8_t got[PAGE];

    assert_true(len <= PAGE);
    read_at(addr, got, len);
    for (uint32_t i = 0; i < len; i++)
        assert_int_equal(got[i], 0xFF);
}

static void prog_page(uint32_t page, uint32_t seed)
{
    uint8_t buf[PAGE];

    pattern(buf, PAGE, seed);
    assert_int_equal(prog(BASE + page * PAGE, buf, PAGE), 0);
}

static uint16_t peek16(uint32_t addr)
{
    uint32_t off = addr - BASE;

    return (uint16_t)(m->mem[off] | m->mem[off + 1] << 8);
}

static void unlock(void)
{
    stm32f1_model_reg_write(STM32F1_MODEL_KEYR, STM32F1_MODEL_KEY1);
    stm32f1_model_reg_write(STM32F1_MODEL_KEYR, STM32F1_MODEL_KEY2);
}

static uint32_t sr(void)
{
    return stm32f1_model_reg_read(STM32F1_MODEL_SR);
}

/* Pages the FLASH_WRPR bit guards (RM0008: 4 pages of 1 KiB per bit on
 * medium density; 2 of 2 KiB on high density, bit 31 pages 62 to 255). */
static uint32_t pages_of_wrp_bit(uint32_t bit)
{
    if (bit < 31)
        return PAGE == 1024u ? 4u : 2u;
    return PAGE == 1024u ? 4u : 256u - 62u;
}

/* ---- the model keeps the manual's rules ---- */

static void test_model_reset_state(void **state)
{
    (void)state;
    assert_int_equal(m->cr, STM32F1_MODEL_CR_LOCK);
    assert_int_equal(sr(), 0);
    assert_int_equal(stm32f1_model_reg_read(STM32F1_MODEL_WRPR), 0xFFFFFFFFu);
    for (uint32_t i = 0; i < SIZE; i++)
        assert_int_equal(m->mem[i], 0xFF);
    assert_int_equal(stm32f1_model_init(SIZE, 512), -1);
    assert_int_equal(stm32f1_model_init(PAGE * 3 + 2, PAGE), -1);
    assert_int_equal(stm32f1_model_init(STM32F1_MODEL_MAX_SIZE + PAGE, PAGE), -1);
    assert_int_equal(stm32f1_model_init(SIZE, PAGE), 0);
    stm32f1_model_reg_read(STM32F1_MODEL_FPEC + 0x24u);
    assert_int_equal(m->n.bus_errors, 1);
}

static void test_model_unlock_and_lock(void **state)
{
    (void)state;
    stm32f1_model_reg_write(STM32F1_MODEL_CR, STM32F1_MODEL_CR_PG);
    assert_int_equal(m->cr, STM32F1_MODEL_CR_LOCK);
    assert_int_equal(m->n.cr_ignored, 1);

    for (int round = 0; round < 3; round++) {
        unlock();
        assert_int_equal(m->cr, 0);
        stm32f1_model_reg_write(STM32F1_MODEL_CR, STM32F1_MODEL_CR_PG);
        assert_int_equal(m->cr, STM32F1_MODEL_CR_PG);
        stm32f1_model_reg_write(STM32F1_MODEL_CR, STM32F1_MODEL_CR_LOCK);
        assert_int_equal(m->cr, STM32F1_MODEL_CR_LOCK);
        /* LOCK is write-1-only and the write is ignored anyway. */
        stm32f1_model_reg_write(STM32F1_MODEL_CR, 0);
        assert_int_equal(m->cr, STM32F1_MODEL_CR_LOCK);
    }
    assert_int_equal(m->n.key_writes, 6);
    assert_int_equal(m->n.bus_errors, 0);
}

static void test_model_wrong_key_sequences(void **state)
{
    static const uint32_t seqs[][3] = {
        {0x12345678u, 0, 0},
        {STM32F1_MODEL_KEY2, 0, 0},
        {STM32F1_MODEL_KEY1, STM32F1_MODEL_KEY1, 0},
        {STM32F1_MODEL_KEY1, 0xCDEF89AAu, 0},
        {STM32F1_MODEL_KEY1, STM32F1_MODEL_KEY2, STM32F1_MODEL_KEY1}, /* while unlocked */
    };
    static const uint32_t lens[] = {1, 1, 2, 2, 3};

    (void)state;
    for (size_t s = 0; s < sizeof lens / sizeof lens[0]; s++) {
        assert_int_equal(stm32f1_model_init(SIZE, PAGE), 0);
        for (uint32_t k = 0; k < lens[s]; k++)
            stm32f1_model_reg_write(STM32F1_MODEL_KEYR, seqs[s][k]);
        assert_int_equal(m->n.bus_errors, 1);
        assert_int_equal(m->last_bus_error, STM32F1_MODEL_KEYR);
        assert_true(m->cr & STM32F1_MODEL_CR_LOCK);
        /* Locked until reset: the right keys now fault too. */
        unlock();
        assert_int_equal(m->n.bus_errors, 3);
        assert_true(m->cr & STM32F1_MODEL_CR_LOCK);
        stm32f1_model_reset();
        unlock();
        assert_int_equal(m->cr, 0);
        assert_int_equal(m->n.bus_errors, 3);
    }
    printf("model: %zu wrong key sequences lock the FPEC until reset\n",
           sizeof lens / sizeof lens[0]);
}

static void test_model_program_rules(void **state)
{
    const uint32_t a = BASE + PAGE + 6;

    (void)state;
    unlock();
    stm32f1_model_reg_write(STM32F1_MODEL_CR, STM32F1_MODEL_CR_PG);
    stm32f1_model_write16(a, 0x5678);
    while (sr() & STM32F1_MODEL_SR_BSY)
        ;
    assert_int_equal(peek16(a), 0x5678);
    assert_int_equal(sr(), STM32F1_MODEL_SR_EOP);
    stm32f1_model_reg_write(STM32F1_MODEL_SR, STM32F1_MODEL_SR_EOP);

    /* Not erased: skipped with PGERR, even for 0xFFFF. */
    stm32f1_model_write16(a, 0x1234);
    stm32f1_model_write16(a, 0xFFFF);
    assert_int_equal(sr(), STM32F1_MODEL_SR_PGERR);
    assert_int_equal(peek16(a), 0x5678);
    stm32f1_model_reg_write(STM32F1_MODEL_SR, 0);
    assert_int_equal(sr(), STM32F1_MODEL_SR_PGERR);
    stm32f1_model_reg_write(STM32F1_MODEL_SR, STM32F1_MODEL_SR_PGERR);
    assert_int_equal(sr(), 0);

    /* The one exception: 0x0000 always programs. */
    stm32f1_model_write16(a, 0x0000);
    while (sr() & STM32F1_MODEL_SR_BSY)
        ;
    assert_int_equal(sr(), STM32F1_MODEL_SR_EOP);
    assert_int_equal(peek16(a), 0x0000);

    /* Bytes, words and odd addresses fault and change nothing. */
    stm32f1_model_write8(a + 2, 0x00);
    stm32f1_model_write32(a + 4, 0);
    stm32f1_model_write16(a + 3, 0);
    assert_int_equal(m->n.bus_errors, 3);
    assert_int_equal(peek16(a + 2), 0xFFFF);
    assert_int_equal(peek16(a + 4), 0xFFFF);

    /* No PG: a fault. */
    stm32f1_model_reg_write(STM32F1_MODEL_CR, 0);
    stm32f1_model_write16(a + 2, 0x0101);
    assert_int_equal(m->n.bus_errors, 4);
    assert_int_equal(m->last_bus_error, a + 2);
    assert_int_equal(peek16(a + 2), 0xFFFF);

    /* PG with PER: undefined by the manual, refused by the model. */
    stm32f1_model_reg_write(STM32F1_MODEL_CR, STM32F1_MODEL_CR_PG | STM32F1_MODEL_CR_PER);
    stm32f1_model_write16(a + 2, 0x0101);
    assert_int_equal(m->n.unmodelled, 1);
    assert_int_equal(peek16(a + 2), 0xFFFF);
    assert_int_equal(m->n.programs, 2);
    assert_int_equal(m->n.pgerr, 2);
}

static void test_model_busy_and_stall(void **state)
{
    const uint32_t a = BASE + 2 * PAGE;

    (void)state;
    m->prog_busy_reads = 5;
    unlock();
    stm32f1_model_reg_write(STM32F1_MODEL_CR, STM32F1_MODEL_CR_PG);
    stm32f1_model_write16(a, 0x0A0B);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(sr(), STM32F1_MODEL_SR_BSY);
        assert_int_equal(peek16(a), 0xFFFF);
    }
    assert_int_equal(sr(), STM32F1_MODEL_SR_EOP);
    assert_int_equal(peek16(a), 0x0A0B);

    /* Reading flash while busy stalls until the half-word is in. */
    stm32f1_model_write16(a + 2, 0x0C0D);
    assert_int_equal(stm32f1_model_read16(a + 2), 0x0C0D);
    assert_int_equal(m->n.stalls, 1);

    /* Erase: PER, AR, STRT; STRT stays set while busy. */
    stm32f1_model_reg_write(STM32F1_MODEL_CR, STM32F1_MODEL_CR_PER);
    stm32f1_model_reg_write(STM32F1_MODEL_AR, a + 100);
    stm32f1_model_reg_write(STM32F1_MODEL_CR, STM32F1_MODEL_CR_PER | STM32F1_MODEL_CR_STRT);
    assert_true(m->cr & STM32F1_MODEL_CR_STRT);
    for (uint32_t i = 0; i < m->erase_busy_reads; i++)
        assert_true(sr() & STM32F1_MODEL_SR_BSY);
    assert_int_equal(sr(), STM32F1_MODEL_SR_EOP);
    assert_false(m->cr & STM32F1_MODEL_CR_STRT);
    assert_int_equal(peek16(a), 0xFFFF);
    assert_int_equal(m->n.erases, 1);
}

static void test_model_write_protection_groups(void **state)
{
    uint32_t covered = 0;

    (void)state;
    for (uint32_t bit = 0; bit < 32; bit++) {
        uint32_t n = 0;

        m->wrp_option = ~(1u << bit);
        stm32f1_model_reset();
        for (uint32_t p = 0; p < PAGES; p++)
            n += (uint32_t)stm32f1_model_protected(BASE + p * PAGE);
        /* The last bits of a small part guard nothing that exists. */
        if (covered < PAGES)
            assert_int_equal(n, pages_of_wrp_bit(bit));
        else
            assert_int_equal(n, 0);
        covered += n;
    }
    assert_int_equal(covered, PAGES);

    /* Erasing a protected page: WRPRTERR, nothing erased. */
    m->mem[0] = 0x00;
    m->wrp_option = 0xFFFFFFFEu;
    stm32f1_model_reset();
    unlock();
    stm32f1_model_reg_write(STM32F1_MODEL_CR, STM32F1_MODEL_CR_PER);
    stm32f1_model_reg_write(STM32F1_MODEL_AR, BASE);
    stm32f1_model_reg_write(STM32F1_MODEL_CR, STM32F1_MODEL_CR_PER | STM32F1_MODEL_CR_STRT);
    assert_int_equal(sr(), STM32F1_MODEL_SR_WRPRTERR);
    assert_int_equal(m->mem[0], 0x00);
    assert_int_equal(m->n.wrprterr, 1);

    /* A stuck flag does not clear. */
    m->stuck_sr = STM32F1_MODEL_SR_PGERR;
    stm32f1_model_reg_write(STM32F1_MODEL_SR, 0xFFFFFFFFu);
    assert_int_equal(sr(), STM32F1_MODEL_SR_PGERR);
    printf("model: 32 FLASH_WRPR bits guard %u pages of %u bytes\n", covered, PAGE);
}

/* ---- the driver against the model ---- */

static void test_geometry(void **state)
{
    (void)state;
    assert_int_equal(fl->base, 0x08000000u);
    /* The two parts this is built for: STM32F103ZE and STM32F100 (MD). */
    if (PAGE == 2048u)
        assert_int_equal(fl->size, 512u * 1024u);
    else
        assert_int_equal(fl->size, 128u * 1024u);
    assert_int_equal(fl->page_size, PAGE);
    assert_int_equal(fl->write_size, 2);
    assert_int_equal(fl->erased, 0xFF);
    assert_int_equal(fl->size % fl->page_size, 0);
    assert_int_equal(fl->page_size & (fl->page_size - 1), 0);
    assert_int_equal(32u % fl->write_size, 0);
    printf("geometry: %u pages of %u bytes at 0x%08x\n", PAGES, PAGE, BASE);
}

static void test_round_trip_every_page(void **state)
{
    (void)state;
    /* Start from programmed pages, so that each erase has work to do. */
    for (uint32_t p = 0; p < PAGES; p++)
        prog_page(p, p + 1000u);
    for (uint32_t p = 0; p < PAGES; p++) {
        assert_int_equal(erase(BASE + p * PAGE), 0);
        assert_erased(BASE + p * PAGE, PAGE);
        if (p + 1 < PAGES)
            assert_page_is(p + 1, p + 1001u);
        prog_page(p, p);
        assert_page_is(p, p);
    }
    for (uint32_t p = 0; p < PAGES; p++)
        assert_page_is(p, p);

    assert_int_equal(m->n.programs, 2 * (SIZE / 2));
    assert_int_equal(m->n.erases, PAGES);
    assert_int_equal(m->n.bus_errors, 0);
    assert_int_equal(m->n.stalls, 0);
    assert_int_equal(m->n.busy_writes, 0);
    assert_int_equal(m->n.cr_ignored, 0);
    assert_int_equal(m->n.pgerr + m->n.wrprterr + m->n.unmodelled, 0);
    printf("round trip: %u pages erased, %u half-words programmed, %u FLASH_SR reads, "
           "%u key writes, 0 bus errors\n",
           m->n.erases, m->n.programs, m->n.sr_reads, m->n.key_writes);
}

static void test_prog_not_erased(void **state)
{
    static const uint8_t ffff[2] = {0xFF, 0xFF}, other[2] = {0x12, 0x34}, zero[2] = {0, 0};
    const uint32_t a = BASE + 3 * PAGE + 64;
    uint8_t buf[16], got[16];

    (void)state;
    pattern(buf, sizeof buf, 7);
    assert_int_equal(prog(a + 6, buf + 6, 2), 0);

    /* A range over a programmed half-word: the ones before it land, it and
     * the rest are untouched, and the driver says why. */
    assert_int_equal(prog(a, buf, sizeof buf), FOTA_E_NOT_ERASED);
    read_at(a, got, sizeof got);
    assert_memory_equal(got, buf, 8);
    assert_erased(a + 8, 8);
    assert_int_equal(m->n.pgerr, 1);

    /* Over programmed data, anything but 0x0000 is refused. */
    assert_int_equal(prog(a, ffff, 2), FOTA_E_NOT_ERASED);
    assert_int_equal(prog(a, other, 2), FOTA_E_NOT_ERASED);
    read_at(a, got, 2);
    assert_memory_equal(got, buf, 2);

    assert_int_equal(prog(a, zero, 2), 0);
    assert_int_equal(peek16(a), 0x0000);
    assert_int_equal(m->n.pgerr, 3);
    assert_int_equal(m->n.bus_errors, 0);
    printf("not erased: %u refusals with PGERR, 0x0000 over data accepted\n", m->n.pgerr);
}

static void test_write_protected_pages(void **state)
{
    const uint32_t bits[] = {5, 31};
    uint32_t refused = 0;

    (void)state;
    for (uint32_t p = 0; p < PAGES; p++)
        prog_page(p, p);
    m->wrp_option = ~((1u << bits[0]) | (1u << bits[1]));
    stm32f1_model_reset();
    for (uint32_t p = 0; p < PAGES; p++) {
        uint32_t addr = BASE + p * PAGE;
        uint8_t two[2] = {0x00, 0x11};
        int prot = stm32f1_model_protected(addr);

        assert_int_equal(erase(addr), prot ? FOTA_E_IO : 0);
        if (prot) {
            assert_page_is(p, p);
            m->mem[p * PAGE + 8] = 0xFF; /* an erased spot, still refused */
            m->mem[p * PAGE + 9] = 0xFF;
            assert_int_equal(prog(addr + 8, two, 2), FOTA_E_IO);
            assert_int_equal(peek16(addr + 8), 0xFFFF);
            refused++;
        } else {
            assert_erased(addr, PAGE);
            assert_int_equal(prog(addr + 8, two, 2), 0);
        }
    }
    assert_int_equal(refused, pages_of_wrp_bit(bits[0]) + pages_of_wrp_bit(bits[1]));
    assert_int_equal(m->n.wrprterr, 2 * refused);
    assert_int_equal(m->n.bus_errors, 0);
    printf("write protection: %u of %u pages refused erase and program (WRPRTERR)\n",
           refused, PAGES);
}

static void test_enters_unlocked_with_pg_per_set(void **state)
{
    uint8_t buf[8];

    (void)state;
    /* Someone else left the FPEC unlocked with PG and PER set. */
    unlock();
    stm32f1_model_reg_write(STM32F1_MODEL_CR, STM32F1_MODEL_CR_PG | STM32F1_MODEL_CR_PER);
    pattern(buf, sizeof buf, 3);
    assert_int_equal(prog(BASE + PAGE, buf, sizeof buf), 0);
    unlock();
    stm32f1_model_reg_write(STM32F1_MODEL_CR, STM32F1_MODEL_CR_PER);
    assert_int_equal(erase(BASE + PAGE), 0);
    assert_erased(BASE + PAGE, sizeof buf);
    /* The driver wrote no key to an unlocked FPEC: that would be a fault. */
    assert_int_equal(m->n.bus_errors, 0);
    assert_int_equal(m->n.unmodelled, 0);
}

static void test_long_busy_is_waited_on(void **state)
{
    const uint32_t busy[] = {0, 1, 100000};
    uint8_t buf[64], got[64];

    (void)state;
    pattern(buf, sizeof buf, 9);
    for (size_t i = 0; i < sizeof busy / sizeof busy[0]; i++) {
        uint32_t before = m->n.sr_reads;

        m->prog_busy_reads = busy[i];
        m->erase_busy_reads = busy[i];
        assert_int_equal(erase(BASE + 4 * PAGE), 0);
        assert_int_equal(prog(BASE + 4 * PAGE, buf, sizeof buf), 0);
        read_at(BASE + 4 * PAGE, got, sizeof got);
        assert_memory_equal(got, buf, sizeof buf);
        assert_true(m->n.sr_reads - before >= busy[i] * (1 + sizeof buf / 2));
        printf("busy %u reads per operation: %u FLASH_SR reads\n", busy[i],
               m->n.sr_reads - before);
    }
    assert_int_equal(m->n.stalls, 0);
    assert_int_equal(m->n.busy_writes, 0);
}

/* A key sequence gone wrong before the driver runs (a crash part way, a
 * stray write) locks the FPEC until reset: the driver must say so, not
 * report success or hang. */
static void test_wrong_key_before_driver(void **state)
{
    static const uint32_t left[] = {0xDEADBEEFu, STM32F1_MODEL_KEY1, STM32F1_MODEL_KEY2};
    uint8_t buf[32];

    (void)state;
    pattern(buf, sizeof buf, 5);
    for (size_t i = 0; i < sizeof left / sizeof left[0]; i++) {
        assert_int_equal(stm32f1_model_init(SIZE, PAGE), 0);
        prog_page(2, 2);
        stm32f1_model_reg_write(STM32F1_MODEL_KEYR, left[i]);

        assert_int_equal(prog(BASE + PAGE, buf, sizeof buf), FOTA_E_IO);
        assert_int_equal(erase(BASE + 2 * PAGE), FOTA_E_IO);
        assert_erased(BASE + PAGE, sizeof buf);
        assert_page_is(2, 2);
        assert_int_equal(m->n.programs, PAGE / 2);
        assert_int_equal(m->n.erases, 0);
        assert_true(m->n.bus_errors >= 1);
        assert_true(m->keys_dead);
        /* Having seen the lock-out, the driver left FLASH_CR alone. */
        assert_int_equal(m->n.cr_ignored, 0);

        stm32f1_model_reset();
        assert_int_equal(prog(BASE + PAGE, buf, sizeof buf), 0);
        assert_int_equal(erase(BASE + 2 * PAGE), 0);
        assert_erased(BASE + 2 * PAGE, PAGE);
    }
    printf("wrong key left behind: %zu cases reported FOTA_E_IO, recovered after reset\n",
           sizeof left / sizeof left[0]);
}

static void test_stuck_error_flag(void **state)
{
    const uint32_t stuck[] = {STM32F1_MODEL_SR_PGERR, STM32F1_MODEL_SR_WRPRTERR};
    uint8_t buf[8];

    (void)state;
    pattern(buf, sizeof buf, 11);
    prog_page(6, 6);
    for (size_t i = 0; i < sizeof stuck / sizeof stuck[0]; i++) {
        uint32_t programs = m->n.programs;

        m->stuck_sr = stuck[i];
        assert_int_equal(prog(BASE + 5 * PAGE, buf, sizeof buf), FOTA_E_IO);
        assert_int_equal(erase(BASE + 6 * PAGE), FOTA_E_IO);
        assert_int_equal(m->n.programs, programs);
        assert_int_equal(m->n.erases, 0);
        assert_erased(BASE + 5 * PAGE, sizeof buf);
        assert_page_is(6, 6);
    }
    m->stuck_sr = 0;
    assert_int_equal(prog(BASE + 5 * PAGE, buf, sizeof buf), 0);
}

static void test_invalid_arguments(void **state)
{
    static const struct {
        uint32_t addr, len;
    } progs[] = {
        {BASE - 2, 2}, {BASE + 1, 2}, {BASE, 3}, {BASE + 2, 1},
        {BASE + SIZE - 2, 4}, {BASE + SIZE, 2}, {0xFFFFFFFEu, 4},
        {BASE, SIZE + 2}, {0, 2},
    };
    static const uint32_t erases[] = {
        BASE + 1, BASE + PAGE / 2, BASE + 2, BASE + SIZE, BASE - PAGE,
        BASE + SIZE - PAGE + 2, 0, 0xFFFFF800u,
    };
    static const struct {
        uint32_t addr, len;
    } reads[] = {{BASE + SIZE - 1, 2}, {BASE - 1, 1}, {0xFFFFFFFFu, 2}, {BASE, SIZE + 1}};
    static uint8_t buf[SIZE + 2];
    uint32_t n = 0;

    (void)state;
    for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++, n++)
        assert_int_equal(prog(progs[i].addr, buf, progs[i].len), FOTA_E_INVAL);
    for (size_t i = 0; i < sizeof erases / sizeof erases[0]; i++, n++)
        assert_int_equal(erase(erases[i]), FOTA_E_INVAL);
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++, n++)
        assert_int_equal(fl->read(fl->ctx, reads[i].addr, buf, reads[i].len), FOTA_E_INVAL);
    /* Refused before any register or flash access. */
    assert_int_equal(m->n.key_writes + m->n.cr_writes + m->n.sr_reads, 0);
    assert_int_equal(m->n.bus_errors, 0);
    /* The edges themselves are fine. */
    assert_int_equal(prog(BASE + SIZE - 2, buf, 2), 0);
    assert_int_equal(erase(BASE + SIZE - PAGE), 0);
    read_at(BASE + SIZE - 1, buf, 1);
    read_at(BASE, buf, SIZE);
    printf("invalid arguments: %u calls refused with FOTA_E_INVAL, no register touched\n", n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_model_reset_state, setup),
        cmocka_unit_test_setup(test_model_unlock_and_lock, setup),
        cmocka_unit_test_setup(test_model_wrong_key_sequences, setup),
        cmocka_unit_test_setup(test_model_program_rules, setup),
        cmocka_unit_test_setup(test_model_busy_and_stall, setup),
        cmocka_unit_test_setup(test_model_write_protection_groups, setup),
        cmocka_unit_test_setup(test_geometry, setup),
        cmocka_unit_test_setup(test_round_trip_every_page, setup),
        cmocka_unit_test_setup(test_prog_not_erased, setup),
        cmocka_unit_test_setup(test_write_protected_pages, setup),
        cmocka_unit_test_setup(test_enters_unlocked_with_pg_per_set, setup),
        cmocka_unit_test_setup(test_long_busy_is_waited_on, setup),
        cmocka_unit_test_setup(test_wrong_key_before_driver, setup),
        cmocka_unit_test_setup(test_stuck_error_flag, setup),
        cmocka_unit_test_setup(test_invalid_arguments, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
