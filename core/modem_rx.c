/*
 * What the SIM800C says (fota/modem.h): the byte stream cut into lines,
 * the '>' prompt of AT+CIPSEND, the raw payload of AT+CIPRXGET=2, the
 * unsolicited result codes, and the answers to the command in flight
 * (core/modem.c issues them).
 *
 * Lines end with LF; CR is dropped, so an echo ("AT\r" before "\r\nOK") is
 * a line of its own, and ignored like any line nothing waits for. A line
 * longer than FOTA_MODEM_LINE_MAX is dropped whole. The payload after
 * "+CIPRXGET: 2,<n>,<left>" is exactly n bytes of anything, never parsed.
 */
#include "fota/error.h"
#include "modem_internal.h"

/* s without the prefix p, or NULL when s does not start with p. */
static const char *after(const char *s, const char *p)
{
    while (*p != '\0')
        if (*s++ != *p++)
            return NULL;
    return s;
}

static int is(const char *s, const char *word)
{
    s = after(s, word);
    return s != NULL && *s == '\0';
}

static int ends(const char *s, const char *word)
{
    size_t n = 0, k = 0;

    while (s[n] != '\0')
        n++;
    while (word[k] != '\0')
        k++;
    return n >= k && is(s + n - k, word);
}

static int is_error(const char *s)
{
    return is(s, "ERROR") || after(s, "+CME ERROR") || after(s, "+CMS ERROR");
}

/* Up to max comma-separated decimals; returns how many. Values stop growing
 * at 10^8 (no field here is near that). */
static int numbers(const char *s, uint32_t *v, int max)
{
    int n = 0;

    while (n < max) {
        while (*s == ' ')
            s++;
        if (*s < '0' || *s > '9')
            break;
        v[n] = 0;
        for (; *s >= '0' && *s <= '9'; s++)
            if (v[n] < 100000000u)
                v[n] = v[n] * 10u + (uint32_t)(*s - '0');
        n++;
        if (*s++ != ',')
            break;
    }
    return n;
}

/* ---- unsolicited result codes ---- */

/* CLOSED, +PDP: DEACT: the connection is gone. A CIPSEND waiting for its
 * result will not get it. While a connect is under way, a connection the
 * modem still holds is the one close() left (its bytes were being sent):
 * the connect goes on. */
static void closed(struct fota_modem *m)
{
    int waiting = m->cmd == FOTA_MODEM_ST_CIPSEND && m->phase == FOTA_MODEM_SEND_RESULT;

    if (m->conn != FOTA_MODEM_CONN_OPENING || !m->tcp)
        fota_modem_end(m, FOTA_E_IO);
    m->tcp = m->close_due = 0;
    if (m->cmd != FOTA_MODEM_ST_CIPSEND || waiting)
        m->tx_len = 0;
    if (waiting)
        fota_modem_finish(m, 0, FOTA_E_IO);
}

/* Returns 1 when the line was one that can come at any time. */
static int unsolicited(struct fota_modem *m, const char *s)
{
    uint32_t v[1];
    const char *rest = after(s, "+CIPRXGET:");

    if (rest != NULL) {
        if (numbers(rest, v, 1) != 1 || v[0] != 1)
            return 0; /* the answer to CIPRXGET=2 */
        m->rx_due = 1; /* data waits in the modem */
        m->next_at = m->now;
    } else if (is(s, "CLOSED")) {
        closed(m); /* what the modem still holds is read before FOTA_E_IO */
    } else if (after(s, "+PDP: DEACT")) {
        closed(m);
        fota_modem_end(m, FOTA_E_IO); /* a connect under way too: the bearer is used up */
        m->bearer_up = m->rx_due = 0; /* the next connect starts at CIPSHUT */
    } else if (is(s, "RDY")) {
        /* Booted: after our PWRKEY press, or by itself (its settings and
         * any connection are gone). */
        if (m->modem_up || m->tcp || m->step > FOTA_MODEM_ST_AT || m->cmd > FOTA_MODEM_ST_AT) {
            fota_modem_lost(m, FOTA_E_IO);
            m->step = FOTA_MODEM_ST_AT;
        } else if (m->step == FOTA_MODEM_ST_BOOT) {
            m->next_at = m->now;
        }
    } else if (ends(s, " POWER DOWN") || ends(s, " POWER OFF")) {
        /* NORMAL, UNDER-VOLTAGE, OVER-VOLTAGE: POWER DOWN in the AT manual,
         * POWER OFF in the SIM800C hardware design. It is off now; only the
         * power key brings it back. Our own press may have turned it off
         * (it was on, only hung): the press goes on, AT finds it off and
         * presses again. */
        if (m->step != FOTA_MODEM_ST_PRESS && m->step != FOTA_MODEM_ST_BOOT) {
            fota_modem_lost(m, FOTA_E_IO);
            m->power_due = 1;
        }
    } else {
        return 0; /* RING, +CMTI, WARNNING, Call Ready, ...: not for us */
    }
    return 1;
}

/* ---- answers ---- */

/* The information lines of AT+CPIN?, AT+CSQ, AT+CREG?, AT+CGATT?. */
static const char *const infos[] = {"+CPIN: ", "+CSQ: ", "+CREG: ", "+CGATT: "};

/* An information line: m->value says whether the OK to come is good news. */
static void info(struct fota_modem *m, const char *rest)
{
    uint32_t v[2];
    int n = numbers(rest, v, 2);

    switch (m->cmd) {
    case FOTA_MODEM_ST_CPIN:
        m->value = is(rest, "READY");
        break;
    case FOTA_MODEM_ST_CSQ: /* 99: not known (yet) */
        if (n > 0) {
            m->rssi = (uint8_t)(v[0] < 99u ? v[0] : 99u);
            m->value = m->rssi != 99;
        }
        break;
    case FOTA_MODEM_ST_CREG: /* "+CREG: <n>,<stat>": 1 home, 5 roaming */
        if (n == 2) /* one number is the unsolicited form */
            m->value = v[1] == 1 || v[1] == 5;
        break;
    default: /* +CGATT: 1 attached */
        m->value = n > 0 && v[0] == 1;
    }
}

/* The bring-up steps AT..CIFSR. */
static int step_answer(struct fota_modem *m, const char *s)
{
    uint8_t cmd = m->cmd;
    const char *rest = NULL;

    if (cmd >= FOTA_MODEM_ST_CPIN && cmd <= FOTA_MODEM_ST_CGATT)
        rest = after(s, infos[cmd - FOTA_MODEM_ST_CPIN]);
    if (rest != NULL)
        info(m, rest);
    else if (is_error(s))
        fota_modem_finish(m, 0, FOTA_E_IO);
    else if (cmd == FOTA_MODEM_ST_CIPSHUT ? is(s, "SHUT OK")
             : cmd == FOTA_MODEM_ST_CIFSR ? *s >= '0' && *s <= '9' /* the address, no OK */
                                          : is(s, "OK"))
        fota_modem_finish(m, m->value != 0, FOTA_E_IO);
    else
        return 0;
    return 1;
}

static int start_answer(struct fota_modem *m, const char *s)
{
    if (is(s, "CONNECT OK")) {
        m->tcp = 1;
        fota_modem_finish(m, 1, 0);
        if (m->conn != FOTA_MODEM_CONN_OPENING) { /* closed meanwhile */
            m->close_due = 1;
            return 1;
        }
        m->conn = FOTA_MODEM_CONN_OPEN;
        m->connects++;
        m->rx_poll_at = m->now + (m->cfg->rx_poll_ms ? m->cfg->rx_poll_ms
                                                     : FOTA_MODEM_RX_POLL_MS);
    } else if (is(s, "ALREADY CONNECT")) {
        /* A connection we did not open (the MCU restarted?): where its
         * protocol exchange stands is unknown. CIPSHUT closes it, then
         * CIPSTART again, once. */
        m->tcp = 1;
        fota_modem_finish(m, 1, 0);
        if (m->again++ == 0 && m->conn == FOTA_MODEM_CONN_OPENING) {
            m->step = FOTA_MODEM_ST_CIPSHUT;
            return 1;
        }
        m->close_due = 1;
        m->failed_step = FOTA_MODEM_ST_CIPSTART;
        fota_modem_end(m, FOTA_E_IO);
    } else if (is(s, "CONNECT FAIL") || is_error(s)) {
        fota_modem_finish(m, 0, FOTA_E_IO);
        m->failed_step = FOTA_MODEM_ST_CIPSTART;
        fota_modem_end(m, FOTA_E_IO);
    } else {
        return 0; /* OK (CONNECT OK comes later), STATE: <state> */
    }
    return 1;
}

/* "DATA ACCEPT:<n>" in quick send mode (AT+CIPQSEND=1), "SEND OK" in
 * normal mode; either is taken in both. */
static int send_answer(struct fota_modem *m, const char *s)
{
    if (is(s, "SEND OK") || after(s, "DATA ACCEPT:")) {
        m->bytes_out += m->tx_len;
        m->tx_len = 0;
    } else if (is(s, "SEND FAIL") || is_error(s)) {
        fota_modem_send_failed(m, FOTA_E_IO);
    } else {
        return 0;
    }
    fota_modem_finish(m, 1, 0);
    return 1;
}

static int read_answer(struct fota_modem *m, const char *s)
{
    uint32_t v[3];
    const char *rest = after(s, "+CIPRXGET:");

    if (rest != NULL) {
        /* "+CIPRXGET: 2,<bytes that follow>,<bytes left in the modem>" */
        if (numbers(rest, v, 3) != 3 || v[0] != 2)
            return 0;
        m->raw_left = (uint16_t)(v[1] < m->value ? v[1] : m->value);
        m->rx_due = v[2] > 0;
        return 1;
    }
    if (is_error(s))
        m->rx_due = 0; /* nothing to read (the connection is gone) */
    else if (!is(s, "OK"))
        return 0;
    m->rx_poll_at = m->now + (m->cfg->rx_poll_ms ? m->cfg->rx_poll_ms : FOTA_MODEM_RX_POLL_MS);
    m->rx_turn = 1;
    fota_modem_finish(m, 1, 0);
    return 1;
}

static void on_line(struct fota_modem *m, const char *s)
{
    int taken = 0;

    m->silent = 0;
    if (unsolicited(m, s)) {
        m->urcs++;
        return;
    }
    switch (m->cmd) {
    case FOTA_MODEM_ST_NONE: break;
    case FOTA_MODEM_ST_CIPSTART: taken = start_answer(m, s); break;
    case FOTA_MODEM_ST_CIPSEND: taken = send_answer(m, s); break;
    case FOTA_MODEM_ST_READ: taken = read_answer(m, s); break;
    case FOTA_MODEM_ST_CIPCLOSE:
        if ((taken = is(s, "CLOSE OK") || is_error(s)) != 0) {
            m->tcp = m->close_due = 0;
            fota_modem_finish(m, 1, 0);
        }
        break;
    default: taken = step_answer(m, s);
    }
    if (!taken)
        m->urcs++;
}

/* ---- bytes ---- */

static void payload(struct fota_modem *m, uint8_t c)
{
    const struct fota_modem_config *cfg = m->cfg;
    uint32_t at = m->rx_head + m->rx_len;

    m->raw_left--;
    /* Bytes of a connection closed meanwhile are dropped. */
    if (m->rx_len >= cfg->rx_size ||
        (m->conn != FOTA_MODEM_CONN_OPEN && m->conn != FOTA_MODEM_CONN_ENDED))
        return;
    if (at >= cfg->rx_size)
        at -= cfg->rx_size;
    cfg->rx_buf[at] = c;
    m->rx_len++;
    m->bytes_in++;
}

void fota_modem_input(struct fota_modem *modem, const uint8_t *data, size_t len)
{
    struct fota_modem *m = modem;

    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];

        if (m->raw_left > 0) {
            payload(m, c);
            continue;
        }
        if (c == '>' && m->line_len == 0 && m->cmd == FOTA_MODEM_ST_CIPSEND &&
            m->phase == FOTA_MODEM_SEND_PROMPT) {
            m->phase = FOTA_MODEM_SEND_DATA; /* its ' ' is a line of its own, ignored */
            m->deadline = m->now + fota_modem_command_timeout(m);
        } else if (c == '\n') {
            if (m->line_len > 0 && !m->line_drop) {
                m->line[m->line_len] = '\0';
                on_line(m, m->line);
            }
            m->line_len = 0;
            m->line_drop = 0;
        } else if (c != '\r') {
            if (m->line_len < FOTA_MODEM_LINE_MAX - 1)
                m->line[m->line_len++] = (char)c;
            else
                m->line_drop = 1;
        }
    }
}
