/*
 * The STM32F103 high-density internal flash as a struct fota_flash: 512 KiB
 * at 0x08000000, 2 KiB pages, half-word programming (RM0008 section 3).
 */
#ifndef STM32F1_FLASH_H
#define STM32F1_FLASH_H

#include "fota/flash.h"

extern const struct fota_flash stm32f1_flash;

#endif
