/*
 * fota_link: the agent over a transport (fota/link.h). The same loop as a
 * port would write by hand around fota_agent_step(), once, for every port
 * whose connection is a struct fota_transport.
 */
#include "fota/link.h"

#include "fota/error.h"

enum { LINK_CLOSED, LINK_CONNECTING, LINK_OPEN };

/* Rounds of one poll before it yields: the agent settles in a few; a bound
 * keeps a port's main loop (and its watchdog) going whatever happens. */
#define LINK_ROUNDS_MAX 64u
/* How soon to look again when the transport could not take bytes. */
#define LINK_RETRY_MS 20u

void fota_link_init(struct fota_link *link, struct fota_agent *agent,
                    const struct fota_transport *transport, uint8_t *buf, uint32_t size)
{
    *link = (struct fota_link){
        .agent = agent,
        .transport = transport,
        .buf = buf,
        .size = size,
    };
}

static void link_drop(struct fota_link *link)
{
    const struct fota_transport *t = link->transport;

    if (link->state != LINK_CLOSED)
        t->close(t->ctx);
    link->state = LINK_CLOSED;
    link->pos = link->len = 0;
}

/* The connection failed or broke: the agent backs off and retries. */
static void link_lost(struct fota_link *link)
{
    link_drop(link);
    link->failures++;
    fota_agent_disconnected(link->agent);
}

static void link_opened(struct fota_link *link)
{
    link->state = LINK_OPEN;
    link->connects++;
    fota_agent_connected(link->agent);
}

static void link_connect(struct fota_link *link)
{
    const struct fota_transport *t = link->transport;
    int rc;

    link_drop(link);
    rc = t->connect(t->ctx);
    if (rc == 0) {
        link_opened(link);
    } else if (rc == FOTA_E_AGAIN) {
        link->state = LINK_CONNECTING;
    } else {
        link->failures++;
        fota_agent_disconnected(link->agent);
    }
}

/* Moves the connection along: opened, bytes in, bytes to the agent.
 * Returns 1 when something happened. */
static int link_pump(struct fota_link *link)
{
    const struct fota_transport *t = link->transport;
    size_t used = 0;
    int rc;

    if (link->state == LINK_CONNECTING) {
        rc = t->connect_result(t->ctx);
        if (rc == FOTA_E_AGAIN)
            return 0;
        if (rc < 0) {
            link->state = LINK_CLOSED; /* the transport closed it */
            link->failures++;
            fota_agent_disconnected(link->agent);
        } else {
            link_opened(link);
        }
        return 1;
    }
    if (link->state != LINK_OPEN)
        return 0;
    if (link->pos == link->len) {
        rc = t->read(t->ctx, link->buf, link->size);
        if (rc == FOTA_E_AGAIN || rc == 0)
            return 0;
        if (rc < 0) {
            link_lost(link);
            return 1;
        }
        link->pos = 0;
        link->len = (uint32_t)rc;
    }
    if (fota_agent_input(link->agent, link->buf + link->pos, link->len - link->pos, &used) < 0)
        used = link->len - link->pos; /* it takes none now: dropped */
    link->pos += (uint32_t)used;
    return used > 0;
}

/* SEND: returns 1 when bytes went out (or the link broke), 0 when the
 * transport cannot take any now. */
static int link_send(struct fota_link *link)
{
    const struct fota_transport *t = link->transport;
    const uint8_t *p;
    size_t len;
    int rc;

    fota_agent_output(link->agent, &p, &len);
    if (link->state != LINK_OPEN || len == 0)
        return 0;
    rc = t->write(t->ctx, p, len);
    if (rc == FOTA_E_AGAIN || rc == 0)
        return 0;
    if (rc < 0)
        link_lost(link);
    else
        fota_agent_sent(link->agent, (size_t)rc);
    return 1;
}

static uint32_t link_soon(uint32_t now_ms, uint32_t wake_at)
{
    uint32_t soon = now_ms + LINK_RETRY_MS;

    return (int32_t)(wake_at - soon) < 0 ? wake_at : soon;
}

int fota_link_poll(struct fota_link *link, uint32_t now_ms)
{
    for (uint32_t round = 0; round < LINK_ROUNDS_MAX; round++) {
        int moved = link_pump(link);

        switch (fota_agent_step(link->agent, now_ms)) {
        case FOTA_AGENT_CONNECT:
            link_connect(link);
            continue;
        case FOTA_AGENT_SEND:
            if (link_send(link) || moved)
                continue;
            link->wake_at = link_soon(now_ms, fota_agent_wake_at(link->agent));
            return 0;
        case FOTA_AGENT_CLOSE:
            link_drop(link);
            continue;
        case FOTA_AGENT_RESET:
            link_drop(link);
            return FOTA_LINK_RESET;
        case FOTA_AGENT_WAIT:
            if (moved)
                continue;
            /* fall through */
        default: /* IDLE */
            link->wake_at = fota_agent_wake_at(link->agent);
            return 0;
        }
    }
    link->wake_at = now_ms;
    return 0;
}

uint32_t fota_link_wake_at(const struct fota_link *link)
{
    return link->wake_at;
}
