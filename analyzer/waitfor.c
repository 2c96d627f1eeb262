/* Deadlocks (cycles in the wait-for graph) and hangs (whole processes
 * blocked); see waitfor.h.  Both are computed from scratch at each check:
 * the cost is proportional to the number of threads, not events. */
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "waitfor.h"
#include "wakeup.h"

struct wf_edge {
    uint32_t from, to;
    uint32_t obj; /* the lock waited for, or AN_NONE (join) */
};

struct wf_graph {
    struct wf_edge *e;
    size_t n, cap;
    uint32_t *off; /* out-edges of thread t: e[off[t] .. off[t+1]) */
    uint32_t nthreads;
};

static const char *blk_call(uint8_t blk)
{
    switch (blk) {
    case BLK_MUTEX:
        return "pthread_mutex_lock";
    case BLK_RDLOCK:
        return "pthread_rwlock_rdlock";
    case BLK_WRLOCK:
        return "pthread_rwlock_wrlock";
    case BLK_SPIN:
        return "pthread_spin_lock";
    case BLK_COND:
        return "pthread_cond_wait";
    case BLK_SEM:
        return "sem_wait";
    case BLK_BARRIER:
        return "pthread_barrier_wait";
    case BLK_JOIN:
        return "pthread_join";
    case BLK_PROCWAIT:
        return "waitpid";
    }
    return "?";
}

/* The call a thread is blocked in, as its program wrote it: a Python
 * lock's wait is Lock.acquire (python.c), not the semaphore below it. */
static const char *blk_call_of(const struct analyzer *a,
                               const struct an_thread *t)
{
    if (t->blk_obj != AN_NONE && t->blk_obj < a->nobjs &&
        an_obj_is_pylock(&a->objs[t->blk_obj]))
        return "Lock.acquire";
    return blk_call(t->blk);
}

static bool thread_live(const struct analyzer *a, uint32_t t)
{
    return t < a->nthreads && a->threads[t].state == TS_RUNNING;
}

static void edge_add(struct wf_graph *g, uint32_t from, uint32_t to,
                     uint32_t obj)
{
    an_grow(&g->e, &g->cap, g->n + 1, sizeof *g->e);
    g->e[g->n++] = (struct wf_edge){from, to, obj};
}

/* Edges out of blocked thread t to the holders of lock `obj`. */
static void edges_to_holders(struct analyzer *a, struct wf_graph *g, uint32_t t,
                             uint32_t obj, bool readers_too)
{
    const struct an_obj *o = &a->objs[obj];
    if (o->owner != AN_NONE && o->owner != t && thread_live(a, o->owner))
        edge_add(g, t, o->owner, obj);
    if (!readers_too || !o->nreaders)
        return;
    for (uint32_t u = 0; u < a->nthreads; u++)
        if (u != t && thread_live(a, u) && an_held_find(&a->threads[u], obj))
            edge_add(g, t, u, obj);
}

static void edges_of(struct analyzer *a, struct wf_graph *g, uint32_t t)
{
    const struct an_thread *th = &a->threads[t];
    if (th->blk == BLK_NONE || th->blk_timed || th->state != TS_RUNNING)
        return;
    switch (th->blk) {
    case BLK_MUTEX:
    case BLK_SPIN:
    case BLK_RDLOCK:
        edges_to_holders(a, g, t, th->blk_obj, false);
        break;
    case BLK_WRLOCK:
        edges_to_holders(a, g, t, th->blk_obj, true);
        break;
    case BLK_JOIN: {
        uint32_t u = an_map_get(&a->self_map, th->proc, th->blk_target);
        if (u != t && thread_live(a, u))
            edge_add(g, t, u, AN_NONE);
        break;
    }
    case BLK_COND:
        if (th->blk_aux != AN_NONE &&
            a->objs[th->blk_obj].wake_seq != th->blk_wake_seq)
            edges_to_holders(a, g, t, th->blk_aux, false);
        break;
    }
}

static void graph_build(struct analyzer *a, struct wf_graph *g)
{
    memset(g, 0, sizeof *g);
    g->nthreads = (uint32_t)a->nthreads;
    g->off = calloc((size_t)g->nthreads + 1, sizeof *g->off);
    if (!g->off)
        abort();
    for (uint32_t t = 0; t < g->nthreads; t++) {
        g->off[t] = (uint32_t)g->n;
        edges_of(a, g, t);
    }
    g->off[g->nthreads] = (uint32_t)g->n;
}

static void graph_free(struct wf_graph *g)
{
    free(g->e);
    free(g->off);
}

/* ---- strongly connected components (Tarjan, explicit stack) ---- */

struct wf_scc {
    uint32_t *idx, *low, *comp, *stk, *call, *pos;
    uint8_t *on;
    uint32_t ncomp;
};

static void scc_compute(const struct wf_graph *g, struct wf_scc *s)
{
    uint32_t n = g->nthreads;
    s->idx = calloc(n + 1, sizeof *s->idx);
    s->low = calloc(n + 1, sizeof *s->low);
    s->comp = calloc(n + 1, sizeof *s->comp);
    s->stk = calloc(n + 1, sizeof *s->stk);
    s->call = calloc(n + 1, sizeof *s->call);
    s->pos = calloc(n + 1, sizeof *s->pos);
    s->on = calloc(n + 1, 1);
    if (!s->idx || !s->low || !s->comp || !s->stk || !s->call || !s->pos ||
        !s->on)
        abort();
    uint32_t next = 1, nstk = 0;
    s->ncomp = 0;
    for (uint32_t r = 0; r < n; r++) {
        if (s->idx[r] || g->off[r] == g->off[r + 1])
            continue;
        uint32_t ncall = 0;
        s->idx[r] = s->low[r] = next++;
        s->stk[nstk++] = r;
        s->on[r] = 1;
        s->pos[r] = g->off[r];
        s->call[ncall++] = r;
        while (ncall) {
            uint32_t v = s->call[ncall - 1];
            if (s->pos[v] < g->off[v + 1]) {
                uint32_t w = g->e[s->pos[v]++].to;
                if (!s->idx[w]) {
                    s->idx[w] = s->low[w] = next++;
                    s->stk[nstk++] = w;
                    s->on[w] = 1;
                    s->pos[w] = g->off[w];
                    s->call[ncall++] = w;
                } else if (s->on[w] && s->idx[w] < s->low[v]) {
                    s->low[v] = s->idx[w];
                }
                continue;
            }
            ncall--;
            if (s->low[v] == s->idx[v]) {
                uint32_t w;
                s->ncomp++;
                do {
                    w = s->stk[--nstk];
                    s->on[w] = 0;
                    s->comp[w] = s->ncomp;
                } while (w != v);
            }
            if (ncall) {
                uint32_t p = s->call[ncall - 1];
                if (s->low[v] < s->low[p])
                    s->low[p] = s->low[v];
            }
        }
    }
}

static void scc_free(struct wf_scc *s)
{
    free(s->idx);
    free(s->low);
    free(s->comp);
    free(s->stk);
    free(s->call);
    free(s->pos);
    free(s->on);
}

/* ---- deadlocks ---- */

/* One cycle inside the component of `start`: follow edges that stay in
 * the component until a thread repeats.  Fills cyc[] with edge indexes,
 * returns its length. */
static size_t cycle_extract(const struct wf_graph *g, const struct wf_scc *s,
                            uint32_t start, uint32_t *cyc, uint32_t *step)
{
    uint32_t c = s->comp[start];
    for (uint32_t t = 0; t < g->nthreads; t++)
        step[t] = UINT32_MAX;
    uint32_t v = start, k = 0;
    uint32_t *via = calloc(g->nthreads + 1, sizeof *via);
    if (!via)
        abort();
    while (step[v] == UINT32_MAX) {
        step[v] = k++;
        uint32_t e = g->off[v];
        while (s->comp[g->e[e].to] != c)
            e++;
        via[step[v]] = e;
        v = g->e[e].to;
    }
    size_t len = 0;
    for (uint32_t i = step[v]; i < k; i++)
        cyc[len++] = via[i];
    free(via);
    return len;
}

static void deadlock_message(struct analyzer *a, struct finding *f,
                             const struct wf_graph *g, const uint32_t *cyc,
                             size_t len)
{
    size_t cap = sizeof f->message, n = 0;
    char *m = f->message;
    n += (size_t)snprintf(m, cap, "deadlock: ");
    for (size_t i = 0; i < len && n < cap; i++) {
        const struct wf_edge *e = &g->e[cyc[i]];
        const struct an_thread *t = &a->threads[e->from];
        const char *sep = i ? "; " : "";
        if (e->obj == AN_NONE)
            n += (size_t)snprintf(m + n, cap - n,
                                  "%s" AN_T " waits to join " AN_T, sep,
                                  e->from, e->to);
        else
            n += (size_t)snprintf(
                m + n, cap - n,
                "%s" AN_T " waits for " AN_O " held by " AN_T "%s", sep,
                e->from, an_finding_object(a, f, e->obj), e->to,
                t->blk == BLK_COND ? " (to retake it after a condition wait)"
                                   : "");
    }
}

static void deadlock_report(struct analyzer *a, const struct wf_graph *g,
                            const uint32_t *cyc, size_t len)
{
    uint64_t key[34];
    size_t nkey = 0;
    for (size_t i = 0; i < len && nkey < 32; i++)
        key[nkey++] = g->e[cyc[i]].from;
    /* the same threads, wherever the cycle was entered */
    for (size_t i = 1; i < nkey; i++)
        for (size_t j = i; j > 0 && key[j - 1] > key[j]; j--) {
            uint64_t x = key[j];
            key[j] = key[j - 1];
            key[j - 1] = x;
        }
    if (an_report_find(a, FINDING_DEADLOCK, key, nkey))
        return;
    uint32_t t0 = g->e[cyc[0]].from;
    uint64_t ts = 0;
    for (size_t i = 0; i < len; i++) {
        const struct an_thread *t = &a->threads[g->e[cyc[i]].from];
        if (t->blk_since > ts)
            ts = t->blk_since;
    }
    struct finding *f =
        an_report(a, FINDING_DEADLOCK, a->threads[t0].proc, ts, key, nkey);
    if (!f)
        return;
    for (size_t i = 0; i < len; i++) {
        const struct wf_edge *e = &g->e[cyc[i]];
        an_finding_thread(f, e->from);
        a->procs[a->threads[e->from].proc].serious = AN_SERIOUS_DEADLOCK;
    }
    deadlock_message(a, f, g, cyc, len);
    for (size_t i = 0; i < len; i++) {
        const struct wf_edge *e = &g->e[cyc[i]];
        const struct an_thread *t = &a->threads[e->from];
        if (e->obj == AN_NONE) {
            an_finding_stack(a, f, t->blk_stack, e->from,
                             AN_T " blocked in pthread_join of " AN_T, e->from,
                             e->to);
            continue;
        }
        size_t o = an_finding_object(a, f, e->obj);
        an_finding_stack(a, f, t->blk_stack, e->from,
                         AN_T " blocked in %s, waiting for " AN_O, e->from,
                         blk_call_of(a, t), o);
        const struct an_held *h = an_held_find(&a->threads[e->to], e->obj);
        if (h)
            an_finding_stack(a, f, h->stack, e->to, AN_T " took " AN_O " here",
                             e->to, o);
    }
}

static bool cycle_confirmed(struct analyzer *a, const struct wf_graph *g,
                            const uint32_t *cyc, size_t len, uint64_t now,
                            bool live)
{
    if (!live)
        return true;
    for (size_t i = 0; i < len; i++) {
        const struct an_thread *t = &a->threads[g->e[cyc[i]].from];
        if (now < t->blk_since ||
            now - t->blk_since < a->opt.deadlock_confirm_ns)
            return false;
    }
    return true;
}

static size_t deadlocks_find(struct analyzer *a, const struct wf_graph *g,
                             uint64_t now, bool live)
{
    struct wf_scc s;
    scc_compute(g, &s);
    uint32_t n = g->nthreads;
    uint32_t *size = calloc(s.ncomp + 2, sizeof *size);
    uint8_t *done = calloc(s.ncomp + 2, 1);
    uint32_t *cyc = calloc(n + 1, sizeof *cyc);
    uint32_t *step = calloc(n + 1, sizeof *step);
    if (!size || !done || !cyc || !step)
        abort();
    for (uint32_t t = 0; t < n; t++)
        if (s.comp[t])
            size[s.comp[t]]++;
    size_t before = a->findings.n;
    for (uint32_t t = 0; t < n; t++) {
        uint32_t c = s.comp[t];
        if (!c || size[c] < 2 || done[c])
            continue;
        done[c] = 1;
        size_t len = cycle_extract(g, &s, t, cyc, step);
        if (len >= 2 && cycle_confirmed(a, g, cyc, len, now, live))
            deadlock_report(a, g, cyc, len);
    }
    free(size);
    free(done);
    free(cyc);
    free(step);
    scc_free(&s);
    return a->findings.n - before;
}

/* ---- hangs ---- */

struct proc_state {
    uint8_t all_blocked, external;
    uint8_t only_children; /* every thread waits for a child process */
    uint64_t since;
};

static bool wait_is_external(struct analyzer *a, const struct an_thread *t)
{
    if (t->blk == BLK_PROCWAIT)
        return true;
    return t->blk_obj != AN_NONE && a->objs[t->blk_obj].pshared;
}

static bool proc_candidate(const struct an_proc *p)
{
    return p->seen && !p->exited && !p->crashed && !p->execd;
}

static void proc_state_of(struct analyzer *a, uint32_t pi,
                          struct proc_state *ps)
{
    const struct an_proc *p = &a->procs[pi];
    memset(ps, 0, sizeof *ps);
    if (!proc_candidate(p) || p->pending_creates)
        return;
    size_t live = 0;
    ps->only_children = 1;
    for (size_t i = 0; i < p->nthreads; i++) {
        const struct an_thread *t = &a->threads[p->threads[i]];
        if (t->state != TS_RUNNING)
            continue;
        live++;
        if (t->blk == BLK_NONE || t->blk_timed)
            return;
        if (wait_is_external(a, t))
            ps->external = 1;
        if (t->blk != BLK_PROCWAIT)
            ps->only_children = 0;
        if (t->blk_since > ps->since)
            ps->since = t->blk_since;
    }
    ps->all_blocked = live > 0;
}

static void hang_describe(struct analyzer *a, struct finding *f,
                          const struct an_thread *t, uint32_t ti, char *buf,
                          size_t len)
{
    const char *call = blk_call_of(a, t);
    if (t->blk == BLK_JOIN) {
        uint32_t u = an_map_get(&a->self_map, t->proc, t->blk_target);
        if (u != AN_NONE && u < a->nthreads) {
            snprintf(buf, len, AN_T " in %s of " AN_T, ti, call, u);
            return;
        }
    } else if (t->blk == BLK_PROCWAIT) {
        snprintf(buf, len, AN_T " in waitpid(%d)", ti, (int)t->blk_target);
        return;
    }
    if (t->blk_obj == AN_NONE) {
        snprintf(buf, len, AN_T " in %s", ti, call);
        return;
    }
    size_t o = an_finding_object(a, f, t->blk_obj);
    const struct an_obj *ob = &a->objs[t->blk_obj];
    if (an_kind_is_lock(ob->kind) && ob->owner != AN_NONE && ob->owner != ti)
        snprintf(buf, len, AN_T " in %s on " AN_O " (held by " AN_T "%s)", ti,
                 call, o, ob->owner,
                 thread_live(a, ob->owner) ? "" : ", which has exited");
    else if (an_kind_is_lock(ob->kind) && ob->owner == ti)
        snprintf(buf, len, AN_T " in %s on " AN_O " (which it holds itself)",
                 ti, call, o);
    else if (an_kind_is_lock(ob->kind) && ob->ghost != AN_NONE)
        snprintf(buf, len, AN_T " in %s on " AN_O " (locked since the fork)",
                 ti, call, o);
    else
        snprintf(buf, len, AN_T " in %s on " AN_O, ti, call, o);
}

/* A thread waiting for a lock it holds itself (a Python Lock taken
 * twice): where it took it the first time. */
static void hang_self_held(struct analyzer *a, struct finding *f, uint32_t ti)
{
    struct an_thread *t = &a->threads[ti];
    if (t->blk_obj == AN_NONE || a->objs[t->blk_obj].owner != ti)
        return;
    const struct an_held *h = an_held_find(t, t->blk_obj);
    if (h)
        an_finding_stack(a, f, h->stack, ti, AN_T " took " AN_O " here first",
                         ti, an_finding_object(a, f, t->blk_obj));
}

/* `escape` (NULL: none) says what could still wake the process from
 * outside (wakeup.h): then the hang is only a warning, reported once,
 * and a real hang may still follow once that way out is gone. */
static void hang_report(struct analyzer *a, uint32_t pi,
                        const struct proc_state *ps, uint64_t now,
                        const char *escape)
{
    struct an_proc *p = &a->procs[pi];
    uint64_t key[2] = {pi, escape ? 1 : 0};
    if (!escape)
        p->hang_reported = 1;
    if (an_report_find(a, FINDING_HANG, key, 2))
        return;
    struct finding *f = an_report(a, FINDING_HANG, pi, ps->since, key, 2);
    if (!f)
        return;
    if (escape)
        f->severity = SEV_WARNING;
    size_t nlive = 0;
    for (size_t i = 0; i < p->nthreads; i++)
        if (a->threads[p->threads[i]].state == TS_RUNNING)
            nlive++;
    char *m = f->message;
    size_t cap = sizeof f->message;
    size_t n = (size_t)snprintf(m, cap,
                                "all %zu threads of process %u are blocked "
                                "(for %.1f s)",
                                nlive, p->pid, (double)(now - ps->since) / 1e9);
    if (n < cap)
        n += (size_t)snprintf(m + n, cap - n,
                              escape ? ", but something outside may still "
                                       "wake them: %s; "
                                     : "%s: ",
                              escape ? escape : "");
    size_t shown = 0;
    for (size_t i = 0; i < p->nthreads; i++) {
        uint32_t ti = p->threads[i];
        const struct an_thread *t = &a->threads[ti];
        if (t->state != TS_RUNNING)
            continue;
        an_finding_thread(f, ti);
        char d[200];
        hang_describe(a, f, t, ti, d, sizeof d);
        if (n < cap)
            n += (size_t)snprintf(m + n, cap - n, "%s%s", shown ? "; " : "", d);
        if (shown++ < 16) {
            an_finding_stack(a, f, t->blk_stack, ti, AN_T " blocked in %s", ti,
                             blk_call_of(a, t));
            hang_self_held(a, f, ti);
        }
    }
    if (n >= cap && cap > 4)
        strcpy(m + cap - 4, "...");
}

static bool hang_due(struct analyzer *a, const struct an_proc *p,
                     const struct proc_state *ps, uint64_t now, bool live)
{
    uint64_t timeout = a->opt.hang_timeout_ns;
    if (live)
        return now >= ps->since && now - ps->since >= timeout;
    uint64_t end = p->reaped ? p->reap_ts : now;
    if (end >= ps->since && end - ps->since >= timeout)
        return true;
    return !p->reaped; /* killed while hung: the trace just ends */
}

static size_t hangs_find(struct analyzer *a, uint64_t now, bool live)
{
    size_t np = a->nprocs, before = a->findings.n;
    struct proc_state *ps = calloc(np + 1, sizeof *ps);
    if (!ps)
        abort();
    bool all_hung = true;
    for (uint32_t pi = 0; pi < np; pi++) {
        proc_state_of(a, pi, &ps[pi]);
        if (proc_candidate(&a->procs[pi]) && !ps[pi].all_blocked &&
            !a->procs[pi].reaped)
            all_hung = false;
    }
    for (uint32_t pi = 0; pi < np; pi++) {
        struct an_proc *p = &a->procs[pi];
        if (!ps[pi].all_blocked || p->hang_reported)
            continue;
        if (p->serious && (!live || p->serious != AN_SERIOUS_FORK))
            continue;
        if (ps[pi].external && !all_hung)
            continue;
        /* a shell or launcher waiting for a hung child: the child's hang
         * is the finding */
        if (ps[pi].only_children)
            continue;
        if (!hang_due(a, p, &ps[pi], now, live))
            continue;
        char escape[200];
        bool may_wake = wakeup_explain(a, pi, now, escape, sizeof escape);
        hang_report(a, pi, &ps[pi], now, may_wake ? escape : NULL);
    }
    free(ps);
    return a->findings.n - before;
}

size_t waitfor_check(struct analyzer *a, uint64_t now_ns, bool live)
{
    struct wf_graph g;
    graph_build(a, &g);
    size_t n = 0;
    if (g.n)
        n += deadlocks_find(a, &g, now_ns, live);
    graph_free(&g);
    n += hangs_find(a, now_ns, live);
    return n;
}
