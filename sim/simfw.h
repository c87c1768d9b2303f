/*
 * Demo firmware for the simulator: a Cortex-M vector table (initial stack
 * pointer, reset handler inside the image) followed by a banner naming the
 * version and deterministic filler, so two versions differ throughout.
 * The simulator never executes it; the STM32 demo application is the real one.
 */
#ifndef FOTA_SIM_SIMFW_H
#define FOTA_SIM_SIMFW_H

#include <stdint.h>

struct simfw_spec {
    uint8_t major, minor;
    uint16_t patch;
    uint32_t size;         /* bytes; 0: 20 KiB */
    uint32_t load_address; /* 0: the STM32F103ZE application address */
};

/* Parses "X.Y.Z" into spec. Returns 0 or -1. */
int simfw_version_parse(struct simfw_spec *spec, const char *s);

/* Writes the firmware to path. Returns 0 or -1 after printing why. */
int simfw_write(const char *path, const struct simfw_spec *spec);

#endif
