#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "fota/error.h"
#include "simdev.h"

/* Where the simulated bootloader keeps its built-in key: the start of the
 * bootloader area, behind a marker that says the file is a fota-sim device. */
static const char boot_marker[16] = "fota-sim device";
#define BOOT_KEY_OFFSET sizeof(boot_marker)

const struct simdev_model simdev_models[SIMDEV_MODELS] = {
    {"f103ze", "STM32F103ZE", &fota_posix_flash_stm32f103ze, &fota_boot_layout_stm32f103ze,
     FOTA_AGENT_PROGRESS_ADDR_STM32F103ZE},
    {"f103zg", "STM32F103ZG", &fota_posix_flash_stm32f103zg, &fota_boot_layout_stm32f103zg,
     FOTA_AGENT_PROGRESS_ADDR_STM32F103ZG},
};

const struct simdev_model *simdev_model_find(const char *name)
{
    for (unsigned i = 0; i < SIMDEV_MODELS; i++)
        if (strcmp(simdev_models[i].name, name) == 0)
            return &simdev_models[i];
    return NULL;
}

static uint32_t model_slot(const struct simdev_model *m)
{
    return m->layout->secondary_pages * m->geometry->page_size;
}

uint32_t simdev_slot_max(void)
{
    uint32_t most = 0;

    for (unsigned i = 0; i < SIMDEV_MODELS; i++)
        if (model_slot(&simdev_models[i]) > most)
            most = model_slot(&simdev_models[i]);
    return most;
}

/* The model of the device file at path, from its size; NULL after printing
 * why there is none. */
static const struct simdev_model *model_of_file(const char *path)
{
    struct stat st;
    char sizes[128] = "";
    size_t used = 0;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "fota-sim: %s: cannot open the device file: %s\n", path,
                strerror(errno));
        return NULL;
    }
    for (unsigned i = 0; i < SIMDEV_MODELS; i++) {
        const struct simdev_model *m = &simdev_models[i];

        if (S_ISREG(st.st_mode) && st.st_size == (off_t)m->geometry->size)
            return m;
        if (used < sizeof(sizes))
            used += (size_t)snprintf(sizes + used, sizeof(sizes) - used, "%s%u bytes for an %s",
                                     i == 0 ? "" : i + 1 < SIMDEV_MODELS ? ", " : " or ",
                                     (unsigned)m->geometry->size, m->name);
    }
    fprintf(stderr, "fota-sim: %s: %lld bytes, not a device flash file (expected %s)\n", path,
            (long long)st.st_size, sizes);
    return NULL;
}

static void config_init(struct simdev *dev)
{
    dev->boot = (struct fota_boot_config){
        .flash = &dev->flash.flash,
        .layout = *dev->model->layout,
        .public_key = dev->public_key,
        .buf = dev->buf,
        .buf_size = sizeof(dev->buf),
    };
}

/* Erases the pages under [addr, addr + len) and programs data there. */
static int region_write(const struct fota_flash *fl, uint32_t addr, const uint8_t *data,
                        uint32_t len)
{
    uint8_t tail[8];
    uint32_t whole = len - len % fl->write_size;
    int err = 0;

    for (uint32_t page = 0; page < len && err == 0; page += fl->page_size)
        err = fl->erase(fl->ctx, addr + page);
    if (err == 0 && whole)
        err = fl->prog(fl->ctx, addr, data, whole);
    if (err == 0 && whole < len) {
        memset(tail, fl->erased, sizeof(tail));
        memcpy(tail, data + whole, len - whole);
        err = fl->prog(fl->ctx, addr + whole, tail, fl->write_size);
    }
    return err;
}

static uint32_t slot_capacity(const struct fota_flash *fl, uint32_t pages)
{
    return pages * fl->page_size;
}

char *simdev_path(const char *dir, const char *id, const char *ext)
{
    size_t n = strlen(dir) + strlen(id) + strlen(ext) + 2;
    char *p = malloc(n);

    if (p != NULL)
        snprintf(p, n, "%s/%s%s", dir, id, ext);
    return p;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

long simdev_scan(const char *dir, char ***ids)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    char **v = NULL;
    size_t n = 0, cap = 0;

    if (dp == NULL) {
        fprintf(stderr, "fota-sim: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(dp)) != NULL) {
        size_t len = strlen(e->d_name);

        if (len <= 5 || strcmp(e->d_name + len - 5, ".conf") != 0 || e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

            if (nv == NULL)
                break;
            v = nv;
        }
        v[n] = strndup(e->d_name, len - 5);
        if (v[n] != NULL)
            n++;
    }
    closedir(dp);
    qsort(v, n, sizeof(*v), name_cmp);
    *ids = v;
    return (long)n;
}

int simdev_create(const char *path, const struct simdev_model *m,
                  const uint8_t pub[FOTA_ED25519_PUBLIC_KEY_SIZE], const uint8_t *image,
                  uint32_t image_size)
{
    struct fota_posix_flash flash;
    const struct simdev_model *model = m != NULL ? m : &simdev_models[0];
    const struct fota_boot_layout *lay = model->layout;
    uint8_t boot_area[BOOT_KEY_OFFSET + FOTA_ED25519_PUBLIC_KEY_SIZE];
    int err;

    if (remove(path) != 0 && errno != ENOENT) {
        fprintf(stderr, "fota-sim: %s: cannot replace the device file\n", path);
        return -1;
    }
    err = fota_posix_flash_open(&flash, path, model->geometry);
    if (err < 0) {
        fprintf(stderr, "fota-sim: %s: cannot create the device file: %s\n", path,
                fota_strerror(err));
        return -1;
    }
    if (image_size > slot_capacity(&flash.flash, lay->secondary_pages)) {
        fprintf(stderr, "fota-sim: image of %u bytes does not fit the %u-byte slot of the %s\n",
                image_size, slot_capacity(&flash.flash, lay->secondary_pages), model->name);
        fota_posix_flash_close(&flash);
        return -1;
    }
    memcpy(boot_area, boot_marker, BOOT_KEY_OFFSET);
    memcpy(boot_area + BOOT_KEY_OFFSET, pub, FOTA_ED25519_PUBLIC_KEY_SIZE);
    err = region_write(&flash.flash, flash.flash.base, boot_area, sizeof(boot_area));
    if (err == 0)
        err = region_write(&flash.flash, lay->primary_addr, image, image_size);
    fota_posix_flash_close(&flash);
    if (err < 0) {
        fprintf(stderr, "fota-sim: %s: writing the flash failed: %s\n", path,
                fota_strerror(err));
        return -1;
    }
    return 0;
}

int simdev_open(struct simdev *dev, const char *path)
{
    uint8_t marker[BOOT_KEY_OFFSET];
    int err;

    memset(dev, 0, sizeof(*dev));
    dev->model = model_of_file(path);
    if (dev->model == NULL)
        return -1;
    err = fota_posix_flash_open(&dev->flash, path, dev->model->geometry);
    if (err < 0) {
        fprintf(stderr, "fota-sim: %s: cannot open the device file: %s\n", path,
                fota_strerror(err));
        return -1;
    }
    const struct fota_flash *fl = &dev->flash.flash;
    err = fl->read(fl->ctx, fl->base, marker, sizeof(marker));
    if (err == 0)
        err = fl->read(fl->ctx, fl->base + BOOT_KEY_OFFSET, dev->public_key,
                       sizeof(dev->public_key));
    if (err < 0 || memcmp(marker, boot_marker, sizeof(marker)) != 0) {
        fprintf(stderr, "fota-sim: %s: not a fota-sim device file (no bootloader key)\n",
                path);
        simdev_close(dev);
        return -1;
    }
    config_init(dev);
    return 0;
}

void simdev_close(struct simdev *dev)
{
    fota_posix_flash_close(&dev->flash);
}

int simdev_stage(struct simdev *dev, const uint8_t *image, uint32_t image_size)
{
    const struct fota_flash *fl = &dev->flash.flash;
    const struct fota_boot_layout *lay = &dev->boot.layout;
    int err;

    if (image_size > slot_capacity(fl, lay->secondary_pages))
        return FOTA_E_TOO_BIG;
    err = region_write(fl, lay->secondary_addr, image, image_size);
    if (err < 0)
        return err;
    return fota_boot_mark_pending(&dev->boot);
}

int simdev_slot_header(struct simdev *dev, uint32_t addr, struct fota_image_header *hdr)
{
    const struct fota_flash *fl = &dev->flash.flash;
    int err = fl->read(fl->ctx, addr, dev->buf, FOTA_IMAGE_MAX_HEADER_SIZE);

    if (err < 0)
        return err;
    return fota_image_header_parse(hdr, dev->buf, FOTA_IMAGE_MAX_HEADER_SIZE);
}

void simdev_version_str(char *out, const struct fota_version *v)
{
    snprintf(out, 32, "%u.%u.%u+%u", v->major, v->minor, v->patch, (unsigned)v->build);
}

static const char *action_name(uint8_t action)
{
    switch (action) {
    case FOTA_BOOT_ACTION_NONE: return "nothing yet";
    case FOTA_BOOT_ACTION_BOOT: return "booted";
    case FOTA_BOOT_ACTION_INSTALLED: return "installed (trial)";
    case FOTA_BOOT_ACTION_REVERTED: return "reverted";
    case FOTA_BOOT_ACTION_REFUSED: return "refused";
    case FOTA_BOOT_ACTION_RECOVERED: return "recovered";
    case FOTA_BOOT_ACTION_RECOVERY: return "recovery (no valid image)";
    }
    return "unknown action";
}

static const char *reason_name(uint8_t reason)
{
    switch (reason) {
    case FOTA_BOOT_REASON_NONE: return "";
    case FOTA_BOOT_REASON_REQUESTED: return "requested";
    case FOTA_BOOT_REASON_NOT_CONFIRMED: return "not confirmed";
    case FOTA_BOOT_REASON_VERIFY_FAILED: return "verification failed";
    case FOTA_BOOT_REASON_ROLLBACK: return "security counter below the stored one";
    case FOTA_BOOT_REASON_PRIMARY_INVALID: return "primary image invalid";
    }
    return "unknown reason";
}

void simdev_record_str(char *out, const struct fota_boot_record *rec)
{
    static const struct fota_version none;
    char version[40] = "";
    const char *reason = reason_name(rec->reason);
    /* The error only adds to the reasons that do not say it already. */
    int detail = rec->error && (rec->reason == FOTA_BOOT_REASON_VERIFY_FAILED ||
                                rec->reason == FOTA_BOOT_REASON_PRIMARY_INVALID);

    if (memcmp(&rec->version, &none, sizeof(none)) != 0) {
        version[0] = ' ';
        simdev_version_str(version + 1, &rec->version);
    }
    snprintf(out, 128, "%s%s%s%s%s%s", action_name(rec->action), version,
             *reason ? ": " : "", reason, detail ? ", " : "",
             detail ? fota_strerror(rec->error) : "");
}

int simdev_reset(struct simdev *dev)
{
    struct fota_boot_result res;
    char line[128], version[32];
    int err = fota_boot_go(&dev->boot, &res);

    if (err < 0) {
        fprintf(stderr, "fota-sim: bootloader failed: %s\n", fota_strerror(err));
        return 1;
    }
    simdev_record_str(line, &res.record);
    if (res.record.action == FOTA_BOOT_ACTION_RECOVERY) {
        printf("reset: %s: staying in the bootloader\n", line);
        return 3;
    }
    simdev_version_str(version, &res.image.version);
    printf("reset: %s -> running %s (counter %u) at 0x%08x\n", line, version,
           (unsigned)res.image.security_counter, (unsigned)res.load_address);
    return 0;
}

int simdev_power_on(struct simdev *dev, struct fota_boot_result *res, int *confirmed,
                    const char **stage)
{
    struct fota_boot_state st;
    int err;

    *confirmed = 0;
    *stage = "bootloader";
    err = fota_boot_go(&dev->boot, res);
    if (err < 0 || res->record.action == FOTA_BOOT_ACTION_RECOVERY)
        return err;
    *stage = "reading the boot state";
    err = fota_boot_state_read(&dev->boot, &st);
    if (err < 0 || !st.trial)
        return err;
    *stage = "confirming";
    err = fota_boot_confirm(&dev->boot);
    *confirmed = err == 0;
    return err;
}

static int app_random(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    randombytes_buf(buf, len);
    return 0;
}

static unsigned agent_chunk(const struct simdev_agent_options *o)
{
    unsigned rx = o->frame != 0 ? o->frame : SIMDEV_RX_SIZE;
    unsigned most = FOTA_PROTO_DATA_MAX(rx);

    if (o->chunk != 0)
        return o->chunk;
    return SIMDEV_CHUNK < most ? SIMDEV_CHUNK : most;
}

unsigned simdev_window_bytes(const struct simdev_agent_options *o)
{
    return (o->window != 0 ? o->window : SIMDEV_WINDOW) * agent_chunk(o);
}

int simdev_app_start(struct simdev *dev, struct simdev_app *app, const char *id,
                     const uint8_t *secret, const struct simdev_agent_options *o)
{
    uint32_t rx = o->frame != 0 ? o->frame : SIMDEV_RX_SIZE;

    if (rx > sizeof(app->rx_buf) || agent_chunk(o) > UINT16_MAX)
        return FOTA_E_INVAL;

    app->cfg = (struct fota_agent_config){
        .boot = dev->boot,
        .progress_addr = dev->model->progress_addr,
        .device_id = id,
        .model = dev->model->part,
        .secret = secret,
        .random = app_random,
        .rx_buf = app->rx_buf,
        .rx_size = rx,
        .tx_buf = app->tx_buf,
        .tx_size = sizeof(app->tx_buf),
        .scratch = app->scratch,
        .scratch_size = sizeof(app->scratch),
        .window = (uint8_t)(o->window != 0 ? o->window : SIMDEV_WINDOW),
        .chunk = (uint16_t)agent_chunk(o),
        .backoff_min_ms = o->backoff_ms,
    };
    return fota_agent_init(&app->agent, &app->cfg);
}

int simdev_primary_verify(struct simdev *dev, uint8_t *scratch, uint32_t scratch_size,
                          struct fota_image_header *hdr)
{
    const struct fota_boot_layout *l = &dev->boot.layout;
    const struct fota_flash *fl = &dev->flash.flash;

    return fota_image_verify_flash(fl, l->primary_addr, l->primary_pages * fl->page_size,
                                   dev->public_key, scratch, scratch_size, hdr);
}
