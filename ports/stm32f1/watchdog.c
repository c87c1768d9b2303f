#include "watchdog.h"

#include "regs.h"

#define LSI_TICKS_PER_MS 40u
#define IWDG_RELOAD_MAX 4096u /* 12-bit reload register, + 1 */
#define IWDG_PR_MAX 6u        /* divider 4 << 6 = 256 */

/* Polls of the update flags before going on: an update takes a few LSI
 * periods times the prescaler, under 50 ms; the write completes anyway
 * (RM0008: waiting is only needed before changing the value again). */
#define IWDG_WAIT_POLLS 500000u

void watchdog_start(uint32_t timeout_ms)
{
    uint32_t ticks, pr = 0, reload, i;

    if (timeout_ms == 0)
        timeout_ms = 1;
    if (timeout_ms > WATCHDOG_MAX_MS)
        timeout_ms = WATCHDOG_MAX_MS;
    ticks = timeout_ms * LSI_TICKS_PER_MS;
    while (pr < IWDG_PR_MAX && ticks > IWDG_RELOAD_MAX * (4u << pr))
        pr++;
    reload = ticks / (4u << pr);
    if (reload == 0)
        reload = 1;
    if (reload > IWDG_RELOAD_MAX)
        reload = IWDG_RELOAD_MAX;

    IWDG_KR = IWDG_KEY_START; /* also starts the LSI */
    for (i = 0; i < IWDG_WAIT_POLLS && (IWDG_SR & (IWDG_SR_PVU | IWDG_SR_RVU)) != 0; i++)
        ;
    IWDG_KR = IWDG_KEY_ACCESS;
    IWDG_PR = pr;
    IWDG_RLR = reload - 1u;
    for (i = 0; i < IWDG_WAIT_POLLS && (IWDG_SR & (IWDG_SR_PVU | IWDG_SR_RVU)) != 0; i++)
        ;
    IWDG_KR = IWDG_KEY_RELOAD;
}

void watchdog_feed(void)
{
    IWDG_KR = IWDG_KEY_RELOAD;
}
