/* Happens-before: vector clocks and the edges the trace's synchronization
 * creates between threads (docs/analysis.md, "Happens-before").
 *
 * Every thread t has a clock vector C_t, indexed by reader thread index
 * (all processes share one index space, so fork and process-shared
 * objects are edges like any other).  Clocks are sparse (vclock.h) and a
 * finished thread, once joined, is folded into its joiner's epoch (hb.c):
 * read entries with hb_get.  C_t[t] is t's own epoch: it grows
 * by one after every operation that publishes t's past (a release, a
 * signal, a post, a create, a fork).  An event e of thread u at epoch
 * E = C_u[u] happens before thread t's current point iff C_t[u] >= E.
 *
 * Objects carry the clock their releases publish: acquiring joins it
 * into the acquirer.  The edges, and only these (never timestamp order,
 * docs/design.md rule 7):
 *   mutex / spinlock   release -> later acquire
 *   rwlock             write release -> any later acquire;
 *                      read release -> later write acquire only
 *   cond               signal / broadcast -> wake (not a timed-out wake)
 *   sem                post -> acquire
 *   barrier            every arrival of a round -> every leave of it
 *   once               the run's once-done -> the others' once-done
 *   threads            create -> start, exit -> join
 *   processes          fork -> child start, child end -> reap,
 *                      exec'ing image -> exec'd image
 * Process-shared objects are the same object in every process that uses
 * them (see an_obj_find), so their edges cross processes naturally.
 */
#ifndef CTRACE_ANALYZER_HB_H
#define CTRACE_ANALYZER_HB_H

#include <stdbool.h>
#include <stdint.h>

#include "state.h"

/* A thread's first clock: its own epoch 1. */
void hb_thread_init(struct analyzer *a, uint32_t thread);
/* `joiner` has just joined the finished `thread` (received its clock):
 * free that clock and fold the thread into the joiner's epoch, so that no
 * clock needs an entry for it any more (hb.c). */
void hb_thread_fold(struct analyzer *a, uint32_t thread, uint32_t joiner);

/* The real entry of thread u in clock v: the stored one, or the last
 * epoch of u if u is folded and v knows the epoch it was folded at. */
uint64_t hb_get_folded(const struct analyzer *a, const struct vclock *v,
                       uint32_t u, uint64_t stored);
static inline uint64_t hb_get(const struct analyzer *a, const struct vclock *v,
                              uint32_t u)
{
    uint64_t x = hb_vc_get(v, u);
    if (u < a->nthreads && a->threads[u].fold.at && x < a->threads[u].fold.last)
        return hb_get_folded(a, v, u, x);
    return x;
}

/* Exclusive lock (mutex, spinlock, rwlock write side).  Inline: every
 * lock event makes one of these, and nearly always the acquirer already
 * knows the release (no join) and the releaser released the lock last
 * itself with no join since (one entry to store, see hb.c). */
void hb_thread_join(struct analyzer *a, uint32_t thread,
                    const struct vclock *src);
void hb_lock_publish(struct an_thread *t, struct an_obj *o);

static inline void hb_lock_acquire(struct analyzer *a, uint32_t thread,
                                   struct an_obj *o)
{
    struct an_thread *t = &a->threads[thread];
    if (o->rel_thread == AN_NONE)
        return;
    if (hb_get(a, &t->vc, o->rel_thread) >= o->rel_epoch)
        return; /* already ordered after that release */
    hb_thread_join(a, thread, &o->vw);
}

static inline void hb_lock_release(struct analyzer *a, uint32_t thread,
                                   struct an_obj *o)
{
    struct an_thread *t = &a->threads[thread];
    uint32_t p = hb_vc_find(&t->vc, thread);
    if (o->rel_thread == thread && o->rel_joins == t->vc_joins &&
        o->vw.n == t->vc.n && p < t->vc.n && o->vw.c[p].t == thread)
        o->vw.c[p].e = t->vc.c[p].e;
    else
        hb_lock_publish(t, o);
    o->rel_thread = thread;
    o->rel_epoch = hb_vc_get(&t->vc, thread);
    hb_vc_tick(&t->vc, thread);
}
/* rwlock read side. */
void hb_read_release(struct analyzer *a, uint32_t thread, struct an_obj *o);
void hb_read_acquire(struct analyzer *a, uint32_t thread, struct an_obj *o);
void hb_write_acquire(struct analyzer *a, uint32_t thread, struct an_obj *o);
/* Accumulating objects (cond signals, sem posts, once): every send joins
 * into the object, every receive joins the object into the thread. */
void hb_send(struct analyzer *a, uint32_t thread, struct vclock *obj_vc);
void hb_receive(struct analyzer *a, uint32_t thread,
                const struct vclock *obj_vc);

#endif
