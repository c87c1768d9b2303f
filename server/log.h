/*
 * fotad's log: one line per event, written with a single write(2) so that
 * lines from one process never interleave, to stderr and optionally to a file.
 * Buffered (log_set_buffered), whole lines wait in memory for log_flush(),
 * which writes them all at once: fotad does so at the end of every round of
 * its event loop, so that a busy round costs one write, not one per line.
 *
 *   2024-05-01T12:00:00.123Z info 10.0.0.7:40312 dev-17: hello, running 1.2.0+0
 *
 * Fields: UTC time with milliseconds, level, who (the peer address, then the
 * device id once known; "fotad" for the daemon itself), the event. Bytes a
 * client sent (device ids, error texts) may reach a line: every control or
 * non-ASCII byte is written as '?', so a client cannot forge lines.
 */
#ifndef FOTAD_LOG_H
#define FOTAD_LOG_H

#include <stddef.h>

#if defined(__GNUC__)
#define LOG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LOG_PRINTF(f, a)
#endif

enum log_level {
    LOG_LVL_DEBUG = 0,
    LOG_LVL_INFO = 1,
    LOG_LVL_WARN = 2,
    LOG_LVL_ERROR = 3,
};

/* Longest line written (longer events are cut and end with "..."). */
#define LOG_LINE_MAX 1024

/* Lines below level are dropped. The default is LOG_LVL_INFO. */
void log_set_level(enum log_level level);

/* "debug", "info", "warn" or "error" into *level. Returns 0 or -1. */
int log_level_parse(const char *s, enum log_level *level);

/* Also appends every line to path (created 0640 when missing). Returns 0, or
 * -1 with the reason in err (errlen bytes). Calling it again replaces the
 * previous file. */
int log_open_file(const char *path, char *err, size_t errlen);

/* Closes the file opened by log_open_file (stderr stays), after log_flush. */
void log_close(void);

/* on 1: lines are kept (up to LOG_BUFFER_SIZE bytes, then written) until
 * log_flush; a process killed meanwhile loses them. on 0: flushes, then
 * writes each line at once (the default). */
#define LOG_BUFFER_SIZE 65536
void log_set_buffered(int on);

/* Writes the lines kept, if any. */
void log_flush(void);

/* One line: who is the peer/device ("fotad" when NULL). */
void log_event(enum log_level level, const char *who, const char *fmt, ...) LOG_PRINTF(3, 4);

#define log_debug(who, ...) log_event(LOG_LVL_DEBUG, who, __VA_ARGS__)
#define log_info(who, ...) log_event(LOG_LVL_INFO, who, __VA_ARGS__)
#define log_warn(who, ...) log_event(LOG_LVL_WARN, who, __VA_ARGS__)
#define log_error(who, ...) log_event(LOG_LVL_ERROR, who, __VA_ARGS__)

#endif
