/*
 * fota-sim800's AT interpreter (sim800.h): the command line, the TCP/IP
 * application states of the SIM800 Series AT Command Manual (AT+CIPSTATUS)
 * and the result codes and URCs, framed "\r\n<text>\r\n" (ATV1).
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sim800.h"

#define PARAMS_MAX 4
#define NOISE_QUEUE_MAX 64u

static const char *const state_names[] = {
    [S8_IP_INITIAL] = "IP INITIAL",   [S8_IP_START] = "IP START",
    [S8_IP_CONFIG] = "IP CONFIG",     [S8_IP_GPRSACT] = "IP GPRSACT",
    [S8_IP_STATUS] = "IP STATUS",     [S8_TCP_CONNECTING] = "TCP CONNECTING",
    [S8_CONNECT_OK] = "CONNECT OK",   [S8_TCP_CLOSING] = "TCP CLOSING",
    [S8_TCP_CLOSED] = "TCP CLOSED",   [S8_IP_CLOSE] = "IP CLOSE",
    [S8_PDP_DEACT] = "PDP DEACT",
};

/* ---- output ------------------------------------------------------------- */

void s8_at_echo_flush(struct s8 *m)
{
    s8_out(m, m->echo_buf, m->echo_len);
    m->echo_len = 0;
}

static void echo_put(struct s8 *m, uint8_t c)
{
    if (!m->echo)
        return;
    m->echo_buf[m->echo_len++] = c;
    if (m->echo_len == sizeof(m->echo_buf))
        s8_at_echo_flush(m);
}

/* Everything the modem says goes through these, after the echo so far. */
static void emit(struct s8 *m, const void *data, size_t len)
{
    s8_at_echo_flush(m);
    s8_out(m, data, len);
}

static void emit_line(struct s8 *m, const char *text)
{
    s8_at_echo_flush(m);
    s8_out_line(m, text);
}

static void at_ok(struct s8 *m)
{
    emit_line(m, "OK");
}

static void at_error(struct s8 *m)
{
    emit_line(m, "ERROR");
}

/* The command line of the log: printable, the rest escaped. */
static void log_line(struct s8 *m, const char *what, const char *line)
{
    char buf[4 * S8_LINE_MAX + 1];
    size_t n = 0;

    for (; *line; line++) {
        unsigned char c = (unsigned char)*line;

        if (c >= 0x20 && c < 0x7f && c != '\\')
            buf[n++] = (char)c;
        else
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\\x%02x", c);
    }
    buf[n] = '\0';
    s8_log(m, "%s %s", what, buf);
}

/* ---- parameters --------------------------------------------------------- */

struct at_param {
    char *text;
    int quoted;
};

/* Splits `"a","b",3` into at most max parameters, NUL-terminated in place.
 * Returns their count, or -1 on a syntax error. */
static int params_split(char *s, struct at_param *p, int max)
{
    int n = 0;

    for (;;) {
        if (n == max)
            return -1;
        p[n].quoted = *s == '"';
        if (p[n].quoted) {
            char *end = strchr(s + 1, '"');

            if (end == NULL)
                return -1;
            *end = '\0';
            p[n].text = s + 1;
            s = end + 1;
        } else {
            p[n].text = s;
            s += strcspn(s, ",");
        }
        n++;
        if (*s == '\0')
            return n;
        if (*s != ',')
            return -1;
        *s++ = '\0';
    }
}

/* A decimal parameter (quoted or not) in 0..max. */
static int param_num(const struct at_param *p, unsigned long max, unsigned long *v)
{
    const char *t = p->text;
    unsigned long n = 0;

    if (*t == '\0' || strlen(t) > 9)
        return -1;
    for (; *t; t++) {
        if (*t < '0' || *t > '9')
            return -1;
        n = n * 10 + (unsigned long)(*t - '0');
    }
    if (n > max)
        return -1;
    *v = n;
    return 0;
}

/* Commands are case-insensitive; quoted strings are kept as typed. */
static void upcase(char *s)
{
    int quoted = 0;

    for (; *s; s++) {
        if (*s == '"')
            quoted = !quoted;
        else if (!quoted)
            *s = (char)toupper((unsigned char)*s);
    }
}

/* ---- states and the receive buffer ---------------------------------------- */

static int conn_open(const struct s8 *m)
{
    return m->state == S8_TCP_CONNECTING || m->state == S8_CONNECT_OK;
}

/* AT+CIPRXGET=2..4 need a connection or bytes left from one. */
static int rx_readable(const struct s8 *m)
{
    return m->state == S8_CONNECT_OK || m->rx_len > 0;
}

static void rx_clear(struct s8 *m)
{
    m->rx_head = m->rx_len = 0;
    m->rx_announced = 0;
}

/* Copies n bytes from the head of the receive buffer and drops them. */
static void rx_pop(struct s8 *m, uint8_t *out, size_t n)
{
    size_t first = n < S8_RX_SIZE - m->rx_head ? n : S8_RX_SIZE - m->rx_head;

    memcpy(out, m->rx + m->rx_head, first);
    memcpy(out + first, m->rx, n - first);
    m->rx_head = (m->rx_head + n) % S8_RX_SIZE;
    m->rx_len -= n;
    if (m->rx_len == 0)
        m->rx_announced = 0; /* the next byte is news again */
}

size_t s8_at_rx_room(const struct s8 *m)
{
    return S8_RX_SIZE - m->rx_len;
}

void s8_at_rx_put(struct s8 *m, const uint8_t *data, size_t len)
{
    size_t tail = (m->rx_head + m->rx_len) % S8_RX_SIZE;
    size_t first = len < S8_RX_SIZE - tail ? len : S8_RX_SIZE - tail;

    memcpy(m->rx + tail, data, first);
    memcpy(m->rx, data + first, len - first);
    m->rx_len += len;
    if (m->o.verbose)
        s8_log(m, "rx %zu bytes, %zu buffered", len, m->rx_len);
    if (m->manual_rx && !m->rx_announced) {
        m->rx_announced = 1;
        emit_line(m, "+CIPRXGET: 1");
    }
}

static void new_address(struct s8 *m)
{
    uint64_t r = s8_random(m);

    snprintf(m->ip, sizeof(m->ip), "10.%u.%u.%u", (unsigned)(r & 0xff),
             (unsigned)((r >> 8) & 0xff), (unsigned)(1 + (r >> 16) % 254));
}

/* The final result comes later; the modem takes no command until then. */
static void busy_until(struct s8 *m, uint64_t delay, const char *text, int sets_state,
                       enum s8_state state)
{
    m->mode = S8_BUSY;
    m->pend = S8_PEND_TIMER;
    m->pend_due = m->now + delay;
    snprintf(m->pend_text, sizeof(m->pend_text), "%s", text);
    m->pend_sets_state = sets_state;
    m->pend_state = state;
}

static void unbusy(struct s8 *m)
{
    m->pend = S8_PEND_NONE;
    m->mode = S8_COMMAND;
}

/* ---- AT+CIPSEND ----------------------------------------------------------- */

static void send_fail(struct s8 *m)
{
    emit_line(m, "SEND FAIL");
    unbusy(m);
}

/* Onto the uplink once it has room; "SEND OK" (CIPQSEND=0) waits for the
 * server to have the bytes and its ACK to come back. */
static void send_push(struct s8 *m)
{
    char text[32];

    if (m->send_failed || m->state != S8_CONNECT_OK) {
        send_fail(m);
        return;
    }
    if (s8_net_send_room(m) < m->send_len)
        return;
    s8_net_send(m, m->send_buf, m->send_len);
    if (m->o.verbose)
        s8_log(m, "send %zu bytes", m->send_len);
    if (m->quick_send) {
        snprintf(text, sizeof(text), "DATA ACCEPT:%zu", m->send_len);
        emit_line(m, text);
        unbusy(m);
        return;
    }
    m->pend = S8_PEND_SENT;
    m->send_end = m->conn.up_pushed;
}

static void data_byte(struct s8 *m, uint8_t c)
{
    m->send_buf[m->send_have++] = c;
    echo_put(m, c);
    if (m->send_have < m->send_len)
        return;
    s8_at_echo_flush(m);
    m->mode = S8_BUSY;
    m->pend = S8_PEND_PUSH;
    send_push(m);
}

/* A send under way when the connection goes: it fails unless the server
 * has all of it and its ACK can still come back (not when the link went). */
static void send_lost(struct s8 *m, int link_gone)
{
    if (m->mode == S8_DATA)
        m->send_failed = 1;
    else if (m->pend == S8_PEND_PUSH ||
             (m->pend == S8_PEND_SENT && m->conn.up_written < m->send_end) ||
             (m->pend == S8_PEND_ACK && link_gone))
        send_fail(m);
}

/* ---- the commands ------------------------------------------------------- */

typedef void at_fn(struct s8 *m, char *args);

static void cmd_at(struct s8 *m, char *args)
{
    (void)args;
    at_ok(m);
}

static void cmd_e0(struct s8 *m, char *args)
{
    (void)args;
    m->echo = 0;
    at_ok(m);
}

static void cmd_e1(struct s8 *m, char *args)
{
    (void)args;
    m->echo = 1;
    at_ok(m);
}

/* Single connection only: multi-IP mode is not emulated. The manual allows
 * the change in IP INITIAL only. */
static void cmd_cipmux(struct s8 *m, char *args)
{
    struct at_param p[PARAMS_MAX];
    unsigned long v;

    if (params_split(args, p, PARAMS_MAX) != 1 || param_num(&p[0], 0, &v) < 0 ||
        m->state != S8_IP_INITIAL)
        at_error(m);
    else
        at_ok(m);
}

/* "+CIPRXGET: <mode>,<read>,<left>" CR LF, the bytes (mode 3: two hex
 * digits each), as one piece; then OK. */
static void rx_read_out(struct s8 *m, unsigned long mode, unsigned long want)
{
    static const char hex[] = "0123456789ABCDEF";
    uint8_t buf[64 + 2 * S8_SEND_MAX], data[S8_SEND_MAX];
    size_t got = want < m->rx_len ? want : m->rx_len, n, i;

    n = (size_t)snprintf((char *)buf, 64, "\r\n+CIPRXGET: %lu,%zu,%zu\r\n", mode, got,
                         m->rx_len - got);
    if (m->o.verbose)
        s8_log(m, "out +CIPRXGET: %lu,%zu,%zu and the bytes", mode, got, m->rx_len - got);
    rx_pop(m, data, got);
    for (i = 0; i < got; i++) {
        if (mode == 2) {
            buf[n++] = data[i];
        } else {
            buf[n++] = (uint8_t)hex[data[i] >> 4];
            buf[n++] = (uint8_t)hex[data[i] & 15];
        }
    }
    emit(m, buf, n);
    at_ok(m);
}

static void cmd_ciprxget(struct s8 *m, char *args)
{
    struct at_param p[PARAMS_MAX];
    int n = params_split(args, p, PARAMS_MAX);
    unsigned long mode, len;
    char text[32];

    if (n < 1 || param_num(&p[0], 4, &mode) < 0) {
        at_error(m);
        return;
    }
    if (mode <= 1) {
        /* to be set before the connection, says the manual */
        if (n != 1 || (conn_open(m) && (int)mode != m->manual_rx)) {
            at_error(m);
            return;
        }
        m->manual_rx = (int)mode;
        at_ok(m);
        return;
    }
    if (!m->manual_rx || !rx_readable(m)) {
        at_error(m);
        return;
    }
    if (mode == 4) {
        if (n != 1) {
            at_error(m);
            return;
        }
        snprintf(text, sizeof(text), "+CIPRXGET: 4,%zu", m->rx_len);
        emit_line(m, text);
        at_ok(m);
        return;
    }
    if (n != 2 || param_num(&p[1], mode == 2 ? S8_SEND_MAX : S8_HEX_MAX, &len) < 0 ||
        len == 0) {
        at_error(m);
        return;
    }
    rx_read_out(m, mode, len);
}

static void cmd_cstt_read(struct s8 *m, char *args)
{
    char text[200];

    (void)args;
    snprintf(text, sizeof(text), "+CSTT: \"%s\",\"%s\",\"%s\"", m->apn, m->user, m->pwd);
    emit_line(m, text);
    at_ok(m);
}

/* Valid in IP INITIAL only; moves to IP START. Without parameters the APN
 * is the default, "CMNET". */
static void cmd_cstt(struct s8 *m, char *args)
{
    struct at_param p[PARAMS_MAX];
    char *field[3] = {m->apn, m->user, m->pwd};
    int n = 0, i;

    if (*args != '\0')
        n = params_split(args, p, PARAMS_MAX);
    if (m->state != S8_IP_INITIAL || n < 0 || n > 3) {
        at_error(m);
        return;
    }
    for (i = 0; i < n; i++) {
        if (strlen(p[i].text) >= sizeof(m->apn)) {
            at_error(m);
            return;
        }
    }
    for (i = 0; i < 3; i++)
        snprintf(field[i], sizeof(m->apn), "%s", i < n ? p[i].text : i == 0 ? "CMNET" : "");
    m->state = S8_IP_START;
    at_ok(m);
}

/* IP START only: IP CONFIG while the context activates (a round trip),
 * then OK in IP GPRSACT. */
static void cmd_ciicr(struct s8 *m, char *args)
{
    (void)args;
    if (m->state != S8_IP_START) {
        at_error(m);
        return;
    }
    m->state = S8_IP_CONFIG;
    new_address(m);
    busy_until(m, 2 * m->latency, "OK", 1, S8_IP_GPRSACT);
}

/* The address alone, no OK; from IP GPRSACT it moves to IP STATUS. */
static void cmd_cifsr(struct s8 *m, char *args)
{
    (void)args;
    switch (m->state) {
    case S8_IP_GPRSACT:
        m->state = S8_IP_STATUS;
        /* fall through */
    case S8_IP_STATUS:
    case S8_TCP_CONNECTING:
    case S8_CONNECT_OK:
    case S8_TCP_CLOSED:
    case S8_IP_CLOSE:
        emit_line(m, m->ip);
        break;
    default:
        at_error(m);
        break;
    }
}

/* OK first, then the state. */
static void cmd_cipstatus(struct s8 *m, char *args)
{
    char text[40];

    (void)args;
    at_ok(m);
    snprintf(text, sizeof(text), "STATE: %s", state_names[m->state]);
    emit_line(m, text);
}

/* TCP only. From IP INITIAL the modem brings the bearer up itself (with
 * the APN set, or the default) before it connects; from IP STATUS, or after
 * a connection ended, it connects; elsewhere ERROR. */
static void cmd_cipstart(struct s8 *m, char *args)
{
    struct at_param p[PARAMS_MAX];
    unsigned long port;
    uint64_t extra = 0;

    if (params_split(args, p, PARAMS_MAX) != 3 || param_num(&p[2], 65535, &port) < 0 ||
        port == 0 || strlen(p[1].text) > 63) {
        at_error(m);
        return;
    }
    upcase(p[0].text);
    if (strcmp(p[0].text, "TCP") != 0) {
        at_error(m); /* UDP is not emulated */
        return;
    }
    switch (m->state) {
    case S8_TCP_CONNECTING:
    case S8_CONNECT_OK:
        emit_line(m, "ALREADY CONNECT");
        return;
    case S8_IP_INITIAL:
        new_address(m);
        extra = 2 * m->latency; /* the context activation */
        break;
    case S8_IP_STATUS:
    case S8_TCP_CLOSED:
    case S8_IP_CLOSE:
        break;
    default:
        at_error(m);
        return;
    }
    at_ok(m);
    rx_clear(m);
    m->state = S8_TCP_CONNECTING;
    m->n_connects++;
    s8_net_connect(m, p[1].text, (unsigned)port, extra);
}

/* "> " then exactly <length> raw bytes. (The form without a length, ended
 * by Ctrl-Z, is not emulated: ERROR.) */
static void cmd_cipsend(struct s8 *m, char *args)
{
    struct at_param p[PARAMS_MAX];
    unsigned long len;

    if (params_split(args, p, PARAMS_MAX) != 1 || param_num(&p[0], S8_SEND_MAX, &len) < 0 ||
        len == 0 || m->state != S8_CONNECT_OK) {
        at_error(m);
        return;
    }
    emit(m, "\r\n> ", 4);
    m->mode = S8_DATA;
    m->send_len = len;
    m->send_have = 0;
    m->send_failed = 0;
}

/* Only while connecting or connected; unread bytes are dropped. A slow
 * close (the default, or =0) takes a round trip, a quick one (=1) none. */
static void cmd_cipclose(struct s8 *m, char *args)
{
    struct at_param p[PARAMS_MAX];
    unsigned long quick = 0;

    if ((*args != '\0' &&
         (params_split(args, p, PARAMS_MAX) != 1 || param_num(&p[0], 1, &quick) < 0)) ||
        !conn_open(m)) {
        at_error(m);
        return;
    }
    s8_net_close(m);
    rx_clear(m);
    if (quick) {
        m->state = S8_IP_CLOSE;
        emit_line(m, "CLOSE OK");
        return;
    }
    m->state = S8_TCP_CLOSING;
    busy_until(m, 2 * m->latency, "CLOSE OK", 1, S8_IP_CLOSE);
}

/* Any state: the connection and the PDP context go, back to IP INITIAL. */
static void cmd_cipshut(struct s8 *m, char *args)
{
    (void)args;
    s8_net_close(m);
    rx_clear(m);
    m->state = S8_IP_INITIAL;
    emit_line(m, "SHUT OK");
}

/* Settings of 0 or 1: "+NAME?" answers "+NAME: <v>" then OK, "+NAME=<v>"
 * sets it (unless the command table has its own "+NAME="). */
static const struct at_flag {
    const char *name;
    size_t offset;
} flags[] = {
    {"+CIPQSEND", offsetof(struct s8, quick_send)},
    {"+CIPHEAD", offsetof(struct s8, ip_head)},
    {"+CIPRXGET", offsetof(struct s8, manual_rx)},
};

/* Returns 0 when body is none of them. */
static int flag_command(struct s8 *m, char *body)
{
    struct at_param p[PARAMS_MAX];
    unsigned long v;
    size_t i, n;

    for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        int *flag = (int *)((char *)m + flags[i].offset);
        char text[32];

        n = strlen(flags[i].name);
        if (strncmp(body, flags[i].name, n) != 0)
            continue;
        if (strcmp(body + n, "?") == 0) {
            snprintf(text, sizeof(text), "%s: %d", flags[i].name, *flag);
            emit_line(m, text);
            at_ok(m);
        } else if (body[n] == '=' && params_split(body + n + 1, p, PARAMS_MAX) == 1 &&
                   param_num(&p[0], 1, &v) == 0) {
            *flag = (int)v;
            at_ok(m);
        } else {
            at_error(m);
        }
        return 1;
    }
    return 0;
}

/* A name ending in '=' takes the rest of the line as its parameters; the
 * others match the whole line. Without a function, the answer is a fixed
 * line and OK: those of a registered, attached modem with a ready SIM. */
static const struct at_cmd {
    const char *name;
    at_fn *fn;
    const char *answer;
} commands[] = {
    {"", cmd_at, NULL},
    {"E0", cmd_e0, NULL},
    {"E", cmd_e0, NULL},
    {"E1", cmd_e1, NULL},
    {"V1", cmd_at, NULL},
    {"+CPIN?", NULL, "+CPIN: READY"},
    {"+CSQ", NULL, "+CSQ: 20,0"},
    {"+CREG?", NULL, "+CREG: 0,1"},
    {"+CGATT?", NULL, "+CGATT: 1"},
    {"+CIPMUX?", NULL, "+CIPMUX: 0"},
    {"+CIPSEND?", NULL, "+CIPSEND: 1460"},
    {"+CIPMUX=", cmd_cipmux, NULL},
    {"+CIPRXGET=", cmd_ciprxget, NULL},
    {"+CSTT?", cmd_cstt_read, NULL},
    {"+CSTT=", cmd_cstt, NULL},
    {"+CSTT", cmd_cstt, NULL},
    {"+CIICR", cmd_ciicr, NULL},
    {"+CIFSR", cmd_cifsr, NULL},
    {"+CIPSTATUS", cmd_cipstatus, NULL},
    {"+CIPSTART=", cmd_cipstart, NULL},
    {"+CIPSEND=", cmd_cipsend, NULL},
    {"+CIPCLOSE", cmd_cipclose, NULL},
    {"+CIPCLOSE=", cmd_cipclose, NULL},
    {"+CIPSHUT", cmd_cipshut, NULL},
};

static void dispatch(struct s8 *m, char *body)
{
    size_t i;

    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        const char *name = commands[i].name;
        size_t n = strlen(name);
        int prefix = n > 0 && name[n - 1] == '=';

        if (prefix ? strncmp(body, name, n) != 0 : strcmp(body, name) != 0)
            continue;
        if (commands[i].fn != NULL) {
            commands[i].fn(m, body + n);
        } else {
            emit_line(m, commands[i].answer);
            at_ok(m);
        }
        return;
    }
    if (!flag_command(m, body))
        at_error(m);
}

/* ---- the command line ----------------------------------------------------- */

/* A line that does not start with AT is not a command: no answer. */
static void line_end(struct s8 *m)
{
    size_t len = m->line_len;
    int too_long = m->line_long;

    s8_at_echo_flush(m);
    m->line[len] = '\0';
    m->line_len = 0;
    m->line_long = 0;
    if (len == 0)
        return;
    if (len < 2 || toupper((unsigned char)m->line[0]) != 'A' ||
        toupper((unsigned char)m->line[1]) != 'T') {
        log_line(m, "ignored", m->line);
        return;
    }
    log_line(m, "cmd", m->line);
    m->n_commands++;
    if (too_long) {
        at_error(m);
        return;
    }
    upcase(m->line);
    dispatch(m, m->line + 2);
}

/* CR ends a line; an LF after it (CR LF) is skipped; backspace (S5)
 * edits. */
static void command_byte(struct s8 *m, uint8_t c)
{
    echo_put(m, c);
    if (c == '\r') {
        line_end(m);
        return;
    }
    if ((c == '\n' && m->line_len == 0) || c == '\0')
        return;
    if (c == '\b') {
        if (m->line_len > 0)
            m->line_len--;
        return;
    }
    if (m->line_len + 1 < S8_LINE_MAX)
        m->line[m->line_len++] = (char)c;
    else
        m->line_long = 1;
}

int s8_at_feed(struct s8 *m, uint8_t c)
{
    switch (m->mode) {
    case S8_BOOTING:
        return 1; /* nobody listens yet */
    case S8_BUSY:
        return 0;
    case S8_DATA:
        data_byte(m, c);
        return 1;
    default:
        command_byte(m, c);
        return 1;
    }
}

/* ---- events --------------------------------------------------------------- */

void s8_at_connected(struct s8 *m, int ok)
{
    if (ok) {
        m->state = S8_CONNECT_OK;
        emit_line(m, "CONNECT OK");
        return;
    }
    m->state = S8_TCP_CLOSED;
    emit_line(m, "STATE: TCP CLOSED");
    emit_line(m, "CONNECT FAIL");
}

/* The server's end: what it sent stays readable. */
void s8_at_remote_closed(struct s8 *m)
{
    s8_net_close(m);
    m->state = S8_TCP_CLOSED;
    emit_line(m, "CLOSED");
    send_lost(m, 0);
}

/* The network dropped the context: the connection and its unread bytes go;
 * only AT+CIPSHUT leaves PDP DEACT. */
void s8_at_pdp_deact(struct s8 *m)
{
    s8_net_close(m);
    rx_clear(m);
    m->state = S8_PDP_DEACT;
    emit_line(m, "+PDP: DEACT");
    send_lost(m, 1);
}

static void power_up(struct s8 *m)
{
    static const char *const urcs[] = {"RDY", "+CFUN: 1", "+CPIN: READY", "Call Ready",
                                       "SMS Ready"};
    size_t i;

    m->mode = S8_COMMAND;
    for (i = 0; i < sizeof(urcs) / sizeof(urcs[0]); i++)
        emit_line(m, urcs[i]);
    s8_log(m, "power-up done");
}

static void noise_next(struct s8 *m)
{
    uint64_t every = m->o.urc_every_ms * S8_MS;

    m->noise_at = m->now + every / 2 + s8_random(m) % (every + 1);
}

/* Noise waits for a moment with lines queued (so that it can fall between
 * them) for half a period at most; never while the host sends data. */
static void noise(struct s8 *m)
{
    uint64_t half = m->o.urc_every_ms * S8_MS / 2;

    if (m->o.urc_every_ms == 0 || m->now < m->noise_at)
        return;
    if (m->mode == S8_DATA || m->out_count >= NOISE_QUEUE_MAX) {
        m->noise_at = m->now + 10 * S8_MS;
        return;
    }
    if (m->out_count < 2 && m->now < m->noise_at + half)
        return;
    s8_at_echo_flush(m);
    s8_out_noise(m, s8_random(m) & 1 ? "RING" : "+CMTI: \"SM\",1");
    noise_next(m);
}

/* Auto mode (AT+CIPRXGET=0): received bytes go out as they come, after
 * "+IPD,<len>:" with AT+CIPHEAD=1. */
static void auto_push(struct s8 *m)
{
    uint8_t buf[32 + S8_SEND_MAX];

    while (!m->manual_rx && m->rx_len > 0 && m->out_bytes < S8_OUT_HIGH &&
           m->mode != S8_DATA) {
        size_t n = m->rx_len < S8_SEND_MAX ? m->rx_len : S8_SEND_MAX, head = 0;

        if (m->ip_head)
            head = (size_t)snprintf((char *)buf, 32, "\r\n+IPD,%zu:", n);
        rx_pop(m, buf + head, n);
        emit(m, buf, head + n);
    }
}

void s8_at_service(struct s8 *m)
{
    if (m->mode == S8_BOOTING) {
        if (m->now < m->boot_at)
            return;
        power_up(m);
        noise_next(m);
    }
    if (m->pend == S8_PEND_PUSH) {
        send_push(m);
    } else if (m->pend == S8_PEND_SENT && m->conn.up_written >= m->send_end) {
        m->pend = S8_PEND_ACK;
        m->pend_due = m->now + m->latency;
    } else if (m->pend == S8_PEND_ACK && m->now >= m->pend_due) {
        emit_line(m, "SEND OK");
        unbusy(m);
    } else if (m->pend == S8_PEND_TIMER && m->now >= m->pend_due) {
        if (m->pend_sets_state)
            m->state = m->pend_state;
        emit_line(m, m->pend_text);
        unbusy(m);
    }
    auto_push(m);
    noise(m);
}

uint64_t s8_at_due(const struct s8 *m)
{
    uint64_t d = S8_NEVER;

    if (m->mode == S8_BOOTING)
        return m->boot_at;
    if (m->pend == S8_PEND_TIMER || m->pend == S8_PEND_ACK)
        d = m->pend_due;
    if (m->o.urc_every_ms != 0) {
        uint64_t n = m->noise_at;

        if (m->out_count < 2)
            n += m->o.urc_every_ms * S8_MS / 2;
        if (n < d)
            d = n;
    }
    return d;
}

void s8_at_init(struct s8 *m)
{
    m->mode = S8_BOOTING;
    m->state = S8_IP_INITIAL;
    m->echo = 1; /* as the modem powers up */
    m->pend = S8_PEND_NONE;
    m->boot_at = m->start + m->o.boot_delay_ms * S8_MS;
    m->fail_left = m->o.fail_connects;
    snprintf(m->apn, sizeof(m->apn), "CMNET");
    snprintf(m->ip, sizeof(m->ip), "0.0.0.0");
}
