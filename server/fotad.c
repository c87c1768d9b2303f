/*
 * fotad: the fota server daemon. One process, one thread, one event loop:
 * the fota protocol listener (session.c), optionally the legacy listener
 * (legacy.c), the store (store.h), signals through a signalfd.
 *
 *   fotad -d DATADIR -l HOST:PORT [--legacy-listen HOST:PORT --legacy-image FILE] ...
 *
 * Settings come from DATADIR/fotad.conf (or --config FILE) as "key = value"
 * lines, then from the command line, which wins. SIGTERM or SIGINT: stop
 * accepting, store every session's progress, close the store, exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <sodium.h>

#include "legacy.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "session.h"
#include "store.h"

#ifndef FOTAD_VERSION
#define FOTAD_VERSION "0"
#endif

#define EXIT_USAGE 2
#define CONFIG_NAME "fotad.conf"
#define CONFIG_LINE_MAX 1024
#define ADDR_TEXT_MAX (NET_HOST_LEN + 8)
/* Descriptors beside the connections: listeners, epoll, signalfd, the
 * database and its journal, image files, the log, stdio. */
#define FD_RESERVE 128
#define PROGRESS_FLUSH_MS 1000u
/* A busy loop sleeps this long before it polls again (loop_set_gather):
 * thousands of devices sending small frames would otherwise wake it for
 * nearly every frame. Nothing to a device on a cellular link. */
#define ROUND_GATHER_US 1000u
#define ACCEPT_PAUSE_MS 100u
#define ACCEPTS_PER_EVENT 64

/* ---- settings ----------------------------------------------------------- */

struct fotad_config {
    char datadir[PATH_MAX];
    char listen[ADDR_TEXT_MAX];         /* "" none */
    char legacy_listen[ADDR_TEXT_MAX];  /* "" none */
    char legacy_image[PATH_MAX];
    char log_file[PATH_MAX];
    uint64_t hello_ms;
    uint64_t idle_ms;
    uint64_t legacy_ms;
    uint64_t legacy_idle_ms;
    long max_conns;
    uint32_t poll_interval;
    enum log_level level;
};

static void config_defaults(struct fotad_config *c)
{
    memset(c, 0, sizeof(*c));
    c->hello_ms = 10000;
    c->idle_ms = 60000;
    c->legacy_ms = 1000;
    c->max_conns = 4096;
    c->poll_interval = 3600;
    c->level = LOG_LVL_INFO;
}

/* Seconds (decimals allowed, > 0, at most a day) into milliseconds. */
static int parse_seconds(const char *s, uint64_t *ms)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || !(v > 0) || v > 86400)
        return -1;
    *ms = (uint64_t)llround(v * 1000.0);
    if (*ms == 0)
        *ms = 1;
    return 0;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* A path value: relative ones are taken from base when it is not NULL
 * (values in the config file are relative to the data directory). */
static int set_path(char *dst, size_t size, const char *value, const char *base)
{
    int n;

    if (value[0] == '\0')
        return -1;
    if (base != NULL && value[0] != '/')
        n = snprintf(dst, size, "%s/%s", base, value);
    else
        n = snprintf(dst, size, "%s", value);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int set_addr(char *dst, const char *value, char *err, size_t errlen)
{
    char host[NET_HOST_LEN], nerr[NET_ERR_LEN];
    uint16_t port;

    if (net_hostport_parse(nerr, value, host, sizeof(host), &port) != NET_OK) {
        snprintf(err, errlen, "%s", nerr);
        return -1;
    }
    snprintf(dst, ADDR_TEXT_MAX, "%s", value);
    return 0;
}

enum setting_kind { SET_ADDR, SET_PATH, SET_SECONDS, SET_LEVEL, SET_MAX_CONNS, SET_POLL };

/* Every setting, by its config-file key (the flag is --key with '-'). */
static const struct setting {
    const char *key;
    enum setting_kind kind;
    size_t offset; /* of the field in struct fotad_config */
} settings[] = {
    {"listen", SET_ADDR, offsetof(struct fotad_config, listen)},
    {"legacy_listen", SET_ADDR, offsetof(struct fotad_config, legacy_listen)},
    {"legacy_image", SET_PATH, offsetof(struct fotad_config, legacy_image)},
    {"log_file", SET_PATH, offsetof(struct fotad_config, log_file)},
    {"hello_timeout", SET_SECONDS, offsetof(struct fotad_config, hello_ms)},
    {"idle_timeout", SET_SECONDS, offsetof(struct fotad_config, idle_ms)},
    {"legacy_timeout", SET_SECONDS, offsetof(struct fotad_config, legacy_ms)},
    {"max_conns", SET_MAX_CONNS, offsetof(struct fotad_config, max_conns)},
    {"poll_interval", SET_POLL, offsetof(struct fotad_config, poll_interval)},
    {"log_level", SET_LEVEL, offsetof(struct fotad_config, level)},
};

/* Applies one setting (a config line or a flag). Returns 0, or -1 with
 * the reason in err. */
static int config_set(struct fotad_config *c, const char *key, const char *value,
                      const char *base, char *err, size_t errlen)
{
    const struct setting *set = NULL;
    char *field;
    size_t i;
    long v;

    for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
        if (strcmp(settings[i].key, key) == 0)
            set = &settings[i];
    if (set == NULL) {
        snprintf(err, errlen, "unknown setting");
        return -1;
    }
    field = (char *)c + set->offset;
    switch (set->kind) {
    case SET_ADDR:
        return set_addr(field, value, err, errlen);
    case SET_PATH:
        if (set_path(field, PATH_MAX, value, base) != 0) {
            snprintf(err, errlen, "empty or too long path");
            return -1;
        }
        return 0;
    case SET_SECONDS:
        if (parse_seconds(value, (uint64_t *)(void *)field) != 0) {
            snprintf(err, errlen, "'%s' is not a number of seconds (0 < s <= 86400)", value);
            return -1;
        }
        return 0;
    case SET_MAX_CONNS:
        if (parse_long(value, 1, 1000000, (long *)(void *)field) != 0) {
            snprintf(err, errlen, "'%s' is not a number from 1 to 1000000", value);
            return -1;
        }
        return 0;
    case SET_POLL:
        if (parse_long(value, 0, 30L * 86400, &v) != 0) {
            snprintf(err, errlen, "'%s' is not a number of seconds (at most 30 days)", value);
            return -1;
        }
        *(uint32_t *)(void *)field = (uint32_t)v;
        return 0;
    case SET_LEVEL:
        if (log_level_parse(value, (enum log_level *)(void *)field) != 0) {
            snprintf(err, errlen, "'%s' is not debug, info, warn or error", value);
            return -1;
        }
        return 0;
    }
    return -1;
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = '\0';
    return s;
}

/* Reads "key = value" lines ('#' starts a comment line). A missing file is
 * fine unless required. Returns 0 or -1 (printed). */
static int config_load(struct fotad_config *c, const char *path, int required)
{
    char line[CONFIG_LINE_MAX], err[512];
    FILE *f = fopen(path, "r");
    int lineno = 0;

    if (f == NULL) {
        if (errno == ENOENT && !required)
            return 0;
        fprintf(stderr, "fotad: %s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *key, *eq, *value;

        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            fprintf(stderr, "fotad: %s:%d: line too long\n", path, lineno);
            fclose(f);
            return -1;
        }
        key = trim(line);
        if (key[0] == '\0' || key[0] == '#')
            continue;
        eq = strchr(key, '=');
        if (eq == NULL) {
            fprintf(stderr, "fotad: %s:%d: expected 'key = value'\n", path, lineno);
            fclose(f);
            return -1;
        }
        *eq = '\0';
        key = trim(key);
        value = trim(eq + 1);
        if (config_set(c, key, value, c->datadir, err, sizeof(err)) != 0) {
            fprintf(stderr, "fotad: %s:%d: %s: %s\n", path, lineno, key, err);
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

/* ---- command line ------------------------------------------------------- */

static void usage(FILE *out)
{
    fputs("usage: fotad -d DATADIR -l HOST:PORT [OPTIONS]\n"
          "\n"
          "The fota server: serves signed images to devices over the fota protocol,\n"
          "and optionally the original loader's protocol to devices already in the field.\n"
          "\n"
          "  -d, --data-dir DATADIR     the data directory (made by `fota -d DATADIR init`)\n"
          "  -c, --config FILE          settings file (default DATADIR/" CONFIG_NAME
          ", if present)\n"
          "  -l, --listen HOST:PORT     fota protocol address ([::]:PORT for IPv6, port 0:\n"
          "                             any free port, printed at start)\n"
          "      --hello-timeout S      seconds for a device's HELLO (default 10)\n"
          "      --idle-timeout S       seconds without a frame before closing (default 60)\n"
          "      --max-conns N          connections open at most (default 4096)\n"
          "      --poll-interval S      seconds a device waits after NOTHING (default 3600)\n"
          "      --legacy-listen HOST:PORT  also serve the original loader's protocol\n"
          "      --legacy-image FILE    the image it serves (.bin, or a signed image:\n"
          "                             its payload)\n"
          "      --legacy-timeout S     seconds before sending a message again (default 1);\n"
          "                             a legacy device silent for idle_timeout (and at\n"
          "                             least 3 such periods) is given up\n"
          "      --log FILE             also append the log to FILE\n"
          "      --log-level LEVEL      debug, info (default), warn or error\n"
          "  -h, --help                 this text\n"
          "      --version              the version\n"
          "\n"
          "Settings file: one 'key = value' per line, '#' comments; keys: listen,\n"
          "hello_timeout, idle_timeout, max_conns, poll_interval, legacy_listen,\n"
          "legacy_image, legacy_timeout, log_file, log_level. Relative paths there are\n"
          "relative to DATADIR. Options given on the command line win.\n"
          "\n"
          "Signals: SIGTERM or SIGINT stores the progress of every connection and exits 0.\n",
          out);
}

enum {
    OPT_HELLO = 256,
    OPT_IDLE,
    OPT_MAX_CONNS,
    OPT_POLL,
    OPT_LEGACY_LISTEN,
    OPT_LEGACY_IMAGE,
    OPT_LEGACY_TIMEOUT,
    OPT_LOG,
    OPT_LOG_LEVEL,
    OPT_VERSION,
};

static const struct option long_options[] = {
    {"data-dir", required_argument, NULL, 'd'},
    {"config", required_argument, NULL, 'c'},
    {"listen", required_argument, NULL, 'l'},
    {"hello-timeout", required_argument, NULL, OPT_HELLO},
    {"idle-timeout", required_argument, NULL, OPT_IDLE},
    {"max-conns", required_argument, NULL, OPT_MAX_CONNS},
    {"poll-interval", required_argument, NULL, OPT_POLL},
    {"legacy-listen", required_argument, NULL, OPT_LEGACY_LISTEN},
    {"legacy-image", required_argument, NULL, OPT_LEGACY_IMAGE},
    {"legacy-timeout", required_argument, NULL, OPT_LEGACY_TIMEOUT},
    {"log", required_argument, NULL, OPT_LOG},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* The config key of a flag that sets one. */
static const char *flag_key(int opt)
{
    switch (opt) {
    case 'l': return "listen";
    case OPT_HELLO: return "hello_timeout";
    case OPT_IDLE: return "idle_timeout";
    case OPT_MAX_CONNS: return "max_conns";
    case OPT_POLL: return "poll_interval";
    case OPT_LEGACY_LISTEN: return "legacy_listen";
    case OPT_LEGACY_IMAGE: return "legacy_image";
    case OPT_LEGACY_TIMEOUT: return "legacy_timeout";
    case OPT_LOG: return "log_file";
    case OPT_LOG_LEVEL: return "log_level";
    }
    return NULL;
}

#define MAX_FLAGS 64

struct flag_value {
    const char *key;
    const char *value;
};

/* Reads the command line into c: the config file first, then the flags.
 * Returns 0, or the exit status to leave with (-1: exit 0, e.g. --help). */
static int parse_args(int argc, char **argv, struct fotad_config *c)
{
    struct flag_value flags[MAX_FLAGS];
    const char *config = NULL;
    char err[512];
    int nflags = 0, opt, i;

    config_defaults(c);
    while ((opt = getopt_long(argc, argv, "d:c:l:h", long_options, NULL)) != -1) {
        switch (opt) {
        case 'd':
            if (set_path(c->datadir, sizeof(c->datadir), optarg, NULL) != 0) {
                fprintf(stderr, "fotad: bad data directory\n");
                return EXIT_USAGE;
            }
            break;
        case 'c':
            config = optarg;
            break;
        case 'h':
            usage(stdout);
            return -1;
        case OPT_VERSION:
            printf("fotad %s\n", FOTAD_VERSION);
            return -1;
        case '?':
            fprintf(stderr, "fotad: try 'fotad --help'\n");
            return EXIT_USAGE;
        default:
            if (nflags == MAX_FLAGS) {
                fprintf(stderr, "fotad: too many options\n");
                return EXIT_USAGE;
            }
            flags[nflags].key = flag_key(opt);
            flags[nflags++].value = optarg;
            break;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "fotad: unexpected argument '%s'; try 'fotad --help'\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (c->datadir[0] == '\0') {
        fprintf(stderr, "fotad: no data directory: -d DATADIR; try 'fotad --help'\n");
        return EXIT_USAGE;
    }
    if (config != NULL) {
        if (config_load(c, config, 1) != 0)
            return EXIT_FAILURE;
    } else {
        char path[PATH_MAX];

        if (snprintf(path, sizeof(path), "%s/%s", c->datadir, CONFIG_NAME) >= (int)sizeof(path))
            return EXIT_USAGE;
        if (config_load(c, path, 0) != 0)
            return EXIT_FAILURE;
    }
    for (i = 0; i < nflags; i++) {
        if (config_set(c, flags[i].key, flags[i].value, NULL, err, sizeof(err)) != 0) {
            fprintf(stderr, "fotad: %s: %s\n", flags[i].key, err);
            return EXIT_USAGE;
        }
    }
    if (c->listen[0] == '\0' && c->legacy_listen[0] == '\0') {
        fprintf(stderr, "fotad: nothing to listen on: -l HOST:PORT (or 'listen' in %s)\n",
                CONFIG_NAME);
        return EXIT_USAGE;
    }
    if (c->legacy_listen[0] != '\0' && c->legacy_image[0] == '\0') {
        fprintf(stderr, "fotad: --legacy-listen needs --legacy-image FILE\n");
        return EXIT_USAGE;
    }
    /* A legacy device that answers nothing is given up like a silent one. */
    c->legacy_idle_ms = c->idle_ms > c->legacy_ms * 3 ? c->idle_ms : c->legacy_ms * 3;
    return 0;
}

/* ---- listeners ------------------------------------------------------------ */

struct listener {
    const char *name;           /* "fota", "legacy" */
    int fd;
    char addr[NET_ADDR_LEN];    /* where it is bound */
    struct loop_timer pause;    /* accepting again after running out of fds */
    struct net_conn_count *count;
    void (*take)(void *ctx, int fd, const char *peer);
    void *ctx;
};

static void listener_event(struct loop *loop, int fd, void *data, int mask);

static void listener_resume(struct loop *loop, struct loop_timer *t, void *data)
{
    struct listener *l = data;

    (void)t;
    if (loop_fd_add(loop, l->fd, LOOP_READABLE, listener_event, l) != 0)
        log_error(NULL, "%s listener: cannot watch %s: %s", l->name, l->addr, strerror(errno));
}

static void listener_event(struct loop *loop, int fd, void *data, int mask)
{
    struct listener *l = data;
    char err[NET_ERR_LEN], peer[NET_ADDR_LEN];
    int i, cfd;

    (void)mask;
    for (i = 0; i < ACCEPTS_PER_EVENT; i++) {
        cfd = net_accept(err, fd, peer, sizeof(peer));
        if (cfd == NET_AGAIN)
            return;
        if (cfd == NET_ERR) {
            /* Out of descriptors: the pending connection would wake us at
             * once, forever. Stop listening a moment instead. */
            log_error(NULL, "%s listener: %s; pausing %u ms", l->name, err, ACCEPT_PAUSE_MS);
            loop_fd_del(loop, fd, LOOP_READABLE);
            loop_timer_arm(loop, &l->pause, ACCEPT_PAUSE_MS);
            return;
        }
        if (l->count->open >= l->count->max) {
            log_warn(peer, "refused: %d connections open (max_conns)", l->count->open);
            close(cfd);
            continue;
        }
        l->count->open++;
        l->take(l->ctx, cfd, peer);
    }
}

static int listener_open(struct listener *l, struct loop *loop, const char *name,
                         const char *hostport, struct net_conn_count *count,
                         void (*take)(void *, int, const char *), void *ctx)
{
    char host[NET_HOST_LEN], err[NET_ERR_LEN];
    uint16_t port;

    memset(l, 0, sizeof(*l));
    l->fd = -1;
    l->name = name;
    l->count = count;
    l->take = take;
    l->ctx = ctx;
    loop_timer_init(&l->pause, listener_resume, l);
    if (net_hostport_parse(err, hostport, host, sizeof(host), &port) != NET_OK ||
        (l->fd = net_listen(err, host, port, 511)) < 0 ||
        net_local_addr(err, l->fd, l->addr, sizeof(l->addr)) != NET_OK) {
        log_error(NULL, "%s listener: %s", name, err);
        if (l->fd >= 0)
            close(l->fd);
        l->fd = -1;
        return -1;
    }
    if (loop_fd_add(loop, l->fd, LOOP_READABLE, listener_event, l) != 0) {
        log_error(NULL, "%s listener: cannot watch it: %s", name, strerror(errno));
        close(l->fd);
        l->fd = -1;
        return -1;
    }
    return 0;
}

static void listener_close(struct listener *l, struct loop *loop)
{
    if (l->fd < 0)
        return;
    loop_timer_disarm(loop, &l->pause);
    loop_fd_del(loop, l->fd, LOOP_READABLE | LOOP_WRITABLE);
    close(l->fd);
    l->fd = -1;
}

static void take_session(void *ctx, int fd, const char *peer)
{
    session_accept(ctx, fd, peer);
}

static void take_legacy(void *ctx, int fd, const char *peer)
{
    legacy_accept(ctx, fd, peer);
}

/* ---- signals and the progress timer ------------------------------------------ */

static void signal_event(struct loop *loop, int fd, void *data, int mask)
{
    struct signalfd_siginfo si;
    ssize_t n;

    (void)data;
    (void)mask;
    n = read(fd, &si, sizeof(si));
    if (n != (ssize_t)sizeof(si))
        return;
    log_info(NULL, "%s received: stopping",
             si.ssi_signo == SIGTERM ? "SIGTERM" : si.ssi_signo == SIGINT ? "SIGINT" : "signal");
    loop_stop(loop);
}

static void flush_timer(struct loop *loop, struct loop_timer *t, void *data)
{
    session_server_flush(data);
    loop_timer_arm(loop, t, PROGRESS_FLUSH_MS);
}

/* The end of every round: one commit of the round's store writes (the
 * answers that wait for it go out), then the round's log lines in one
 * write. */
static void round_end(struct loop *loop, void *data)
{
    (void)loop;
    session_server_round_end(data);
    log_flush();
}

/* Raises the soft descriptor limit to the hard one; returns the soft one. */
static long fd_limit_raise(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = rl;

        want.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            rl = want;
    }
    return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > LONG_MAX ? LONG_MAX
                                                                  : (long)rl.rlim_cur;
}

/* ---- main ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    struct fotad_config cfg;
    struct net_conn_count count = {0, 0};
    struct listener fota_l = {.fd = -1}, legacy_l = {.fd = -1};
    struct store_config scfg = {1000, 0};
    struct session_config sess_cfg;
    struct legacy_config leg_cfg;
    struct session_server *sessions = NULL;
    struct legacy *legacy = NULL;
    struct store *st = NULL;
    struct loop *loop = NULL;
    struct loop_timer flush;
    uint8_t *legacy_image = NULL;
    size_t legacy_size = 0;
    char msg[STORE_MSG_SIZE];
    sigset_t sigs;
    int rc, sfd = -1, status = EXIT_FAILURE;
    long fdmax;

    rc = parse_args(argc, argv, &cfg);
    if (rc != 0)
        return rc < 0 ? EXIT_SUCCESS : rc;
    log_set_level(cfg.level);
    if (cfg.log_file[0] != '\0' && log_open_file(cfg.log_file, msg, sizeof(msg)) != 0) {
        fprintf(stderr, "fotad: %s\n", msg);
        return EXIT_FAILURE;
    }
    if (sodium_init() < 0) {
        log_error(NULL, "libsodium failed to initialise");
        return EXIT_FAILURE;
    }
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigprocmask(SIG_BLOCK, &sigs, NULL);

    fdmax = fd_limit_raise();
    if (cfg.max_conns > fdmax - FD_RESERVE) {
        long m = fdmax > 2 * FD_RESERVE ? fdmax - FD_RESERVE : FD_RESERVE;

        log_warn(NULL, "max_conns %ld is more than the descriptor limit (%ld) allows: using %ld",
                 cfg.max_conns, fdmax, m);
        cfg.max_conns = m;
    }
    count.max = (int)cfg.max_conns;

    rc = store_open(&st, cfg.datadir, &scfg, msg, sizeof(msg));
    if (rc != 0) {
        log_error(NULL, "store: %s", msg);
        goto out;
    }
    if (cfg.legacy_listen[0] != '\0') {
        struct store_settings ss;
        int was_signed;

        if (store_settings_get(st, &ss) != 0) {
            log_error(NULL, "store: %s", store_errmsg(st));
            goto out;
        }
        if (legacy_image_load(cfg.legacy_image, ss.has_public_key ? ss.public_key : NULL,
                              &legacy_image, &legacy_size, &was_signed, msg,
                              sizeof(msg)) != 0) {
            log_error(NULL, "legacy image: %s", msg);
            goto out;
        }
        log_info(NULL, "legacy image %s: %zu bytes%s", cfg.legacy_image, legacy_size,
                 !was_signed ? "" : ss.has_public_key ? " (payload of a verified signed image)"
                                                      : " (payload of a signed image; no "
                                                        "public key in the store to verify it)");
    }

    loop = loop_create((int)cfg.max_conns + FD_RESERVE, msg, sizeof(msg));
    if (loop == NULL) {
        log_error(NULL, "event loop: %s", msg);
        goto out;
    }
    sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0 || loop_fd_add(loop, sfd, LOOP_READABLE, signal_event, NULL) != 0) {
        log_error(NULL, "signalfd: %s", strerror(errno));
        goto out;
    }
    sess_cfg.hello_ms = cfg.hello_ms;
    sess_cfg.idle_ms = cfg.idle_ms;
    sess_cfg.poll_interval = cfg.poll_interval;
    sessions = session_server_create(loop, st, &sess_cfg, &count);
    if (sessions == NULL) {
        log_error(NULL, "out of memory");
        goto out;
    }
    if (cfg.listen[0] != '\0') {
        if (listener_open(&fota_l, loop, "fota", cfg.listen, &count, take_session,
                          sessions) != 0)
            goto out;
        log_info(NULL, "listening on %s", fota_l.addr);
        printf("listening on %s\n", fota_l.addr);
    }
    if (cfg.legacy_listen[0] != '\0') {
        leg_cfg.image = legacy_image;
        leg_cfg.image_size = legacy_size;
        leg_cfg.resend_ms = cfg.legacy_ms;
        leg_cfg.idle_ms = cfg.legacy_idle_ms;
        legacy = legacy_create(loop, &leg_cfg, &count);
        if (legacy == NULL) {
            log_error(NULL, "out of memory");
            goto out;
        }
        if (listener_open(&legacy_l, loop, "legacy", cfg.legacy_listen, &count, take_legacy,
                          legacy) != 0)
            goto out;
        log_info(NULL, "legacy listening on %s (resend after %llu ms)", legacy_l.addr,
                 (unsigned long long)cfg.legacy_ms);
        printf("legacy listening on %s\n", legacy_l.addr);
    }
    fflush(stdout);
    log_info(NULL, "fotad %s started: data %s, max_conns %ld, hello %llu ms, idle %llu ms, "
                   "%zu bytes per connection, %s",
             FOTAD_VERSION, cfg.datadir, cfg.max_conns, (unsigned long long)cfg.hello_ms,
             (unsigned long long)cfg.idle_ms, session_struct_size(), loop_backend_name());
    loop_timer_init(&flush, flush_timer, sessions);
    loop_timer_arm(loop, &flush, PROGRESS_FLUSH_MS);
    loop_set_round_end(loop, round_end, sessions);
    loop_set_gather(loop, ROUND_GATHER_US);
    log_set_buffered(1);

    loop_run(loop);

    log_set_buffered(0);
    loop_timer_disarm(loop, &flush);
    listener_close(&fota_l, loop);
    listener_close(&legacy_l, loop);
    status = EXIT_SUCCESS;
out:
    if (loop != NULL) {
        listener_close(&fota_l, loop);
        listener_close(&legacy_l, loop);
    }
    legacy_destroy(legacy);
    session_server_destroy(sessions); /* stores every session's progress */
    store_close(st);
    if (sfd >= 0)
        close(sfd);
    loop_destroy(loop);
    free(legacy_image);
    if (status == EXIT_SUCCESS)
        log_info(NULL, "stopped");
    log_close();
    return status;
}
