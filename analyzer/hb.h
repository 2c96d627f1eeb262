/* Happens-before: vector clocks and the edges the trace's synchronization
 * creates between threads (docs/analysis.md, "Happens-before").
 *
 * Every thread t has a clock vector C_t, indexed by reader thread index
 * (all processes share one index space, so fork and process-shared
 * objects are edges like any other).  C_t[t] is t's own epoch: it grows
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
/* Free the clock of a finished thread whose joiner carries it on. */
void hb_thread_forget(struct an_thread *t);

/* Exclusive lock (mutex, spinlock, rwlock write side).  Inline: every
 * lock event makes one of these, and nearly always the acquirer already
 * knows the release (no join) and the releaser released the lock last
 * itself with no join since (one entry to store, see hb.c). */
void hb_thread_join(struct an_thread *t, const struct vclock *src);
void hb_lock_publish(struct an_thread *t, struct an_obj *o);

static inline void hb_lock_acquire(struct analyzer *a, uint32_t thread,
                                   struct an_obj *o)
{
    struct an_thread *t = &a->threads[thread];
    if (o->rel_thread == AN_NONE)
        return;
    if (hb_vc_get(&t->vc, o->rel_thread) >= o->rel_epoch)
        return; /* already ordered after that release */
    hb_thread_join(t, &o->vw);
}

static inline void hb_lock_release(struct analyzer *a, uint32_t thread,
                                   struct an_obj *o)
{
    struct an_thread *t = &a->threads[thread];
    if (o->rel_thread == thread && o->rel_joins == t->vc_joins &&
        o->vw.n == t->vc.n && thread < t->vc.n)
        o->vw.c[thread] = t->vc.c[thread];
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
