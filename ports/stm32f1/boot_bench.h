/*
 * Timing of the signature check for the bootloader built for QEMU
 * (-DSTM32F1_BOOT_BENCH): see boot_bench.c.
 */
#ifndef STM32F1_BOOT_BENCH_H
#define STM32F1_BOOT_BENCH_H

#include "fota/boot.h"

/* Times the checks of the primary slot and prints the SysTick counts. */
void boot_bench(const struct fota_boot_config *cfg);

#endif
