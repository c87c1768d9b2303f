/*
 * A small command-line option scanner for the fota subcommands.
 *
 * Options and positional arguments may be mixed ("fota sign in.elf -o out");
 * "--" ends the options. Long options take "--name value" or "--name=value",
 * short ones "-x value" or "-xvalue"; short flags can be grouped ("-fq").
 * Nothing is printed: on an error the scanner returns ARGS_ERROR and leaves a
 * sentence in args->error for the caller's usage message.
 */
#ifndef FOTA_TOOL_ARGS_H
#define FOTA_TOOL_ARGS_H

struct args_option {
    const char *long_name; /* without the leading "--", or NULL */
    char short_name;       /* or 0 */
    int has_value;         /* 1 when the option takes a value */
    int id;                /* > 0, returned by args_next() */
};

enum {
    ARGS_END = 0,        /* no arguments left */
    ARGS_POSITIONAL = -1, /* *value is a positional argument */
    ARGS_ERROR = -2,     /* args->error says what is wrong */
};

struct args {
    int argc;
    char **argv;
    int index;           /* next argv element to look at */
    const char *cluster; /* rest of a short option group, or NULL */
    int options_done;    /* "--" seen */
    char error[160];
};

/* Starts scanning argv[first .. argc-1]. */
void args_init(struct args *a, int argc, char **argv, int first);

/* Returns the id of the next option (with *value set when it takes one),
 * ARGS_POSITIONAL (with *value), ARGS_END or ARGS_ERROR. opts ends with an
 * entry whose id is 0. */
int args_next(struct args *a, const struct args_option *opts, const char **value);

#endif
