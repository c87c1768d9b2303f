/*
 * Host flash model: a file-backed (or memory-backed) NOR flash with the
 * geometry of a real part, for the simulator and the tests.
 *
 * It enforces what the STM32F1 flash controller does: a program of a write
 * unit that is not erased fails and leaves it unchanged (PGERR; the one
 * exception the reference manual gives, programming 0x0000, succeeds), erase
 * works on whole pages. It counts erases per page and operations, and can cut
 * the power at the N-th erase or program call:
 *   - a cut erase leaves the page an unspecified mix of old bytes and the
 *     erased value;
 *   - a cut program completes the first `units` write units of the call, and
 *     leaves the next one with any subset of the bits it was clearing cleared.
 * From the cut on the flash is "off": every call fails with FOTA_E_IO until
 * fota_posix_flash_power_on(), which is the simulated reset.
 * The partial effects come from a seeded generator, so a run is repeatable.
 */
#ifndef FOTA_POSIX_FLASH_H
#define FOTA_POSIX_FLASH_H

#include <stdint.h>

#include "fota/flash.h"

enum fota_posix_flash_op {
    FOTA_POSIX_FLASH_ERASE = 1,
    FOTA_POSIX_FLASH_PROG = 2,
};

/* Called for every erase or program call, before it takes effect; for the
 * sweeps, which record what each operation was. */
typedef void (*fota_posix_flash_trace_fn)(void *arg, uint64_t op,
                                          enum fota_posix_flash_op kind,
                                          uint32_t addr, uint32_t len);

struct fota_posix_flash {
    struct fota_flash flash; /* the ops struct handed to the device core */
    uint8_t *mem;            /* the flash contents (mapped file or heap) */
    int fd;                  /* backing file, or -1 */
    uint32_t *erase_count;   /* erases per page since open */
    uint64_t ops;            /* erase and program calls since open */
    uint64_t cut_at;         /* cut the power at this op number; 0: never */
    uint32_t cut_units;      /* write units a cut program completes */
    uint32_t cut_seed;       /* seeds the partial effect of the cut */
    int off;                 /* the power was cut: every call fails */
    fota_posix_flash_trace_fn trace;
    void *trace_arg;
};

struct fota_posix_flash_geometry {
    uint32_t base;
    uint32_t size;
    uint32_t page_size;
    uint32_t write_size;
    uint8_t erased;
};

/* STM32F103ZE: 512 KiB at 0x08000000, 256 pages of 2 KiB, half-words. */
extern const struct fota_posix_flash_geometry fota_posix_flash_stm32f103ze;
/* STM32F103ZG: 1 MiB at 0x08000000, 512 pages of 2 KiB, half-words. */
extern const struct fota_posix_flash_geometry fota_posix_flash_stm32f103zg;

/* Opens the flash kept in the file at path, creating it erased when it does
 * not exist; a file of another size is an error. path NULL: memory only.
 * Returns 0 or a negative fota_err; errno tells more after FOTA_E_IO. */
int fota_posix_flash_open(struct fota_posix_flash *f, const char *path,
                          const struct fota_posix_flash_geometry *geo);
void fota_posix_flash_close(struct fota_posix_flash *f);

/* Arms a power cut at operation number op (counted like f->ops, so op must
 * be greater than f->ops), completing `units` write units if it is a program,
 * with `seed` choosing the partial bits. */
void fota_posix_flash_cut_at(struct fota_posix_flash *f, uint64_t op,
                             uint32_t units, uint32_t seed);

/* Power back on after a cut: calls work again and no cut is armed. */
void fota_posix_flash_power_on(struct fota_posix_flash *f);

#endif
