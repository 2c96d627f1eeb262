/* GIL waits per thread (see gil.h).
 *
 * CPython 3.11's take_gil waits on the GIL's condition variable in slices
 * of 5 ms (the switch interval) until the holder drops it; drop_gil, when
 * another thread asked for a switch, waits on the second condition until
 * that thread took it.  In the trace, per waiting thread:
 *
 *   mutex-release (cond) cond-wait ... cond-wake ETIMEDOUT mutex-acquire
 *   mutex-release (cond) cond-wait ... cond-wake 0 mutex-acquire
 *   ... mutex-release                   <- it has the GIL: the wait is over
 *
 * Waiting time is the sum of the cond-wait..cond-wake and mutex-wait..
 * mutex-acquire intervals; one wait runs from its first such interval to
 * the thread's next plain release of a GIL mutex. */
#include "gil.h"

#include <stdlib.h>
#include <string.h>

#include "state.h"

struct gil_thread {
    uint8_t seen;
    uint8_t blocked; /* inside a cond or mutex wait now */
    uint8_t in_wait; /* inside one wait for the GIL (maybe several
                        blocked intervals) */
    uint64_t since;  /* the blocked interval began */
    uint64_t wait_since;
    uint64_t wait_ns, max_wait_ns, waits;
};

struct gil_state {
    struct gil_thread *t;
    size_t n, cap;
};

void gil_state_free(struct gil_state *g)
{
    if (!g)
        return;
    free(g->t);
    free(g);
}

static struct gil_thread *gil_thread(struct analyzer *a, uint32_t ti)
{
    if (!a->gil) {
        a->gil = calloc(1, sizeof *a->gil);
        if (!a->gil)
            abort();
    }
    struct gil_state *g = a->gil;
    if (ti >= g->n) {
        an_grow(&g->t, &g->cap, (size_t)ti + 1, sizeof *g->t);
        memset(g->t + g->n, 0, ((size_t)ti + 1 - g->n) * sizeof *g->t);
        g->n = (size_t)ti + 1;
    }
    return &g->t[ti];
}

static void gil_block(struct gil_thread *t, uint64_t ts)
{
    t->blocked = 1;
    t->since = ts;
    if (!t->in_wait) {
        t->in_wait = 1;
        t->wait_since = ts;
        t->waits++;
    }
}

static void gil_unblock(struct gil_thread *t, uint64_t ts)
{
    if (!t->blocked)
        return;
    t->blocked = 0;
    if (ts > t->since)
        t->wait_ns += ts - t->since;
}

static void gil_wait_over(struct gil_thread *t, uint64_t ts)
{
    if (!t->in_wait)
        return;
    t->in_wait = 0;
    uint64_t len = ts > t->wait_since ? ts - t->wait_since : 0;
    if (len > t->max_wait_ns)
        t->max_wait_ns = len;
}

void gil_feed(struct analyzer *a, uint32_t ti, const struct trace_event *ev)
{
    struct gil_thread *t = gil_thread(a, ti);
    t->seen = 1;
    switch (ev->type) {
    case TRACE_EV_MUTEX_WAIT:
    case TRACE_EV_COND_WAIT:
        gil_block(t, ev->ts_ns);
        break;
    case TRACE_EV_MUTEX_ACQUIRE:
    case TRACE_EV_MUTEX_FAIL:
    case TRACE_EV_COND_WAKE:
        gil_unblock(t, ev->ts_ns);
        break;
    case TRACE_EV_MUTEX_RELEASE:
        if (!(ev->arg & TRACE_REL_COND))
            gil_wait_over(t, ev->ts_ns);
        break;
    default:
        break;
    }
}

static int gil_cmp(const void *x, const void *y)
{
    const struct gil_thread_stats *a = x, *b = y;
    if (a->proc != b->proc)
        return a->proc < b->proc ? -1 : 1;
    if (a->wait_ns != b->wait_ns)
        return a->wait_ns > b->wait_ns ? -1 : 1;
    return a->thread < b->thread ? -1 : a->thread > b->thread;
}

void gil_collect(struct analyzer *a, struct analysis_result *out)
{
    struct gil_state *g = a->gil;
    out->gil = NULL;
    out->ngil = 0;
    if (!g)
        return;
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++)
        n += g->t[i].seen && i < a->nthreads;
    if (!n)
        return;
    out->gil = calloc(n, sizeof *out->gil);
    if (!out->gil)
        abort();
    for (size_t i = 0; i < g->n && i < a->nthreads; i++) {
        struct gil_thread *t = &g->t[i];
        if (!t->seen)
            continue;
        const struct an_thread *at = &a->threads[i];
        uint64_t end = at->state == TS_EXITED ? at->exit_ts : at->last_ts;
        if (t->blocked) /* still waiting when the trace ends */
            gil_unblock(t, end);
        gil_wait_over(t, end);
        struct gil_thread_stats *s = &out->gil[out->ngil++];
        s->thread = (uint32_t)i;
        s->proc = at->proc;
        s->wait_ns = t->wait_ns;
        s->max_wait_ns = t->max_wait_ns;
        s->waits = t->waits;
        s->life_ns = end > at->first_ts ? end - at->first_ts : 0;
    }
    qsort(out->gil, out->ngil, sizeof *out->gil, gil_cmp);
}
