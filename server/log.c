/*
 * fotad's one-line-per-event log (see log.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "log.h"

static enum log_level log_min = LOG_LVL_INFO;
static int log_fd = -1;
static int log_buffered;
static size_t log_len;
static char log_buf[LOG_BUFFER_SIZE];
/* The time of the last line to the second, formatted once per second. */
static time_t stamp_sec = (time_t)-1;
static char stamp[32];
static size_t stamp_len;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    log_min = level;
}

int log_level_parse(const char *s, enum log_level *level)
{
    size_t i;

    for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *level = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

int log_open_file(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open log file: %s", path, strerror(errno));
        return -1;
    }
    log_close();
    log_fd = fd;
    return 0;
}

void log_flush(void)
{
    /* A log that cannot be written is not worth failing the daemon for. */
    if (log_len == 0)
        return;
    (void)host_write_all(STDERR_FILENO, log_buf, log_len);
    if (log_fd >= 0)
        (void)host_write_all(log_fd, log_buf, log_len);
    log_len = 0;
}

void log_set_buffered(int on)
{
    if (!on)
        log_flush();
    log_buffered = on;
}

void log_close(void)
{
    log_flush();
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
}

/* Appends s to line at *pos (capacity cap), each byte outside printable
 * ASCII as '?'. */
static void put_clean(char *line, size_t cap, size_t *pos, const char *s)
{
    for (; *s != '\0' && *pos < cap; s++) {
        unsigned char c = (unsigned char)*s;

        line[(*pos)++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
}

/* Writes line (len bytes, a whole line) now or keeps it for log_flush. */
static void log_put(const char *line, size_t len)
{
    if (log_buffered) {
        if (sizeof(log_buf) - log_len < len)
            log_flush();
        memcpy(log_buf + log_len, line, len);
        log_len += len;
        return;
    }
    (void)host_write_all(STDERR_FILENO, line, len);
    if (log_fd >= 0)
        (void)host_write_all(log_fd, line, len);
}

void log_event(enum log_level level, const char *who, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    char event[LOG_LINE_MAX];
    struct timespec ts;
    size_t pos, cap = sizeof(line) - 1; /* room for the newline */
    int saved_errno = errno;
    va_list ap;
    int n;

    if (level < log_min)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != stamp_sec) {
        struct tm tm;

        gmtime_r(&ts.tv_sec, &tm);
        stamp_len = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        stamp_sec = ts.tv_sec;
    }
    memcpy(line, stamp, stamp_len);
    pos = stamp_len;
    n = snprintf(line + pos, cap - pos, ".%03ldZ %s ", ts.tv_nsec / 1000000L,
                 level_names[level]);
    pos += (size_t)n;
    put_clean(line, cap, &pos, who != NULL ? who : "fotad");
    put_clean(line, cap, &pos, ": ");

    va_start(ap, fmt);
    n = vsnprintf(event, sizeof(event), fmt, ap);
    va_end(ap);
    put_clean(line, cap, &pos, event);
    if (n >= (int)sizeof(event) || pos >= cap)
        memcpy(line + (pos >= cap ? cap - 3 : pos - 3), "...", 3);
    line[pos++] = '\n';
    log_put(line, pos);
    errno = saved_errno;
}
