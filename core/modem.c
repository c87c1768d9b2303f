/*
 * The SIM800C driver's commands (fota/modem.h): the bring-up, the commands
 * of a connection, the timeouts and the recovery, and the transport ops.
 * What the modem answers is parsed in core/modem_rx.c.
 *
 *   (init) AT ... CGATT --connect--> CIPSHUT ... CIFSR, CIPSTART --CONNECT OK--> open
 *   open: CIPSEND when tx_buf holds bytes, CIPRXGET=2 when the modem has
 *         data (or every rx_poll_ms) and read() had the last one's bytes,
 *         CIPCLOSE after close() (and after the CIPSEND of what it left)
 *   a step that fails (ERROR, not ready, no answer) is retried a few times,
 *   then the connect fails and the next one starts over from AT;
 *   AT unanswered FOTA_MODEM_AT_TRIES times, or the connection's commands
 *   unanswered FOTA_MODEM_SILENT_MAX times: the power key.
 *
 * Commands go out from step() only, one at a time; the transport calls and
 * the parser only say what is due (next_at = now).
 */
#include <string.h>

#include "clock_util.h"
#include "fota/error.h"
#include "modem_internal.h"

/* No command due: look again after this long anyway. */
#define MODEM_IDLE_MS 60000u

/* Bring-up steps AT..CIFSR: the command after "AT" (NULL: composed), how
 * often it is tried, and how long to wait before trying again (100 ms). */
static const struct {
    const char *text;
    uint8_t tries;
    uint8_t delay;
} steps[] = {
    [FOTA_MODEM_ST_AT] = {"", FOTA_MODEM_AT_TRIES, 0},
    [FOTA_MODEM_ST_ATE0] = {"E0", 3, 10},
    [FOTA_MODEM_ST_CPIN] = {"+CPIN?", 10, 10},
    [FOTA_MODEM_ST_CSQ] = {"+CSQ", 3, 10},      /* 99 (unknown) this often, then go on */
    [FOTA_MODEM_ST_CREG] = {"+CREG?", 60, 20},  /* two minutes to register */
    [FOTA_MODEM_ST_CGATT] = {"+CGATT?", 30, 20},
    [FOTA_MODEM_ST_CIPSHUT] = {"+CIPSHUT", 3, 10},
    [FOTA_MODEM_ST_CIPMUX] = {"+CIPMUX=0", 3, 10},
    [FOTA_MODEM_ST_CIPRXGET] = {"+CIPRXGET=1", 3, 10},
    [FOTA_MODEM_ST_CIPQSEND] = {"+CIPQSEND=1", 3, 10},
    [FOTA_MODEM_ST_CSTT] = {NULL, 3, 10},
    [FOTA_MODEM_ST_CIICR] = {"+CIICR", 3, 10},
    [FOTA_MODEM_ST_CIFSR] = {"+CIFSR", 3, 10},
};

uint32_t fota_modem_command_timeout(const struct fota_modem *m)
{
    return fota_or_default(m->cfg->command_timeout_ms, FOTA_MODEM_COMMAND_TIMEOUT_MS);
}

uint32_t fota_modem_connect_timeout(const struct fota_modem *m)
{
    return fota_or_default(m->cfg->connect_timeout_ms, FOTA_MODEM_CONNECT_TIMEOUT_MS);
}

static uint32_t timeout_of(const struct fota_modem *m, uint8_t cmd)
{
    switch (cmd) {
    case FOTA_MODEM_ST_AT: return FOTA_MODEM_AT_TIMEOUT_MS;
    case FOTA_MODEM_ST_CIPSHUT: return FOTA_MODEM_SHUT_TIMEOUT_MS;
    case FOTA_MODEM_ST_CIICR: return FOTA_MODEM_CIICR_TIMEOUT_MS;
    case FOTA_MODEM_ST_CIPSTART: return fota_modem_connect_timeout(m);
    default: return fota_modem_command_timeout(m);
    }
}

/* ---- state changes ---- */

void fota_modem_end(struct fota_modem *m, int err)
{
    if (m->cmd != FOTA_MODEM_ST_CIPSEND)
        m->tx_len = 0;
    if (m->conn == FOTA_MODEM_CONN_OPENING)
        m->conn = FOTA_MODEM_CONN_FAILED;
    else if (m->conn == FOTA_MODEM_CONN_OPEN)
        m->conn = FOTA_MODEM_CONN_ENDED;
    else
        return;
    m->conn_err = (int8_t)err;
    m->last_error = err;
}

void fota_modem_send_failed(struct fota_modem *m, int err)
{
    m->tx_len = 0;
    if (m->conn == FOTA_MODEM_CONN_OPEN) /* not a connect under way after close() */
        fota_modem_end(m, err);
    m->close_due = m->tcp;
}

void fota_modem_lost(struct fota_modem *m, int err)
{
    m->cmd = 0;
    fota_modem_end(m, err);
    m->step = FOTA_MODEM_ST_NONE;
    m->out_len = m->out_done = m->raw_left = 0;
    m->modem_up = m->bearer_up = m->tcp = m->close_due = m->rx_due = 0;
    m->tx_len = 0;
    m->tries = m->silent = 0;
    m->next_at = m->now;
}

/* Presses PWRKEY (released in next()); a port without one just probes. */
static void press(struct fota_modem *m)
{
    const struct fota_modem_ops *ops = &m->cfg->ops;

    m->presses++;
    m->power_due = 0;
    m->tries = 0;
    m->step = FOTA_MODEM_ST_AT;
    m->next_at = m->now;
    if (ops->power_key == NULL)
        return;
    ops->power_key(ops->ctx, 1);
    m->power_resets++;
    m->step = FOTA_MODEM_ST_PRESS;
    m->next_at = m->now + fota_or_default(m->cfg->power_press_ms, FOTA_MODEM_POWER_PRESS_MS);
}

/* The modem does not answer: reset it with the power key, unless it did not
 * come back after the last presses either (then the next connect starts
 * over). */
static void power_cycle(struct fota_modem *m, uint8_t silent_cmd)
{
    m->failed_step = silent_cmd;
    fota_modem_lost(m, FOTA_E_TIMEOUT);
    if (m->presses < FOTA_MODEM_POWER_MAX)
        press(m);
}

/* The step in flight did what it should: on to the next. */
static void advance(struct fota_modem *m)
{
    uint8_t s = m->step;

    m->tries = 0;
    if (s == FOTA_MODEM_ST_AT)
        m->presses = 0;
    if (s == FOTA_MODEM_ST_CIPSHUT)
        m->tcp = m->close_due = 0;
    if (s == FOTA_MODEM_ST_CIFSR)
        m->bearer_up = 1;
    if (s != FOTA_MODEM_ST_CGATT) {
        m->step = (uint8_t)(s + 1);
        return;
    }
    m->modem_up = 1;
    m->step = m->conn == FOTA_MODEM_CONN_OPENING ? FOTA_MODEM_ST_CIPSHUT : FOTA_MODEM_ST_NONE;
}

/* The step in flight failed (err): again after its delay, or give up. */
static void retry(struct fota_modem *m, int err)
{
    uint8_t s = m->step;

    if ((s == FOTA_MODEM_ST_CIPMUX || s == FOTA_MODEM_ST_CIPQSEND) && err != FOTA_E_TIMEOUT) {
        /* Single-connection mode is the power-on default: a modem that
         * refuses to have it set again has it. A modem without quick send
         * answers SEND OK, which is taken as well. */
        advance(m);
        return;
    }
    if (++m->tries < steps[s].tries) {
        m->next_at = m->now + steps[s].delay * 100u;
        return;
    }
    if (s == FOTA_MODEM_ST_CSQ) { /* the signal stays unknown: go on */
        advance(m);
        return;
    }
    if (s == FOTA_MODEM_ST_AT) {
        power_cycle(m, s);
        return;
    }
    m->failed_step = s;
    m->tries = 0;
    m->step = FOTA_MODEM_ST_NONE;
    m->modem_up = m->bearer_up = 0;
    fota_modem_end(m, err);
}

void fota_modem_finish(struct fota_modem *m, int ok, int err)
{
    uint8_t cmd = m->cmd;

    m->cmd = 0;
    m->next_at = m->now;
    if (cmd != m->step) /* a connection's command, or CIPSTART (handled) */
        return;
    if (ok)
        advance(m);
    else
        retry(m, err);
}

/* No answer in time. */
static void timeout(struct fota_modem *m)
{
    uint8_t cmd = m->cmd;

    m->timeouts++;
    m->cmd = 0;
    m->raw_left = 0;
    m->next_at = m->now;
    if (cmd <= FOTA_MODEM_ST_CIFSR) {
        retry(m, FOTA_E_TIMEOUT);
        return;
    }
    if (++m->silent >= FOTA_MODEM_SILENT_MAX) {
        power_cycle(m, cmd);
        return;
    }
    if (cmd == FOTA_MODEM_ST_CIPSEND) {
        fota_modem_send_failed(m, FOTA_E_TIMEOUT);
    } else if (cmd == FOTA_MODEM_ST_CIPSTART) {
        /* it may still be connecting: CIPCLOSE stops that */
        m->failed_step = cmd;
        fota_modem_end(m, FOTA_E_TIMEOUT);
        m->tcp = m->close_due = 1;
    } else if (cmd == FOTA_MODEM_ST_CIPCLOSE) {
        m->tcp = m->close_due = 0;
    }
}

/* ---- commands ---- */

static void put(struct fota_modem *m, const char *s)
{
    while (s != NULL && *s != '\0' && m->out_len < FOTA_MODEM_CMD_MAX)
        m->out[m->out_len++] = (uint8_t)*s++;
}

static void put_num(struct fota_modem *m, uint32_t v)
{
    char d[11];
    int n = 10;

    d[10] = '\0';
    do {
        d[--n] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    put(m, d + n);
}

static void put_quoted(struct fota_modem *m, const char *before, const char *s)
{
    put(m, before);
    put(m, "\"");
    put(m, s);
    put(m, "\"");
}

static void flush(struct fota_modem *m)
{
    const struct fota_modem_ops *ops = &m->cfg->ops;

    size_t n = 1;

    while (m->out_done < m->out_len && n > 0) {
        n = ops->uart_write(ops->ctx, m->out + m->out_done, (size_t)(m->out_len - m->out_done));
        m->out_done = (uint16_t)(m->out_done + n);
    }
}

static uint32_t read_size(const struct fota_modem *m)
{
    uint32_t n = m->cfg->rx_size - m->rx_len;

    return n < FOTA_MODEM_CHUNK_MAX ? n : FOTA_MODEM_CHUNK_MAX;
}

static void issue(struct fota_modem *m, uint8_t cmd)
{
    const struct fota_modem_config *cfg = m->cfg;

    m->cmd = cmd;
    m->phase = FOTA_MODEM_SEND_PROMPT;
    /* What the OK will mean: good, unless an information line must say so. */
    m->value = cmd < FOTA_MODEM_ST_CPIN || cmd > FOTA_MODEM_ST_CGATT;
    m->out_len = m->out_done = 0;
    put(m, "AT");
    switch (cmd) {
    case FOTA_MODEM_ST_CSTT:
        put_quoted(m, "+CSTT=", cfg->apn);
        put_quoted(m, ",", cfg->user);
        put_quoted(m, ",", cfg->password);
        break;
    case FOTA_MODEM_ST_CIPSTART:
        put_quoted(m, "+CIPSTART=\"TCP\",", cfg->host);
        put(m, ",\"");
        put_num(m, cfg->port);
        put(m, "\"");
        m->step = FOTA_MODEM_ST_NONE; /* what comes of it is handled apart */
        m->bearer_up = 0;              /* used up whatever the outcome */
        break;
    case FOTA_MODEM_ST_CIPCLOSE:
        put(m, "+CIPCLOSE");
        break;
    case FOTA_MODEM_ST_CIPSEND:
        m->tx_done = 0;
        put(m, "+CIPSEND=");
        put_num(m, m->tx_len);
        break;
    case FOTA_MODEM_ST_READ:
        m->value = read_size(m); /* the payload is never longer */
        put(m, "+CIPRXGET=2,");
        put_num(m, m->value);
        break;
    default:
        put(m, steps[cmd].text);
    }
    put(m, "\r");
    m->deadline = m->now + timeout_of(m, cmd);
    flush(m);
}

/* No CIPRXGET=2 while rx_buf is full, nor after one whose bytes read()
 * has not had yet: hand-outs and reads take turns (fota/modem.h). */
static int can_read(const struct fota_modem *m)
{
    if (m->rx_len >= m->cfg->rx_size || (m->rx_len > 0 && m->rx_turn))
        return 0;
    if (m->conn == FOTA_MODEM_CONN_OPEN)
        return m->rx_due || fota_due(m->now, m->rx_poll_at);
    return m->conn == FOTA_MODEM_CONN_ENDED && m->rx_due;
}

/* The modem is free: the next command, or the next wake-up. */
static void next(struct fota_modem *m)
{
    const struct fota_modem_ops *ops = &m->cfg->ops;

    if (m->step >= FOTA_MODEM_ST_CIPSHUT && m->conn != FOTA_MODEM_CONN_OPENING)
        m->step = FOTA_MODEM_ST_NONE; /* the connect was given up */
    if (m->step == FOTA_MODEM_ST_PRESS) {
        ops->power_key(ops->ctx, 0);
        m->step = FOTA_MODEM_ST_BOOT;
        m->next_at = m->now + fota_or_default(m->cfg->power_wait_ms, FOTA_MODEM_POWER_WAIT_MS);
        return;
    }
    if (m->step == FOTA_MODEM_ST_BOOT)
        m->step = FOTA_MODEM_ST_AT;
    /* Bytes write() took go out first: after a close() (the CIPCLOSE waits)
     * and before a new connect's CIPSHUT. Only a connection the modem
     * still holds has them (every end clears tx_len). */
    if (m->tx_len > 0)
        issue(m, FOTA_MODEM_ST_CIPSEND);
    else if (m->step != FOTA_MODEM_ST_NONE)
        issue(m, m->step);
    else if (m->close_due)
        issue(m, FOTA_MODEM_ST_CIPCLOSE);
    else if (can_read(m))
        issue(m, FOTA_MODEM_ST_READ);
    else if (m->conn == FOTA_MODEM_CONN_OPEN && m->rx_len < m->cfg->rx_size)
        m->next_at = m->rx_poll_at;
    else
        m->next_at = m->now + MODEM_IDLE_MS;
}

/* After the prompt: the data, then its result within the connect timeout
 * (DATA ACCEPT comes at once; SEND OK waits for the server's
 * acknowledgement, for which the manual gives 645 s). */
static void send_data(struct fota_modem *m)
{
    const struct fota_modem_config *cfg = m->cfg;

    size_t n = 1;

    while (m->tx_done < m->tx_len && n > 0) {
        n = cfg->ops.uart_write(cfg->ops.ctx, cfg->tx_buf + m->tx_done, m->tx_len - m->tx_done);
        m->tx_done += (uint32_t)n;
    }
    if (m->tx_done < m->tx_len)
        return;
    m->phase = FOTA_MODEM_SEND_RESULT;
    m->deadline = m->now + fota_modem_connect_timeout(m);
}

static void run(struct fota_modem *m)
{
    flush(m);
    if (m->cmd == FOTA_MODEM_ST_CIPSEND && m->phase == FOTA_MODEM_SEND_DATA)
        send_data(m);
    if (m->cmd != 0 && fota_due(m->now, m->deadline))
        timeout(m);
    if (m->cmd == 0 && fota_due(m->now, m->next_at))
        next(m);
}

/* ---- public calls ---- */

/* The length of a text that goes between quotes: -1 when it cannot. */
static int text_len(const char *s)
{
    int n = 0;

    while (s != NULL && s[n] != '\0') {
        if ((uint8_t)s[n] < 0x20 || s[n] == '"' || s[n] == 0x7F || n > (int)FOTA_MODEM_CMD_MAX)
            return -1;
        n++;
    }
    return n;
}

int fota_modem_init(struct fota_modem *modem, const struct fota_modem_config *cfg)
{
    int apn, user, password, host;

    if (modem == NULL || cfg == NULL || cfg->ops.uart_write == NULL || cfg->rx_buf == NULL ||
        cfg->tx_buf == NULL || cfg->rx_size == 0 || cfg->tx_size == 0 || cfg->port == 0)
        return FOTA_E_INVAL;
    apn = text_len(cfg->apn);
    user = text_len(cfg->user);
    password = text_len(cfg->password);
    host = text_len(cfg->host);
    if (apn < 0 || user < 0 || password < 0 || host <= 0 ||
        apn + user + password + sizeof("AT+CSTT=\"\",\"\",\"\"\r") > FOTA_MODEM_CMD_MAX ||
        host + sizeof("AT+CIPSTART=\"TCP\",\"\",\"65535\"\r") > FOTA_MODEM_CMD_MAX)
        return FOTA_E_INVAL;
    memset(modem, 0, sizeof(*modem));
    modem->cfg = cfg;
    modem->step = FOTA_MODEM_ST_AT;
    modem->rssi = 99;
    return 0;
}

void fota_modem_step(struct fota_modem *modem, uint32_t now_ms)
{
    modem->now = now_ms;
    if (!modem->started) {
        modem->started = 1;
        modem->next_at = now_ms;
    }
    run(modem);
}

uint32_t fota_modem_wake_at(const struct fota_modem *modem)
{
    if (modem->out_done < modem->out_len ||
        (modem->cmd == FOTA_MODEM_ST_CIPSEND && modem->phase == FOTA_MODEM_SEND_DATA))
        return modem->now;
    return modem->cmd != 0 ? modem->deadline : modem->next_at;
}

int fota_modem_idle(const struct fota_modem *modem)
{
    return modem->cmd == 0 && modem->tx_len == 0 && !modem->close_due;
}

/* ---- the transport ---- */

static void t_close(void *ctx)
{
    struct fota_modem *m = ctx;

    m->conn = FOTA_MODEM_CONN_IDLE;
    m->rx_head = m->rx_len = 0;
    m->rx_due = 0;
    /* tx_len stays: a connection the modem holds gets it first (next()). */
    if (m->tcp)
        m->close_due = 1;
    m->next_at = m->now;
}

static int t_connect(void *ctx)
{
    struct fota_modem *m = ctx;

    t_close(m);
    m->conn = FOTA_MODEM_CONN_OPENING;
    m->conn_err = 0;
    m->again = 0;
    if (m->step != FOTA_MODEM_ST_NONE)
        return FOTA_E_AGAIN; /* a bring-up runs: it goes on into this connect */
    m->tries = 0;
    m->presses = 0;
    if (m->modem_up)
        m->step = m->bearer_up ? FOTA_MODEM_ST_CIPSTART : FOTA_MODEM_ST_CIPSHUT;
    else if (m->power_due)
        press(m);
    else
        m->step = FOTA_MODEM_ST_AT;
    return FOTA_E_AGAIN;
}

static int t_connect_result(void *ctx)
{
    const struct fota_modem *m = ctx;

    switch (m->conn) {
    case FOTA_MODEM_CONN_OPENING: return FOTA_E_AGAIN;
    case FOTA_MODEM_CONN_OPEN:
    case FOTA_MODEM_CONN_ENDED: return 0;
    case FOTA_MODEM_CONN_FAILED: return m->conn_err;
    default: return FOTA_E_IO;
    }
}

static int t_read(void *ctx, uint8_t *buf, size_t len)
{
    struct fota_modem *m = ctx;
    const struct fota_modem_config *cfg = m->cfg;
    uint32_t n = m->rx_len, first;

    if (m->conn != FOTA_MODEM_CONN_OPEN && m->conn != FOTA_MODEM_CONN_ENDED)
        return FOTA_E_IO;
    if (m->cmd != 0)
        return FOTA_E_AGAIN; /* the modem may talk: no flash write now */
    if (n == 0)
        return m->conn == FOTA_MODEM_CONN_OPEN || m->rx_due ? FOTA_E_AGAIN : FOTA_E_IO;
    m->rx_turn = 0;
    if (n > len)
        n = (uint32_t)len;
    first = cfg->rx_size - m->rx_head;
    if (first > n)
        first = n;
    memcpy(buf, cfg->rx_buf + m->rx_head, first);
    memcpy(buf + first, cfg->rx_buf, n - first);
    m->rx_head += n;
    if (m->rx_head >= cfg->rx_size)
        m->rx_head -= cfg->rx_size;
    m->rx_len -= n;
    m->next_at = m->now; /* room for more */
    return (int)n;
}

static int t_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct fota_modem *m = ctx;
    uint32_t room = m->cfg->tx_size < FOTA_MODEM_CHUNK_MAX ? m->cfg->tx_size
                                                           : FOTA_MODEM_CHUNK_MAX;

    if (m->conn != FOTA_MODEM_CONN_OPEN)
        return FOTA_E_IO;
    if (m->cmd == FOTA_MODEM_ST_CIPSEND || m->tx_len >= room)
        return FOTA_E_AGAIN;
    room -= m->tx_len;
    if (len < room)
        room = (uint32_t)len;
    memcpy(m->cfg->tx_buf + m->tx_len, buf, room);
    m->tx_len += room;
    m->next_at = m->now;
    return (int)room;
}

void fota_modem_transport(struct fota_modem *modem, struct fota_transport *t)
{
    t->ctx = modem;
    t->connect = t_connect;
    t->connect_result = t_connect_result;
    t->read = t_read;
    t->write = t_write;
    t->close = t_close;
}
