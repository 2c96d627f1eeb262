/* Misuse findings (see misuse.h): one reporter per kind.  Every finding
 * here is keyed by its process family and the call sites involved, so a
 * misuse repeated in a loop, or on many objects from the same code, is
 * one finding with a count. */
#include <string.h>

#include "misuse.h"
#include "state.h"

static struct finding *begin(struct analyzer *a, enum finding_kind kind,
                             uint32_t thread, uint64_t ts, uint64_t k1,
                             uint64_t k2, uint64_t k3)
{
    uint32_t proc = a->threads[thread].proc;
    uint64_t key[4] = {a->procs[proc].root, k1, k2, k3};
    struct finding *f = an_report(a, kind, proc, ts, key, 4);
    if (f)
        an_finding_thread(f, thread);
    return f;
}

static const char *ev_call(uint32_t type)
{
    switch (type) {
    case TRACE_EV_MUTEX_WAIT:
    case TRACE_EV_MUTEX_ACQUIRE:
    case TRACE_EV_MUTEX_FAIL:
        return "locks";
    case TRACE_EV_MUTEX_RELEASE:
    case TRACE_EV_RWLOCK_RELEASE:
    case TRACE_EV_SPIN_RELEASE:
        return "unlocks";
    case TRACE_EV_RWLOCK_RDWAIT:
    case TRACE_EV_RWLOCK_RDACQUIRE:
        return "read-locks";
    case TRACE_EV_RWLOCK_WRWAIT:
    case TRACE_EV_RWLOCK_WRACQUIRE:
        return "write-locks";
    case TRACE_EV_SPIN_WAIT:
    case TRACE_EV_SPIN_ACQUIRE:
        return "spin-locks";
    case TRACE_EV_COND_WAIT:
        return "waits on";
    case TRACE_EV_COND_SIGNAL:
        return "signals";
    case TRACE_EV_COND_BROADCAST:
        return "broadcasts";
    case TRACE_EV_SEM_WAIT:
    case TRACE_EV_SEM_ACQUIRE:
        return "waits on";
    case TRACE_EV_SEM_POST:
        return "posts";
    case TRACE_EV_BARRIER_WAIT:
        return "waits on";
    case TRACE_EV_MUTEX_DESTROY:
    case TRACE_EV_RWLOCK_DESTROY:
    case TRACE_EV_SPIN_DESTROY:
    case TRACE_EV_COND_DESTROY:
    case TRACE_EV_SEM_DESTROY:
    case TRACE_EV_BARRIER_DESTROY:
        return "destroys";
    }
    return "uses";
}

/* The hold of `obj` by `thread`, or NULL. */
static const struct an_held *hold_of(struct analyzer *a, uint32_t thread,
                                     uint32_t obj)
{
    if (thread == AN_NONE || thread >= a->nthreads)
        return NULL;
    return an_held_find(&a->threads[thread], obj);
}

void misuse_double_lock(struct analyzer *a, uint32_t thread, uint32_t obj,
                        const struct trace_event *ev,
                        const struct an_held *held)
{
    uint32_t first = held ? held->stack : 0;
    struct finding *f = begin(a, FINDING_DOUBLE_LOCK, thread, ev->ts_ns,
                              ev->site, an_stack_top(a, first), 0);
    if (!f)
        return;
    size_t o = an_finding_object(a, f, obj);
    an_finding_message(f, AN_T " %s " AN_O " again while it already holds it%s",
                       thread, ev_call(ev->type), o,
                       held && !held->write ? " for reading" : "");
    an_finding_stack(a, f, an_stack_of(a, ev), thread,
                     AN_T " %s " AN_O " again here", thread, ev_call(ev->type),
                     o);
    if (first)
        an_finding_stack(a, f, first, thread, AN_T " took " AN_O " here",
                         thread, o);
}

void misuse_unlock_unlocked(struct analyzer *a, uint32_t thread, uint32_t obj,
                            const struct trace_event *ev)
{
    struct finding *f =
        begin(a, FINDING_UNLOCK_OF_UNLOCKED, thread, ev->ts_ns, ev->site, 0, 0);
    if (!f)
        return;
    size_t o = an_finding_object(a, f, obj);
    an_finding_message(f, AN_T " unlocks " AN_O ", which no thread holds",
                       thread, o);
    an_finding_stack(a, f, an_stack_of(a, ev), thread,
                     AN_T " unlocks " AN_O " here", thread, o);
}

void misuse_unlock_non_owner(struct analyzer *a, uint32_t thread, uint32_t obj,
                             uint32_t owner, const struct trace_event *ev)
{
    const struct an_held *h = hold_of(a, owner, obj);
    uint32_t hs = h ? h->stack : 0;
    struct finding *f = begin(a, FINDING_UNLOCK_BY_NON_OWNER, thread, ev->ts_ns,
                              ev->site, an_stack_top(a, hs), 0);
    if (!f)
        return;
    size_t o = an_finding_object(a, f, obj);
    if (owner != AN_NONE) {
        an_finding_thread(f, owner);
        an_finding_message(f, AN_T " unlocks " AN_O ", which " AN_T " holds",
                           thread, o, owner);
    } else {
        an_finding_message(
            f, AN_T " unlocks " AN_O ", which other threads hold for reading",
            thread, o);
    }
    an_finding_stack(a, f, an_stack_of(a, ev), thread,
                     AN_T " unlocks " AN_O " here", thread, o);
    if (hs)
        an_finding_stack(a, f, hs, owner, AN_T " took " AN_O " here", owner, o);
}

/* A thread that holds lock `obj` (exclusively, else for reading). */
static uint32_t any_holder(struct analyzer *a, uint32_t obj)
{
    const struct an_obj *o = &a->objs[obj];
    if (o->owner != AN_NONE)
        return o->owner;
    for (size_t t = 0; t < a->nthreads; t++)
        if (an_held_find(&a->threads[t], obj))
            return (uint32_t)t;
    return AN_NONE;
}

/* A thread blocked on `obj` (a cond's waiter). */
static uint32_t any_waiter(struct analyzer *a, uint32_t obj, uint8_t blk)
{
    for (size_t t = 0; t < a->nthreads; t++)
        if (a->threads[t].blk == blk && a->threads[t].blk_obj == obj)
            return (uint32_t)t;
    return AN_NONE;
}

static bool ev_is_init(uint32_t type)
{
    return type == TRACE_EV_MUTEX_INIT || type == TRACE_EV_RWLOCK_INIT ||
           type == TRACE_EV_SPIN_INIT || type == TRACE_EV_COND_INIT;
}

void misuse_destroy_locked(struct analyzer *a, uint32_t thread, uint32_t obj,
                           const struct trace_event *ev)
{
    const struct an_obj *ob = &a->objs[obj];
    bool cond = ob->kind == AN_COND;
    uint32_t other = cond ? any_waiter(a, obj, BLK_COND) : any_holder(a, obj);
    const struct an_held *h = cond ? NULL : hold_of(a, other, obj);
    uint32_t os = cond ? (other != AN_NONE ? a->threads[other].blk_stack : 0)
                       : (h ? h->stack : 0);
    struct finding *f = begin(a, FINDING_DESTROY_OF_LOCKED, thread, ev->ts_ns,
                              ev->site, an_stack_top(a, os), 0);
    if (!f)
        return;
    size_t o = an_finding_object(a, f, obj);
    const char *what = ev_is_init(ev->type) ? "initialises" : "destroys";
    const char *again = ev_is_init(ev->type) ? " again" : "";
    if (other != AN_NONE)
        an_finding_thread(f, other);
    if (cond)
        an_finding_message(f,
                           AN_T " %s " AN_O "%s while %u thread(s) wait on it",
                           thread, what, o, again, ob->waiters);
    else if (other == thread)
        an_finding_message(f, AN_T " %s " AN_O "%s while holding it", thread,
                           what, o, again);
    else
        an_finding_message(f, AN_T " %s " AN_O "%s while " AN_T " holds it",
                           thread, what, o, again, other);
    an_finding_stack(a, f, an_stack_of(a, ev), thread, AN_T " %s " AN_O " here",
                     thread, what, o);
    if (os)
        an_finding_stack(a, f, os, other,
                         cond ? AN_T " waits on " AN_O " here"
                              : AN_T " took " AN_O " here",
                         other, o);
}

void misuse_use_destroyed(struct analyzer *a, uint32_t thread, uint32_t obj,
                          const struct trace_event *ev)
{
    const struct an_obj *ob = &a->objs[obj];
    struct finding *f = begin(a, FINDING_USE_OF_DESTROYED, thread, ev->ts_ns,
                              ev->site, an_stack_top(a, ob->destroy_stack), 0);
    if (!f)
        return;
    size_t o = an_finding_object(a, f, obj);
    uint32_t d = ob->destroy_thread;
    const char *call = ev_call(ev->type);
    if (d != AN_NONE) {
        an_finding_thread(f, d);
        an_finding_message(
            f, AN_T " %s " AN_O " after " AN_T " destroyed it%s", thread, call,
            o, d, strcmp(call, "destroys") == 0 ? " (destroyed twice)" : "");
    } else {
        an_finding_message(f, AN_T " %s " AN_O " after it was destroyed",
                           thread, call, o);
    }
    an_finding_stack(a, f, an_stack_of(a, ev), thread, AN_T " %s " AN_O " here",
                     thread, call, o);
    if (ob->destroy_stack && d != AN_NONE)
        an_finding_stack(a, f, ob->destroy_stack, d,
                         AN_T " destroyed " AN_O " here", d, o);
}

void misuse_cond_without_mutex(struct analyzer *a, uint32_t thread,
                               uint32_t cond, uint32_t mutex,
                               const struct trace_event *ev)
{
    struct finding *f = begin(a, FINDING_COND_WAIT_WITHOUT_MUTEX, thread,
                              ev->ts_ns, ev->site, 0, 0);
    if (!f)
        return;
    size_t c = an_finding_object(a, f, cond);
    if (mutex != AN_NONE) {
        size_t m = an_finding_object(a, f, mutex);
        uint32_t owner = a->objs[mutex].owner;
        if (owner != AN_NONE && owner != thread) {
            an_finding_thread(f, owner);
            an_finding_message(f,
                               AN_T " waits on " AN_O " with " AN_O
                                    ", which it does not hold (" AN_T " does)",
                               thread, c, m, owner);
        } else {
            an_finding_message(f,
                               AN_T " waits on " AN_O " with " AN_O
                                    ", which it does not hold",
                               thread, c, m);
        }
    } else {
        an_finding_message(
            f, AN_T " waits on " AN_O " without holding its mutex", thread, c);
    }
    an_finding_stack(a, f, an_stack_of(a, ev), thread,
                     AN_T " waits on " AN_O " here", thread, c);
}

void misuse_cond_multiple(struct analyzer *a, uint32_t thread, uint32_t cond,
                          uint32_t mutex, const struct trace_event *ev)
{
    const struct an_obj *co = &a->objs[cond];
    uint32_t other_mutex = co->cond_mutex;
    uint32_t other = AN_NONE;
    for (size_t t = 0; t < a->nthreads; t++) {
        const struct an_thread *u = &a->threads[t];
        if (u->blk == BLK_COND && u->blk_obj == cond &&
            u->blk_aux == other_mutex) {
            other = (uint32_t)t;
            break;
        }
    }
    uint32_t os = other != AN_NONE ? a->threads[other].blk_stack : 0;
    struct finding *f = begin(a, FINDING_COND_MULTIPLE_MUTEXES, thread,
                              ev->ts_ns, ev->site, an_stack_top(a, os), 0);
    if (!f)
        return;
    size_t c = an_finding_object(a, f, cond);
    size_t m = an_finding_object(a, f, mutex);
    size_t m2 = an_finding_object(a, f, other_mutex);
    if (other != AN_NONE) {
        an_finding_thread(f, other);
        an_finding_message(f,
                           AN_T " waits on " AN_O " with " AN_O " while " AN_T
                                " waits on it with " AN_O,
                           thread, c, m, other, m2);
    } else {
        an_finding_message(f,
                           AN_T " waits on " AN_O " with " AN_O
                                " while other threads wait on it with " AN_O,
                           thread, c, m, m2);
    }
    an_finding_stack(a, f, an_stack_of(a, ev), thread,
                     AN_T " waits on " AN_O " with " AN_O " here", thread, c,
                     m);
    if (os)
        an_finding_stack(a, f, os, other,
                         AN_T " waits on " AN_O " with " AN_O " here", other, c,
                         m2);
}

void misuse_exit_holding(struct analyzer *a, uint32_t thread,
                         const struct trace_event *ev)
{
    struct an_thread *t = &a->threads[thread];
    uint64_t k1 = t->nheld ? an_stack_top(a, t->held[0].stack) : 0;
    uint64_t k2 = t->nheld > 1 ? an_stack_top(a, t->held[1].stack) : 0;
    struct finding *f = begin(a, FINDING_EXIT_HOLDING_LOCK, thread, ev->ts_ns,
                              k1, k2, an_stack_top(a, t->start_stack));
    if (!f)
        return;
    char list[300];
    size_t n = 0;
    list[0] = '\0';
    for (size_t i = 0; i < t->nheld; i++) {
        size_t o = an_finding_object(a, f, t->held[i].obj);
        if (n < sizeof list)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s" AN_O,
                                  i ? ", " : "", o);
        if (i < 8)
            an_finding_stack(a, f, t->held[i].stack, thread,
                             AN_T " took " AN_O " here", thread, o);
    }
    an_finding_message(
        f, AN_T " %s while holding %s", thread,
        t->exit_how == TRACE_EXIT_CANCEL ? "is cancelled" : "exits", list);
    uint32_t es = an_stack_of(a, ev);
    if (es)
        an_finding_stack(a, f, es, thread, AN_T " exits here", thread);
}

static void thread_leak(struct analyzer *a, uint32_t ti, uint64_t ts)
{
    struct an_thread *t = &a->threads[ti];
    struct finding *f =
        begin(a, FINDING_THREAD_LEAK, ti, ts, an_stack_top(a, t->create_stack),
              an_stack_top(a, t->start_stack), 0);
    if (!f)
        return;
    if (t->creator != AN_NONE) {
        an_finding_thread(f, t->creator);
        an_finding_message(f,
                           AN_T " (created by " AN_T
                                ") finished but was never joined nor detached",
                           ti, t->creator);
    } else {
        an_finding_message(f,
                           AN_T " finished but was never joined nor "
                                "detached",
                           ti);
    }
    if (t->create_stack)
        an_finding_stack(a, f, t->create_stack, t->creator,
                         AN_T " creates " AN_T " here", t->creator, ti);
    if (t->start_stack)
        an_finding_stack(a, f, t->start_stack, ti,
                         AN_T " runs this start routine", ti);
}

void misuse_thread_leaks(struct analyzer *a, uint32_t proc, uint64_t ts)
{
    struct an_proc *p = &a->procs[proc];
    for (size_t i = 0; i < p->nthreads; i++) {
        uint32_t ti = p->threads[i];
        const struct an_thread *t = &a->threads[ti];
        if (t->creator == AN_NONE && !t->create_stack)
            continue; /* not made by pthread_create (the main thread) */
        if (t->state != TS_EXITED || t->exit_how == TRACE_EXIT_PROCESS ||
            t->joined || t->detached)
            continue;
        thread_leak(a, ti, ts);
    }
}

static void invalid_join(struct analyzer *a, uint32_t thread, uint32_t target,
                         const char *why, uint64_t ts, uint64_t site,
                         uint32_t stack)
{
    uint64_t wh = 0;
    for (const char *s = why; *s; s++)
        wh = wh * 31 + (unsigned char)*s;
    struct finding *f = begin(a, FINDING_INVALID_JOIN, thread, ts, site, wh, 0);
    if (!f)
        return;
    if (target != AN_NONE && target != thread) {
        an_finding_thread(f, target);
        an_finding_message(f, AN_T " joins " AN_T ", which %s", thread, target,
                           why);
    } else if (target == thread) {
        an_finding_message(f, AN_T " joins itself", thread);
    } else {
        an_finding_message(f, AN_T " joins a thread that %s", thread, why);
    }
    an_finding_stack(a, f, stack, thread, AN_T " joins here", thread);
}

void misuse_invalid_join(struct analyzer *a, uint32_t thread, uint32_t target,
                         const char *why, const struct trace_event *ev)
{
    invalid_join(a, thread, target, why, ev->ts_ns, ev->site,
                 an_stack_of(a, ev));
}

void misuse_signal_lock(struct analyzer *a, uint32_t obj, uint64_t ts)
{
    const struct an_obj *o = &a->objs[obj];
    uint32_t st = o->sig_thread, pt = o->plain_thread;
    struct finding *f = begin(a, FINDING_LOCK_IN_SIGNAL_HANDLER, st, ts,
                              an_stack_top(a, o->sig_stack),
                              an_stack_top(a, o->plain_stack), 0);
    if (!f)
        return;
    an_finding_thread(f, pt);
    size_t j = an_finding_object(a, f, obj);
    if (st == pt)
        an_finding_message(f,
                           AN_T " takes " AN_O " inside a signal handler "
                                "and outside handlers: a signal that arrives "
                                "while it holds " AN_O " deadlocks it",
                           st, j, j);
    else
        an_finding_message(f,
                           AN_T " takes " AN_O " inside a signal handler "
                                "and " AN_T " outside handlers: a signal that "
                                "arrives while a thread holds " AN_O
                                " deadlocks that thread",
                           st, j, pt, j);
    an_finding_stack(a, f, o->sig_stack, st,
                     AN_T " takes " AN_O " in a signal handler here", st, j);
    an_finding_stack(a, f, o->plain_stack, pt,
                     AN_T " takes " AN_O " outside handlers here", pt, j);
}

static void object_misuse(struct analyzer *a, enum finding_kind kind,
                          uint32_t thread, uint32_t obj, const char *why,
                          const struct trace_event *ev)
{
    uint64_t wh = 0;
    for (const char *s = why; *s; s++)
        wh = wh * 31 + (unsigned char)*s;
    struct finding *f = begin(a, kind, thread, ev->ts_ns, ev->site, wh, 0);
    if (!f)
        return;
    an_finding_object(a, f, obj); /* object 0, named in `why` */
    an_finding_message(f, AN_T " %s", thread, why);
    an_finding_stack(a, f, an_stack_of(a, ev), thread, AN_T " %s here", thread,
                     ev_call(ev->type));
}

void misuse_sem(struct analyzer *a, uint32_t thread, uint32_t obj,
                const char *why, const struct trace_event *ev)
{
    object_misuse(a, FINDING_SEM_MISUSE, thread, obj, why, ev);
}

void misuse_barrier(struct analyzer *a, uint32_t thread, uint32_t obj,
                    const char *why, const struct trace_event *ev)
{
    object_misuse(a, FINDING_BARRIER_MISUSE, thread, obj, why, ev);
}

/* ---- end of trace ---- */

static void barrier_stuck(struct analyzer *a, uint32_t ti)
{
    struct an_thread *t = &a->threads[ti];
    const struct an_obj *o = &a->objs[t->blk_obj];
    const struct an_barrier *b = o->bar;
    if (!b || !b->count || b->nwaiters <= b->count)
        return;
    uint64_t key[4] = {a->procs[t->proc].root, an_stack_top(a, t->blk_stack),
                       o->create_pc, 1};
    struct finding *f =
        an_report(a, FINDING_BARRIER_MISUSE, t->proc, t->blk_since, key, 4);
    if (!f)
        return;
    an_finding_thread(f, ti);
    size_t j = an_finding_object(a, f, t->blk_obj);
    an_finding_message(f,
                       AN_T " waits forever on " AN_O
                            ": its count is %u but %zu threads wait on it, so "
                            "the last round never fills",
                       ti, j, b->count, b->nwaiters);
    an_finding_stack(a, f, t->blk_stack, ti, AN_T " waits on " AN_O " here", ti,
                     j);
}

static void join_stuck(struct analyzer *a, uint32_t ti)
{
    struct an_thread *t = &a->threads[ti];
    if (t->join_reported)
        return;
    uint32_t target = an_map_get(&a->self_map, t->proc, t->blk_target);
    if (target == AN_NONE)
        return;
    const struct an_thread *u = &a->threads[target];
    const char *why = u->joined     ? "was already joined"
                      : u->detached ? "is detached"
                                    : NULL;
    if (!why)
        return;
    invalid_join(a, ti, target, why, t->blk_since,
                 an_stack_top(a, t->blk_stack), t->blk_stack);
    t->join_reported = 1;
}

void misuse_finish(struct analyzer *a)
{
    for (size_t i = 0; i < a->nthreads; i++) {
        struct an_thread *t = &a->threads[i];
        if (t->state != TS_RUNNING)
            continue;
        if (t->blk == BLK_BARRIER)
            barrier_stuck(a, (uint32_t)i);
        else if (t->blk == BLK_JOIN)
            join_stuck(a, (uint32_t)i);
    }
}
