/*
 * The STM32F1 internal flash as a struct fota_flash: half-word programming,
 * page erase, through the flash program/erase controller (FPEC, RM0008
 * section 3; PM0075).
 *
 * The geometry is a build-time choice, a -D on the compiler's command line:
 *
 *   STM32F1_FLASH_SIZE  bytes of main flash; default 512 KiB (STM32F103ZE)
 *   STM32F1_PAGE_SIZE   erase page in bytes; default 2048 (high density and
 *                       connectivity line); 1024 on low and medium density
 *                       parts, e.g. the STM32F100 (128 KiB) with
 *                       -DSTM32F1_FLASH_SIZE=131072u -DSTM32F1_PAGE_SIZE=1024u
 *
 * Every call leaves the FPEC locked with PG and PER clear. prog returns
 * FOTA_E_NOT_ERASED when the controller refuses a half-word that is not
 * erased (PGERR; it stops there, the half-words before it are programmed).
 * prog and erase return FOTA_E_IO when the page is write-protected
 * (WRPRTERR), the FPEC cannot be unlocked (a wrong key sequence since the
 * last reset), an error flag will not clear, or a half-word reads back
 * wrong. Arguments out of the flash or misaligned give FOTA_E_INVAL before
 * any register is touched.
 */
#ifndef STM32F1_FLASH_H
#define STM32F1_FLASH_H

#include "fota/flash.h"

#define STM32F1_FLASH_BASE 0x08000000u
#ifndef STM32F1_FLASH_SIZE
#define STM32F1_FLASH_SIZE (512u * 1024u)
#endif
#ifndef STM32F1_PAGE_SIZE
#define STM32F1_PAGE_SIZE 2048u
#endif

extern const struct fota_flash stm32f1_flash;

#endif
