/* Happens-before with vector clocks (see hb.h for the edges).
 *
 * Hot-path care: a mutex release copies the releaser's clock into the
 * mutex and remembers (releaser, epoch); an acquire that already knows
 * that epoch (the same thread taking its own lock again, or an order
 * already learnt) skips the join.  Clocks are dense arrays indexed by
 * thread, copied only up to their last non-zero entry.
 *
 * A release that follows the same thread's previous release of the same
 * lock with no join into its clock in between changes only the thread's
 * own entry of the lock's clock: it stores that entry instead of copying
 * the whole clock (an_thread.vc_joins counts joins and frees of the clock).
 *
 * Invariant the acquire shortcut relies on: every time a thread's clock is
 * published (release, signal, post, create, fork, barrier arrival) the
 * thread ticks right after, so a published clock carrying epoch E of
 * thread u is u's whole clock at the end of epoch E; knowing E means
 * knowing all of it.  (Exit publishes without a tick: the clock of a
 * finished thread never changes again.) */
#include <stdlib.h>
#include <string.h>

#include "hb.h"

static void vc_reserve(struct vclock *v, uint32_t n)
{
    if (n <= v->cap)
        return;
    uint32_t cap = v->cap ? v->cap : 4;
    while (cap < n)
        cap *= 2;
    uint64_t *c = realloc(v->c, (size_t)cap * sizeof *c);
    if (!c)
        abort();
    memset(c + v->cap, 0, (size_t)(cap - v->cap) * sizeof *c);
    v->c = c;
    v->cap = cap;
}

void hb_vc_set_slow(struct vclock *v, uint32_t i, uint64_t x)
{
    if (i >= v->n) {
        vc_reserve(v, i + 1);
        v->n = i + 1;
    }
    v->c[i] = x;
}

void hb_vc_join(struct vclock *dst, const struct vclock *src)
{
    if (src->n > dst->n) {
        vc_reserve(dst, src->n);
        dst->n = src->n;
    }
    uint64_t *d = dst->c;
    const uint64_t *s = src->c;
    for (uint32_t i = 0, n = src->n; i < n; i++)
        d[i] = s[i] > d[i] ? s[i] : d[i];
}

void hb_vc_copy(struct vclock *dst, const struct vclock *src)
{
    if (src->n > dst->cap)
        vc_reserve(dst, src->n);
    if (src->n)
        memcpy(dst->c, src->c, (size_t)src->n * sizeof *src->c);
    if (dst->n > src->n)
        memset(dst->c + src->n, 0, (size_t)(dst->n - src->n) * sizeof *dst->c);
    dst->n = src->n;
}

void hb_vc_clear(struct vclock *v)
{
    if (v->n)
        memset(v->c, 0, (size_t)v->n * sizeof *v->c);
    v->n = 0;
}

bool hb_vc_leq(const struct vclock *a, const struct vclock *b)
{
    for (uint32_t i = 0; i < a->n; i++)
        if (a->c[i] > hb_vc_get(b, i))
            return false;
    return true;
}

void hb_vc_free(struct vclock *v)
{
    free(v->c);
    memset(v, 0, sizeof *v);
}

/* ---- edges ---- */

void hb_thread_init(struct analyzer *a, uint32_t thread)
{
    struct an_thread *t = &a->threads[thread];
    if (hb_vc_get(&t->vc, thread) == 0)
        hb_vc_set(&t->vc, thread, 1);
}

/* Every join into a thread's clock goes through here (see vc_joins). */
void hb_thread_join(struct an_thread *t, const struct vclock *src)
{
    hb_vc_join(&t->vc, src);
    t->vc_joins++;
}

/* A freed clock restarts from zeros: a change like a join (vc_joins), so
 * that no release takes the one-entry shortcut against its old copy. */
void hb_thread_forget(struct an_thread *t)
{
    hb_vc_free(&t->vc);
    t->vc_joins++;
}

/* A release's whole clock into the lock (hb_lock_release's slow case). */
void hb_lock_publish(struct an_thread *t, struct an_obj *o)
{
    hb_vc_copy(&o->vw, &t->vc);
    o->rel_joins = t->vc_joins;
}

void hb_read_release(struct analyzer *a, uint32_t thread, struct an_obj *o)
{
    struct an_thread *t = &a->threads[thread];
    hb_vc_join(&o->vr, &t->vc);
    hb_vc_tick(&t->vc, thread);
}

void hb_read_acquire(struct analyzer *a, uint32_t thread, struct an_obj *o)
{
    hb_lock_acquire(a, thread, o); /* readers see the last writer only */
}

void hb_write_acquire(struct analyzer *a, uint32_t thread, struct an_obj *o)
{
    struct an_thread *t = &a->threads[thread];
    hb_lock_acquire(a, thread, o);
    if (o->vr.n) {
        hb_thread_join(t, &o->vr);
        /* the writer's release will carry them from now on */
        hb_vc_clear(&o->vr);
    }
}

void hb_send(struct analyzer *a, uint32_t thread, struct vclock *obj_vc)
{
    struct an_thread *t = &a->threads[thread];
    hb_vc_join(obj_vc, &t->vc);
    hb_vc_tick(&t->vc, thread);
}

void hb_receive(struct analyzer *a, uint32_t thread,
                const struct vclock *obj_vc)
{
    hb_thread_join(&a->threads[thread], obj_vc);
}

/* ---- public queries ---- */

uint64_t analyzer_hb_epoch(const struct analyzer *a, uint32_t thread)
{
    if (thread >= a->nthreads)
        return 0;
    return hb_vc_get(&a->threads[thread].vc, thread);
}

bool analyzer_hb_ordered(const struct analyzer *a, uint32_t thread_u,
                         uint64_t epoch_u, uint32_t thread_t)
{
    if (thread_u == thread_t)
        return true;
    if (thread_t >= a->nthreads)
        return false;
    return hb_vc_get(&a->threads[thread_t].vc, thread_u) >= epoch_u;
}

const uint64_t *analyzer_hb_clock(const struct analyzer *a, uint32_t thread,
                                  uint32_t *n)
{
    if (thread >= a->nthreads) {
        *n = 0;
        return NULL;
    }
    *n = a->threads[thread].vc.n;
    return a->threads[thread].vc.c;
}
