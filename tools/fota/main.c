/*
 * fota: the command-line tool. Global options, then a subcommand from the
 * table below; each subcommand parses its own options.
 */
#include <stdarg.h>
#include <string.h>

#include <sodium.h>

#include "args.h"
#include "commands.h"

static const struct tool_command *const commands[] = {
    &tool_cmd_keygen,
    &tool_cmd_pubkey,
    &tool_cmd_sign,
    &tool_cmd_verify,
    &tool_cmd_inspect,
    &tool_cmd_init,
    &tool_cmd_device,
    &tool_cmd_image,
    &tool_cmd_assign,
    &tool_cmd_status,
    &tool_cmd_devcfg,
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static const struct tool_command *command_find(const char *name)
{
    size_t i;

    for (i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static void main_usage(FILE *out)
{
    size_t i;

    fputs("usage: fota [-d DATADIR] COMMAND [OPTIONS] [ARGS]\n"
          "\n"
          "Keys, signing and checking of fota firmware images, and the\n"
          "administration of a fota server's data directory (-d DATADIR).\n"
          "\n"
          "commands:\n",
          out);
    for (i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fputs("  help       help about a command: fota help COMMAND\n"
          "\n"
          "global options:\n"
          "  -d, --data-dir DATADIR  the server's data directory (server commands)\n"
          "  -h, --help              this text\n"
          "      --version           the tool's version\n"
          "\n"
          "Exit status: 0 success, 1 failure (bad file, bad image, I/O), 2 usage error.\n",
          out);
}

static int main_usage_error(const char *fmt, ...) TOOL_PRINTF(1, 2);

static int main_usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("fota: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    main_usage(stderr);
    return TOOL_EXIT_USAGE;
}

void tool_usage(const struct tool_command *cmd, FILE *out)
{
    fputs(cmd->usage, out);
}

int tool_usage_error(const struct tool_command *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "fota %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    tool_usage(cmd, stderr);
    return TOOL_EXIT_USAGE;
}

static int help_command(int argc, char **argv, int first)
{
    const struct tool_command *cmd;

    if (first >= argc) {
        main_usage(stdout);
        return TOOL_EXIT_OK;
    }
    if (first + 1 < argc)
        return main_usage_error("help takes one command name, got '%s' too", argv[first + 1]);
    if (strcmp(argv[first], "help") == 0) {
        main_usage(stdout);
        return TOOL_EXIT_OK;
    }
    cmd = command_find(argv[first]);
    if (cmd == NULL)
        return main_usage_error("unknown command '%s'", argv[first]);
    tool_usage(cmd, stdout);
    return TOOL_EXIT_OK;
}

enum { OPT_DATADIR = 1, OPT_HELP, OPT_VERSION };

static const struct args_option global_options[] = {
    {"data-dir", 'd', 1, OPT_DATADIR},
    {"help", 'h', 0, OPT_HELP},
    {"version", 0, 0, OPT_VERSION},
    {NULL, 0, 0, 0},
};

int main(int argc, char **argv)
{
    struct tool_globals g = {NULL};
    const struct tool_command *cmd;
    const char *value;
    struct args a;
    int opt;

    if (sodium_init() < 0) {
        tool_error("libsodium failed to initialise");
        return TOOL_EXIT_FAIL;
    }
    /* Global options end at the first positional argument: the command. */
    args_init(&a, argc, argv, 1);
    while ((opt = args_next(&a, global_options, &value)) > 0) {
        switch (opt) {
        case OPT_DATADIR:
            g.datadir = value;
            break;
        case OPT_HELP:
            main_usage(stdout);
            return TOOL_EXIT_OK;
        case OPT_VERSION:
            printf("fota %s\n", FOTA_TOOL_VERSION);
            return TOOL_EXIT_OK;
        }
    }
    if (opt == ARGS_ERROR)
        return main_usage_error("%s", a.error);
    if (opt == ARGS_END)
        return main_usage_error("%s", "no command given");
    if (strcmp(value, "help") == 0)
        return help_command(argc, argv, a.index);
    cmd = command_find(value);
    if (cmd == NULL)
        return main_usage_error("unknown command '%s'", value);
    return cmd->run(cmd, &g, argc - (a.index - 1), argv + (a.index - 1));
}
