/*
 * Clock tree bring-up, per RM0008 7.2 and 7.3: start the source, wait for
 * its ready flag, program the PLL while it is off, start it and wait for the
 * lock, raise the flash wait states (FLASH_ACR LATENCY: 0 up to 24 MHz, 1 up
 * to 48, 2 up to 72) before switching SYSCLK to the PLL, and read SWS back
 * to see that the switch happened.
 */
#include "clock.h"

#include "regs.h"

#ifndef STM32F1_SYSCLK_MAX_HZ
#define STM32F1_SYSCLK_MAX_HZ 72000000u
#endif
#ifndef STM32F1_HSE_HZ
#define STM32F1_HSE_HZ 8000000u
#endif

#define HSI_HZ 8000000u
#define APB1_MAX_HZ 36000000u
#define PLL_MUL_MAX 16u

/* Polls of a ready flag before giving up. A poll is a few cycles at the
 * 8 MHz HSI, so this is some 100 ms: far more than an 8 MHz crystal needs to
 * start (2 ms typical, datasheet tSU(HSE)) or the PLL to lock (200 us). */
#define CLOCK_WAIT_POLLS 200000u

static uint32_t sysclk_hz = HSI_HZ;
static uint32_t pclk1_hz = HSI_HZ;
static uint32_t tick_reload;
static volatile uint32_t tick_ms;

void SysTick_Handler(void);

/* 1 once (*reg & mask) == want, 0 when it never came. */
static int clock_wait(const volatile uint32_t *reg, uint32_t mask, uint32_t want)
{
    uint32_t i;

    for (i = 0; i < CLOCK_WAIT_POLLS; i++) {
        if ((*reg & mask) == want)
            return 1;
    }
    return 0;
}

static uint32_t flash_latency(uint32_t hz)
{
    if (hz <= 24000000u)
        return 0;
    return hz <= 48000000u ? 1u : 2u;
}

static void flash_latency_set(uint32_t hz)
{
    FLASH_ACR = (FLASH_ACR & ~FLASH_ACR_LATENCY_MASK) | flash_latency(hz);
}

/* Tries SYSCLK = PLL from the HSE (hse = 1) or from HSI/2. Returns 1 on
 * success; on failure leaves the HSI running SYSCLK and the PLL off. */
static int clock_pll_start(int hse)
{
    uint32_t in_hz = hse ? STM32F1_HSE_HZ : HSI_HZ / 2u;
    uint32_t mul = STM32F1_SYSCLK_MAX_HZ / in_hz;
    uint32_t hz, cfgr;

    if (mul > PLL_MUL_MAX)
        mul = PLL_MUL_MAX;
    hz = in_hz * mul;
    if (hse) {
        RCC_CR |= RCC_CR_HSEON;
        if (!clock_wait(&RCC_CR, RCC_CR_HSERDY, RCC_CR_HSERDY)) {
            RCC_CR &= ~RCC_CR_HSEON;
            return 0;
        }
    }
    cfgr = RCC_CFGR_PLLMUL(mul) | (hse ? RCC_CFGR_PLLSRC_HSE : 0u);
    if (hz > APB1_MAX_HZ)
        cfgr |= RCC_CFGR_PPRE1_DIV2;
    RCC_CFGR = cfgr; /* SW = HSI still */
    RCC_CR |= RCC_CR_PLLON;
    if (clock_wait(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY)) {
        flash_latency_set(hz);
        RCC_CFGR = cfgr | RCC_CFGR_SW_PLL;
        if (clock_wait(&RCC_CFGR, RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL)) {
            sysclk_hz = hz;
            pclk1_hz = hz > APB1_MAX_HZ ? hz / 2u : hz;
            return 1;
        }
    }
    clock_deinit();
    return 0;
}

void clock_init(void)
{
    clock_deinit();
    if (!clock_pll_start(1))
        (void)clock_pll_start(0);
}

void clock_deinit(void)
{
    SYST_CSR = 0;
    SCB_ICSR = SCB_ICSR_PENDSTCLR;
    RCC_CR |= RCC_CR_HSION;
    RCC_CFGR &= ~RCC_CFGR_SW_MASK;
    (void)clock_wait(&RCC_CFGR, RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_HSI);
    RCC_CR &= ~(RCC_CR_PLLON | RCC_CR_HSEON);
    RCC_CFGR = 0;
    flash_latency_set(HSI_HZ);
    sysclk_hz = HSI_HZ;
    pclk1_hz = HSI_HZ;
}

uint32_t clock_hz(void)
{
    return sysclk_hz;
}

uint32_t clock_pclk1_hz(void)
{
    return pclk1_hz;
}

uint32_t clock_pclk2_hz(void)
{
    return sysclk_hz; /* APB2 is never divided: 72 MHz is its limit too */
}

void clock_tick_start(void)
{
    tick_reload = sysclk_hz / 1000u - 1u;
    tick_ms = 0;
    SYST_RVR = tick_reload;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

void SysTick_Handler(void)
{
    tick_ms++;
}

uint32_t clock_ms(void)
{
    return tick_ms;
}

uint32_t clock_cycles(void)
{
    uint32_t ms, val;

    /* The counter runs down and reloads as the interrupt counts the
     * millisecond: read until no tick came in between. */
    do {
        ms = tick_ms;
        val = SYST_CVR;
    } while (ms != tick_ms);
    return ms * (tick_reload + 1u) + (tick_reload - val);
}

void clock_delay_ms(uint32_t ms)
{
    uint32_t start = tick_ms;

    while (tick_ms - start < ms)
        ;
}
