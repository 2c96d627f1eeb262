/* Thread and process life cycle (see lifecycle.h).
 *
 * How events name threads: thread-create carries the new thread's serial
 * (recorded before the call, so it precedes the start); thread-start
 * carries pthread_self as obj and the creator's serial; join and detach
 * name the pthread_t.  pthread_t values are reused once a thread is
 * joined, so (process, pthread_t) maps to the latest thread that started
 * with that value, and a detach that names no started thread waits for
 * the thread-start that will. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "forkhazard.h"
#include "hb.h"
#include "lifecycle.h"
#include "misuse.h"
#include "state.h"
#include "sync.h"

/* ---- create records: the creator's clock, waiting for the child ---- */

static uint32_t create_alloc(struct analyzer *a, uint32_t creator,
                             uint32_t stack)
{
    uint32_t ci = a->free_create;
    if (ci != AN_NONE) {
        a->free_create = a->creates[ci].creator;
    } else {
        an_grow(&a->creates, &a->creates_cap, a->ncreates + 1,
                sizeof *a->creates);
        ci = (uint32_t)a->ncreates++;
    }
    struct an_create *c = &a->creates[ci];
    c->creator = creator;
    c->stack = stack;
    c->used = 1;
    struct an_thread *t = &a->threads[creator];
    hb_vc_copy(&c->vc, &t->vc);
    hb_vc_tick(&t->vc, creator);
    return ci;
}

static void create_free(struct analyzer *a, uint32_t ci)
{
    a->creates[ci].used = 0;
    a->creates[ci].creator = a->free_create;
    a->free_create = ci;
}

/* ---- threads ---- */

static void thread_create(struct analyzer *a, uint32_t ti,
                          const struct trace_event *ev)
{
    uint32_t proc = ev->proc;
    uint32_t ci = create_alloc(a, ti, an_stack_of(a, ev));
    uint32_t old = an_map_get(&a->create_map, proc, ev->arg);
    if (old != AN_NONE)
        create_free(a, old);
    else
        a->procs[proc].pending_creates++;
    an_map_put(&a->create_map, proc, ev->arg, ci);
    a->threads[ti].last_create = ev->arg;
}

static void thread_create_fail(struct analyzer *a, uint32_t ti,
                               const struct trace_event *ev)
{
    uint32_t serial = a->threads[ti].last_create;
    uint32_t ci = an_map_get(&a->create_map, ev->proc, serial);
    if (ci == AN_NONE)
        return;
    an_map_del(&a->create_map, ev->proc, serial);
    create_free(a, ci);
    if (a->procs[ev->proc].pending_creates)
        a->procs[ev->proc].pending_creates--;
}

static void thread_start(struct analyzer *a, uint32_t ti,
                         const struct trace_event *ev)
{
    struct an_thread *t = &a->threads[ti];
    uint32_t proc = ev->proc;
    t->started = 1;
    t->self = ev->obj;
    an_map_put(&a->self_map, proc, ev->obj, ti);
    if (an_map_get(&a->detach_map, proc, ev->obj) != AN_NONE) {
        t->detached = 1;
        an_map_del(&a->detach_map, proc, ev->obj);
    }
    /* The site of thread-start is the start routine's address, not a
     * return address: stacks are symbolized at pc-1 (the call), so keep
     * it as routine+1, which symbolizes to the routine itself. */
    if (ev->site) {
        uint64_t routine = ev->site + 1;
        t->start_stack =
            an_stack_intern(a, a->procs[ev->proc].root, &routine, 1);
    }
    uint32_t ci = t->serial != AN_NONE
                      ? an_map_get(&a->create_map, proc, t->serial)
                      : AN_NONE;
    if (ci != AN_NONE) {
        struct an_create *c = &a->creates[ci];
        t->creator = c->creator;
        t->create_stack = c->stack;
        hb_receive(a, ti, &c->vc);
        an_map_del(&a->create_map, proc, t->serial);
        create_free(a, ci);
        if (a->procs[proc].pending_creates)
            a->procs[proc].pending_creates--;
    } else if (ev->arg != UINT32_MAX) {
        uint32_t cr = an_thread_by_serial(a, proc, ev->arg);
        if (cr != AN_NONE && cr < a->nthreads && cr != ti) {
            t->creator = cr;
            hb_receive(a, ti, &a->threads[cr].vc); /* it is in create */
        }
    }
}

static void thread_exit(struct analyzer *a, uint32_t ti,
                        const struct trace_event *ev)
{
    struct an_thread *t = &a->threads[ti];
    t->exit_how = (uint8_t)ev->arg;
    t->exit_ts = ev->ts_ns;
    t->exit_stack = an_stack_of(a, ev);
    sync_unblock(t);
    if (t->nheld && ev->arg != TRACE_EXIT_PROCESS)
        misuse_exit_holding(a, ti, ev);
    a->threads[ti].state = TS_EXITED;
}

static uint32_t self_thread(struct analyzer *a, uint32_t proc, uint64_t self)
{
    uint32_t u = an_map_get(&a->self_map, proc, self);
    return u < a->nthreads ? u : AN_NONE;
}

static void thread_join_wait(struct analyzer *a, uint32_t ti,
                             const struct trace_event *ev)
{
    struct an_thread *t = &a->threads[ti];
    /* arg 1: a timed join, which ends by itself: not blocked for good */
    sync_block(t, BLK_JOIN, AN_NONE, ev->ts_ns, an_stack_of(a, ev),
               ev->arg == 1);
    t->blk_target = ev->obj;
    t->join_reported = 0;
    uint32_t target = self_thread(a, ev->proc, ev->obj);
    if (target == ti) {
        misuse_invalid_join(a, ti, ti, "is itself", ev);
        a->threads[ti].join_reported = 1;
        return;
    }
    /* With a thread still being created, the pthread_t may already be
     * the new thread's: decide at the join's end instead. */
    if (target == AN_NONE || a->procs[ev->proc].pending_creates)
        return;
    const struct an_thread *u = &a->threads[target];
    const char *why = u->joined     ? "was already joined"
                      : u->detached ? "is detached"
                                    : NULL;
    if (why) {
        misuse_invalid_join(a, ti, target, why, ev);
        a->threads[ti].join_reported = 1;
    }
}

static const char *join_error(uint32_t err)
{
    switch (err) {
    case EINVAL:
        return "is not joinable (detached, or being joined by another thread)";
    case ESRCH:
        return "does not exist (already joined?)";
    case EDEADLK:
        return "is joining it in turn, or is itself";
    }
    return "cannot be joined";
}

static void thread_join(struct analyzer *a, uint32_t ti,
                        const struct trace_event *ev)
{
    struct an_thread *t = &a->threads[ti];
    if (t->blk == BLK_JOIN)
        sync_unblock(t);
    uint32_t target = self_thread(a, ev->proc, ev->obj);
    if (ev->arg == 0 && target != AN_NONE) {
        struct an_thread *u = &a->threads[target];
        if (!t->join_reported && u->joined)
            misuse_invalid_join(a, ti, target, "was already joined", ev);
        a->threads[target].joined = 1;
        hb_receive(a, ti, &a->threads[target].vc);
        /* Its clock now lives on in the joiner's (and, through the joiner,
         * in any later reap or exec of the process): free it and fold the
         * thread into the joiner's epoch, so that memory follows the live
         * threads, not all threads ever. */
        if (a->threads[target].state == TS_EXITED && target != ti)
            hb_thread_fold(a, target, ti);
    } else if (ev->arg != 0 && ev->arg != ETIMEDOUT && ev->arg != EBUSY &&
               !t->join_reported) {
        misuse_invalid_join(a, ti, target, join_error(ev->arg), ev);
    }
    a->threads[ti].join_reported = 0;
}

static void thread_detach(struct analyzer *a, const struct trace_event *ev)
{
    if (ev->arg != 0)
        return;
    uint32_t target = self_thread(a, ev->proc, ev->obj);
    /* an exited thread that was joined or detached is gone: its pthread_t
     * now names a thread not started yet (CPython detaches each thread
     * right after creating it, often reusing the last one's) */
    if (target != AN_NONE &&
        !(a->threads[target].state == TS_EXITED &&
          (a->threads[target].joined || a->threads[target].detached)))
        a->threads[target].detached = 1;
    else /* a thread not started yet */
        an_map_put(&a->detach_map, ev->proc, ev->obj, 1);
}

void life_thread_event(struct analyzer *a, uint32_t ti,
                       const struct trace_event *ev)
{
    switch (ev->type) {
    case TRACE_EV_THREAD_CREATE:
        thread_create(a, ti, ev);
        break;
    case TRACE_EV_THREAD_CREATE_FAIL:
        thread_create_fail(a, ti, ev);
        break;
    case TRACE_EV_THREAD_START:
        thread_start(a, ti, ev);
        break;
    case TRACE_EV_THREAD_EXIT:
        thread_exit(a, ti, ev);
        break;
    case TRACE_EV_THREAD_JOIN_WAIT:
        thread_join_wait(a, ti, ev);
        break;
    case TRACE_EV_THREAD_JOIN:
        thread_join(a, ti, ev);
        break;
    case TRACE_EV_THREAD_DETACH:
        thread_detach(a, ev);
        break;
    }
}

/* ---- processes ---- */

static void process_start(struct analyzer *a, uint32_t ti,
                          const struct trace_event *ev)
{
    struct trace_process_info info;
    memset(&info, 0, sizeof info);
    if (ev->payload && ev->payload_len >= sizeof info)
        memcpy(&info, ev->payload, sizeof info);
    uint32_t proc = ev->proc;
    struct an_proc *p = &a->procs[proc];
    p->started = 1;
    if (!p->info) {
        p->pid = info.pid ? info.pid : ev->pid;
        p->ppid = info.ppid;
        uint32_t parent = an_proc_by_pid(a, info.ppid);
        p->parent = parent != AN_NONE && parent != proc ? (int)parent : -1;
    }
    p->flags = info.flags;
    if ((info.flags & TRACE_FILE_FORKED) && p->parent >= 0)
        p->root = a->procs[p->parent].root;
    if (info.flags & TRACE_FILE_EXECED) {
        uint32_t prev = an_map_get(&a->exec_map, p->pid, 0);
        if (prev != AN_NONE && prev < a->nthreads) {
            a->procs[a->threads[prev].proc].execd = 1;
            hb_receive(a, ti, &a->threads[prev].vc);
            an_map_del(&a->exec_map, p->pid, 0);
        }
    } else if (info.flags & TRACE_FILE_FORKED) {
        forkhazard_child_start(a, proc, ti, info.parent_serial, ev);
    } else {
        uint32_t ci = an_map_get(&a->spawn_map, p->pid, 0);
        if (ci != AN_NONE) {
            hb_receive(a, ti, &a->creates[ci].vc);
            an_map_del(&a->spawn_map, p->pid, 0);
            create_free(a, ci);
        }
    }
    an_map_put(&a->pid_map, a->procs[proc].pid, 0, proc);
}

static void process_spawn(struct analyzer *a, uint32_t ti,
                          const struct trace_event *ev)
{
    struct trace_spawn_info info;
    if (!ev->payload || ev->payload_len < sizeof info)
        return;
    memcpy(&info, ev->payload, sizeof info);
    if (!info.child_pid)
        return;
    uint32_t old = an_map_get(&a->spawn_map, info.child_pid, 0);
    if (old != AN_NONE)
        create_free(a, old);
    an_map_put(&a->spawn_map, info.child_pid, 0,
               create_alloc(a, ti, an_stack_of(a, ev)));
}

/* A child's end happens before its parent's reap of it. */
static void process_reap(struct analyzer *a, uint32_t ti,
                         const struct trace_event *ev)
{
    struct an_thread *t = &a->threads[ti];
    if (t->blk == BLK_PROCWAIT)
        sync_unblock(t);
    struct trace_reap_info info;
    if (!ev->payload || ev->payload_len < sizeof info)
        return;
    memcpy(&info, ev->payload, sizeof info);
    if (info.pid <= 0)
        return;
    uint32_t cp = an_proc_by_pid(a, (uint32_t)info.pid);
    if (cp == AN_NONE || cp == ev->proc)
        return;
    struct an_proc *c = &a->procs[cp];
    c->reaped = 1;
    c->reap_ts = ev->ts_ns;
    for (size_t i = 0; i < c->nthreads; i++)
        hb_receive(a, ti, &a->threads[c->threads[i]].vc);
}

void life_process_event(struct analyzer *a, uint32_t ti,
                        const struct trace_event *ev)
{
    struct an_proc *p = &a->procs[ev->proc];
    struct an_thread *t = &a->threads[ti];
    switch (ev->type) {
    case TRACE_EV_PROCESS_START:
        process_start(a, ti, ev);
        break;
    case TRACE_EV_PROCESS_EXIT:
        p->exited = 1;
        p->end_ts = ev->ts_ns;
        misuse_thread_leaks(a, ev->proc, ev->ts_ns);
        break;
    case TRACE_EV_FORK:
        forkhazard_on_fork(a, ti, ev);
        break;
    case TRACE_EV_EXEC:
        an_map_put(&a->exec_map, p->pid, 0, ti);
        break;
    case TRACE_EV_EXEC_FAIL:
        an_map_del(&a->exec_map, p->pid, 0);
        break;
    case TRACE_EV_SPAWN:
        process_spawn(a, ti, ev);
        break;
    case TRACE_EV_PROCESS_WAIT:
        sync_block(t, BLK_PROCWAIT, AN_NONE, ev->ts_ns, an_stack_of(a, ev),
                   false);
        t->blk_target = (uint64_t)(int64_t)(int32_t)ev->arg;
        break;
    case TRACE_EV_PROCESS_REAP:
        process_reap(a, ti, ev);
        break;
    case TRACE_EV_SIGNAL:
    case TRACE_EV_ABORT:
    case TRACE_EV_ASSERT:
    case TRACE_EV_CXX_TERMINATE:
        p->crashed = 1;
        p->end_ts = ev->ts_ns;
        break;
    case TRACE_EV_SIGNAL_ENTER:
        t->sig_depth++;
        break;
    case TRACE_EV_SIGNAL_LEAVE:
        if (t->sig_depth)
            t->sig_depth--;
        break;
    case TRACE_EV_LOST:
        a->lost_events += ev->arg;
        break;
    }
}
