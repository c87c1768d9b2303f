/*
 * fota-sim provision: devices in the store and simulated devices to match
 * (simprov.h).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fota/error.h"
#include "provision.h"
#include "simdev.h"
#include "simprov.h"
#include "store.h"
#include "util.h"

#define IMAGE_MAX (1u << 20)
/* Devices added per transaction: between two, fotad (which may be running)
 * gets its turn to write. */
#define BATCH 100u

struct image_mem {
    const uint8_t *data;
    size_t len;
};

static int mem_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    const struct image_mem *m = ctx;

    if (off > m->len || len > m->len - off)
        return FOTA_E_TRUNCATED;
    memcpy(buf, m->data + off, len);
    return 0;
}

/* The ids, as printf formats them: wide enough for count, so they sort. */
static void device_id(char *buf, size_t size, unsigned i, unsigned count)
{
    int width = count > 9999 ? 5 : 4;

    snprintf(buf, size, "sim-%0*u", width, i);
}

/* Nothing may be taken: the ids in the store, the files in SIMDIR. */
static int ids_free(struct store *st, const struct simprov_options *o)
{
    struct store_device dev;
    char id[STORE_ID_MAX + 1];

    for (unsigned i = 1; i <= o->count; i++) {
        char *conf, *flash;
        int taken;

        device_id(id, sizeof(id), i, o->count);
        if (store_device_get(st, id, &dev) == 0) {
            fprintf(stderr, "fota-sim: device %s already exists in %s; provision a fresh "
                            "data directory, or remove the devices (fota device remove)\n",
                    id, o->datadir);
            return -1;
        }
        conf = simdev_path(o->simdir, id, ".conf");
        flash = simdev_path(o->simdir, id, ".flash");
        taken = conf == NULL || flash == NULL || access(conf, F_OK) == 0 ||
                access(flash, F_OK) == 0;
        if (taken)
            fprintf(stderr, "fota-sim: %s already holds device %s; use another --simdir\n",
                    o->simdir, id);
        free(conf);
        free(flash);
        if (taken)
            return -1;
    }
    return 0;
}

/* The flash of a new device, booted once. */
static int device_flash(const char *path, const struct simprov_options *o,
                        const struct store_settings *set, const struct image_mem *img)
{
    struct simdev dev;
    struct fota_boot_result res;
    char line[128];
    int err;

    if (simdev_create(path, o->model, set->public_key, img->data, (uint32_t)img->len) < 0 ||
        simdev_open(&dev, path) < 0)
        return -1;
    err = fota_boot_go(&dev.boot, &res);
    simdev_close(&dev);
    if (err < 0) {
        fprintf(stderr, "fota-sim: %s: the first boot failed: %s\n", path, fota_strerror(err));
        return -1;
    }
    if (res.record.action == FOTA_BOOT_ACTION_RECOVERY) {
        simdev_record_str(line, &res.record);
        fprintf(stderr, "fota-sim: the bootloader does not boot %s: %s\n", o->image, line);
        return -1;
    }
    return 0;
}

static int device_make(struct store *st, const struct simprov_options *o,
                       const struct store_settings *set, const struct image_mem *img,
                       const char *id, int64_t now)
{
    char *conf = simdev_path(o->simdir, id, ".conf");
    char *flash = simdev_path(o->simdir, id, ".flash");
    char msg[STORE_MSG_SIZE];
    struct provision p;
    int rc = -1;

    if (conf == NULL || flash == NULL) {
        fprintf(stderr, "fota-sim: out of memory\n");
    } else if (store_device_add(st, id, o->group, NULL, now, NULL) != 0 ||
               store_provision_fill(st, id, &p) != 0) {
        fprintf(stderr, "fota-sim: %s\n", store_errmsg(st));
    } else {
        if (device_flash(flash, o, set, img) == 0) {
            if (provision_write(conf, &p, 1, msg, sizeof(msg)) == 0)
                rc = 0;
            else
                fprintf(stderr, "fota-sim: %s\n", msg);
        }
        provision_wipe(&p);
    }
    free(conf);
    free(flash);
    return rc;
}

/* After a failure: removes devices 1..stored from the store and the files
 * of devices 1..made. */
static void undo(struct store *st, const struct simprov_options *o, unsigned stored,
                 unsigned made)
{
    char id[STORE_ID_MAX + 1];

    for (unsigned i = 1; i <= made; i++) {
        char *conf, *flash;

        device_id(id, sizeof(id), i, o->count);
        if (i <= stored && store_device_remove(st, id) != 0)
            fprintf(stderr, "fota-sim: %s\n", store_errmsg(st));
        conf = simdev_path(o->simdir, id, ".conf");
        flash = simdev_path(o->simdir, id, ".flash");
        if (conf != NULL)
            unlink(conf);
        if (flash != NULL)
            unlink(flash);
        free(conf);
        free(flash);
    }
}

static int settings_ready(struct store *st, const struct simprov_options *o,
                          struct store_settings *set)
{
    if (store_settings_get(st, set) != 0) {
        fprintf(stderr, "fota-sim: %s\n", store_errmsg(st));
        return -1;
    }
    if (!set->has_public_key) {
        fprintf(stderr, "fota-sim: %s has no public key: set it with fota -d %s init -k "
                        "PUB.pem\n", o->datadir, o->datadir);
        return -1;
    }
    if (set->server[0] == '\0') {
        fprintf(stderr, "fota-sim: %s has no server address: set it with fota -d %s init "
                        "--server HOST:PORT\n", o->datadir, o->datadir);
        return -1;
    }
    return 0;
}

/* The image must be one the devices boot: signed with the store's key. */
static int image_check(const struct image_mem *img, const struct store_settings *set,
                       const char *path, struct fota_image_header *hdr)
{
    struct fota_image_source src = {(void *)img, mem_read, (uint32_t)img->len};
    uint8_t buf[FOTA_IMAGE_MAX_HEADER_SIZE];
    int err = fota_image_verify(&src, set->public_key, buf, sizeof(buf), hdr);

    if (err < 0) {
        fprintf(stderr, "fota-sim: %s does not verify with the store's public key: %s\n",
                path, fota_strerror(err));
        return -1;
    }
    return 0;
}

static int provision_all(struct store *st, const struct simprov_options *o,
                         const struct image_mem *img)
{
    struct store_settings set;
    struct fota_image_header hdr;
    char id[STORE_ID_MAX + 1], first[STORE_ID_MAX + 1], version[STORE_VERSION_TEXT_SIZE];
    int64_t now = (int64_t)time(NULL);
    unsigned made = 0, committed = 0;
    int err;

    if (settings_ready(st, o, &set) < 0 || image_check(img, &set, o->image, &hdr) < 0 ||
        ids_free(st, o) < 0)
        return -1;
    if (mkdir(o->simdir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "fota-sim: %s: %s\n", o->simdir, strerror(errno));
        return -1;
    }
    err = store_image_add(st, img->data, img->len, 0, now, NULL);
    if (err < 0) {
        fprintf(stderr, "fota-sim: %s\n", store_errmsg(st));
        return -1;
    }
    while (committed < o->count) {
        unsigned end = o->count - committed > BATCH ? committed + BATCH : o->count;

        if (store_begin(st) != 0) {
            fprintf(stderr, "fota-sim: %s\n", store_errmsg(st));
            break;
        }
        for (unsigned i = committed + 1; i <= end; i++) {
            device_id(id, sizeof(id), i, o->count);
            if (device_make(st, o, &set, img, id, now) < 0)
                break;
            made = i;
        }
        if (made < end || store_commit(st) != 0) {
            if (made == end)
                fprintf(stderr, "fota-sim: %s\n", store_errmsg(st));
            store_rollback(st);
            break;
        }
        committed = end;
    }
    if (committed < o->count) {
        undo(st, o, committed, made < o->count ? made + 1 : made);
        fprintf(stderr, "fota-sim: nothing provisioned\n");
        return -1;
    }
    device_id(first, sizeof(first), 1, o->count);
    store_version_format(version, sizeof(version), &hdr.version);
    printf("provisioned %u device%s, %s%s%s%s%s%s, running %s: in the store %s and as "
           "simulated %s devices in %s, server %s\n",
           o->count, o->count == 1 ? "" : "s", first, o->count > 1 ? " .. " : "",
           o->count > 1 ? id : "", o->group ? " (group " : "", o->group ? o->group : "",
           o->group ? ")" : "", version, o->datadir,
           (o->model != NULL ? o->model : &simdev_models[0])->name, o->simdir, set.server);
    return 0;
}

int simprov_run(const struct simprov_options *o)
{
    struct image_mem img;
    struct store *st;
    char msg[STORE_MSG_SIZE];
    uint8_t *data;
    int rc;

    if (o->group != NULL && store_id_check(o->group) != 0) {
        fprintf(stderr, "fota-sim: bad group name '%s': 1 to 32 printable characters, no "
                        "spaces, '/' or '\\'\n", o->group);
        return 1;
    }
    if (tool_read_file(o->image, IMAGE_MAX, &data, &img.len) < 0)
        return 1;
    img.data = data;
    if (store_open(&st, o->datadir, NULL, msg, sizeof(msg)) != 0) {
        fprintf(stderr, "fota-sim: %s\n", msg);
        free(data);
        return 1;
    }
    rc = provision_all(st, o, &img);
    store_close(st);
    free(data);
    return rc < 0 ? 1 : 0;
}
