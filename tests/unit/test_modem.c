/*
 * The SIM800C driver (core/modem.c, core/modem_rx.c) against scripted modem
 * dialogues on a fake clock: the driver must write "X\r", the script answers
 * what the SIM800 Series AT Command Manual says the modem answers.
 *
 * One whole dialogue (bring-up, connect, a quick send, binary receive,
 * close) is replayed fed whole, one byte at a time, split in two at every
 * byte, and with an unsolicited line injected at every line boundary; then
 * each command's error and timeout paths, the connection's failures
 * (CONNECT FAIL, ALREADY CONNECT, SEND FAIL, CLOSED, +PDP: DEACT), the
 * power key, the buffers' edges, read() held while a command is in flight
 * (taking turns with the reads), close() sending what write() took, and
 * the worst-case connect against FOTA_MODEM_OPEN_MAX_MS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fota/error.h"
#include "fota/modem.h"

#define RX_SIZE 200u
#define TX_SIZE 64u
#define READ_CMD "AT+CIPRXGET=2,200\r" /* min(RX_SIZE, 1460) */
#define START_MS 0xFFFFF000u           /* the clock wraps during the tests */

/* Binary server data with what looks like modem lines inside. */
static const char payload[] = "\r\nOK\r\n+CIPRXGET: 1\r\nCLOSED\r\n> \0\xff";
#define PAYLOAD_LEN (sizeof(payload) - 1)
#define PAYLOAD_HEADER "\r\n+CIPRXGET: 2,32,0\r\n"
_Static_assert(sizeof(payload) - 1 == 32, "PAYLOAD_HEADER says 32 bytes");

/* ---- the harness: a fake UART, PWRKEY and clock ---- */

enum feed_mode { FEED_WHOLE, FEED_BYTES, FEED_SPLIT };

struct harness {
    struct fota_modem m;
    struct fota_modem_config cfg;
    struct fota_transport t;
    uint8_t rx[RX_SIZE];
    uint8_t tx[TX_SIZE];
    char sent[2048];       /* what the driver wrote since the last check */
    size_t sent_len;
    size_t uart_room;      /* bytes uart_write takes per call; 0: all */
    int uart_full;         /* uart_write takes nothing */
    int keys[16];          /* power_key calls: 1 pressed, 0 released */
    uint32_t key_at[16];
    int nkeys;
    uint32_t now;
    /* How replies are fed (the dialogue runs). */
    enum feed_mode mode;
    size_t split_at;       /* FEED_SPLIT: the stream offset cut in two */
    size_t fed;            /* reply bytes fed so far */
    const char *urc;       /* a line to inject ... */
    int urc_at;            /* ... at this line boundary (-1: none) */
    int boundaries;        /* line boundaries passed so far */
};

static struct harness H;

static struct {
    unsigned long dialogues, splits, injections, commands, bytes_fed;
    unsigned long error_paths, timeout_paths, key_presses;
} covered;

static size_t fake_uart(void *ctx, const uint8_t *data, size_t len)
{
    struct harness *h = ctx;

    if (h->uart_room != 0 && len > h->uart_room)
        len = h->uart_room;
    if (h->uart_full)
        len = 0;
    assert_true(h->sent_len + len < sizeof(h->sent));
    memcpy(h->sent + h->sent_len, data, len);
    h->sent_len += len;
    return len;
}

static void fake_key(void *ctx, int pressed)
{
    struct harness *h = ctx;

    assert_true(h->nkeys < 16);
    h->key_at[h->nkeys] = h->now;
    h->keys[h->nkeys++] = pressed;
    covered.key_presses += (unsigned long)pressed;
}

static void harness_open(struct harness *h)
{
    memset(h, 0, sizeof(*h));
    h->cfg.ops.ctx = h;
    h->cfg.ops.uart_write = fake_uart;
    h->cfg.ops.power_key = fake_key;
    h->cfg.apn = "internet";
    h->cfg.user = "";
    h->cfg.password = "";
    h->cfg.host = "fota.example.com";
    h->cfg.port = 9995;
    h->cfg.rx_buf = h->rx;
    h->cfg.rx_size = RX_SIZE;
    h->cfg.tx_buf = h->tx;
    h->cfg.tx_size = TX_SIZE;
    h->now = START_MS;
    h->urc_at = -1;
    assert_int_equal(fota_modem_init(&h->m, &h->cfg), 0);
    fota_modem_transport(&h->m, &h->t);
}

static void step(struct harness *h)
{
    fota_modem_step(&h->m, h->now);
}

static void advance(struct harness *h, uint32_t ms)
{
    h->now += ms;
    step(h);
}

static void advance_to_wake(struct harness *h)
{
    h->now = fota_modem_wake_at(&h->m);
    step(h);
}

/* The driver wrote exactly s since the last check. */
static void expect_sent(struct harness *h, const char *s)
{
    step(h);
    if (h->sent_len != strlen(s) || memcmp(h->sent, s, h->sent_len) != 0) {
        printf("the driver wrote \"");
        for (size_t i = 0; i < h->sent_len; i++)
            printf(h->sent[i] == '\r' ? "\\r" : "%c", h->sent[i]);
        printf("\", not \"%.*s\\r\"\n", (int)strlen(s) - 1, s);
        fflush(stdout);
        fail();
    }
    h->sent_len = 0;
    covered.commands++;
}

static void expect_quiet(struct harness *h)
{
    expect_sent(h, "");
}

static void input(struct harness *h, const char *p, size_t n)
{
    fota_modem_input(&h->m, (const uint8_t *)p, n);
    covered.bytes_fed += n;
}

/* feed() flag: a CIPRXGET=2 payload, no line boundary in it. */
#define F_RAW 1

/* Feeds a reply the way the current run says: whole, a byte a call, cut
 * in two at split_at, and with urc injected at line boundary urc_at; a step
 * after each call. */
static void feed(struct harness *h, const char *p, size_t n, int flags)
{
    size_t start = 0;

    for (size_t i = 0; i <= n; i++) {
        int boundary = !(flags & F_RAW) && (i == 0 || (i < n && p[i - 1] == '\n'));
        int here = boundary && h->boundaries++ == h->urc_at;

        if (!here && i < n && h->mode != FEED_BYTES &&
            !(h->mode == FEED_SPLIT && h->fed + i == h->split_at))
            continue;
        if (i > start) {
            input(h, p + start, i - start);
            step(h);
            start = i;
        }
        if (here) {
            input(h, h->urc, strlen(h->urc));
            covered.injections++;
        }
    }
    h->fed += n;
}

static void answer(struct harness *h, const char *s)
{
    feed(h, s, strlen(s), 0);
}

static void command(struct harness *h, const char *cmd, const char *reply)
{
    expect_sent(h, cmd);
    if (reply != NULL)
        answer(h, reply);
}

/* ---- the dialogue ---- */

/* The bring-up steps in order, as the manual has them answer. */
static const struct step_case {
    const char *cmd;
    const char *ok;
    const char *bad;      /* a negative answer other than ERROR, or NULL */
    uint8_t st;           /* enum fota_modem_step */
    uint32_t tries;
    uint32_t delay_ms;    /* before a retry */
    uint32_t timeout_ms;
} steps[] = {
    {"AT\r", "AT\r\r\nOK\r\n", NULL, FOTA_MODEM_ST_AT, 5, 0, 1000}, /* echo still on */
    {"ATE0\r", "ATE0\r\r\nOK\r\n", NULL, FOTA_MODEM_ST_ATE0, 3, 1000, 5000},
    {"AT+CPIN?\r", "\r\n+CPIN: READY\r\n\r\nOK\r\n", "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n",
     FOTA_MODEM_ST_CPIN, 10, 1000, 5000},
    {"AT+CSQ\r", "\r\n+CSQ: 18,0\r\n\r\nOK\r\n", "\r\n+CSQ: 99,99\r\n\r\nOK\r\n",
     FOTA_MODEM_ST_CSQ, 3, 1000, 5000},
    {"AT+CREG?\r", "\r\n+CREG: 0,5\r\n\r\nOK\r\n", "\r\n+CREG: 0,2\r\n\r\nOK\r\n",
     FOTA_MODEM_ST_CREG, 60, 2000, 5000},
    {"AT+CGATT?\r", "\r\n+CGATT: 1\r\n\r\nOK\r\n", "\r\n+CGATT: 0\r\n\r\nOK\r\n",
     FOTA_MODEM_ST_CGATT, 30, 2000, 5000},
    {"AT+CIPSHUT\r", "\r\nSHUT OK\r\n", NULL, FOTA_MODEM_ST_CIPSHUT, 3, 1000, 65000},
    {"AT+CIPMUX=0\r", "\r\nOK\r\n", NULL, FOTA_MODEM_ST_CIPMUX, 3, 1000, 5000},
    {"AT+CIPRXGET=1\r", "\r\nOK\r\n", NULL, FOTA_MODEM_ST_CIPRXGET, 3, 1000, 5000},
    {"AT+CIPQSEND=1\r", "\r\nOK\r\n", NULL, FOTA_MODEM_ST_CIPQSEND, 3, 1000, 5000},
    {"AT+CSTT=\"internet\",\"\",\"\"\r", "\r\nOK\r\n", NULL, FOTA_MODEM_ST_CSTT, 3, 1000,
     5000},
    {"AT+CIICR\r", "\r\nOK\r\n", NULL, FOTA_MODEM_ST_CIICR, 3, 1000, 85000},
    {"AT+CIFSR\r", "\r\n10.64.12.7\r\n", NULL, FOTA_MODEM_ST_CIFSR, 3, 1000, 5000},
};
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))
#define FIRST_CONNECT_STEP 6 /* AT+CIPSHUT */
#define QSEND_STEP 9         /* AT+CIPQSEND=1 */
#define CSTT_STEP 10
#define CIPSTART "AT+CIPSTART=\"TCP\",\"fota.example.com\",\"9995\"\r"

/* Steps from..to-1 answered as they should be. */
static void run_steps(struct harness *h, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        command(h, steps[i].cmd, steps[i].ok);
}

static void connected(struct harness *h)
{
    command(h, CIPSTART, "\r\nOK\r\n");
    expect_quiet(h);
    assert_int_equal(h->t.connect_result(h->t.ctx), FOTA_E_AGAIN);
    answer(h, "\r\nCONNECT OK\r\n");
    assert_int_equal(h->t.connect_result(h->t.ctx), 0);
}

/* connect() on a fresh driver, through to CONNECT OK. */
static void open_connection(struct harness *h)
{
    assert_int_equal(h->t.connect(h->t.ctx), FOTA_E_AGAIN);
    run_steps(h, 0, NSTEPS);
    connected(h);
}

/* A later connect: the bearer again, from AT+CIPSHUT. */
static void reconnect(struct harness *h)
{
    assert_int_equal(h->t.connect(h->t.ctx), FOTA_E_AGAIN);
    run_steps(h, FIRST_CONNECT_STEP, NSTEPS);
    connected(h);
}

static void read_all(struct harness *h, const char *want, size_t n)
{
    uint8_t buf[RX_SIZE];
    size_t got = 0;
    int rc;

    while ((rc = h->t.read(h->t.ctx, buf + got, sizeof(buf) - got)) > 0)
        got += (size_t)rc;
    assert_int_equal(got, n);
    assert_memory_equal(buf, want, n);
}

/* The whole dialogue; the same outcome however it is fed. */
static void dialogue(struct harness *h)
{
    uint8_t buf[8];

    assert_int_equal(h->t.connect(h->t.ctx), FOTA_E_AGAIN);
    run_steps(h, 0, NSTEPS);
    command(h, CIPSTART, "\r\nOK\r\n");
    answer(h, "\r\nCONNECT OK\r\n");
    assert_int_equal(h->t.connect_result(h->t.ctx), 0);
    assert_int_equal(h->t.read(h->t.ctx, buf, sizeof(buf)), FOTA_E_AGAIN);

    assert_int_equal(h->t.write(h->t.ctx, (const uint8_t *)"hello", 5), 5);
    command(h, "AT+CIPSEND=5\r", "\r\n> ");
    command(h, "hello", "\r\nDATA ACCEPT:5\r\n"); /* quick send mode */

    answer(h, "\r\n+CIPRXGET: 1\r\n");
    expect_sent(h, READ_CMD);
    answer(h, PAYLOAD_HEADER); /* the payload follows at once */
    feed(h, payload, PAYLOAD_LEN, F_RAW);
    answer(h, "\r\nOK\r\n");
    read_all(h, payload, PAYLOAD_LEN);
    assert_int_equal(h->t.read(h->t.ctx, buf, sizeof(buf)), FOTA_E_AGAIN);

    h->t.close(h->t.ctx);
    command(h, "AT+CIPCLOSE\r", "\r\nCLOSE OK\r\n");
    expect_quiet(h);
    assert_int_equal(h->t.read(h->t.ctx, buf, sizeof(buf)), FOTA_E_IO);
    assert_int_equal(h->m.connects, 1);
    assert_int_equal(h->m.bytes_in, PAYLOAD_LEN);
    assert_int_equal(h->m.bytes_out, 5);
    assert_int_equal(h->m.timeouts, 0);
    assert_int_equal(h->m.rssi, 18);
    assert_int_equal(h->m.last_error, 0);
    assert_int_equal(h->nkeys, 0);
    covered.dialogues++;
}

static size_t dialogue_bytes(void)
{
    harness_open(&H);
    dialogue(&H);
    return H.fed;
}

static void test_dialogue_whole(void **state)
{
    (void)state;
    dialogue_bytes();
    /* The UART taking 3 bytes a call: the commands still go out whole. */
    harness_open(&H);
    H.uart_room = 3;
    dialogue(&H);
}

static void test_dialogue_bytes(void **state)
{
    (void)state;
    harness_open(&H);
    H.mode = FEED_BYTES;
    dialogue(&H);
    printf("dialogue one byte at a time: %zu bytes, a step after each\n", H.fed);
}

static void test_dialogue_splits(void **state)
{
    size_t total = dialogue_bytes();

    (void)state;
    for (size_t at = 1; at < total; at++) {
        harness_open(&H);
        H.mode = FEED_SPLIT;
        H.split_at = at;
        dialogue(&H);
        covered.splits++;
    }
    printf("dialogue split in two at each of %zu points\n", total - 1);
}

/* Lines that may come at any time and change nothing here. */
static const char *const urcs[] = {
    "\r\nRING\r\n",
    "\r\n+CMTI: \"SM\",3\r\n",
    "\r\nUNDER-VOLTAGE WARNNING\r\n",
    "\r\nOVER-VOLTAGE WARNNING\r\n",
    "\r\nCall Ready\r\n",
    "\r\nSMS Ready\r\n",
    "\r\n+CFUN: 1\r\n",
    "\r\n+CREG: 1\r\n",              /* the URC form: one number */
    "\r\n+CGREG: 0\r\n",
    "\r\nNO CARRIER, OR SO\r\n",     /* unknown */
};
#define NURCS (sizeof(urcs) / sizeof(urcs[0]))

static void test_dialogue_urcs(void **state)
{
    int boundaries;

    (void)state;
    harness_open(&H);
    dialogue(&H);
    boundaries = H.boundaries;
    for (int at = 0; at < boundaries; at++) {
        for (size_t u = 0; u < NURCS; u++) {
            harness_open(&H);
            H.urc = urcs[u];
            H.urc_at = at;
            dialogue(&H);
            assert_int_equal(H.boundaries, boundaries);
        }
    }
    printf("dialogue with each of %zu unsolicited lines at each of %d line boundaries: "
           "%lu runs\n", NURCS, boundaries, covered.injections);
}

/* ---- each bring-up step: ERROR, a negative answer, no answer ---- */

/* After step k gave up: the connect failed with err, and the next connect
 * starts over from AT (the power key after AT itself). */
static void step_gave_up(struct harness *h, size_t k, int err)
{
    if (steps[k].st == FOTA_MODEM_ST_AT) {
        assert_int_equal(h->nkeys, 1);
        assert_int_equal(h->keys[0], 1);
        assert_int_equal(h->t.connect_result(h->t.ctx), FOTA_E_TIMEOUT);
        return;
    }
    if (steps[k].st == FOTA_MODEM_ST_CSQ) { /* the signal stays unknown: on */
        assert_int_equal(h->m.rssi, 99);
        command(h, steps[k + 1].cmd, NULL);
        return;
    }
    assert_int_equal(h->t.connect_result(h->t.ctx), err);
    assert_int_equal(h->m.failed_step, steps[k].st);
    assert_int_equal(h->m.last_error, err);
    h->now += 100000;
    expect_quiet(h);
    assert_int_equal(h->t.connect(h->t.ctx), FOTA_E_AGAIN);
    expect_sent(h, "AT\r");
}

static void step_fails(size_t k, const char *reply)
{
    const struct step_case *c = &steps[k];

    harness_open(&H);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, 0, k);
    if (c->st == FOTA_MODEM_ST_CIPMUX || c->st == FOTA_MODEM_ST_CIPQSEND) {
        /* Refused: the modem is in single-connection mode already (the
         * power-on default), or has no quick send mode (it answers SEND
         * OK then): the bring-up goes on at once. */
        command(&H, c->cmd, reply);
        command(&H, steps[k + 1].cmd, NULL);
        covered.error_paths++;
        return;
    }
    for (uint32_t i = 0; i < c->tries; i++) {
        if (i > 0 && c->delay_ms > 0) {
            advance(&H, c->delay_ms - 1);
            expect_quiet(&H);
            H.now++;
        }
        command(&H, c->cmd, reply);
        assert_int_equal(H.m.tries, i + 1 < c->tries ? i + 1 : 0);
    }
    step_gave_up(&H, k, FOTA_E_IO);
    covered.error_paths++;
}

static void test_step_errors(void **state)
{
    (void)state;
    for (size_t k = 0; k < NSTEPS; k++) {
        step_fails(k, "\r\nERROR\r\n");
        if (steps[k].bad != NULL)
            step_fails(k, steps[k].bad);
    }
    step_fails(2, "\r\n+CME ERROR: 10\r\n"); /* SIM not inserted */
    printf("bring-up error paths: %lu\n", covered.error_paths);
}

static void test_step_timeouts(void **state)
{
    (void)state;
    for (size_t k = 0; k < NSTEPS; k++) {
        const struct step_case *c = &steps[k];

        harness_open(&H);
        assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
        run_steps(&H, 0, k);
        for (uint32_t i = 0; i < c->tries; i++) {
            uint32_t sent_at = H.now;

            expect_sent(&H, c->cmd);
            advance(&H, c->timeout_ms - 1);
            expect_quiet(&H);
            advance_to_wake(&H);
            assert_int_equal(H.now - sent_at, c->timeout_ms);
            if (i + 1 < c->tries && c->delay_ms > 0)
                advance(&H, c->delay_ms);
        }
        assert_int_equal(H.m.timeouts, c->tries);
        step_gave_up(&H, k, FOTA_E_TIMEOUT);
        covered.timeout_paths++;
    }
    printf("bring-up timeout paths: %lu\n", covered.timeout_paths);
}

/* ---- the connection ---- */

static void test_connect_fail(void **state)
{
    (void)state;
    harness_open(&H);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, 0, NSTEPS);
    command(&H, CIPSTART, "\r\nOK\r\n");
    answer(&H, "\r\nSTATE: TCP CLOSED\r\n\r\nCONNECT FAIL\r\n");
    assert_int_equal(H.t.connect_result(H.t.ctx), FOTA_E_IO);
    assert_int_equal(H.m.failed_step, FOTA_MODEM_ST_CIPSTART);
    expect_quiet(&H);
    /* The next connect activates the bearer again (IP CLOSE allows no CIPSTART). */
    reconnect(&H);

    /* ERROR straight away (a bad address, say). */
    harness_open(&H);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, 0, NSTEPS);
    command(&H, CIPSTART, "\r\nERROR\r\n");
    assert_int_equal(H.t.connect_result(H.t.ctx), FOTA_E_IO);
    reconnect(&H);
}

static void test_connect_timeout(void **state)
{
    uint32_t t0;

    (void)state;
    harness_open(&H);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, 0, NSTEPS);
    t0 = H.now;
    command(&H, CIPSTART, "\r\nOK\r\n");
    advance_to_wake(&H);
    assert_int_equal(H.now - t0, FOTA_MODEM_CONNECT_TIMEOUT_MS);
    assert_int_equal(H.t.connect_result(H.t.ctx), FOTA_E_TIMEOUT);
    /* It may still be connecting: closed. */
    command(&H, "AT+CIPCLOSE\r", "\r\nCLOSE OK\r\n");
    expect_quiet(&H);
    reconnect(&H);

    /* A configured timeout. */
    harness_open(&H);
    H.cfg.connect_timeout_ms = 20000;
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, 0, NSTEPS);
    t0 = H.now;
    command(&H, CIPSTART, NULL);
    advance_to_wake(&H);
    assert_int_equal(H.now - t0, 20000);
    assert_int_equal(H.t.connect_result(H.t.ctx), FOTA_E_TIMEOUT);
}

static void test_already_connect(void **state)
{
    (void)state;
    harness_open(&H);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, 0, NSTEPS);
    /* A connection from before the MCU restarted: shut, and start again. */
    command(&H, CIPSTART, "\r\nALREADY CONNECT\r\n");
    assert_int_equal(H.t.connect_result(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, FIRST_CONNECT_STEP, NSTEPS);
    connected(&H);

    /* Twice in a row: given up, and the stray connection closed. */
    harness_open(&H);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, 0, NSTEPS);
    command(&H, CIPSTART, "\r\nALREADY CONNECT\r\n");
    run_steps(&H, FIRST_CONNECT_STEP, NSTEPS);
    command(&H, CIPSTART, "\r\nALREADY CONNECT\r\n");
    assert_int_equal(H.t.connect_result(H.t.ctx), FOTA_E_IO);
    command(&H, "AT+CIPCLOSE\r", "\r\nCLOSE OK\r\n");
    expect_quiet(&H);
}

static void test_send(void **state)
{
    uint8_t big[100];

    (void)state;
    memset(big, 'x', sizeof(big));
    harness_open(&H);
    open_connection(&H);
    /* At most tx_size a time; more while the CIPSEND is not issued yet. */
    assert_int_equal(H.t.write(H.t.ctx, big, 40), 40);
    assert_int_equal(H.t.write(H.t.ctx, big, sizeof(big)), TX_SIZE - 40);
    assert_int_equal(H.t.write(H.t.ctx, big, 1), FOTA_E_AGAIN);
    command(&H, "AT+CIPSEND=64\r", NULL);
    assert_int_equal(H.t.write(H.t.ctx, big, 1), FOTA_E_AGAIN);
    /* An unsolicited line before the prompt, the prompt in pieces. */
    answer(&H, "\r\n+CIPRXGET: 1\r\n\r\n");
    answer(&H, ">");
    answer(&H, " ");
    expect_sent(&H, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    assert_int_equal(H.t.write(H.t.ctx, big, 1), FOTA_E_AGAIN);
    answer(&H, "\r\nSEND OK\r\n");
    assert_int_equal(H.m.bytes_out, TX_SIZE);
    /* The data the URC announced; a write while that read is in flight
     * goes first when it ends, before the rest of the data. */
    expect_sent(&H, READ_CMD);
    assert_int_equal(H.t.write(H.t.ctx, big, 3), 3);
    answer(&H, "\r\n+CIPRXGET: 2,2,1\r\nab\r\nOK\r\n");
    command(&H, "AT+CIPSEND=3\r", "\r\n> ");
    command(&H, "xxx", "\r\nSEND OK\r\n");
    /* The read that brought "ab" is not followed by the next before
     * read() had them. */
    expect_quiet(&H);
    read_all(&H, "ab", 2);
    command(&H, READ_CMD, "\r\n+CIPRXGET: 2,1,0\r\nc\r\nOK\r\n");
    read_all(&H, "c", 1);
    expect_quiet(&H);
}

static void test_send_fail(void **state)
{
    uint8_t buf[4];

    (void)state;
    harness_open(&H);
    open_connection(&H);
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"abc", 3), 3);
    command(&H, "AT+CIPSEND=3\r", "\r\n> ");
    command(&H, "abc", "\r\nSEND FAIL\r\n");
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"abc", 3), FOTA_E_IO);
    assert_int_equal(H.m.last_error, FOTA_E_IO);
    /* The end is told once the modem is quiet: after the CIPCLOSE. */
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_AGAIN);
    command(&H, "AT+CIPCLOSE\r", "\r\nCLOSE OK\r\n");
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_IO);
    H.t.close(H.t.ctx);
    expect_quiet(&H);
    reconnect(&H);

    /* ERROR instead of the prompt. */
    harness_open(&H);
    open_connection(&H);
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"abc", 3), 3);
    command(&H, "AT+CIPSEND=3\r", "\r\nERROR\r\n");
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"abc", 3), FOTA_E_IO);
    command(&H, "AT+CIPCLOSE\r", "\r\nCLOSE OK\r\n");
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_IO);

    /* No SEND OK within the connect timeout. */
    harness_open(&H);
    open_connection(&H);
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"abc", 3), 3);
    command(&H, "AT+CIPSEND=3\r", "\r\n> ");
    command(&H, "abc", NULL);
    advance(&H, FOTA_MODEM_CONNECT_TIMEOUT_MS - 1);
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"d", 1), FOTA_E_AGAIN);
    advance(&H, 1);
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"d", 1), FOTA_E_IO);
    assert_int_equal(H.m.last_error, FOTA_E_TIMEOUT);
    command(&H, "AT+CIPCLOSE\r", "\r\nCLOSE OK\r\n");

    /* CLOSED while SEND OK is awaited: it will not come; over at once. */
    harness_open(&H);
    open_connection(&H);
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"abc", 3), 3);
    command(&H, "AT+CIPSEND=3\r", "\r\n> ");
    command(&H, "abc", "\r\nCLOSED\r\n");
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"d", 1), FOTA_E_IO);
    assert_int_equal(H.m.bytes_out, 0);
    expect_quiet(&H);
    assert_int_equal(H.m.timeouts, 0);

    /* No prompt. */
    harness_open(&H);
    open_connection(&H);
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"abc", 3), 3);
    command(&H, "AT+CIPSEND=3\r", NULL);
    advance(&H, FOTA_MODEM_COMMAND_TIMEOUT_MS);
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"d", 1), FOTA_E_IO);
}

static void test_receive(void **state)
{
    uint8_t buf[RX_SIZE];
    char big[RX_SIZE + 64];

    (void)state;
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)('A' + i % 26);
    harness_open(&H);
    open_connection(&H);
    /* No URC (lost): the periodic poll finds the data. */
    advance(&H, FOTA_MODEM_RX_POLL_MS - 1);
    expect_quiet(&H);
    advance(&H, 1);
    expect_sent(&H, READ_CMD);
    answer(&H, "\r\n+CIPRXGET: 2,0,0\r\n\r\nOK\r\n");
    expect_quiet(&H);
    advance(&H, FOTA_MODEM_RX_POLL_MS);
    expect_sent(&H, READ_CMD);
    /* A full buffer's worth, more left in the modem: asks again only once
     * read() made room, for no more than the room. */
    answer(&H, "\r\n+CIPRXGET: 2,200,64\r\n");
    input(&H, big, RX_SIZE);
    answer(&H, "\r\nOK\r\n");
    expect_quiet(&H);
    assert_int_equal(H.t.read(H.t.ctx, buf, 50), 50);
    assert_memory_equal(buf, big, 50);
    expect_sent(&H, "AT+CIPRXGET=2,50\r");
    answer(&H, "\r\n+CIPRXGET: 2,50,14\r\n");
    input(&H, big + RX_SIZE, 50);
    answer(&H, "\r\nOK\r\n");
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), RX_SIZE);
    assert_memory_equal(buf, big + 50, RX_SIZE);
    expect_sent(&H, READ_CMD);
    answer(&H, "\r\n+CIPRXGET: 2,14,0\r\n");
    input(&H, big + RX_SIZE + 50, 14);
    answer(&H, "\r\nOK\r\n");
    read_all(&H, big + RX_SIZE + 50, 14);
    /* ERROR: nothing there; the connection stays. Other CIPRXGET lines
     * (mode 4, or malformed) are not the header. */
    answer(&H, "\r\n+CIPRXGET: 1\r\n");
    command(&H, READ_CMD, "\r\n+CIPRXGET: 4,0\r\n\r\n+CIPRXGET: 2,x\r\n\r\nERROR\r\n");
    expect_quiet(&H);
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_AGAIN);
    assert_int_equal(H.m.bytes_in, RX_SIZE + 64);
}

static void test_closed_with_data(void **state)
{
    uint8_t buf[16];

    (void)state;
    harness_open(&H);
    open_connection(&H);
    answer(&H, "\r\n+CIPRXGET: 1\r\n");
    command(&H, READ_CMD, "\r\n+CIPRXGET: 2,5,3\r\nabcde\r\nOK\r\n");
    /* The server closes with 3 bytes still in the modem and 5 in rx_buf. */
    answer(&H, "\r\nCLOSED\r\n");
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"x", 1), FOTA_E_IO);
    assert_int_equal(H.t.read(H.t.ctx, buf, 2), 2);
    assert_memory_equal(buf, "ab", 2);
    /* The next read only after read() had some of the last one's bytes. */
    command(&H, "AT+CIPRXGET=2,197\r", "\r\n+CIPRXGET: 2,3,0\r\nfgh\r\nOK\r\n");
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), 6);
    assert_memory_equal(buf, "cdefgh", 6);
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_IO);
    assert_int_equal(H.t.connect_result(H.t.ctx), 0);
    expect_quiet(&H); /* no CIPCLOSE: it is closed */
    H.t.close(H.t.ctx);
    expect_quiet(&H);
    reconnect(&H);

    /* The modem refuses to read after CLOSED: the end comes at once. */
    harness_open(&H);
    open_connection(&H);
    answer(&H, "\r\n+CIPRXGET: 1\r\n\r\nCLOSED\r\n");
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_AGAIN);
    command(&H, READ_CMD, "\r\nERROR\r\n");
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_IO);
}

static void test_pdp_deact(void **state)
{
    uint8_t buf[8];

    (void)state;
    harness_open(&H);
    open_connection(&H);
    answer(&H, "\r\n+PDP: DEACT\r\n");
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_IO);
    assert_int_equal(H.t.write(H.t.ctx, buf, 1), FOTA_E_IO);
    expect_quiet(&H);
    H.t.close(H.t.ctx);
    expect_quiet(&H);
    /* The next connect redoes the bearer from AT+CIPSHUT. */
    reconnect(&H);
    assert_int_equal(H.m.connects, 2);

    /* Lost while the bearer comes up: that connect fails, the next works. */
    harness_open(&H);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, 0, NSTEPS - 2);
    command(&H, "AT+CIICR\r", "\r\n+PDP: DEACT\r\n\r\nERROR\r\n");
    assert_int_equal(H.t.connect_result(H.t.ctx), FOTA_E_IO);
    advance(&H, 5000);
    expect_quiet(&H);
    reconnect(&H);
}

static void test_close(void **state)
{
    (void)state;
    /* Closed while CIPSTART waits for CONNECT OK: closed when it comes. */
    harness_open(&H);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, 0, NSTEPS);
    command(&H, CIPSTART, "\r\nOK\r\n");
    H.t.close(H.t.ctx);
    expect_quiet(&H);
    answer(&H, "\r\nCONNECT OK\r\n");
    command(&H, "AT+CIPCLOSE\r", "\r\nCLOSE OK\r\n");
    expect_quiet(&H);
    assert_int_equal(H.m.connects, 0);

    /* Closed after the prompt: the data still goes (the modem waits for
     * it), the connection's bytes on the way in are dropped. */
    harness_open(&H);
    open_connection(&H);
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"abc", 3), 3);
    command(&H, "AT+CIPSEND=3\r", "\r\n> ");
    H.t.close(H.t.ctx);
    command(&H, "abc", "\r\nSEND OK\r\n");
    command(&H, "AT+CIPCLOSE\r", "\r\nCLOSE OK\r\n");
    harness_open(&H);
    open_connection(&H);
    answer(&H, "\r\n+CIPRXGET: 1\r\n");
    command(&H, READ_CMD, "\r\n+CIPRXGET: 2,4,0\r\nab");
    H.t.close(H.t.ctx);
    answer(&H, "cd\r\nOK\r\n");
    assert_int_equal(H.m.rx_len, 0);
    /* CLOSE OK or ERROR (already closed), or no answer: done either way. */
    command(&H, "AT+CIPCLOSE\r", "\r\nERROR\r\n");
    expect_quiet(&H);
    reconnect(&H);
    H.t.close(H.t.ctx);
    command(&H, "AT+CIPCLOSE\r", NULL);
    advance(&H, FOTA_MODEM_COMMAND_TIMEOUT_MS);
    expect_quiet(&H);
    /* close() with nothing open, twice: harmless. */
    H.t.close(H.t.ctx);
    H.t.close(H.t.ctx);
    expect_quiet(&H);
    reconnect(&H);
}

/* Quick send mode refused (a modem or emulator without it): normal mode,
 * SEND OK. Either result is taken in either mode, with or without the
 * space some manuals print after "DATA ACCEPT:". */
static void test_send_modes(void **state)
{
    (void)state;
    harness_open(&H);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, 0, QSEND_STEP);
    command(&H, steps[QSEND_STEP].cmd, "\r\nERROR\r\n");
    run_steps(&H, QSEND_STEP + 1, NSTEPS);
    connected(&H);
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"abc", 3), 3);
    command(&H, "AT+CIPSEND=3\r", "\r\n> ");
    command(&H, "abc", "\r\nSEND OK\r\n");
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"de", 2), 2);
    command(&H, "AT+CIPSEND=2\r", "\r\n> ");
    command(&H, "de", "\r\nDATA ACCEPT: 2\r\n");
    assert_int_equal(H.m.bytes_out, 5);
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"f", 1), 1);
    command(&H, "AT+CIPSEND=1\r", "\r\n> ");
    command(&H, "f", "\r\nSEND FAIL\r\n");
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"f", 1), FOTA_E_IO);
    assert_int_equal(H.m.bytes_out, 5);
    command(&H, "AT+CIPCLOSE\r", "\r\nCLOSE OK\r\n");
}

/* read() hands out nothing while a command is in flight (the reader may
 * erase flash, and the modem's bytes would be lost meanwhile); reads and
 * hand-outs take turns. */
static void test_read_quiet(void **state)
{
    uint8_t buf[RX_SIZE];
    char chunk[16];
    unsigned long turns = 0;

    (void)state;
    harness_open(&H);
    open_connection(&H);
    /* A payload on its way: none of it before the OK. */
    answer(&H, "\r\n+CIPRXGET: 1\r\n");
    command(&H, READ_CMD, "\r\n+CIPRXGET: 2,4,0\r\nab");
    assert_int_equal(H.m.rx_len, 2);
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_AGAIN);
    answer(&H, "cd\r\n");
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_AGAIN);
    answer(&H, "OK\r\n");
    read_all(&H, "abcd", 4);

    /* Bytes in rx_buf while a CIPSEND waits for its prompt, sends, and
     * waits for its result: held until DATA ACCEPT. */
    answer(&H, "\r\n+CIPRXGET: 1\r\n");
    command(&H, READ_CMD, "\r\n+CIPRXGET: 2,2,0\r\nef\r\nOK\r\n");
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"x", 1), 1);
    expect_sent(&H, "AT+CIPSEND=1\r");
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_AGAIN);
    answer(&H, "\r\n> ");
    expect_sent(&H, "x");
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_AGAIN);
    answer(&H, "\r\nDATA ACCEPT:1\r\n");
    read_all(&H, "ef", 2);

    /* Data keeps coming: each read that brought bytes waits for read(),
     * though the modem has more; a partial read() is a turn too (the next
     * asks for the room left). */
    answer(&H, "\r\n+CIPRXGET: 1\r\n");
    for (int i = 0; i < 6; i++) {
        char header[32];

        expect_sent(&H, i == 3 ? "AT+CIPRXGET=2,194\r" : READ_CMD);
        snprintf(header, sizeof(header), "\r\n+CIPRXGET: 2,10,%d\r\n", 5 - i);
        snprintf(chunk, sizeof(chunk), "chunk %d...", i);
        answer(&H, header);
        input(&H, chunk, 10);
        answer(&H, "\r\nOK\r\n");
        expect_quiet(&H);
        assert_int_equal(H.m.rx_due, i < 5);
        if (i == 2) { /* 4 bytes now, the other 6 with the next chunk */
            assert_int_equal(H.t.read(H.t.ctx, buf, 4), 4);
            assert_memory_equal(buf, "chun", 4);
        } else {
            read_all(&H, i == 3 ? "k 2...chunk 3..." : chunk, i == 3 ? 16 : 10);
        }
        turns += i < 5;
    }
    expect_quiet(&H);
    assert_int_equal(H.m.bytes_in, 4 + 2 + 60);

    /* A full rx_buf: no read at all until read() made room; then one. */
    answer(&H, "\r\n+CIPRXGET: 1\r\n");
    expect_sent(&H, READ_CMD);
    answer(&H, "\r\n+CIPRXGET: 2,200,9\r\n");
    memset(buf, 'z', sizeof(buf));
    input(&H, (const char *)buf, RX_SIZE);
    answer(&H, "\r\nOK\r\n");
    advance(&H, 10 * FOTA_MODEM_RX_POLL_MS);
    expect_quiet(&H);
    assert_int_equal(H.t.read(H.t.ctx, buf, 1), 1);
    expect_sent(&H, "AT+CIPRXGET=2,1\r");
    printf("reads and hand-outs took turns %lu times with more data waiting\n", turns);
}

/* close() sends what write() took, then closes; fota_modem_idle() says
 * when that is done. */
static void test_close_sends(void **state)
{
    (void)state;
    harness_open(&H);
    assert_int_equal(fota_modem_idle(&H.m), 1);
    open_connection(&H);
    assert_int_equal(fota_modem_idle(&H.m), 1);
    H.t.close(H.t.ctx); /* nothing to send: the close is due */
    assert_int_equal(fota_modem_idle(&H.m), 0);
    command(&H, "AT+CIPCLOSE\r", "\r\nCLOSE OK\r\n");
    assert_int_equal(fota_modem_idle(&H.m), 1);
    reconnect(&H);
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"bye", 3), 3);
    assert_int_equal(fota_modem_idle(&H.m), 0);
    H.t.close(H.t.ctx);
    command(&H, "AT+CIPSEND=3\r", "\r\n> ");
    assert_int_equal(fota_modem_idle(&H.m), 0);
    command(&H, "bye", "\r\nDATA ACCEPT:3\r\n");
    assert_int_equal(H.m.bytes_out, 3);
    assert_int_equal(fota_modem_idle(&H.m), 0);
    command(&H, "AT+CIPCLOSE\r", NULL);
    assert_int_equal(fota_modem_idle(&H.m), 0);
    answer(&H, "\r\nCLOSE OK\r\n");
    assert_int_equal(fota_modem_idle(&H.m), 1);
    expect_quiet(&H);

    /* close() while a read is in flight: the send and the close after it. */
    harness_open(&H);
    open_connection(&H);
    answer(&H, "\r\n+CIPRXGET: 1\r\n");
    expect_sent(&H, READ_CMD);
    assert_int_equal(fota_modem_idle(&H.m), 0);
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"bye", 3), 3);
    H.t.close(H.t.ctx);
    answer(&H, "\r\n+CIPRXGET: 2,2,0\r\nhi\r\nOK\r\n");
    command(&H, "AT+CIPSEND=3\r", "\r\n> ");
    command(&H, "bye", "\r\nSEND OK\r\n");
    command(&H, "AT+CIPCLOSE\r", "\r\nCLOSE OK\r\n");
    assert_int_equal(H.m.rx_len, 0);
    assert_int_equal(fota_modem_idle(&H.m), 1);

    /* The connection gone already: nothing to send, nothing to close. */
    harness_open(&H);
    open_connection(&H);
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"bye", 3), 3);
    input(&H, "\r\nCLOSED\r\n", 10);
    H.t.close(H.t.ctx);
    expect_quiet(&H);
    assert_int_equal(fota_modem_idle(&H.m), 1);
    assert_int_equal(H.m.bytes_out, 0);

    /* connect() right after close(): the old connection's send first, then
     * the new connect from AT+CIPSHUT. Its failure (SEND FAIL, or CLOSED
     * while the result is awaited) is the old connection's, not the
     * connect's. */
    for (int closed = 0; closed < 2; closed++) {
        harness_open(&H);
        open_connection(&H);
        assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"bye", 3), 3);
        H.t.close(H.t.ctx);
        assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
        command(&H, "AT+CIPSEND=3\r", "\r\n> ");
        command(&H, "bye", closed ? "\r\nCLOSED\r\n" : "\r\nSEND FAIL\r\n");
        assert_int_equal(H.t.connect_result(H.t.ctx), FOTA_E_AGAIN);
        run_steps(&H, FIRST_CONNECT_STEP, NSTEPS);
        connected(&H);
        assert_int_equal(H.m.connects, 2);
    }
}

/* The slowest connect that still succeeds: every step's tries used, each
 * failed one waiting its whole timeout, the last answered at its last
 * millisecond; it fits FOTA_MODEM_OPEN_MAX_MS, rounded up by under a
 * minute. */
static void test_open_max(void **state)
{
    uint32_t t0, elapsed, sum = FOTA_MODEM_CONNECT_TIMEOUT_MS;

    (void)state;
    harness_open(&H);
    t0 = H.now;
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    for (size_t k = 0; k < NSTEPS; k++) {
        const struct step_case *c = &steps[k];

        sum += c->tries * c->timeout_ms + (c->tries - 1) * c->delay_ms;
        for (uint32_t i = 0; i < c->tries; i++) {
            expect_sent(&H, c->cmd);
            if (i + 1 == c->tries && c->st != FOTA_MODEM_ST_CSQ) {
                advance(&H, c->timeout_ms - 1);
                answer(&H, c->ok);
                break;
            }
            advance_to_wake(&H); /* the timeout (CSQ: then on anyway) */
            if (i + 1 < c->tries && c->delay_ms > 0)
                advance_to_wake(&H);
        }
    }
    command(&H, CIPSTART, "\r\nOK\r\n");
    advance(&H, FOTA_MODEM_CONNECT_TIMEOUT_MS - 1);
    answer(&H, "\r\nCONNECT OK\r\n");
    assert_int_equal(H.t.connect_result(H.t.ctx), 0);
    elapsed = H.now - t0;
    assert_true(elapsed <= sum && sum - elapsed < 100);
    assert_true(FOTA_MODEM_OPEN_MAX_MS >= sum && FOTA_MODEM_OPEN_MAX_MS - sum < 60000u);
    printf("slowest connect: %u ms (%u timeouts), FOTA_MODEM_OPEN_MAX_MS %u\n",
           (unsigned)elapsed, (unsigned)H.m.timeouts, (unsigned)FOTA_MODEM_OPEN_MAX_MS);
}

/* ---- power ---- */

static void test_silence_power_key(void **state)
{
    (void)state;
    harness_open(&H);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    for (int i = 0; i < 5; i++) {
        expect_sent(&H, "AT\r");
        advance_to_wake(&H);
    }
    assert_int_equal(H.nkeys, 1);
    assert_int_equal(H.keys[0], 1);
    assert_int_equal(H.t.connect_result(H.t.ctx), FOTA_E_TIMEOUT);
    advance(&H, FOTA_MODEM_POWER_PRESS_MS - 1);
    assert_int_equal(H.nkeys, 1);
    advance(&H, 1);
    assert_int_equal(H.nkeys, 2);
    assert_int_equal(H.keys[1], 0);
    assert_int_equal(H.key_at[1] - H.key_at[0], FOTA_MODEM_POWER_PRESS_MS);
    /* RDY ends the wait early. */
    advance(&H, 1000);
    expect_quiet(&H);
    answer(&H, "\r\nRDY\r\n");
    expect_sent(&H, "AT\r");
    answer(&H, "\r\nOK\r\n");
    /* The agent connects again: the bring-up goes on into it. */
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, 1, NSTEPS);
    connected(&H);
    assert_int_equal(H.m.power_resets, 1);

    /* Silent again after a press: pressed once more (it was on and the
     * press turned it off), then the driver waits for the next connect. */
    harness_open(&H);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    for (int press = 0; press < 2; press++) {
        for (int i = 0; i < 5; i++) {
            expect_sent(&H, "AT\r");
            advance_to_wake(&H);
        }
        advance_to_wake(&H); /* release */
        advance_to_wake(&H); /* boot wait */
    }
    for (int i = 0; i < 5; i++) { /* the last round after the last press */
        expect_sent(&H, "AT\r");
        advance_to_wake(&H);
    }
    assert_int_equal(H.nkeys, 4);
    assert_int_equal(H.m.power_resets, 2);
    expect_quiet(&H);
    advance(&H, 100000);
    expect_quiet(&H);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    expect_sent(&H, "AT\r");

    /* The modem was on, only hung: the press turns it off (NORMAL POWER
     * DOWN while the key is held). The key is still released on time, AT
     * finds it off, the second press turns it on. */
    harness_open(&H);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    for (int i = 0; i < 5; i++) {
        expect_sent(&H, "AT\r");
        advance_to_wake(&H);
    }
    advance(&H, 1000);
    answer(&H, "\r\nNORMAL POWER DOWN\r\n");
    advance_to_wake(&H);
    assert_int_equal(H.nkeys, 2);
    assert_int_equal(H.keys[1], 0);
    assert_int_equal(H.key_at[1] - H.key_at[0], FOTA_MODEM_POWER_PRESS_MS);
    advance_to_wake(&H);
    for (int i = 0; i < 5; i++) {
        expect_sent(&H, "AT\r");
        advance_to_wake(&H);
    }
    assert_int_equal(H.nkeys, 3);
    advance_to_wake(&H);
    advance(&H, 1500);
    answer(&H, "\r\nRDY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n");
    command(&H, "AT\r", "\r\nOK\r\n");
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, 1, NSTEPS);
    connected(&H);
    assert_int_equal(H.m.power_resets, 2);

    /* No power key wired: AT probing goes on, bounded the same way. */
    harness_open(&H);
    H.cfg.ops.power_key = NULL;
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    for (int i = 0; i < 15; i++) { /* three rounds, as with the key */
        expect_sent(&H, "AT\r");
        advance_to_wake(&H);
    }
    expect_quiet(&H);
    assert_int_equal(H.t.connect_result(H.t.ctx), FOTA_E_TIMEOUT);
    assert_int_equal(H.nkeys, 0);
}

static void test_silence_connected(void **state)
{
    uint8_t buf[4];

    (void)state;
    harness_open(&H);
    open_connection(&H);
    answer(&H, "\r\n+CIPRXGET: 1\r\n");
    for (int i = 0; i < 3; i++) {
        expect_sent(&H, READ_CMD);
        advance(&H, FOTA_MODEM_COMMAND_TIMEOUT_MS);
    }
    assert_int_equal(H.nkeys, 1);
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_IO);
    assert_int_equal(H.m.last_error, FOTA_E_TIMEOUT);
    assert_int_equal(H.m.failed_step, FOTA_MODEM_ST_READ);
    advance(&H, FOTA_MODEM_POWER_PRESS_MS);
    advance(&H, FOTA_MODEM_POWER_WAIT_MS);
    command(&H, "AT\r", "\r\nOK\r\n");
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, 1, NSTEPS);
    connected(&H);
}

static void test_modem_restarts(void **state)
{
    uint8_t buf[4];

    (void)state;
    /* RDY while connected: it rebooted by itself; all is set up again. */
    harness_open(&H);
    open_connection(&H);
    answer(&H, "\r\nRDY\r\n");
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_AGAIN); /* AT in flight */
    run_steps(&H, 0, FIRST_CONNECT_STEP);
    expect_quiet(&H);
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_IO);
    H.t.close(H.t.ctx);
    reconnect(&H);

    /* RDY in the middle of a command: that command is forgotten. */
    harness_open(&H);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, 0, 4);
    command(&H, steps[4].cmd, "\r\nRDY\r\n\r\nOK\r\n");
    assert_int_equal(H.t.connect_result(H.t.ctx), FOTA_E_IO);
    run_steps(&H, 0, FIRST_CONNECT_STEP);
    expect_quiet(&H);

    /* Powered down (under-voltage): the next connect presses the key. */
    harness_open(&H);
    open_connection(&H);
    answer(&H, "\r\nUNDER-VOLTAGE WARNNING\r\n");
    assert_int_equal(H.t.connect_result(H.t.ctx), 0);
    answer(&H, "\r\nUNDER-VOLTAGE POWER DOWN\r\n");
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_IO);
    expect_quiet(&H);
    H.t.close(H.t.ctx);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    assert_int_equal(H.nkeys, 1);
    advance(&H, FOTA_MODEM_POWER_PRESS_MS);
    advance(&H, FOTA_MODEM_POWER_WAIT_MS);
    run_steps(&H, 0, NSTEPS);
    connected(&H);

    /* NORMAL POWER OFF, as the SIM800C hardware design spells it. */
    harness_open(&H);
    open_connection(&H);
    answer(&H, "\r\nNORMAL POWER OFF\r\n");
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_IO);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    assert_int_equal(H.nkeys, 1);
}

/* ---- the line parser's edges ---- */

static void test_overlong_line(void **state)
{
    char garbage[600];

    (void)state;
    for (size_t i = 0; i < sizeof(garbage); i++)
        garbage[i] = (char)(' ' + i % 90);
    harness_open(&H);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    expect_sent(&H, "AT\r");
    /* Garbage, then a line that would read OK at its end: dropped whole. */
    input(&H, garbage, sizeof(garbage));
    answer(&H, "OK\r\n");
    assert_int_equal(H.m.step, FOTA_MODEM_ST_AT);
    expect_quiet(&H);
    /* The next line is whole again. */
    answer(&H, "\r\nOK\r\n");
    command(&H, "ATE0\r", "\r\nOK\r\n");
    command(&H, steps[2].cmd, steps[2].ok);
    /* At AT+CSQ: a line one byte over the limit is dropped, one exactly at
     * it is kept (the rssi says which was taken). */
    expect_sent(&H, "AT+CSQ\r");
    memset(garbage, ' ', sizeof(garbage));
    memcpy(garbage, "\r\n+CSQ: 16,0", 12);
    input(&H, garbage, 2 + FOTA_MODEM_LINE_MAX);
    memcpy(garbage, "\r\n+CSQ: 17,0", 12);
    input(&H, garbage, 2 + FOTA_MODEM_LINE_MAX - 1);
    answer(&H, "\r\n\r\nOK\r\n");
    assert_int_equal(H.m.rssi, 17);
    /* NUL and high bytes in a line are just characters. */
    input(&H, "\r\nA\0\xff\xfe junk\r\n", 13);
    run_steps(&H, 4, NSTEPS);
    connected(&H);
}

/* A UART that takes nothing for a while: the driver waits, asks to be
 * stepped at once, and the command goes out whole later. */
static void test_uart_full(void **state)
{
    uint8_t buf[4];

    (void)state;
    harness_open(&H);
    assert_int_equal(H.t.connect_result(H.t.ctx), FOTA_E_IO); /* no connect yet */
    assert_int_equal(H.t.read(H.t.ctx, buf, sizeof(buf)), FOTA_E_IO);
    assert_int_equal(H.t.write(H.t.ctx, buf, 1), FOTA_E_IO);
    H.uart_full = 1;
    expect_quiet(&H);
    assert_int_equal(fota_modem_wake_at(&H.m), H.now);
    H.uart_full = 0;
    command(&H, "AT\r", "\r\nOK\r\n");
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, 1, NSTEPS);
    connected(&H);
    assert_int_equal(H.t.write(H.t.ctx, (const uint8_t *)"abcdef", 6), 6);
    command(&H, "AT+CIPSEND=6\r", NULL);
    H.uart_full = 1;
    answer(&H, "\r\n> ");
    assert_int_equal(fota_modem_wake_at(&H.m), H.now);
    H.uart_full = 0;
    H.uart_room = 4;
    command(&H, "abcdef", "\r\nSEND OK\r\n");
    assert_int_equal(H.m.bytes_out, 6);
}

static void test_init(void **state)
{
    struct fota_modem_config cfg;
    char longest[FOTA_MODEM_CMD_MAX];

    (void)state;
    harness_open(&H);
    cfg = H.cfg;
    assert_int_equal(fota_modem_init(&H.m, NULL), FOTA_E_INVAL);
    cfg.ops.uart_write = NULL;
    assert_int_equal(fota_modem_init(&H.m, &cfg), FOTA_E_INVAL);
    cfg = H.cfg;
    cfg.rx_size = 0;
    assert_int_equal(fota_modem_init(&H.m, &cfg), FOTA_E_INVAL);
    cfg = H.cfg;
    cfg.tx_buf = NULL;
    assert_int_equal(fota_modem_init(&H.m, &cfg), FOTA_E_INVAL);
    cfg = H.cfg;
    cfg.port = 0;
    assert_int_equal(fota_modem_init(&H.m, &cfg), FOTA_E_INVAL);
    cfg = H.cfg;
    cfg.host = "";
    assert_int_equal(fota_modem_init(&H.m, &cfg), FOTA_E_INVAL);
    cfg.host = NULL;
    assert_int_equal(fota_modem_init(&H.m, &cfg), FOTA_E_INVAL);
    cfg = H.cfg;
    cfg.apn = "in\"ternet";
    assert_int_equal(fota_modem_init(&H.m, &cfg), FOTA_E_INVAL);
    cfg.apn = "in\rternet";
    assert_int_equal(fota_modem_init(&H.m, &cfg), FOTA_E_INVAL);
    /* NULL texts are empty ones. */
    cfg = H.cfg;
    cfg.user = cfg.password = NULL;
    assert_int_equal(fota_modem_init(&H.m, &cfg), 0);
    /* The longest texts that fit the command buffer, and one more. */
    memset(longest, 'a', sizeof(longest));
    longest[FOTA_MODEM_CMD_MAX - 18] = '\0'; /* AT+CSTT="","",""\r: 17, and the NUL */
    cfg.apn = longest;
    assert_int_equal(fota_modem_init(&H.m, &cfg), 0);
    longest[FOTA_MODEM_CMD_MAX - 18] = 'a';
    longest[FOTA_MODEM_CMD_MAX - 17] = '\0';
    assert_int_equal(fota_modem_init(&H.m, &cfg), FOTA_E_INVAL);
    cfg = H.cfg;
    cfg.host = longest;
    assert_int_equal(fota_modem_init(&H.m, &cfg), FOTA_E_INVAL);

    /* A configuration with everything: user, password, port, timeouts. */
    harness_open(&H);
    H.cfg.apn = "cmnet";
    H.cfg.user = "u";
    H.cfg.password = "p w";
    H.cfg.host = "10.0.0.1";
    H.cfg.port = 65535;
    H.cfg.command_timeout_ms = 2000;
    assert_int_equal(fota_modem_init(&H.m, &H.cfg), 0);
    /* Nothing before the first step; it starts the bring-up unasked. */
    assert_int_equal(H.sent_len, 0);
    run_steps(&H, 0, 6);
    expect_quiet(&H);
    assert_int_equal(H.m.step, FOTA_MODEM_ST_NONE);
    assert_int_equal(H.t.connect(H.t.ctx), FOTA_E_AGAIN);
    run_steps(&H, FIRST_CONNECT_STEP, CSTT_STEP);
    command(&H, "AT+CSTT=\"cmnet\",\"u\",\"p w\"\r", NULL);
    advance(&H, 1999);
    expect_quiet(&H);
    advance(&H, 1);
    advance(&H, 1000);
    command(&H, "AT+CSTT=\"cmnet\",\"u\",\"p w\"\r", "\r\nOK\r\n");
    run_steps(&H, CSTT_STEP + 1, NSTEPS);
    command(&H, "AT+CIPSTART=\"TCP\",\"10.0.0.1\",\"65535\"\r", "\r\nOK\r\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_dialogue_whole),
        cmocka_unit_test(test_dialogue_bytes),
        cmocka_unit_test(test_dialogue_splits),
        cmocka_unit_test(test_dialogue_urcs),
        cmocka_unit_test(test_step_errors),
        cmocka_unit_test(test_step_timeouts),
        cmocka_unit_test(test_connect_fail),
        cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test(test_already_connect),
        cmocka_unit_test(test_send),
        cmocka_unit_test(test_send_fail),
        cmocka_unit_test(test_receive),
        cmocka_unit_test(test_closed_with_data),
        cmocka_unit_test(test_pdp_deact),
        cmocka_unit_test(test_close),
        cmocka_unit_test(test_send_modes),
        cmocka_unit_test(test_read_quiet),
        cmocka_unit_test(test_close_sends),
        cmocka_unit_test(test_open_max),
        cmocka_unit_test(test_silence_power_key),
        cmocka_unit_test(test_silence_connected),
        cmocka_unit_test(test_modem_restarts),
        cmocka_unit_test(test_overlong_line),
        cmocka_unit_test(test_uart_full),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    printf("covered: %lu whole dialogues (%lu split, %lu with an injected line), "
           "%lu commands checked, %lu bytes fed, %lu error and %lu timeout paths, "
           "%lu power-key presses\n",
           covered.dialogues, covered.splits, covered.injections, covered.commands,
           covered.bytes_fed, covered.error_paths, covered.timeout_paths,
           covered.key_presses);
    return rc;
}
