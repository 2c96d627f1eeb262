/* The synchronization-object state machine (see sync.h).
 *
 * Lock events arrive as the shim records them (trace/events.def):
 *   blocking lock, uncontended:  X-acquire(arg LOCK)
 *   blocking lock, contended:    X-wait, X-acquire(arg LOCK|CONTENDED)
 *   trylock:                     X-acquire(arg TRY) or X-fail(EBUSY)
 *   timed lock that times out:   X-wait, X-fail(ETIMEDOUT)
 *   unlock:                      X-release (before the real call),
 *                                X-release-fail when the call failed
 *   cond wait:                   mutex-release(TRACE_REL_COND), cond-wait,
 *                                cond-wake, mutex-acquire
 * A thread that re-locks a normal mutex it holds shows as a wait by the
 * owner (it then blocks forever); an error-checking one as a wait and a
 * fail(EDEADLK); a recursive one as an acquire by the owner without a
 * wait, which is also how an unannounced (static) recursive mutex is
 * recognised. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "forkhazard.h"
#include "hb.h"
#include "lockgraph.h"
#include "misuse.h"
#include "state.h"
#include "sync.h"

/* Every event of these families names its object (TF_OBJ), and no
 * pthread object lives at address 0: an event on 0 comes from a damaged
 * or forged trace.  It is dropped rather than made an object, as the
 * viewer and `ctrace dump` treat obj 0 as "no object". */
static inline bool sync_has_object(const struct trace_event *ev)
{
    return ev->obj != 0;
}

/* ---- blocking ---- */

void sync_block(struct an_thread *t, uint8_t kind, uint32_t obj, uint64_t ts,
                uint32_t stack, bool timed)
{
    t->blk = kind;
    t->blk_obj = obj;
    t->blk_aux = AN_NONE;
    t->blk_target = 0;
    t->blk_since = ts;
    t->blk_stack = stack;
    t->blk_timed = timed;
}

void sync_unblock(struct an_thread *t)
{
    t->blk = BLK_NONE;
    t->blk_obj = AN_NONE;
}

static bool blocked_on(const struct an_thread *t, uint8_t kind, uint32_t obj)
{
    return obj != AN_NONE && t->blk == kind && t->blk_obj == obj;
}

/* ---- objects ---- */

static void obj_created(struct analyzer *a, uint32_t ti, uint32_t oi,
                        const struct trace_event *ev)
{
    struct an_obj *o = &a->objs[oi];
    o->create_pc = ev->site;
    o->create_stack = an_stack_of(a, ev);
    o->create_thread = ti;
}

/* The object an event uses: made on first sight (a statically
 * initialised one), checked for use after destroy.  After one report the
 * object counts as alive again, so one bug does not cascade. */
static uint32_t obj_use(struct analyzer *a, uint32_t ti,
                        const struct trace_event *ev, uint8_t kind,
                        bool *created)
{
    uint32_t oi = an_obj_find(a, ev->proc, ev->obj, kind, created);
    if (*created) {
        obj_created(a, ti, oi, ev);
    } else if (a->objs[oi].destroyed) {
        misuse_use_destroyed(a, ti, oi, ev);
        a->objs[oi].destroyed = 0;
    }
    return oi;
}

/* A new identity for an object at init time, when the old one was used. */
static void obj_new_generation(struct analyzer *a, uint32_t oi)
{
    struct an_obj *o = &a->objs[oi];
    if (o->node != AN_NONE || o->destroyed || o->inited || o->vw.n)
        o->gen++;
    o->node = AN_NONE;
    o->destroyed = 0;
    o->destroy_reported = 0;
    o->recursive = 0;
    o->ghost = AN_NONE;
    o->rel_thread = AN_NONE;
    hb_vc_clear(&o->vw);
    hb_vc_clear(&o->vr);
}

static void obj_destroyed(struct analyzer *a, uint32_t ti, uint32_t oi,
                          const struct trace_event *ev)
{
    struct an_obj *o = &a->objs[oi];
    o->destroyed = 1;
    o->gen++;
    o->node = AN_NONE;
    o->ghost = AN_NONE;
    o->destroy_stack = an_stack_of(a, ev);
    o->destroy_thread = ti;
    o->destroy_ts = ev->ts_ns;
}

/* ---- held locks ---- */

static void hold_end(struct analyzer *a, uint32_t holder, uint32_t oi,
                     uint64_t ts)
{
    struct an_thread *t = &a->threads[holder];
    struct an_held *h = an_held_find(t, oi);
    if (!h)
        return;
    uint64_t held_ns = ts >= h->ts ? ts - h->ts : 0;
    bool write = h->write;
    an_held_remove(t, h);
    an_emit_step(a, &(struct an_step){.kind = AN_STEP_RELEASE,
                                      .write = write,
                                      .thread = holder,
                                      .obj = oi,
                                      .ns = held_ns});
}

void sync_drop_holders(struct analyzer *a, uint32_t oi, uint64_t ts)
{
    struct an_obj *o = &a->objs[oi];
    if (o->owner != AN_NONE)
        hold_end(a, o->owner, oi, ts);
    if (o->nreaders)
        for (size_t t = 0; t < a->nthreads; t++)
            hold_end(a, (uint32_t)t, oi, ts);
    o->owner = AN_NONE;
    o->nreaders = 0;
}

/* ---- lock events ---- */

enum lock_op { OP_INIT, OP_DESTROY, OP_WAIT, OP_ACQUIRE, OP_FAIL, OP_RELEASE };

struct lock_ev {
    uint8_t kind, op, write, blk;
};

static const struct lock_ev lock_evs[TRACE_EV_LIMIT] = {
    [TRACE_EV_MUTEX_INIT] = {AN_MUTEX, OP_INIT, 1, BLK_MUTEX},
    [TRACE_EV_MUTEX_DESTROY] = {AN_MUTEX, OP_DESTROY, 1, BLK_MUTEX},
    [TRACE_EV_MUTEX_WAIT] = {AN_MUTEX, OP_WAIT, 1, BLK_MUTEX},
    [TRACE_EV_MUTEX_ACQUIRE] = {AN_MUTEX, OP_ACQUIRE, 1, BLK_MUTEX},
    [TRACE_EV_MUTEX_FAIL] = {AN_MUTEX, OP_FAIL, 1, BLK_MUTEX},
    [TRACE_EV_MUTEX_RELEASE] = {AN_MUTEX, OP_RELEASE, 1, BLK_MUTEX},
    [TRACE_EV_RWLOCK_INIT] = {AN_RWLOCK, OP_INIT, 1, BLK_WRLOCK},
    [TRACE_EV_RWLOCK_DESTROY] = {AN_RWLOCK, OP_DESTROY, 1, BLK_WRLOCK},
    [TRACE_EV_RWLOCK_RDWAIT] = {AN_RWLOCK, OP_WAIT, 0, BLK_RDLOCK},
    [TRACE_EV_RWLOCK_WRWAIT] = {AN_RWLOCK, OP_WAIT, 1, BLK_WRLOCK},
    [TRACE_EV_RWLOCK_RDACQUIRE] = {AN_RWLOCK, OP_ACQUIRE, 0, BLK_RDLOCK},
    [TRACE_EV_RWLOCK_WRACQUIRE] = {AN_RWLOCK, OP_ACQUIRE, 1, BLK_WRLOCK},
    [TRACE_EV_RWLOCK_FAIL] = {AN_RWLOCK, OP_FAIL, 1, BLK_NONE},
    [TRACE_EV_RWLOCK_RELEASE] = {AN_RWLOCK, OP_RELEASE, 1, BLK_WRLOCK},
    [TRACE_EV_SPIN_INIT] = {AN_SPIN, OP_INIT, 1, BLK_SPIN},
    [TRACE_EV_SPIN_DESTROY] = {AN_SPIN, OP_DESTROY, 1, BLK_SPIN},
    [TRACE_EV_SPIN_WAIT] = {AN_SPIN, OP_WAIT, 1, BLK_SPIN},
    [TRACE_EV_SPIN_ACQUIRE] = {AN_SPIN, OP_ACQUIRE, 1, BLK_SPIN},
    [TRACE_EV_SPIN_FAIL] = {AN_SPIN, OP_FAIL, 1, BLK_SPIN},
    [TRACE_EV_SPIN_RELEASE] = {AN_SPIN, OP_RELEASE, 1, BLK_SPIN},
};

static void lock_init(struct analyzer *a, uint32_t ti,
                      const struct trace_event *ev, const struct lock_ev *d)
{
    bool created;
    uint32_t oi = an_obj_find(a, ev->proc, ev->obj, d->kind, &created);
    struct an_obj *o = &a->objs[oi];
    if (!created && (o->owner != AN_NONE || o->nreaders)) {
        misuse_destroy_locked(a, ti, oi, ev);
        sync_drop_holders(a, oi, ev->ts_ns);
    }
    obj_new_generation(a, oi);
    o = &a->objs[oi];
    o->inited = 1;
    if (d->kind == AN_MUTEX) {
        o->mtype = (uint8_t)(ev->arg & TRACE_MUTEX_TYPE_MASK);
        o->pshared = (ev->arg & TRACE_MUTEX_PSHARED) != 0;
    } else {
        o->pshared = ev->arg != 0; /* PTHREAD_PROCESS_SHARED */
    }
    obj_created(a, ti, oi, ev);
}

static void lock_destroy(struct analyzer *a, uint32_t ti,
                         const struct trace_event *ev, const struct lock_ev *d)
{
    bool created;
    uint32_t oi = an_obj_find(a, ev->proc, ev->obj, d->kind, &created);
    struct an_obj *o = &a->objs[oi];
    if (created)
        obj_created(a, ti, oi, ev);
    else if (o->destroyed && ev->arg == 0)
        misuse_use_destroyed(a, ti, oi, ev);
    else if (o->owner != AN_NONE || o->nreaders)
        misuse_destroy_locked(a, ti, oi, ev);
    if (ev->arg == 0) {
        sync_drop_holders(a, oi, ev->ts_ns);
        obj_destroyed(a, ti, oi, ev);
    }
}

/* Remember the first acquisition of a lock inside a signal handler and
 * the first outside; once a lock has both, a signal arriving while the
 * lock is held can make its handler wait for the thread it interrupted. */
static void lock_note_context(struct analyzer *a, uint32_t ti, uint32_t oi,
                              uint32_t stack, uint64_t ts)
{
    struct an_obj *o = &a->objs[oi];
    if (a->threads[ti].sig_depth) {
        if (o->sig_stack)
            return;
        o->sig_stack = stack ? stack : 1;
        o->sig_thread = ti;
    } else {
        if (o->plain_stack)
            return;
        o->plain_stack = stack ? stack : 1;
        o->plain_thread = ti;
    }
    if (o->sig_stack && o->plain_stack)
        misuse_signal_lock(a, oi, ts);
}

static void lock_wait(struct analyzer *a, uint32_t ti,
                      const struct trace_event *ev, const struct lock_ev *d)
{
    bool created;
    uint32_t oi = obj_use(a, ti, ev, d->kind, &created);
    struct an_thread *t = &a->threads[ti];
    uint32_t stack = an_stack_of(a, ev);
    lock_note_context(a, ti, oi, stack, ev->ts_ns);
    const struct an_held *h = an_held_find(t, oi);
    t->dl_reported = 0;
    if (h && an_obj_is_pylock(&a->objs[oi])) {
        /* a Python lock's owner waits for another thread's release (as
         * Condition.wait does); it hangs only if none comes */
    } else if (h) {
        misuse_double_lock(a, ti, oi, ev, h);
        t->dl_reported = 1;
    } else {
        /* the attempt orders the locks, whether it ever succeeds or not
         * (a real deadlock never gets to the acquisition) */
        lockgraph_on_acquire(a, ti, lockgraph_node(a, oi), stack, d->write,
                             ev->ts_ns);
    }
    if (a->objs[oi].ghost != AN_NONE)
        forkhazard_child_waits(a, ti, oi, ev);
    sync_block(t, d->blk, oi, ev->ts_ns, stack,
               (ev->arg & TRACE_WAIT_TIMED) != 0);
}

static void lock_hb_acquire(struct analyzer *a, uint32_t ti, struct an_obj *o,
                            bool write)
{
    if (o->kind != AN_RWLOCK)
        hb_lock_acquire(a, ti, o);
    else if (write)
        hb_write_acquire(a, ti, o);
    else
        hb_read_acquire(a, ti, o);
}

/* Taking a lock the thread already holds: a recursive mutex, or a
 * recursive read lock.  Returns false when it is a first hold. */
static bool lock_reacquire(struct analyzer *a, uint32_t ti, uint32_t oi,
                           const struct lock_ev *d)
{
    struct an_thread *t = &a->threads[ti];
    struct an_obj *o = &a->objs[oi];
    struct an_held *h = an_held_find(t, oi);
    if (!h || (d->write && o->owner != ti) || (!d->write && h->write))
        return false;
    h->count++;
    if (d->kind == AN_MUTEX)
        o->recursive = 1;
    return true;
}

static void lock_acquire(struct analyzer *a, uint32_t ti,
                         const struct trace_event *ev, const struct lock_ev *d)
{
    struct an_thread *t = &a->threads[ti];
    uint32_t oi = an_obj_lookup_ev(a, ev);
    bool waited = blocked_on(t, d->blk, oi);
    uint64_t wait_ns = 0;
    if (waited) {
        wait_ns = ev->ts_ns >= t->blk_since ? ev->ts_ns - t->blk_since : 0;
        sync_unblock(t);
    } else {
        bool created;
        if (oi == AN_NONE || a->objs[oi].destroyed ||
            a->objs[oi].kind != d->kind)
            oi = obj_use(a, ti, ev, d->kind, &created);
    }
    t->dl_reported = 0;
    bool contended = waited || (ev->arg & TRACE_ACQ_CONTENDED);
    bool try = (ev->arg & TRACE_ACQ_HOW_MASK) == TRACE_ACQ_TRY;
    uint8_t step = AN_STEP_REENTER;
    if (!lock_reacquire(a, ti, oi, d)) {
        step = AN_STEP_ACQUIRE;
        struct an_obj *o = &a->objs[oi];
        if (d->write && o->owner != AN_NONE)
            hold_end(a, o->owner, oi, ev->ts_ns); /* robust or lost events */
        o->ghost = AN_NONE;
        uint32_t stack = an_stack_of(a, ev);
        if (!waited)
            lock_note_context(a, ti, oi, stack, ev->ts_ns);
        uint32_t node = lockgraph_node(a, oi);
        if (!try && !waited) /* a wait already added the edges */
            lockgraph_on_acquire(a, ti, node, stack, d->write, ev->ts_ns);
        an_held_add(t, (struct an_held){.obj = oi,
                                        .node = node,
                                        .stack = stack,
                                        .count = 1,
                                        .ts = ev->ts_ns,
                                        .write = d->write,
                                        .trylock = try});
        if (d->write)
            o->owner = ti;
        else
            o->nreaders++;
        lock_hb_acquire(a, ti, o, d->write);
    } else if (d->kind == AN_RWLOCK && !d->write) {
        hb_read_acquire(a, ti, &a->objs[oi]);
    }
    an_emit_step(a, &(struct an_step){.kind = step,
                                      .write = d->write,
                                      .contended = contended,
                                      .trylock = try,
                                      .thread = ti,
                                      .obj = oi,
                                      .ns = wait_ns,
                                      .site = ev->site,
                                      .ev = ev});
}

static void lock_fail(struct analyzer *a, uint32_t ti,
                      const struct trace_event *ev, const struct lock_ev *d)
{
    (void)d;
    struct an_thread *t = &a->threads[ti];
    uint32_t oi = an_obj_lookup(a, ev->proc, ev->obj);
    if (oi != AN_NONE && t->blk_obj == oi && t->blk != BLK_NONE)
        sync_unblock(t);
    /* glibc refuses (EINVAL) to lock a destroyed mutex before it waits:
     * the failure is the only trace of the use */
    if (oi != AN_NONE && a->objs[oi].destroyed) {
        misuse_use_destroyed(a, ti, oi, ev);
        a->objs[oi].destroyed = 0;
    }
    if (oi != AN_NONE && ev->arg == EDEADLK && !t->dl_reported)
        misuse_double_lock(a, ti, oi, ev, an_held_find(t, oi));
    t->dl_reported = 0;
}

/* A release of a lock the thread does not hold. */
static void lock_release_foreign(struct analyzer *a, uint32_t ti, uint32_t oi,
                                 const struct trace_event *ev, bool cond)
{
    struct an_obj *o = &a->objs[oi];
    if (o->ghost != AN_NONE) {
        /* a forked child unlocking what it inherited locked: recovery */
        o->ghost = AN_NONE;
        hb_lock_release(a, ti, o);
        return;
    }
    if (cond)
        a->threads[ti].cond_unheld = 1;
    if (an_obj_is_pylock(o)) {
        /* any thread may release a Python lock: it is free now */
        if (o->owner != AN_NONE)
            hold_end(a, o->owner, oi, ev->ts_ns);
        o = &a->objs[oi];
        o->owner = AN_NONE;
        hb_lock_release(a, ti, o);
        return;
    }
    if (o->owner == AN_NONE && o->nreaders == 0) {
        if (!cond)
            misuse_unlock_unlocked(a, ti, oi, ev);
        return;
    }
    if (!cond)
        misuse_unlock_non_owner(a, ti, oi, o->owner, ev);
    /* A default mutex is really unlocked by whoever calls; error-checking
     * and recursive ones refuse (EPERM) and stay held. */
    o = &a->objs[oi];
    if (o->kind == AN_MUTEX && o->mtype == PTHREAD_MUTEX_NORMAL &&
        !o->recursive && o->owner != AN_NONE) {
        hold_end(a, o->owner, oi, ev->ts_ns);
        o->owner = AN_NONE;
        hb_lock_release(a, ti, o);
    }
}

static void lock_release(struct analyzer *a, uint32_t ti,
                         const struct trace_event *ev, const struct lock_ev *d)
{
    struct an_thread *t = &a->threads[ti];
    uint32_t oi = an_obj_lookup_ev(a, ev);
    if (oi == AN_NONE || a->objs[oi].destroyed || a->objs[oi].kind != d->kind) {
        bool created;
        oi = obj_use(a, ti, ev, d->kind, &created);
    }
    bool cond = d->kind == AN_MUTEX && (ev->arg & TRACE_REL_COND);
    if (cond) {
        t->cond_mutex = oi;
        t->cond_unheld = 0;
    }
    struct an_obj *o = &a->objs[oi];
    struct an_held *h = an_held_find(t, oi);
    if (!h) {
        lock_release_foreign(a, ti, oi, ev, cond);
        return;
    }
    if (--h->count > 0)
        return;
    bool write = h->write;
    uint64_t held_ns = ev->ts_ns >= h->ts ? ev->ts_ns - h->ts : 0;
    an_held_remove(t, h);
    if (write) {
        if (o->owner == ti)
            o->owner = AN_NONE;
        hb_lock_release(a, ti, o);
    } else {
        if (o->nreaders)
            o->nreaders--;
        hb_read_release(a, ti, o);
    }
    an_emit_step(a, &(struct an_step){.kind = AN_STEP_RELEASE,
                                      .write = write,
                                      .thread = ti,
                                      .obj = oi,
                                      .ns = held_ns,
                                      .site = ev->site,
                                      .ev = ev});
}

/* The common case, kept short: a thread that holds no lock takes a
 * known, healthy, free mutex without waiting, outside signal handlers.
 * Nothing can be reported then and no edge is added; returns false to
 * take the general path. */
static bool mutex_acquire_fast(struct analyzer *a, uint32_t ti,
                               const struct trace_event *ev)
{
    struct an_thread *t = &a->threads[ti];
    if (t->nheld || t->blk != BLK_NONE || t->sig_depth)
        return false;
    uint32_t oi = an_obj_lookup_ev(a, ev);
    if (oi == AN_NONE)
        return false;
    struct an_obj *o = &a->objs[oi];
    if (o->kind != AN_MUTEX || o->destroyed || o->owner != AN_NONE ||
        o->ghost != AN_NONE || o->node == AN_NONE || !o->plain_stack)
        return false;
    an_held_add(t, (struct an_held){.obj = oi,
                                    .node = o->node,
                                    .stack = an_stack_of(a, ev),
                                    .count = 1,
                                    .ts = ev->ts_ns,
                                    .write = 1,
                                    .trylock = (ev->arg & TRACE_ACQ_HOW_MASK) ==
                                               TRACE_ACQ_TRY});
    o->owner = ti;
    t->dl_reported = 0;
    hb_lock_acquire(a, ti, o);
    an_emit_step(a,
                 &(struct an_step){
                     .kind = AN_STEP_ACQUIRE,
                     .write = 1,
                     .contended = (ev->arg & TRACE_ACQ_CONTENDED) != 0,
                     .trylock = (ev->arg & TRACE_ACQ_HOW_MASK) == TRACE_ACQ_TRY,
                     .thread = ti,
                     .obj = oi,
                     .site = ev->site,
                     .ev = ev});
    return true;
}

void sync_lock_event(struct analyzer *a, uint32_t ti,
                     const struct trace_event *ev)
{
    if (!sync_has_object(ev))
        return;
    if (ev->type == TRACE_EV_MUTEX_ACQUIRE && mutex_acquire_fast(a, ti, ev))
        return;
    if (ev->type >= TRACE_EV_LIMIT || !lock_evs[ev->type].kind)
        return; /* *-release-fail: the state never changed */
    const struct lock_ev d = lock_evs[ev->type];
    switch (d.op) {
    case OP_INIT:
        lock_init(a, ti, ev, &d);
        break;
    case OP_DESTROY:
        lock_destroy(a, ti, ev, &d);
        break;
    case OP_WAIT:
        lock_wait(a, ti, ev, &d);
        break;
    case OP_ACQUIRE:
        lock_acquire(a, ti, ev, &d);
        break;
    case OP_FAIL:
        lock_fail(a, ti, ev, &d);
        break;
    case OP_RELEASE:
        lock_release(a, ti, ev, &d);
        break;
    }
}

/* ---- condition variables ---- */

static void cond_init(struct analyzer *a, uint32_t ti,
                      const struct trace_event *ev)
{
    bool created;
    uint32_t oi = an_obj_find(a, ev->proc, ev->obj, AN_COND, &created);
    if (!created && a->objs[oi].waiters)
        misuse_destroy_locked(a, ti, oi, ev);
    obj_new_generation(a, oi);
    a->objs[oi].inited = 1;
    a->objs[oi].pshared = ev->arg != 0;
    obj_created(a, ti, oi, ev);
}

static void cond_destroy(struct analyzer *a, uint32_t ti,
                         const struct trace_event *ev)
{
    bool created;
    uint32_t oi = an_obj_find(a, ev->proc, ev->obj, AN_COND, &created);
    struct an_obj *o = &a->objs[oi];
    if (created)
        obj_created(a, ti, oi, ev);
    else if (o->destroyed && ev->arg == 0)
        misuse_use_destroyed(a, ti, oi, ev);
    else if (o->waiters)
        misuse_destroy_locked(a, ti, oi, ev);
    if (ev->arg == 0)
        obj_destroyed(a, ti, oi, ev);
}

static void cond_wait(struct analyzer *a, uint32_t ti,
                      const struct trace_event *ev)
{
    bool created;
    uint32_t oi = obj_use(a, ti, ev, AN_COND, &created);
    struct an_thread *t = &a->threads[ti];
    uint32_t m = t->cond_mutex;
    if (t->cond_unheld)
        misuse_cond_without_mutex(a, ti, oi, m, ev);
    struct an_obj *o = &a->objs[oi];
    if (m != AN_NONE && o->waiters && o->cond_mutex != AN_NONE &&
        o->cond_mutex != m)
        misuse_cond_multiple(a, ti, oi, m, ev);
    if (m != AN_NONE && (o->waiters == 0 || o->cond_mutex == AN_NONE))
        o->cond_mutex = m;
    o->waiters++;
    sync_block(t, BLK_COND, oi, ev->ts_ns, an_stack_of(a, ev),
               (ev->arg & TRACE_WAIT_TIMED) != 0);
    t->blk_aux = m;
    t->blk_wake_seq = o->wake_seq;
    t->cond_mutex = AN_NONE;
    t->cond_unheld = 0;
}

static void cond_wake(struct analyzer *a, uint32_t ti,
                      const struct trace_event *ev)
{
    struct an_thread *t = &a->threads[ti];
    uint32_t oi = an_obj_lookup(a, ev->proc, ev->obj);
    if (oi == AN_NONE)
        return;
    struct an_obj *o = &a->objs[oi];
    if (blocked_on(t, BLK_COND, oi)) {
        sync_unblock(t);
        if (o->waiters && --o->waiters == 0)
            o->cond_mutex = AN_NONE;
    }
    if (ev->arg == 0)
        hb_receive(a, ti, &o->vw);
}

static void cond_signal(struct analyzer *a, uint32_t ti,
                        const struct trace_event *ev, bool broadcast)
{
    bool created;
    uint32_t oi = obj_use(a, ti, ev, AN_COND, &created);
    struct an_obj *o = &a->objs[oi];
    hb_send(a, ti, &o->vw);
    /* a broadcast wakes every waiter; a signal with one waiter wakes it */
    if (broadcast || o->waiters <= 1)
        o->wake_seq++;
}

void sync_cond_event(struct analyzer *a, uint32_t ti,
                     const struct trace_event *ev)
{
    if (!sync_has_object(ev))
        return;
    switch (ev->type) {
    case TRACE_EV_COND_INIT:
        cond_init(a, ti, ev);
        break;
    case TRACE_EV_COND_DESTROY:
        cond_destroy(a, ti, ev);
        break;
    case TRACE_EV_COND_WAIT:
        cond_wait(a, ti, ev);
        break;
    case TRACE_EV_COND_WAKE:
        cond_wake(a, ti, ev);
        break;
    case TRACE_EV_COND_SIGNAL:
        cond_signal(a, ti, ev, false);
        break;
    case TRACE_EV_COND_BROADCAST:
        cond_signal(a, ti, ev, true);
        break;
    }
}

/* ---- semaphores ---- */

/* A semaphore used: one never initialised (nor opened, nor inherited)
 * is a misuse. */
static uint32_t sem_use(struct analyzer *a, uint32_t ti,
                        const struct trace_event *ev, const char *never)
{
    bool created;
    uint32_t oi = obj_use(a, ti, ev, AN_SEM, &created);
    if (created)
        misuse_sem(a, ti, oi, never, ev);
    return oi;
}

static void sem_init(struct analyzer *a, uint32_t ti,
                     const struct trace_event *ev)
{
    bool created;
    uint32_t oi = an_obj_find(a, ev->proc, ev->obj, AN_SEM, &created);
    if (!created && a->objs[oi].waiters)
        misuse_sem(a, ti, oi,
                   "initialises {object:0} again while threads wait on it", ev);
    obj_new_generation(a, oi);
    a->objs[oi].inited = 1;
    obj_created(a, ti, oi, ev);
}

static uint64_t name_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n && s[i]; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* sem_open: one object per name, whatever address each process maps it
 * at. */
static void sem_open_named(struct analyzer *a, uint32_t ti,
                           const struct trace_event *ev)
{
    uint64_t h = name_hash(ev->payload, ev->payload ? ev->payload_len : 0);
    uint32_t oi = an_map_get(&a->sem_names, h, 0);
    if (oi != AN_NONE) {
        an_obj_map(a, ev->proc, ev->obj, oi);
        return;
    }
    bool created;
    oi = an_obj_find(a, ev->proc, ev->obj, AN_SEM, &created);
    obj_new_generation(a, oi);
    a->objs[oi].inited = 1;
    a->objs[oi].pshared = 1;
    obj_created(a, ti, oi, ev);
    an_map_put(&a->sem_names, h, 0, oi);
}

static void sem_destroy(struct analyzer *a, uint32_t ti,
                        const struct trace_event *ev)
{
    bool created;
    uint32_t oi = an_obj_find(a, ev->proc, ev->obj, AN_SEM, &created);
    struct an_obj *o = &a->objs[oi];
    if (created) {
        obj_created(a, ti, oi, ev);
        misuse_sem(a, ti, oi,
                   "destroys {object:0}, which was never initialised", ev);
    } else if (o->destroyed && ev->arg == 0) {
        misuse_use_destroyed(a, ti, oi, ev);
    } else if (o->waiters) {
        misuse_sem(a, ti, oi, "destroys {object:0} while threads wait on it",
                   ev);
    }
    if (ev->arg == 0)
        obj_destroyed(a, ti, oi, ev);
}

static void sem_wait_begin(struct analyzer *a, uint32_t ti,
                           const struct trace_event *ev)
{
    uint32_t oi =
        sem_use(a, ti, ev, "waits on {object:0}, which was never initialised");
    a->objs[oi].waiters++;
    sync_block(&a->threads[ti], BLK_SEM, oi, ev->ts_ns, an_stack_of(a, ev),
               (ev->arg & TRACE_WAIT_TIMED) != 0);
}

/* sem-acquire or sem-fail: the end of a wait, if one began. */
static uint32_t sem_wait_end(struct analyzer *a, uint32_t ti,
                             const struct trace_event *ev)
{
    struct an_thread *t = &a->threads[ti];
    uint32_t oi = an_obj_lookup(a, ev->proc, ev->obj);
    if (blocked_on(t, BLK_SEM, oi)) {
        sync_unblock(t);
        if (a->objs[oi].waiters)
            a->objs[oi].waiters--;
        return oi;
    }
    return AN_NONE;
}

void sync_sem_event(struct analyzer *a, uint32_t ti,
                    const struct trace_event *ev)
{
    if (!sync_has_object(ev))
        return;
    uint32_t oi;
    switch (ev->type) {
    case TRACE_EV_SEM_INIT:
        sem_init(a, ti, ev);
        break;
    case TRACE_EV_SEM_OPEN:
        sem_open_named(a, ti, ev);
        break;
    case TRACE_EV_SEM_DESTROY:
        sem_destroy(a, ti, ev);
        break;
    case TRACE_EV_SEM_WAIT:
        sem_wait_begin(a, ti, ev);
        break;
    case TRACE_EV_SEM_ACQUIRE:
        oi = sem_wait_end(a, ti, ev);
        if (oi == AN_NONE)
            oi = sem_use(a, ti, ev,
                         "waits on {object:0}, which was never initialised");
        hb_receive(a, ti, &a->objs[oi].vw);
        break;
    case TRACE_EV_SEM_FAIL:
        sem_wait_end(a, ti, ev);
        break;
    case TRACE_EV_SEM_POST:
        oi =
            sem_use(a, ti, ev, "posts {object:0}, which was never initialised");
        hb_send(a, ti, &a->objs[oi].vw);
        break;
    }
}

/* ---- barriers ---- */

static void barrier_init(struct analyzer *a, uint32_t ti,
                         const struct trace_event *ev)
{
    bool created;
    uint32_t oi = an_obj_find(a, ev->proc, ev->obj, AN_BARRIER, &created);
    if (!created && a->objs[oi].bar->blocked)
        misuse_barrier(a, ti, oi,
                       "initialises {object:0} again while threads wait on it",
                       ev);
    if (ev->arg == 0)
        misuse_barrier(a, ti, oi, "initialises {object:0} with a count of 0",
                       ev);
    obj_new_generation(a, oi);
    struct an_barrier *b = a->objs[oi].bar;
    b->count = ev->arg;
    b->arrivals = 0;
    b->round++;
    b->nwaiters = 0;
    a->objs[oi].inited = 1;
    obj_created(a, ti, oi, ev);
}

static void barrier_destroy(struct analyzer *a, uint32_t ti,
                            const struct trace_event *ev)
{
    bool created;
    uint32_t oi = an_obj_find(a, ev->proc, ev->obj, AN_BARRIER, &created);
    struct an_obj *o = &a->objs[oi];
    if (created)
        obj_created(a, ti, oi, ev);
    else if (o->destroyed && ev->arg == 0)
        misuse_use_destroyed(a, ti, oi, ev);
    else if (o->bar->blocked)
        misuse_barrier(a, ti, oi,
                       "destroys {object:0} while threads wait on it", ev);
    if (ev->arg == 0)
        obj_destroyed(a, ti, oi, ev);
}

static void barrier_add_waiter(struct an_barrier *b, uint32_t ti)
{
    for (size_t i = 0; i < b->nwaiters; i++)
        if (b->waiters[i] == ti)
            return;
    an_grow(&b->waiters, &b->waiters_cap, b->nwaiters + 1, sizeof *b->waiters);
    b->waiters[b->nwaiters++] = ti;
}

/* Arrivals of one round all happen before every leave of that round. */
static void barrier_wait(struct analyzer *a, uint32_t ti,
                         const struct trace_event *ev)
{
    bool created;
    uint32_t oi = obj_use(a, ti, ev, AN_BARRIER, &created);
    if (created)
        misuse_barrier(a, ti, oi,
                       "waits on {object:0}, which was never initialised", ev);
    struct an_barrier *b = a->objs[oi].bar;
    struct an_thread *t = &a->threads[ti];
    barrier_add_waiter(b, ti);
    t->barrier_round = b->round;
    struct vclock *rv = &b->ring[b->round % AN_BARRIER_RING];
    if (b->arrivals == 0)
        hb_vc_clear(rv);
    hb_send(a, ti, rv);
    b->arrivals++;
    b->blocked++;
    sync_block(t, BLK_BARRIER, oi, ev->ts_ns, an_stack_of(a, ev), false);
    if (b->count && b->arrivals >= b->count) {
        b->round++;
        b->arrivals = 0;
    }
}

static void barrier_leave(struct analyzer *a, uint32_t ti,
                          const struct trace_event *ev)
{
    struct an_thread *t = &a->threads[ti];
    uint32_t oi = an_obj_lookup(a, ev->proc, ev->obj);
    if (oi == AN_NONE || !a->objs[oi].bar)
        return;
    struct an_barrier *b = a->objs[oi].bar;
    if (blocked_on(t, BLK_BARRIER, oi)) {
        sync_unblock(t);
        if (b->blocked)
            b->blocked--;
    }
    if (t->barrier_round == b->round) {
        /* count unknown (no init seen): the first leave closes the round */
        b->round++;
        b->arrivals = 0;
    }
    hb_receive(a, ti, &b->ring[t->barrier_round % AN_BARRIER_RING]);
}

void sync_barrier_event(struct analyzer *a, uint32_t ti,
                        const struct trace_event *ev)
{
    if (!sync_has_object(ev))
        return;
    switch (ev->type) {
    case TRACE_EV_BARRIER_INIT:
        barrier_init(a, ti, ev);
        break;
    case TRACE_EV_BARRIER_DESTROY:
        barrier_destroy(a, ti, ev);
        break;
    case TRACE_EV_BARRIER_WAIT:
        barrier_wait(a, ti, ev);
        break;
    case TRACE_EV_BARRIER_LEAVE:
        barrier_leave(a, ti, ev);
        break;
    }
}

/* ---- pthread_once ---- */

void sync_once_event(struct analyzer *a, uint32_t ti,
                     const struct trace_event *ev)
{
    if (!sync_has_object(ev))
        return;
    bool created;
    uint32_t oi = an_obj_find(a, ev->proc, ev->obj, AN_ONCE, &created);
    if (created)
        obj_created(a, ti, oi, ev);
    if (ev->type != TRACE_EV_ONCE_DONE)
        return;
    if (ev->arg)
        hb_send(a, ti, &a->objs[oi].vw); /* the run publishes its effects */
    else
        hb_receive(a, ti, &a->objs[oi].vw);
}
