/*
 * A register-level model of the STM32F1 flash program/erase controller (FPEC)
 * and its flash array, written from RM0008 section 3 and PM0075, so that
 * ports/stm32f1/flash.c runs on the host: built with -DSTM32F1_FLASH_MODEL,
 * the driver's accessors (ports/stm32f1/flash_hw.h) call the
 * stm32f1_model_reg_read/write, _read16/_write16 and _read functions defined
 * here. The register numbers below come from the manuals, not from regs.h, so
 * a wrong address or bit there fails the tests.
 *
 * What the model does:
 *
 * - Reset: LOCK set in FLASH_CR, FLASH_SR clear, FLASH_WRPR loaded from the
 *   write-protection option bytes (wrp_option). Flash contents survive it.
 * - Unlock: KEY1 then KEY2 written to FLASH_KEYR clears LOCK. Any other key
 *   write (a wrong value, KEY2 first, KEY1 twice, a key while unlocked) is a
 *   wrong sequence: the chip raises a bus error (a hard fault) and keeps the
 *   FPEC locked until the next reset. Here: bus_errors counts it, and every
 *   later key write is another bus error that unlocks nothing.
 * - While LOCK is set, FLASH_CR writes are ignored. Writing LOCK = 1 locks;
 *   LOCK cannot be cleared by writing 0.
 * - Program: with PG set, a half-word store to flash starts programming. A
 *   write-protected page: skipped, WRPRTERR. A location that does not read
 *   0xFFFF: skipped, PGERR, except that 0x0000 is always programmed (the
 *   manual's one exception). Otherwise BSY reads set for prog_busy_reads
 *   reads of FLASH_SR, then the half-word lands and EOP is set. Byte and word
 *   stores to flash, odd addresses, and any store without PG are bus errors
 *   that change nothing.
 * - Erase: with PER set, FLASH_AR holding an address in a page, setting STRT
 *   erases that page: BSY for erase_busy_reads reads, then 0xFF and EOP, STRT
 *   cleared. A write-protected page: skipped, WRPRTERR. STRT without PER
 *   (mass erase, option bytes) or with FLASH_AR outside the flash is not
 *   modelled: counted in unmodelled, nothing happens. Nor is PG together
 *   with PER, which the manual leaves undefined: a store or STRT then does
 *   nothing but count.
 * - EOP, PGERR and WRPRTERR clear when 1 is written to them.
 * - FLASH_WRPR: a 0 bit protects. Bit n guards the 4 KiB at 4n KiB (4 pages
 *   of 1 KiB on low and medium density, 2 pages of 2 KiB on high density);
 *   bit 31 guards everything from 124 KiB to the end.
 * - A flash access while BSY is set stalls the CPU until the operation ends:
 *   the model finishes it first and counts a stall.
 *
 * Faults to inject: prog_busy_reads / erase_busy_reads (how long BSY lasts)
 * and stuck_sr (FLASH_SR bits that read as set and never clear; BSY cannot be
 * stuck, that would hang any driver).
 *
 * One model per process (the driver's accessors have no context): the global
 * stm32f1_model.
 */
#ifndef STM32F1_FLASH_MODEL_H
#define STM32F1_FLASH_MODEL_H

#include <stdint.h>

#ifndef STM32F1_FLASH_MODEL
#error "build the model and the driver with -DSTM32F1_FLASH_MODEL"
#endif
/* Declares the accesses the driver makes, which tests make too:
 * stm32f1_model_reg_read/_reg_write, _read16/_write16, _read. */
#include "flash_hw.h"

/* The FPEC registers (RM0008 3.4, PM0075 3.1) at 0x40022000 + offset. */
#define STM32F1_MODEL_FPEC 0x40022000u
#define STM32F1_MODEL_ACR (STM32F1_MODEL_FPEC + 0x00u)
#define STM32F1_MODEL_KEYR (STM32F1_MODEL_FPEC + 0x04u)
#define STM32F1_MODEL_OPTKEYR (STM32F1_MODEL_FPEC + 0x08u)
#define STM32F1_MODEL_SR (STM32F1_MODEL_FPEC + 0x0Cu)
#define STM32F1_MODEL_CR (STM32F1_MODEL_FPEC + 0x10u)
#define STM32F1_MODEL_AR (STM32F1_MODEL_FPEC + 0x14u)
#define STM32F1_MODEL_OBR (STM32F1_MODEL_FPEC + 0x1Cu)
#define STM32F1_MODEL_WRPR (STM32F1_MODEL_FPEC + 0x20u)

#define STM32F1_MODEL_KEY1 0x45670123u
#define STM32F1_MODEL_KEY2 0xCDEF89ABu

#define STM32F1_MODEL_SR_BSY 0x01u
#define STM32F1_MODEL_SR_PGERR 0x04u
#define STM32F1_MODEL_SR_WRPRTERR 0x10u
#define STM32F1_MODEL_SR_EOP 0x20u

#define STM32F1_MODEL_CR_PG 0x0001u
#define STM32F1_MODEL_CR_PER 0x0002u
#define STM32F1_MODEL_CR_MER 0x0004u
#define STM32F1_MODEL_CR_STRT 0x0040u
#define STM32F1_MODEL_CR_LOCK 0x0080u

#define STM32F1_MODEL_BASE 0x08000000u
#define STM32F1_MODEL_MAX_SIZE (512u * 1024u)
/* The flash each FLASH_WRPR bit guards, but bit 31 which guards the rest. */
#define STM32F1_MODEL_WRP_UNIT 4096u

/* What happened since stm32f1_model_init(); a reset keeps the counts. */
struct stm32f1_model_counts {
    uint32_t key_writes;    /* FLASH_KEYR writes, good or bad */
    uint32_t cr_writes;     /* FLASH_CR writes that took effect */
    uint32_t cr_ignored;    /* FLASH_CR writes ignored because LOCK was set */
    uint32_t sr_reads;      /* FLASH_SR reads */
    uint32_t programs;      /* half-words programmed */
    uint32_t erases;        /* pages erased */
    uint32_t pgerr;         /* programs skipped with PGERR */
    uint32_t wrprterr;      /* programs or erases skipped with WRPRTERR */
    uint32_t bus_errors;    /* accesses the chip answers with a bus error */
    uint32_t stalls;        /* flash accesses made while BSY was set */
    uint32_t busy_writes;   /* FLASH_CR or FLASH_AR written while BSY was set */
    uint32_t unmodelled;    /* operations the model does not define */
};

struct stm32f1_model {
    /* Geometry, set by stm32f1_model_init(). */
    uint32_t size;      /* bytes of flash at STM32F1_MODEL_BASE */
    uint32_t page_size; /* erase unit: 1024 or 2048 */

    /* Option bytes and injected faults: set them, then reset to apply
     * wrp_option; the busy counts and stuck_sr act at once. */
    uint32_t wrp_option;       /* FLASH_WRPR after reset; 0xFFFFFFFF: none */
    uint32_t prog_busy_reads;  /* FLASH_SR reads that see BSY per program */
    uint32_t erase_busy_reads; /* ... per page erase */
    uint32_t stuck_sr;         /* FLASH_SR bits stuck at 1 (BSY excluded) */

    /* Registers. */
    uint32_t sr, cr, ar, wrpr;
    int keys_seen;  /* 0: none, 1: KEY1 seen */
    int keys_dead;  /* a wrong key sequence since reset */

    /* The operation in progress while BSY is set. */
    uint32_t busy_left;
    int op;         /* STM32F1_MODEL_OP_* */
    uint32_t op_addr;
    uint16_t op_value;

    uint32_t last_bus_error; /* address of the latest bus error */
    struct stm32f1_model_counts n;
    uint8_t mem[STM32F1_MODEL_MAX_SIZE];
};

enum { STM32F1_MODEL_OP_NONE, STM32F1_MODEL_OP_PROG, STM32F1_MODEL_OP_ERASE };

extern struct stm32f1_model stm32f1_model;

/* A new chip: size bytes in pages of page_size, all erased, no write
 * protection, BSY for 2 reads per program and 20 per erase, no stuck bits,
 * counts zero, then a reset. Returns 0, or -1 for a geometry the STM32F1
 * does not have (page not 1024 or 2048, size not whole pages or too big). */
int stm32f1_model_init(uint32_t size, uint32_t page_size);

/* A system reset: registers to their reset values, LOCK set, the key
 * sequence forgotten (a locked-out FPEC can be unlocked again), FLASH_WRPR
 * from wrp_option, any operation in progress finished. Flash contents and
 * counts stay. */
void stm32f1_model_reset(void);

/* Byte and word CPU stores into flash (the driver never makes them). */
void stm32f1_model_write8(uint32_t addr, uint8_t value);
void stm32f1_model_write32(uint32_t addr, uint32_t value);

/* Is the page holding addr write-protected by FLASH_WRPR? */
int stm32f1_model_protected(uint32_t addr);

#endif
