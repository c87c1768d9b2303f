/*
 * fota init: creating a server data directory and setting its public key
 * and server address.
 */
#include <string.h>

#include "admin.h"
#include "args.h"
#include "keyfile.h"

enum { OPT_HELP = 1, OPT_KEY, OPT_SERVER };

static const struct args_option init_options[] = {
    {"key", 'k', 1, OPT_KEY},
    {"server", 's', 1, OPT_SERVER},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

/* Sets the public key (key, wiped here; NULL: unchanged) and the server
 * address (NULL: unchanged), then shows the settings. Returns 0 or a store
 * error (not printed). */
static int init_apply(struct store *st, const char *datadir, struct tool_key *key,
                      const char *server)
{
    struct store_settings set;
    char id[2 * KEY_ID_SIZE + 1];
    struct tool_key shown;
    int err = 0;

    if (key != NULL) {
        err = store_set_public_key(st, key->pub);
        key_wipe(key);
    }
    if (err == 0 && server != NULL)
        err = store_set_server(st, server);
    if (err == 0)
        err = store_settings_get(st, &set);
    if (err != 0)
        return err;
    printf("%s: fota data directory (schema %d)\n", datadir, STORE_SCHEMA_VERSION);
    if (set.has_public_key) {
        key_from_public(&shown, set.public_key);
        host_hex(id, shown.id, KEY_ID_SIZE);
        printf("public key: key id %s\n", id);
    } else {
        printf("public key: not set (fota -d %s init -k PUB.pem)\n", datadir);
    }
    if (set.server[0] != '\0')
        printf("server: %s\n", set.server);
    else
        printf("server: not set (fota -d %s init --server HOST:PORT)\n", datadir);
    return 0;
}

static int init_run(const struct tool_command *cmd, const struct tool_globals *g, int argc,
                    char **argv)
{
    const char *key_path = NULL, *server = NULL, *value;
    struct tool_key key;
    struct store *st;
    struct args a;
    int opt, rc;

    args_init(&a, argc, argv, 1);
    while ((opt = args_next(&a, init_options, &value)) != ARGS_END) {
        switch (opt) {
        case OPT_KEY: key_path = value; break;
        case OPT_SERVER: server = value; break;
        case OPT_HELP: tool_usage(cmd, stdout); return TOOL_EXIT_OK;
        case ARGS_POSITIONAL: return tool_usage_error(cmd, "unexpected argument '%s'", value);
        default: return tool_usage_error(cmd, "%s", a.error);
        }
    }
    if (server != NULL && store_server_check(server) != 0)
        return tool_usage_error(cmd, "bad server address '%s': expected HOST:PORT with a "
                                "port from 1 to 65535", server);
    if (g->datadir == NULL)
        return tool_usage_error(cmd, "the data directory is missing: fota -d DATADIR init");
    /* The key first: a bad key file changes nothing. */
    if (key_path != NULL && key_load(&key, key_path, KEY_ANY) != 0)
        return TOOL_EXIT_FAIL;
    rc = admin_open(cmd, g, 1, &st);
    if (rc != TOOL_EXIT_OK) {
        if (key_path != NULL)
            key_wipe(&key);
        return rc;
    }
    return admin_close(st, init_apply(st, g->datadir, key_path ? &key : NULL, server));
}

const struct tool_command tool_cmd_init = {
    "init",
    "create a server data directory, set its key and address",
    "usage: fota -d DATADIR init [-k KEY.pem] [--server HOST:PORT]\n"
    "\n"
    "Creates the server's data directory if it does not exist: DATADIR/fota.db\n"
    "(the store: devices, images, assignments, results, event log; readable\n"
    "only by its owner), DATADIR/images/ (stored images, named by digest) and\n"
    "DATADIR/provision/ (provisioning files). The other server commands need\n"
    "an initialised DATADIR. Running init again on an existing DATADIR keeps\n"
    "its contents and changes only the settings given.\n"
    "\n"
    "  -k, --key KEY.pem          the signing key's public half (a public or a\n"
    "                             private key file): images are verified with it\n"
    "                             and provisioning files carry it\n"
    "  -s, --server HOST:PORT     the address devices connect to, written into\n"
    "                             provisioning files\n"
    "  -h, --help                 this text\n",
    init_run,
};
