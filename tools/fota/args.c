/*
 * Command-line option scanner (see args.h).
 */
#include <stdio.h>
#include <string.h>

#include "args.h"

void args_init(struct args *a, int argc, char **argv, int first)
{
    memset(a, 0, sizeof(*a));
    a->argc = argc;
    a->argv = argv;
    a->index = first;
}

static int take_value(struct args *a, const char *shown, const char **value)
{
    if (a->index >= a->argc) {
        snprintf(a->error, sizeof(a->error), "option %s needs a value", shown);
        return ARGS_ERROR;
    }
    *value = a->argv[a->index++];
    return 0;
}

static int long_option(struct args *a, const struct args_option *opts, const char *arg,
                       const char **value)
{
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
    const struct args_option *o;

    for (o = opts; o->id != 0; o++) {
        if (o->long_name == NULL || strlen(o->long_name) != name_len ||
            strncmp(o->long_name, name, name_len) != 0)
            continue;
        if (!o->has_value) {
            if (eq) {
                snprintf(a->error, sizeof(a->error), "option --%s takes no value",
                         o->long_name);
                return ARGS_ERROR;
            }
            return o->id;
        }
        if (eq) {
            *value = eq + 1;
            return o->id;
        }
        return take_value(a, arg, value) ? ARGS_ERROR : o->id;
    }
    snprintf(a->error, sizeof(a->error), "unknown option '%.*s'", (int)(name_len + 2), arg);
    return ARGS_ERROR;
}

static int short_option(struct args *a, const struct args_option *opts, const char **value)
{
    char c = *a->cluster++;
    const struct args_option *o;

    for (o = opts; o->id != 0; o++) {
        if (o->short_name != c)
            continue;
        if (o->has_value) {
            char shown[3] = {'-', c, '\0'};

            if (*a->cluster) {
                *value = a->cluster;
                a->cluster = NULL;
                return o->id;
            }
            a->cluster = NULL;
            return take_value(a, shown, value) ? ARGS_ERROR : o->id;
        }
        if (*a->cluster == '\0')
            a->cluster = NULL;
        return o->id;
    }
    snprintf(a->error, sizeof(a->error), "unknown option '-%c'", c);
    return ARGS_ERROR;
}

int args_next(struct args *a, const struct args_option *opts, const char **value)
{
    const char *arg;

    *value = NULL;
    if (a->cluster)
        return short_option(a, opts, value);
    if (a->index >= a->argc)
        return ARGS_END;
    arg = a->argv[a->index++];
    if (a->options_done || arg[0] != '-' || arg[1] == '\0') {
        *value = arg; /* "-" alone is a positional argument (stdin/stdout) */
        return ARGS_POSITIONAL;
    }
    if (arg[1] == '-') {
        if (arg[2] == '\0') {
            a->options_done = 1;
            return args_next(a, opts, value);
        }
        return long_option(a, opts, arg, value);
    }
    a->cluster = arg + 1;
    return short_option(a, opts, value);
}
