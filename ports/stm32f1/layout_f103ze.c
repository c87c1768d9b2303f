/* STM32F103ZE: the layout the core defines for it (include/fota/boot.h). */
#include "layout.h"

#include "fota/agent.h"

const struct fota_boot_layout *const stm32f1_layout = &fota_boot_layout_stm32f103ze;
const uint32_t stm32f1_progress_addr = FOTA_AGENT_PROGRESS_ADDR_STM32F103ZE;
const uint32_t stm32f1_config_addr = 0x08003800u; /* page 7 */
const uint32_t stm32f1_recovery_addr = 0x08077800u; /* pages 239-254 */
const uint32_t stm32f1_recovery_size = 16u * 2048u;
