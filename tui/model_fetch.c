/* Re-reading short stretches of one thread (see model.h): the exact cells
 * of a window finer than the base level, the events under the cursor,
 * and a thread's activity at a moment.
 *
 * Each starts at the thread's latest checkpoint at or before the time
 * asked for: the reader seeks to the chunk holding it, the events before
 * the checkpoint's time are skipped (a checkpoint is only taken where
 * the time strictly increases, so skipping by time is exact), and the
 * checkpoint's activity is where the state machine resumes.  The cost is
 * at most MODEL_CKPT_EVERY events plus one chunk, whatever the trace's
 * size.
 */
#include <string.h>

#include "model.h"

struct model_replay {
    struct trace_thread_reader *tr;
    struct activity act;
    uint64_t cur;  /* time the activity holds from */
    uint64_t skip; /* events before this time were read already */
};

/* The latest checkpoint at or before ts (the first one when none). */
static const struct model_ckpt *model_ckpt_at(const struct model_thread *t,
                                              uint64_t ts)
{
    size_t lo = 0, hi = t->nck;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->ck[mid].ts <= ts)
            lo = mid;
        else
            hi = mid;
    }
    return &t->ck[lo];
}

static bool model_replay_start(struct model *m, size_t thread, uint64_t ts,
                               struct model_replay *rp)
{
    const struct model_thread *t = &m->th[thread];
    if (!t->started || !t->nck)
        return false;
    const struct model_ckpt *ck = model_ckpt_at(t, ts);
    rp->act = ck->act;
    rp->cur = ck->ts;
    rp->skip = ck->ts;
    rp->tr = trace_thread_reader_open(m->r, thread, ck->ts);
    return rp->tr != NULL;
}

/* The next event from the checkpoint on; its ts_ns is clamped to never
 * go back in time. */
static bool model_replay_next(struct model_replay *rp, struct trace_event *ev)
{
    struct trace_error err;
    while (trace_thread_reader_next(rp->tr, ev, &err) > 0) {
        if (ev->ts_ns < rp->skip)
            continue;
        rp->skip = 0;
        if (ev->ts_ns < rp->cur)
            ev->ts_ns = rp->cur;
        return true;
    }
    return false;
}

void model_window(struct model *m, size_t thread, uint64_t t0, unsigned shift,
                  size_t ncols, struct cell *out, uint8_t *hl)
{
    memset(out, 0, ncols * sizeof *out);
    if (hl)
        memset(hl, 0, ncols);
    const struct model_thread *t = &m->th[thread];
    struct model_replay rp;
    if (!model_replay_start(m, thread, t0, &rp))
        return;
    struct cell_sink k;
    cell_sink_init(&k, out, hl, ncols, t0, shift);
    uint64_t t1 = t0 + ((uint64_t)ncols << shift);
    struct trace_event ev;
    bool more = false;
    while (model_replay_next(&rp, &ev)) {
        uint64_t ts = ev.ts_ns;
        cell_sink_add(&k, rp.cur, ts < t1 ? ts : t1, activity_now(&rp.act),
                      model_hl_bits(m, thread, &rp.act));
        if (ts >= t1) {
            more = true;
            break;
        }
        uint8_t flags = ev.type == TRACE_EV_SIGNAL ? CELL_CRASH | CELL_EXC : 0;
        cell_sink_event(&k, ts, flags);
        activity_apply(&rp.act, &ev, NULL);
        rp.cur = ts;
    }
    if (!more && rp.act.alive && t->stop_ns > rp.cur)
        cell_sink_add(&k, rp.cur, t->stop_ns < t1 ? t->stop_ns : t1,
                      activity_now(&rp.act), model_hl_bits(m, thread, &rp.act));
    if (!more && t->ended) /* after its end, as far as the model goes */
        cell_sink_add(&k, t->stop_ns > rp.cur ? t->stop_ns : rp.cur,
                      t->cur_ns < t1 ? t->cur_ns : t1, ACT_END, 0);
    cell_sink_flush(&k);
    trace_thread_reader_close(rp.tr);
}

size_t model_fetch(struct model *m, size_t thread, uint64_t t0, uint64_t t1,
                   model_event_fn *fn, void *ctx)
{
    struct model_replay rp;
    if (!model_replay_start(m, thread, t0, &rp))
        return 0;
    size_t n = 0;
    struct trace_event ev;
    while (model_replay_next(&rp, &ev) && ev.ts_ns < t1) {
        if (ev.ts_ns >= t0) {
            n++;
            if (!fn(ctx, &ev, &rp.act))
                break;
        }
        activity_apply(&rp.act, &ev, NULL);
        rp.cur = ev.ts_ns;
    }
    trace_thread_reader_close(rp.tr);
    return n;
}

void model_activity_at(struct model *m, size_t thread, uint64_t ts,
                       struct activity *out)
{
    activity_init(out);
    struct model_replay rp;
    if (!model_replay_start(m, thread, ts, &rp))
        return;
    struct trace_event ev;
    while (model_replay_next(&rp, &ev) && ev.ts_ns <= ts) {
        activity_apply(&rp.act, &ev, NULL);
        rp.cur = ev.ts_ns;
    }
    trace_thread_reader_close(rp.tr);
    *out = rp.act;
    /* a thread whose process ended without its own exit event */
    const struct model_thread *t = &m->th[thread];
    if (out->alive && ts > t->stop_ns && (t->ended || !m->live)) {
        out->alive = false;
        out->ended = true;
    }
}

/* Finds the last event of a stretch: its time, and how many events
 * with the same time come before it. */
struct model_last {
    bool found;
    uint64_t ts;
    size_t same;
};

static bool model_last_note(void *ctx, const struct trace_event *ev,
                            const struct activity *before)
{
    (void)before;
    struct model_last *l = ctx;
    l->same = l->found && ev->ts_ns == l->ts ? l->same + 1 : 0;
    l->found = true;
    l->ts = ev->ts_ns;
    return true;
}

/* Passes on the n-th event only. */
struct model_nth {
    model_event_fn *fn;
    void *ctx;
    size_t n;
};

static bool model_nth_pass(void *ctx, const struct trace_event *ev,
                           const struct activity *before)
{
    struct model_nth *k = ctx;
    if (k->n-- > 0)
        return true;
    k->fn(k->ctx, ev, before);
    return false;
}

bool model_fetch_last(struct model *m, size_t thread, uint64_t ts,
                      model_event_fn *fn, void *ctx)
{
    const struct model_thread *t = &m->th[thread];
    if (!t->started || !t->nck || ts <= t->first_ns)
        return false;
    /* from the checkpoint before ts back to earlier ones */
    size_t i = (size_t)(model_ckpt_at(t, ts - 1) - t->ck) + 1;
    while (i-- > 0) {
        struct model_last last = {0};
        model_fetch(m, thread, t->ck[i].ts, ts, model_last_note, &last);
        if (!last.found)
            continue;
        /* read it again for fn, with its stack and payload */
        struct model_nth k = {fn, ctx, last.same};
        model_fetch(m, thread, last.ts, last.ts + 1, model_nth_pass, &k);
        return true;
    }
    return false;
}

void model_window_cell(struct model *m, size_t thread, uint64_t t0,
                       unsigned shift, struct cell *out, uint8_t *hl)
{
    if (shift < m->base_shift || shift - m->base_shift >= m->levels) {
        model_window(m, thread, t0 & ~((1ull << shift) - 1), shift, 1, out, hl);
        return;
    }
    unsigned k = shift - m->base_shift;
    uint64_t i = t0 >> shift;
    memset(out, 0, sizeof *out);
    *hl = 0;
    if (i < model_level_cells(m, k)) {
        *out = m->th[thread].lv[k][i];
        *hl = m->th[thread].hl[k] ? m->th[thread].hl[k][i] : 0;
    }
}

void model_cells(struct model *m, size_t thread, uint64_t t0, unsigned shift,
                 size_t ncols, struct cell *out, uint8_t *hl)
{
    if (shift < m->base_shift) {
        model_window(m, thread, t0, shift, ncols, out, hl);
        return;
    }
    unsigned k = shift - m->base_shift;
    const struct cell *lv = model_level(m, thread, k);
    const uint8_t *lhl = k < m->levels ? m->th[thread].hl[k] : NULL;
    size_t n = lv ? model_level_cells(m, k) : 0;
    uint64_t first = t0 >> shift;
    for (size_t c = 0; c < ncols; c++) {
        uint64_t i = first + c;
        if (i < n) {
            out[c] = lv[i];
            hl[c] = lhl ? lhl[i] : 0;
        } else {
            memset(&out[c], 0, sizeof out[c]);
            hl[c] = 0;
        }
    }
}
