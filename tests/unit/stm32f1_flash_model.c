/* The STM32F1 FPEC and flash array; the rules are in stm32f1_flash_model.h. */
#include "stm32f1_flash_model.h"

#include <string.h>

struct stm32f1_model stm32f1_model;

static struct stm32f1_model *const m = &stm32f1_model;

#define SR_FLAGS (STM32F1_MODEL_SR_EOP | STM32F1_MODEL_SR_PGERR | STM32F1_MODEL_SR_WRPRTERR)
/* FLASH_CR bits software writes: PG, PER, MER, OPTPG, OPTER, ERRIE, EOPIE.
 * STRT and LOCK only set; OPTWRE comes from the option key sequence. */
#define CR_WRITABLE 0x1437u
/* FLASH_OBR after reset with erased user option bytes, no read protection. */
#define OBR_RESET 0x03FFFFFCu

/* ---- helpers ---- */

static int in_flash(uint32_t addr, uint32_t len)
{
    return addr >= STM32F1_MODEL_BASE && addr - STM32F1_MODEL_BASE < m->size &&
           m->size - (addr - STM32F1_MODEL_BASE) >= len;
}

static uint32_t offset(uint32_t addr)
{
    return addr - STM32F1_MODEL_BASE;
}

static void bus_error(uint32_t addr)
{
    m->n.bus_errors++;
    m->last_bus_error = addr;
}

static int busy(void)
{
    return (m->sr & STM32F1_MODEL_SR_BSY) != 0;
}

int stm32f1_model_protected(uint32_t addr)
{
    uint32_t bit = offset(addr) / STM32F1_MODEL_WRP_UNIT;

    if (bit > 31)
        bit = 31;
    return (m->wrpr & (1u << bit)) == 0;
}

/* ---- operations ---- */

/* BSY clears: the half-word or the page reaches the array. */
static void finish(void)
{
    uint32_t off = offset(m->op_addr);

    if (m->op == STM32F1_MODEL_OP_PROG) {
        m->mem[off] = (uint8_t)m->op_value;
        m->mem[off + 1] = (uint8_t)(m->op_value >> 8);
        m->n.programs++;
    } else if (m->op == STM32F1_MODEL_OP_ERASE) {
        memset(&m->mem[off], 0xFF, m->page_size);
        m->n.erases++;
    }
    m->cr &= ~STM32F1_MODEL_CR_STRT;
    m->sr = (m->sr & ~STM32F1_MODEL_SR_BSY) | STM32F1_MODEL_SR_EOP;
    m->op = STM32F1_MODEL_OP_NONE;
    m->busy_left = 0;
}

static void start(int op, uint32_t addr, uint16_t value, uint32_t busy_reads)
{
    m->op = op;
    m->op_addr = addr;
    m->op_value = value;
    m->sr |= STM32F1_MODEL_SR_BSY;
    m->busy_left = busy_reads;
    if (busy_reads == 0)
        finish();
}

/* The CPU waits on a flash access until the controller is done. */
static void stall(void)
{
    if (busy()) {
        m->n.stalls++;
        finish();
    }
}

static void skip(uint32_t flag)
{
    m->sr |= flag;
    if (flag == STM32F1_MODEL_SR_PGERR)
        m->n.pgerr++;
    else
        m->n.wrprterr++;
}

static void erase_start(void)
{
    uint32_t page;

    if (!in_flash(m->ar, 1) || (m->cr & STM32F1_MODEL_CR_PG) != 0) {
        m->n.unmodelled++;
        return;
    }
    page = m->ar - offset(m->ar) % m->page_size;
    if (stm32f1_model_protected(page)) {
        skip(STM32F1_MODEL_SR_WRPRTERR);
        return;
    }
    m->cr |= STM32F1_MODEL_CR_STRT;
    start(STM32F1_MODEL_OP_ERASE, page, 0, m->erase_busy_reads);
}

/* ---- registers ---- */

static void key_write(uint32_t addr, uint32_t value)
{
    m->n.key_writes++;
    if (!m->keys_dead && (m->cr & STM32F1_MODEL_CR_LOCK) != 0) {
        if (m->keys_seen == 0 && value == STM32F1_MODEL_KEY1) {
            m->keys_seen = 1;
            return;
        }
        if (m->keys_seen == 1 && value == STM32F1_MODEL_KEY2) {
            m->keys_seen = 0;
            m->cr &= ~STM32F1_MODEL_CR_LOCK;
            return;
        }
    }
    /* A wrong sequence: locked until reset, and a hard fault on the chip. */
    m->keys_dead = 1;
    m->keys_seen = 0;
    m->cr |= STM32F1_MODEL_CR_LOCK;
    bus_error(addr);
}

static void cr_write(uint32_t value)
{
    int strt = (value & STM32F1_MODEL_CR_STRT) != 0 &&
               (m->cr & STM32F1_MODEL_CR_STRT) == 0;

    if ((m->cr & STM32F1_MODEL_CR_LOCK) != 0) {
        m->n.cr_ignored++;
        return;
    }
    if (busy())
        m->n.busy_writes++;
    m->n.cr_writes++;
    m->cr = (m->cr & STM32F1_MODEL_CR_STRT) | (value & CR_WRITABLE);
    if ((value & STM32F1_MODEL_CR_LOCK) != 0) {
        m->cr |= STM32F1_MODEL_CR_LOCK;
        m->keys_seen = 0;
    }
    if (strt && (m->cr & STM32F1_MODEL_CR_PER) != 0)
        erase_start();
    else if (strt)
        m->n.unmodelled++;
}

static uint32_t sr_read(void)
{
    m->n.sr_reads++;
    if (busy()) {
        if (m->busy_left > 0)
            m->busy_left--;
        else
            finish();
    }
    return m->sr | (m->stuck_sr & ~STM32F1_MODEL_SR_BSY);
}

uint32_t stm32f1_model_reg_read(uint32_t addr)
{
    switch (addr) {
    case STM32F1_MODEL_ACR:
    case STM32F1_MODEL_KEYR:
    case STM32F1_MODEL_OPTKEYR:
        return 0;
    case STM32F1_MODEL_SR:
        return sr_read();
    case STM32F1_MODEL_CR:
        return m->cr;
    case STM32F1_MODEL_AR:
        return m->ar;
    case STM32F1_MODEL_OBR:
        return OBR_RESET;
    case STM32F1_MODEL_WRPR:
        return m->wrpr;
    default:
        bus_error(addr);
        return 0;
    }
}

void stm32f1_model_reg_write(uint32_t addr, uint32_t value)
{
    switch (addr) {
    case STM32F1_MODEL_KEYR:
        key_write(addr, value);
        break;
    case STM32F1_MODEL_SR:
        m->sr &= ~(value & SR_FLAGS);
        break;
    case STM32F1_MODEL_CR:
        cr_write(value);
        break;
    case STM32F1_MODEL_AR:
        if (busy())
            m->n.busy_writes++;
        m->ar = value;
        break;
    case STM32F1_MODEL_ACR:
    case STM32F1_MODEL_OPTKEYR:
    case STM32F1_MODEL_OBR:
    case STM32F1_MODEL_WRPR:
        break; /* latency, option bytes: not modelled; read-only */
    default:
        bus_error(addr);
    }
}

/* ---- the flash array ---- */

uint16_t stm32f1_model_read16(uint32_t addr)
{
    uint32_t off = offset(addr);

    stall();
    if (!in_flash(addr, 2)) {
        bus_error(addr);
        return 0;
    }
    return (uint16_t)(m->mem[off] | m->mem[off + 1] << 8);
}

void stm32f1_model_read(uint32_t addr, void *buf, uint32_t len)
{
    stall();
    if (!in_flash(addr, len)) {
        bus_error(addr);
        memset(buf, 0, len);
        return;
    }
    memcpy(buf, &m->mem[offset(addr)], len);
}

/* PG gates programming, not LOCK: a store with PG still set programs even
 * after LOCK, which is why a driver clears PG before it locks. */
void stm32f1_model_write16(uint32_t addr, uint16_t value)
{
    stall();
    if (!in_flash(addr, 2) || (addr & 1u) != 0 || (m->cr & STM32F1_MODEL_CR_PG) == 0) {
        bus_error(addr);
        return;
    }
    if ((m->cr & STM32F1_MODEL_CR_PER) != 0) {
        m->n.unmodelled++;
        return;
    }
    if (stm32f1_model_protected(addr)) {
        skip(STM32F1_MODEL_SR_WRPRTERR);
        return;
    }
    if (stm32f1_model_read16(addr) != 0xFFFFu && value != 0x0000u) {
        skip(STM32F1_MODEL_SR_PGERR);
        return;
    }
    start(STM32F1_MODEL_OP_PROG, addr, value, m->prog_busy_reads);
}

void stm32f1_model_write8(uint32_t addr, uint8_t value)
{
    (void)value;
    stall();
    bus_error(addr);
}

void stm32f1_model_write32(uint32_t addr, uint32_t value)
{
    (void)value;
    stall();
    bus_error(addr);
}

/* ---- life cycle ---- */

void stm32f1_model_reset(void)
{
    if (busy())
        finish();
    m->sr = 0;
    m->cr = STM32F1_MODEL_CR_LOCK;
    m->ar = 0;
    m->wrpr = m->wrp_option;
    m->keys_seen = 0;
    m->keys_dead = 0;
}

int stm32f1_model_init(uint32_t size, uint32_t page_size)
{
    if ((page_size != 1024u && page_size != 2048u) || size == 0 ||
        size % page_size != 0 || size > STM32F1_MODEL_MAX_SIZE)
        return -1;
    memset(m, 0, sizeof *m);
    m->size = size;
    m->page_size = page_size;
    memset(m->mem, 0xFF, size);
    m->wrp_option = 0xFFFFFFFFu;
    m->prog_busy_reads = 2;
    m->erase_busy_reads = 20;
    stm32f1_model_reset();
    return 0;
}
