/*
 * The board a build is for. build.sh links one layout_<board>.c and gives
 * flash.c the board's flash geometry (-DSTM32F1_PAGE_SIZE,
 * -DSTM32F1_FLASH_SIZE); docs/flash-layout.md has the maps.
 *
 *   layout_f103ze.c  the product, STM32F103ZE: 512 KiB, 2 KiB pages
 *   layout_f100.c    QEMU's stm32vldiscovery, STM32F100RB: 128 KiB, 1 KiB pages
 */
#ifndef STM32F1_LAYOUT_H
#define STM32F1_LAYOUT_H

#include <stdint.h>

#include "fota/boot.h"

/* State pages and slots, for struct fota_boot_config. */
extern const struct fota_boot_layout *const stm32f1_layout;

/* The download agent's progress log: one page outside the layout. */
extern const uint32_t stm32f1_progress_addr;

/* The device configuration page: the last page of the bootloader's area,
 * which the bootloader's link region leaves out. */
extern const uint32_t stm32f1_config_addr;

/* The recovery loader's area (fota-recovery), which the bootloader starts
 * when no slot holds a valid image; 0 when the board has none. */
extern const uint32_t stm32f1_recovery_addr;
extern const uint32_t stm32f1_recovery_size;

#endif
