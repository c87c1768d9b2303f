/*
 * STM32F100RB, QEMU's stm32vldiscovery: 128 pages of 1 KiB at 0x08000000.
 * The bootloader keeps 16 KiB, as on the product; the slots share what is
 * left, less the recovery loader's area and the progress log's page
 * (docs/flash-layout.md, "STM32F100RB").
 *
 *   pages   0-14   bootloader (15 KiB linked)    0x08000000
 *   page   15      device configuration          0x08003C00
 *   pages  16-17   state log                     0x08004000
 *   pages  18-59   primary slot, 41 + spare      0x08004800
 *   pages  60-100  secondary slot, 41            0x0800F000
 *   pages 101-126  the recovery loader, 26 KiB   0x08019400
 *   page  127      the agent's progress log      0x0801FC00
 *
 * An application is linked at 0x08004A00, 512-byte aligned for VTOR.
 */
#include "layout.h"

static const struct fota_boot_layout layout_f100 = {
    .state_addr = 0x08004000u,
    .primary_addr = 0x08004800u,
    .primary_pages = 42u,
    .secondary_addr = 0x0800F000u,
    .secondary_pages = 41u,
};

const struct fota_boot_layout *const stm32f1_layout = &layout_f100;
const uint32_t stm32f1_progress_addr = 0x0801FC00u;
const uint32_t stm32f1_config_addr = 0x08003C00u;
const uint32_t stm32f1_recovery_addr = 0x08019400u;
const uint32_t stm32f1_recovery_size = 26u * 1024u;
