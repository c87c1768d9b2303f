/*
 * fota-sim run, setup: the devices of SIMDIR (<id>.conf and <id>.flash) and
 * the servers they connect to (fleet_int.h).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet_int.h"
#include "simdev.h"

/* The resolved address for text, resolved once per distinct server. */
static const struct fota_posix_tcp_addr *server_get(struct fleet *f, const char *text)
{
    struct fota_posix_tcp_addr **v, *a;
    char err[320];

    for (size_t i = 0; i < f->n_addrs; i++)
        if (strcmp(f->addrs[i]->text, text) == 0)
            return f->addrs[i];
    v = realloc(f->addrs, (f->n_addrs + 1) * sizeof(*v));
    if (v == NULL)
        return NULL;
    f->addrs = v;
    a = malloc(sizeof(*a)); /* on its own: devices keep pointers to it */
    if (a == NULL)
        return NULL;
    if (fota_posix_tcp_resolve(a, text, err, sizeof(err)) < 0) {
        fprintf(stderr, "fota-sim: server %s\n", err);
        free(a);
        return NULL;
    }
    f->addrs[f->n_addrs++] = a;
    return a;
}

int fleet_devices_load(struct fleet *f)
{
    const struct fleet_options *o = f->o;
    char **names = NULL;
    char msg[STORE_MSG_SIZE];
    long n = simdev_scan(o->simdir, &names);
    int rc = 0;

    if (n < 0)
        return -1;
    if (n == 0) {
        fprintf(stderr, "fota-sim: %s: no devices (<id>.conf files); make them with "
                        "fota-sim provision\n", o->simdir);
        free(names);
        return -1;
    }
    f->devs = calloc((size_t)n, sizeof(*f->devs));
    if (f->devs == NULL) {
        fprintf(stderr, "fota-sim: out of memory for %ld devices\n", n);
        rc = -1;
    }
    for (long i = 0; i < n && rc == 0; i++) {
        struct fleet_dev *d = &f->devs[f->n];

        d->fd = -1;
        d->conf_path = simdev_path(o->simdir, names[i], ".conf");
        d->flash_path = simdev_path(o->simdir, names[i], ".flash");
        f->n++;
        if (d->conf_path == NULL || d->flash_path == NULL) {
            fprintf(stderr, "fota-sim: out of memory\n");
            rc = -1;
        } else if (provision_read(d->conf_path, &d->prov, msg, sizeof(msg)) < 0) {
            fprintf(stderr, "fota-sim: %s\n", msg);
            rc = -1;
        } else if (access(d->flash_path, R_OK | W_OK) != 0) {
            fprintf(stderr, "fota-sim: %s: %s (the device's flash file)\n", d->flash_path,
                    strerror(errno));
            rc = -1;
        } else if (o->server == NULL && d->prov.server[0] == '\0') {
            fprintf(stderr, "fota-sim: %s has no server address; give --server\n",
                    d->conf_path);
            rc = -1;
        } else {
            snprintf(d->id, sizeof(d->id), "%s", d->prov.id);
            d->server = server_get(f, o->server ? o->server : d->prov.server);
            if (d->server == NULL)
                rc = -1;
        }
    }
    for (long i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

void fleet_devices_free(struct fleet *f)
{
    for (size_t i = 0; i < f->n; i++) {
        provision_wipe(&f->devs[i].prov);
        free(f->devs[i].conf_path);
        free(f->devs[i].flash_path);
    }
    free(f->devs);
    for (size_t i = 0; i < f->n_addrs; i++)
        free(f->addrs[i]);
    free(f->addrs);
    free(f->cut_points);
}
