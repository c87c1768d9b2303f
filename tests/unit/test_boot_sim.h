/*
 * A device on the host for the boot tests and the power-cut sweep: the flash
 * model in memory, a boot config over it, a signing key, and helpers that
 * program images the way the factory (untraced) or the agent (through the
 * flash ops, so cuts can hit it) would.
 */
#ifndef TEST_BOOT_SIM_H
#define TEST_BOOT_SIM_H

#include <stdint.h>

#include "fota/boot.h"
#include "fota/posix_flash.h"
#include "test_images.h"

/* The small layout: 256-byte pages (8 snapshots per state page, so the log
 * changes pages every few writes), bootloader pages 0-1, state pages 2-3,
 * primary pages 4-12, secondary pages 13-20, pages 21-31 unused. */
#define BOOT_SIM_SMALL_HEADER 128u
extern const struct fota_posix_flash_geometry boot_sim_small_geometry;
extern const struct fota_boot_layout boot_sim_small_layout;

struct boot_sim_image {
    uint8_t *bytes;
    uint32_t size;
    struct fota_version version;
    uint32_t counter;
};

struct boot_sim {
    struct fota_posix_flash flash;
    struct fota_boot_config cfg;
    struct test_key key;
    uint8_t *buf;
};

void boot_sim_open(struct boot_sim *sim, const struct fota_posix_flash_geometry *geo,
                   const struct fota_boot_layout *layout, uint32_t buf_size);
void boot_sim_close(struct boot_sim *sim);

/* A signed image linked for sim's primary; seed makes its payload bytes
 * differ from every other image's. */
void boot_sim_image_make(const struct boot_sim *sim, struct boot_sim_image *img,
                         uint8_t major, uint32_t counter, uint32_t payload_size,
                         uint16_t header_size, uint8_t seed);
/* The same with a load address of the caller's choice. */
void boot_sim_image_make_at(const struct boot_sim *sim, struct boot_sim_image *img,
                            uint8_t major, uint32_t counter, uint32_t payload_size,
                            uint16_t header_size, uint8_t seed, uint32_t load_address);
void boot_sim_image_copy(struct boot_sim_image *dst, const struct boot_sim_image *src);
void boot_sim_image_free(struct boot_sim_image *img);

/* Factory programming: img (NULL: nothing) at the start of the slot, the
 * rest of its pages erased, straight into memory: no operation counted. */
void boot_sim_factory(struct boot_sim *sim, uint32_t slot_addr, uint32_t slot_pages,
                      const struct boot_sim_image *img);

/* The agent's download into the secondary through the flash ops: erases the
 * pages the image needs, then programs it page by page. */
int boot_sim_download(struct boot_sim *sim, const struct boot_sim_image *img);

/* 1 when the flash at addr holds exactly img's bytes. */
int boot_sim_holds(const struct boot_sim *sim, uint32_t addr, const struct boot_sim_image *img);

/* Index of the page holding addr, for the erase counts. */
uint32_t boot_sim_page(const struct boot_sim *sim, uint32_t addr);

#endif
