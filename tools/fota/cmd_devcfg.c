/*
 * fota devcfg: a device's configuration record (fota/devcfg.h), made from
 * its provisioning file and the cellular settings, for flashing into a real
 * device beside the bootloader; or shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "args.h"
#include "commands.h"
#include "fota/devcfg.h"
#include "fota/error.h"
#include "provision.h"

enum {
    OPT_HELP = 1,
    OPT_PROVISION,
    OPT_OUTPUT,
    OPT_SERVER,
    OPT_APN,
    OPT_USER,
    OPT_PASSWORD,
    OPT_SHOW,
    OPT_FORCE,
};

static const struct args_option devcfg_options[] = {
    {"provision", 'p', 1, OPT_PROVISION},
    {"output", 'o', 1, OPT_OUTPUT},
    {"server", 0, 1, OPT_SERVER},
    {"apn", 0, 1, OPT_APN},
    {"user", 0, 1, OPT_USER},
    {"password", 0, 1, OPT_PASSWORD},
    {"show", 0, 1, OPT_SHOW},
    {"force", 0, 0, OPT_FORCE},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

struct devcfg_opts {
    const char *provision, *output, *server, *show;
    const char *apn, *user, *password;
    int force;
};

/* Copies text into a field of size bytes; -1 when it does not fit, or has
 * a character the modem's AT commands cannot quote. */
static int field_set(char *field, size_t size, const char *text, const char *what)
{
    for (size_t i = 0; text[i] != '\0'; i++) {
        unsigned char c = (unsigned char)text[i];

        if (c < 0x20 || c > 0x7E || c == '"') {
            tool_error("%s: character %zu (0x%02x) is not allowed: printable ASCII without "
                       "'\"' only", what, i + 1, c);
            return -1;
        }
    }
    if (strlen(text) >= size) {
        tool_error("%s '%s' is too long: at most %zu characters", what, text, size - 1);
        return -1;
    }
    memset(field, 0, size);
    memcpy(field, text, strlen(text));
    return 0;
}

static int port_parse(const char *text, const char *what, uint16_t *port)
{
    uint32_t v;

    if (tool_parse_u32(text, &v) < 0 || v > 65535) {
        tool_error("%s '%s' is not a port number (0..65535)", what, text);
        return -1;
    }
    *port = (uint16_t)v;
    return 0;
}

/* "HOST:PORT" into the record. */
static int server_set(struct fota_devcfg *c, const char *server, const char *where)
{
    const char *colon = strrchr(server, ':');
    char host[FOTA_DEVCFG_HOST_FIELD];

    if (colon == NULL || colon == server || (size_t)(colon - server) >= sizeof(host)) {
        tool_error("%s: server '%s' is not HOST:PORT with a host of at most %u characters",
                   where, server, FOTA_DEVCFG_HOST_FIELD - 1);
        return -1;
    }
    memcpy(host, server, (size_t)(colon - server));
    host[colon - server] = '\0';
    if (port_parse(colon + 1, "server port", &c->port) < 0)
        return -1;
    if (c->port == 0) {
        tool_error("%s: server port 0 in '%s'", where, server);
        return -1;
    }
    return field_set(c->host, sizeof(c->host), host, "host");
}

static int devcfg_build(struct fota_devcfg *c, const struct devcfg_opts *o)
{
    struct provision p;
    char msg[320];
    int rc = -1;

    memset(c, 0, sizeof(*c));
    if (provision_read(o->provision, &p, msg, sizeof(msg)) < 0) {
        tool_error("%s", msg);
        return -1;
    }
    memcpy(c->secret, p.secret, sizeof(c->secret));
    if (o->server == NULL && p.server[0] == '\0')
        tool_error("%s names no server: give --server HOST:PORT", o->provision);
    else if (field_set(c->id, sizeof(c->id), p.id, "device id") == 0 &&
             server_set(c, o->server ? o->server : p.server, o->provision) == 0 &&
             field_set(c->apn, sizeof(c->apn), o->apn, "--apn") == 0 &&
             field_set(c->user, sizeof(c->user), o->user, "--user") == 0 &&
             field_set(c->password, sizeof(c->password), o->password, "--password") == 0)
        rc = 0;
    provision_wipe(&p);
    return rc;
}

static void devcfg_print(const char *path, const struct fota_devcfg *c)
{
    printf("%s: device %s, server %s:%u, APN \"%s\", user \"%s\", "
           "password %s\n",
           path, c->id, c->host, (unsigned)c->port, c->apn, c->user,
           c->password[0] ? "set" : "none");
}

static int devcfg_show(const char *path)
{
    struct fota_devcfg c;
    uint8_t *data;
    size_t len;
    int err;

    if (tool_read_file(path, 1u << 20, &data, &len) < 0)
        return TOOL_EXIT_FAIL;
    err = fota_devcfg_parse(&c, data, len);
    free(data);
    if (err < 0) {
        tool_error("%s: not a device configuration record (%u bytes expected at offset 0): %s",
                   path, FOTA_DEVCFG_SIZE, fota_strerror(err));
        return TOOL_EXIT_FAIL;
    }
    devcfg_print(path, &c);
    sodium_memzero(&c, sizeof(c));
    return TOOL_EXIT_OK;
}

static int devcfg_make(const struct devcfg_opts *o)
{
    struct fota_devcfg c;
    uint8_t rec[FOTA_DEVCFG_SIZE];
    int err = -1;

    if (devcfg_build(&c, o) == 0) {
        if (fota_devcfg_write(rec, &c) < 0)
            tool_error("%s: the configuration does not make a valid record", o->provision);
        else
            err = tool_write_file_atomic(o->output, rec, sizeof(rec), 0600, !o->force);
    }
    if (err == 0)
        devcfg_print(o->output, &c);
    sodium_memzero(&c, sizeof(c));
    sodium_memzero(rec, sizeof(rec));
    return err == 0 ? TOOL_EXIT_OK : TOOL_EXIT_FAIL;
}

static int devcfg_run(const struct tool_command *cmd, const struct tool_globals *g, int argc,
                      char **argv)
{
    struct devcfg_opts o = {.apn = "", .user = "", .password = ""};
    const char *value;
    struct args a;
    int opt;

    (void)g;
    args_init(&a, argc, argv, 1);
    while ((opt = args_next(&a, devcfg_options, &value)) != ARGS_END) {
        switch (opt) {
        case OPT_PROVISION: o.provision = value; break;
        case OPT_OUTPUT: o.output = value; break;
        case OPT_SERVER: o.server = value; break;
        case OPT_APN: o.apn = value; break;
        case OPT_USER: o.user = value; break;
        case OPT_PASSWORD: o.password = value; break;
        case OPT_SHOW: o.show = value; break;
        case OPT_FORCE: o.force = 1; break;
        case OPT_HELP: tool_usage(cmd, stdout); return TOOL_EXIT_OK;
        case ARGS_POSITIONAL: return tool_usage_error(cmd, "unexpected argument '%s'", value);
        default: return tool_usage_error(cmd, "%s", a.error);
        }
    }
    if (o.show != NULL)
        return o.provision || o.output ? tool_usage_error(cmd, "--show takes no other option")
                                       : devcfg_show(o.show);
    if (o.provision == NULL || o.output == NULL)
        return tool_usage_error(cmd, "needs -p PROVISION.conf and -o DEVCFG.bin");
    return devcfg_make(&o);
}

const struct tool_command tool_cmd_devcfg = {
    "devcfg",
    "make a real device's configuration record (server, APN, credentials)",
    "usage: fota devcfg -p PROVISION.conf -o DEVCFG.bin [--apn APN] [--user USER]\n"
    "                   [--password PWD] [--server HOST:PORT] [--force]\n"
    "       fota devcfg --show DEVCFG.bin\n"
    "\n"
    "Makes the record a real device reads its settings from (docs/flash-layout.md,\n"
    "\"Device configuration\"): the device id and secret from its provisioning file\n"
    "(fota device add/provision), the server, and the cellular access point. Flash\n"
    "it at 0x08003800 on the STM32F103ZE. It holds the secret: the file is made\n"
    "readable only by its owner.\n"
    "\n"
    "  -p, --provision FILE   the device's provisioning file (required)\n"
    "  -o, --output FILE      where to write the record (required)\n"
    "      --server HOST:PORT the server (default: the provisioning file's)\n"

    "      --apn APN          the access point name (default empty)\n"
    "      --user USER        the APN user name (default empty)\n"
    "      --password PWD     the APN password (default empty)\n"
    "      --force            replace an existing file\n"
    "      --show FILE        check a record and print what it holds (not the\n"
    "                         secret)\n"
    "  -h, --help             this text\n",
    devcfg_run,
};
