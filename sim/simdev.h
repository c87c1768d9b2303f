/*
 * A simulated device: the flash of an STM32F103ZE or ZG kept in a file, with
 * the device core's bootloader logic run on it. The file is the whole
 * device: its bootloader area holds the public key the real bootloader has
 * built in, the state pages, and the two slots. Its size says the model.
 */
#ifndef FOTA_SIM_SIMDEV_H
#define FOTA_SIM_SIMDEV_H

#include <stdint.h>

#include "fota/agent.h"
#include "fota/boot.h"
#include "fota/posix_flash.h"

/* A part fota-sim models: its flash, the core's layout for it and what its
 * agent announces. */
struct simdev_model {
    const char *name; /* on the command line: "f103ze" */
    const char *part; /* in HELLO (its model field) and status: "STM32F103ZE" */
    const struct fota_posix_flash_geometry *geometry; /* its size tells the models apart */
    const struct fota_boot_layout *layout;
    uint32_t progress_addr; /* the agent's progress page */
};

/* The models, the default (f103ze) first. */
#define SIMDEV_MODELS 2u
extern const struct simdev_model simdev_models[SIMDEV_MODELS];

/* The model called name, or NULL. */
const struct simdev_model *simdev_model_find(const char *name);

/* The largest image a slot of any model takes, in bytes. */
uint32_t simdev_slot_max(void);

struct simdev {
    const struct simdev_model *model;
    struct fota_posix_flash flash;
    struct fota_boot_config boot;
    uint8_t public_key[FOTA_ED25519_PUBLIC_KEY_SIZE];
    uint8_t buf[2048]; /* the bootloader's page buffer */
};

/* The demo application's part of a device: the agent and its buffers. By
 * default it announces what the STM32 port does: 8 DATA frames of 512 image
 * bytes in flight; its buffer takes frames of up to 1 KiB of image. */
#define SIMDEV_WINDOW 8u
#define SIMDEV_CHUNK 512u
#define SIMDEV_RX_SIZE (1024u + FOTA_PROTO_DATA_HEAD_SIZE + FOTA_PROTO_OVERHEAD)

/* What the agent announces in HELLO and how it backs off. */
struct simdev_agent_options {
    unsigned window;     /* DATA frames in flight, 1..64; 0: SIMDEV_WINDOW */
    unsigned frame;      /* the largest frame it takes, 256..SIMDEV_RX_SIZE;
                          * 0: SIMDEV_RX_SIZE */
    unsigned chunk;      /* image bytes per DATA frame; 0: SIMDEV_CHUNK, or
                          * the most frame takes if that is less */
    unsigned backoff_ms; /* the first reconnect delay; 0: the agent's default */
};

struct simdev_app {
    struct fota_agent agent;
    struct fota_agent_config cfg;
    uint8_t rx_buf[SIMDEV_RX_SIZE];
    uint8_t tx_buf[FOTA_AGENT_TX_MIN];
    uint8_t scratch[2048];
};

/* DIR/ID.EXT, malloc'd (NULL when out of memory): how a fleet's files are
 * named in SIMDIR (ID.flash, ID.conf). */
char *simdev_path(const char *dir, const char *id, const char *ext);

/* The ids of the devices in dir (each DIR/ID.conf), sorted, malloc'd (free
 * each, then the array). Returns the count, or -1 after printing why. */
long simdev_scan(const char *dir, char ***ids);

/* Creates a device file of model m (NULL: the default): erased flash, the
 * public key in the bootloader area and the image written to the primary
 * slot, as a factory programmer would. The image is not checked here: the
 * bootloader checks it at the first boot. Returns 0 or -1 after printing
 * why. */
int simdev_create(const char *path, const struct simdev_model *m,
                  const uint8_t pub[FOTA_ED25519_PUBLIC_KEY_SIZE], const uint8_t *image,
                  uint32_t image_size);

/* Opens an existing device file; its size gives dev->model (a size no model
 * has is an error naming the sizes). Returns 0 or -1 after printing why. */
int simdev_open(struct simdev *dev, const char *path);
void simdev_close(struct simdev *dev);

/* A reset: the bootloader core decides, and one line says what it did.
 * Returns 0 when an image runs, 3 when the bootloader stays (no valid
 * image), 1 on a flash error (printed). */
int simdev_reset(struct simdev *dev);

/* Power on, as the device lives it: the bootloader core decides (res says
 * what it did); when it starts an image on trial, the image confirms itself
 * (*confirmed set to 1, else 0), as the demo application does once it runs.
 * With res->record.action FOTA_BOOT_ACTION_RECOVERY no image runs: the
 * device's recovery loader runs the same agent as the application does
 * (simdev_app_start). Returns 0, or a fota_err with *stage naming the step
 * that failed ("bootloader", "reading the boot state", "confirming"). */
int simdev_power_on(struct simdev *dev, struct fota_boot_result *res, int *confirmed,
                    const char **stage);

/* Starts the application's agent for device id with its secret, announcing
 * and backing off as o says. Returns 0 or a fota_err (FOTA_E_INVAL for
 * options out of range). */
int simdev_app_start(struct simdev *dev, struct simdev_app *app, const char *id,
                     const uint8_t *secret, const struct simdev_agent_options *o);

/* Image bytes in flight that o grants: window x chunk. */
unsigned simdev_window_bytes(const struct simdev_agent_options *o);

/* Writes image into the secondary slot page by page, then marks it pending,
 * as the agent does once a download is complete and verified. */
int simdev_stage(struct simdev *dev, const uint8_t *image, uint32_t image_size);

/* Reads the header of the image at addr into hdr; 0 or a fota_err. */
int simdev_slot_header(struct simdev *dev, uint32_t addr, struct fota_image_header *hdr);

/* Verifies the image in the primary slot with the bootloader's key, as the
 * bootloader does, using scratch (at least a page); fills hdr. Returns 0 or
 * a fota_err. */
int simdev_primary_verify(struct simdev *dev, uint8_t *scratch, uint32_t scratch_size,
                          struct fota_image_header *hdr);

/* "1.2.3+4" into out (at least 32 bytes). */
void simdev_version_str(char *out, const struct fota_version *v);

/* One line saying what a boot record means, e.g. "reverted 2.0.0+0: not
 * confirmed", into out (at least 128 bytes). */
void simdev_record_str(char *out, const struct fota_boot_record *rec);

#endif
