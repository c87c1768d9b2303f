/*
 * fota-sim provision: makes N devices at once, in the server's store and as
 * simulated devices, ready for fota-sim run.
 *
 * For each device <id> (sim-0001, sim-0002, ...):
 *   - the store gets device <id> (in GROUP when given) with a new secret;
 *   - SIMDIR/<id>.flash is its flash, of the model asked for: the store's
 *     public key in the bootloader area and IMAGE in the primary slot,
 *     booted once by the bootloader core (as the factory's test run would);
 *   - SIMDIR/<id>.conf is its provisioning file (provision.h): id, secret,
 *     the store's server address and public key.
 * IMAGE is added to the store's images too, so status names its version.
 * All or nothing: an id already taken, in the store or in SIMDIR, stops it
 * before anything is made, and a failure half way undoes what was made.
 */
#ifndef FOTA_SIM_SIMPROV_H
#define FOTA_SIM_SIMPROV_H

struct simdev_model;

struct simprov_options {
    const char *datadir; /* the store (fota -d DATADIR init -k ... --server ...) */
    const char *simdir;  /* made when missing */
    const char *image;   /* the image the devices leave the factory with */
    const char *group;   /* NULL: none */
    const struct simdev_model *model; /* NULL: the default (simdev.h) */
    unsigned count;      /* 1..SIMPROV_MAX */
};

#define SIMPROV_MAX 99999u

/* Returns the exit status: 0, or 1 after printing why. */
int simprov_run(const struct simprov_options *o);

#endif
