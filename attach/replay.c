/* Replaying a snapshot through the analyzer (replay.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "excgroup.h"
#include "format.h"
#include "replay.h"

/* The replay's clock: setup events at small times, each wait at
 * REPLAY_NOW minus how long its thread has not run. */
#define REPLAY_NOW 1000000000000000ull

struct rp {
    struct analyzer *a;
    const struct snapshot *s;
    struct replay *out;
    uint64_t setup_ts;
    uint64_t stack[SNAP_MAX_FRAMES + SNAP_MAX_PYFRAMES];
    struct {
        uint32_t proc;
        uint64_t obj;
    } * inited; /* objects given an init event */
    size_t ninited;
};

/* Whether (proc, obj) still needs its init event (then it is marked):
 * a second init of a semaphore would be a misuse of the replay's own. */
static bool rp_init_once(struct rp *r, uint32_t proc, uint64_t obj)
{
    for (size_t i = 0; i < r->ninited; i++)
        if (r->inited[i].proc == proc && r->inited[i].obj == obj)
            return false;
    void *v = realloc(r->inited, (r->ninited + 1) * sizeof *r->inited);
    if (!v)
        abort();
    r->inited = v;
    r->inited[r->ninited].proc = proc;
    r->inited[r->ninited++].obj = obj;
    return true;
}

static void rp_event(struct rp *r, uint32_t thread, uint32_t type, uint64_t obj,
                     uint32_t arg, uint64_t ts, const uint64_t *pcs,
                     uint32_t depth, const void *payload, uint32_t len)
{
    const struct trace_thread *t = &r->out->threads[thread];
    struct trace_event ev;
    memset(&ev, 0, sizeof ev);
    ev.ts_ns = ev.clock = ts ? ts : ++r->setup_ts;
    ev.type = type;
    ev.arg = arg;
    ev.proc = t->proc;
    ev.pid = r->out->procs[t->proc].pid;
    ev.thread = thread;
    ev.tid = t->tid;
    ev.obj = obj;
    ev.site = depth ? pcs[0] : 0;
    ev.site_stack = depth ? pcs : NULL;
    ev.site_depth = depth;
    ev.payload = payload;
    ev.payload_len = len;
    analyzer_feed(r->a, &ev);
}

static void rp_simple(struct rp *r, uint32_t thread, uint32_t type,
                      uint64_t obj, uint32_t arg)
{
    rp_event(r, thread, type, obj, arg, 0, NULL, 0, NULL, 0);
}

/* Thread list entry i (snapshot thread, or a gone holder after them). */
static uint32_t rp_add_thread(struct rp *r, uint32_t proc, pid_t tid,
                              const char *name)
{
    struct replay *o = r->out;
    struct trace_thread *v =
        realloc(o->threads, (o->nthreads + 1) * sizeof *o->threads);
    if (!v)
        abort();
    o->threads = v;
    struct trace_thread *t = &o->threads[o->nthreads];
    memset(t, 0, sizeof *t);
    t->proc = proc;
    t->tid = (uint32_t)tid;
    t->serial = (uint32_t)o->nthreads;
    snprintf(t->name, sizeof t->name, "%s", name);
    analyzer_set_thread(r->a, (uint32_t)o->nthreads, proc, t->tid, t->serial);
    return (uint32_t)o->nthreads++;
}

static uint32_t rp_main_thread(const struct snapshot *s, uint32_t pi)
{
    const struct snap_proc *p = &s->procs[pi];
    long m = snapshot_thread_of(s, pi, p->pid);
    return m >= 0 ? (uint32_t)m : (uint32_t)p->first_thread;
}

/* Processes and threads begin. */
static void rp_setup(struct rp *r)
{
    const struct snapshot *s = r->s;
    struct replay *o = r->out;
    o->nprocs = s->nprocs;
    o->procs = calloc(s->nprocs + 1, sizeof *o->procs);
    if (!o->procs)
        abort();
    for (uint32_t pi = 0; pi < s->nprocs; pi++) {
        const struct snap_proc *p = &s->procs[pi];
        o->procs[pi] = (struct trace_process){.pid = (uint32_t)p->pid,
                                              .ppid = (uint32_t)p->ppid,
                                              .parent = p->parent,
                                              .exec_from = -1,
                                              .exe = p->exe,
                                              .cmdline = p->cmdline,
                                              .path = p->exe};
        analyzer_set_process(r->a, pi, (uint32_t)p->pid, (uint32_t)p->ppid,
                             p->parent);
    }
    for (size_t i = 0; i < s->nthreads; i++)
        rp_add_thread(r, s->threads[i].proc, s->threads[i].pt.tid,
                      s->threads[i].pt.name);
    for (uint32_t pi = 0; pi < s->nprocs; pi++) {
        const struct snap_proc *p = &s->procs[pi];
        uint32_t m = rp_main_thread(s, pi);
        struct trace_process_info info = {(uint32_t)p->pid, (uint32_t)p->ppid,
                                          UINT32_MAX, 0};
        rp_event(r, m, TRACE_EV_PROCESS_START, 0, sizeof info, 0, NULL, 0,
                 &info, sizeof info);
        for (size_t i = p->first_thread; i < p->first_thread + p->nthreads; i++)
            rp_simple(r, (uint32_t)i, TRACE_EV_THREAD_START,
                      (uint64_t)s->threads[i].pt.tid, UINT32_MAX);
        if (p->python) {
            struct trace_pyruntime_info pi_info = {p->py_lo, p->py_hi,
                                                   0x030b00f0, 0};
            rp_event(r, m, TRACE_EV_PY_RUNTIME, 0, sizeof pi_info, 0, NULL, 0,
                     &pi_info, sizeof pi_info);
        }
    }
}

/* A lock held by a thread that no longer exists: a thread of the list
 * that took it and ended, as the trace of it would show. */
static uint32_t rp_gone_holder(struct rp *r, uint32_t proc, pid_t tid)
{
    const struct replay *o = r->out;
    for (size_t i = r->s->nthreads; i < o->nthreads; i++)
        if (o->threads[i].proc == proc && o->threads[i].tid == (uint32_t)tid)
            return (uint32_t)i;
    uint32_t g = rp_add_thread(r, proc, tid, "(exited)");
    rp_simple(r, g, TRACE_EV_THREAD_START, (uint64_t)tid, UINT32_MAX);
    return g;
}

static void rp_gone_exit(struct rp *r)
{
    for (size_t i = r->s->nthreads; i < r->out->nthreads; i++)
        rp_simple(r, (uint32_t)i, TRACE_EV_THREAD_EXIT,
                  (uint64_t)r->out->threads[i].tid, TRACE_EXIT_RETURN);
}

/* Holders take the locks others wait for; objects that need an init
 * (semaphores, barriers, Python locks) get one. */
static void rp_holds(struct rp *r)
{
    const struct snapshot *s = r->s;
    for (size_t i = 0; i < s->nthreads; i++) {
        const struct snap_thread *t = &s->threads[i];
        uint32_t m = rp_main_thread(s, t->proc);
        bool first = (t->wait == SW_SEM || t->wait == SW_BARRIER) &&
                     rp_init_once(r, t->proc, t->obj);
        if (t->wait == SW_SEM && first)
            rp_simple(r, m, TRACE_EV_SEM_INIT, t->obj, t->value);
        else if (t->wait == SW_BARRIER && first)
            rp_simple(r, m, TRACE_EV_BARRIER_INIT, t->obj, t->value);
        if (!t->owner || (t->wait != SW_MUTEX && t->wait != SW_WRLOCK &&
                          t->wait != SW_RDLOCK))
            continue;
        long h = snapshot_thread_of(s, t->proc, t->owner);
        uint32_t holder =
            h >= 0 ? (uint32_t)h : rp_gone_holder(r, t->proc, t->owner);
        rp_simple(r, holder,
                  t->wait == SW_MUTEX ? TRACE_EV_MUTEX_ACQUIRE
                                      : TRACE_EV_RWLOCK_WRACQUIRE,
                  t->obj, TRACE_ACQ_LOCK);
    }
    rp_gone_exit(r);
}

/* CPython locks: made inside the interpreter, taken by the threads whose
 * `with` blocks hold them. */
static void rp_pylocks(struct rp *r)
{
    const struct snapshot *s = r->s;
    for (size_t i = 0; i < s->nthreads; i++) {
        const struct snap_thread *t = &s->threads[i];
        const struct snap_proc *p = &s->procs[t->proc];
        uint32_t m = rp_main_thread(s, t->proc);
        if (!p->python)
            continue;
        if (t->wait == SW_PYLOCK && rp_init_once(r, t->proc, t->obj))
            rp_event(r, m, TRACE_EV_SEM_INIT, t->obj, 1, 0, &p->py_lo, 1, NULL,
                     0);
        for (size_t k = 0; k < t->npyheld; k++)
            if (rp_init_once(r, t->proc, t->pyheld[k]))
                rp_event(r, m, TRACE_EV_SEM_INIT, t->pyheld[k], 1, 0, &p->py_lo,
                         1, NULL, 0);
    }
    for (size_t i = 0; i < s->nthreads; i++)
        for (size_t k = 0; k < s->threads[i].npyheld; k++)
            rp_simple(r, (uint32_t)i, TRACE_EV_SEM_ACQUIRE,
                      s->threads[i].pyheld[k], TRACE_ACQ_LOCK);
}

static uint32_t rp_wait_event(enum snap_wait w)
{
    switch (w) {
    case SW_MUTEX:
        return TRACE_EV_MUTEX_WAIT;
    case SW_RDLOCK:
        return TRACE_EV_RWLOCK_RDWAIT;
    case SW_WRLOCK:
        return TRACE_EV_RWLOCK_WRWAIT;
    case SW_COND:
        return TRACE_EV_COND_WAIT;
    case SW_SEM:
    case SW_PYLOCK:
        return TRACE_EV_SEM_WAIT;
    case SW_BARRIER:
        return TRACE_EV_BARRIER_WAIT;
    case SW_JOIN:
        return TRACE_EV_THREAD_JOIN_WAIT;
    case SW_WAITPID:
        return TRACE_EV_PROCESS_WAIT;
    default:
        return 0; /* not a synchronization wait */
    }
}

static uint64_t rp_since(const struct snap_thread *t)
{
    double idle = t->pt.idle_s > 0 ? t->pt.idle_s : 0;
    uint64_t back = (uint64_t)(idle * 1e9);
    return back < REPLAY_NOW / 2 ? REPLAY_NOW - back : REPLAY_NOW / 2;
}

static int rp_since_cmp(const void *x, const void *y, void *ctx)
{
    const struct snapshot *s = ctx;
    uint64_t a = rp_since(&s->threads[*(const size_t *)x]);
    uint64_t b = rp_since(&s->threads[*(const size_t *)y]);
    return (a > b) - (a < b);
}

/* One blocked thread begins its wait, with its stack: Python frames
 * first, then C frames. */
static void rp_wait(struct rp *r, size_t i)
{
    const struct snap_thread *t = &r->s->threads[i];
    uint32_t type = rp_wait_event(t->wait);
    if (!type)
        return;
    uint32_t n = 0;
    for (size_t k = 0; k < t->npy; k++)
        r->stack[n++] = t->py[k];
    for (size_t k = 0; k < t->depth && n < STACK_MAX_FRAMES; k++)
        r->stack[n++] = t->pcs[k];
    uint64_t obj = t->wait == SW_JOIN      ? (uint64_t)t->owner
                   : t->wait == SW_WAITPID ? 0
                                           : t->obj;
    uint32_t arg =
        t->wait == SW_WAITPID ? (uint32_t)t->wait_pid : (uint32_t)t->timed;
    rp_event(r, (uint32_t)i, type, obj, arg, rp_since(t), r->stack, n, NULL, 0);
}

static void rp_waits(struct rp *r)
{
    const struct snapshot *s = r->s;
    size_t *order = calloc(s->nthreads + 1, sizeof *order);
    if (!order)
        abort();
    for (size_t i = 0; i < s->nthreads; i++)
        order[i] = i;
    qsort_r(order, s->nthreads, sizeof *order, rp_since_cmp, (void *)s);
    for (size_t i = 0; i < s->nthreads; i++)
        rp_wait(r, order[i]);
    free(order);
    /* the moment of the snapshot: a harmless event at REPLAY_NOW */
    if (s->nthreads)
        rp_event(r, 0, TRACE_EV_THREAD_NAME, (uint64_t)s->threads[0].pt.tid, 0,
                 REPLAY_NOW, NULL, 0, NULL, 0);
}

/* What a live snapshot cannot know is left out: stacks of where a lock
 * was taken (none recorded), contention figures (no history) and
 * exception groups (the processes have not ended: the replay only
 * stops short of their end). */
static void rp_trim(const struct snapshot *s, struct analysis_result *res)
{
    for (size_t i = 0; i < res->nfindings; i++) {
        struct finding *f = &res->findings[i];
        /* a CPython lock's creation site is the replay's own (the start
           of the interpreter's code): name it by what it is instead */
        for (size_t j = 0; j < f->nobjects; j++) {
            struct finding_object *o = &f->objects[j];
            if (o->proc < s->nprocs && s->procs[o->proc].python &&
                o->create_pc == s->procs[o->proc].py_lo) {
                o->create_pc = 0;
                snprintf(o->name, sizeof o->name, "threading.Lock 0x%llx",
                         (unsigned long long)o->addr);
            }
        }
        size_t k = 0;
        for (size_t j = 0; j < f->nstacks; j++)
            if (f->stacks[j].depth)
                f->stacks[k++] = f->stacks[j];
        f->nstacks = k;
    }
    free(res->contention);
    res->contention = NULL;
    res->ncontention = 0;
    excgroup_result_free(res);
    res->events = 0;
    res->duration_ns = 0;
}

void replay_snapshot(const struct snapshot *s, struct replay *out)
{
    memset(out, 0, sizeof *out);
    struct analyzer_options o;
    analyzer_options_default(&o);
    o.no_races = true;
    struct rp r = {.a = analyzer_new(&o, NULL), .s = s, .out = out};
    rp_setup(&r);
    rp_holds(&r);
    rp_pylocks(&r);
    rp_waits(&r);
    analyzer_finish(r.a, &out->res);
    analyzer_free(r.a);
    rp_trim(s, &out->res);
    free(r.inited);
}

void replay_free(struct replay *r)
{
    analysis_result_free(&r->res);
    free(r->procs);
    free(r->threads);
    memset(r, 0, sizeof *r);
}
