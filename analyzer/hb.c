/* Happens-before with vector clocks (see hb.h for the edges).
 *
 * Hot-path care: a mutex release copies the releaser's clock into the
 * mutex and remembers (releaser, epoch); an acquire that already knows
 * that epoch (the same thread taking its own lock again, or an order
 * already learnt) skips the join.  Clocks are sparse sorted arrays of the
 * threads they know (vclock.h): a join or copy costs the entries of the
 * two clocks, and the entries of joined threads are folded away (below),
 * so that a clock's size follows the threads alive, not all ever made.
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
    struct vc_entry *c = realloc(v->c, (size_t)cap * sizeof *c);
    if (!c)
        abort();
    v->c = c;
    v->cap = cap;
}

uint32_t hb_vc_find_slow(const struct vclock *v, uint32_t i)
{
    uint32_t lo = 0, hi = v->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v->c[mid].t < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void hb_vc_insert(struct vclock *v, uint32_t p, uint32_t i, uint64_t x)
{
    vc_reserve(v, v->n + 1);
    memmove(v->c + p + 1, v->c + p, (size_t)(v->n - p) * sizeof *v->c);
    v->c[p] = (struct vc_entry){x, i};
    v->n++;
}

/* How many threads of src dst holds no entry for. */
static uint32_t vc_missing(const struct vclock *dst, const struct vclock *src)
{
    uint32_t i = 0, j = 0, k = 0;
    while (j < src->n) {
        if (i == dst->n || src->c[j].t < dst->c[i].t) {
            k++;
            j++;
        } else if (src->c[j].t == dst->c[i].t) {
            i++;
            j++;
        } else {
            i++;
        }
    }
    return k;
}

/* Merge from the back, so that dst grows in place. */
void hb_vc_join(struct vclock *dst, const struct vclock *src)
{
    uint32_t k = vc_missing(dst, src);
    if (k == 0) {
        for (uint32_t i = 0, j = 0; j < src->n; i++) {
            if (dst->c[i].t != src->c[j].t)
                continue;
            if (src->c[j].e > dst->c[i].e)
                dst->c[i].e = src->c[j].e;
            j++;
        }
        return;
    }
    vc_reserve(dst, dst->n + k);
    uint32_t i = dst->n, j = src->n, w = dst->n + k;
    struct vc_entry *d = dst->c;
    const struct vc_entry *s = src->c;
    while (j > 0) {
        if (i > 0 && d[i - 1].t > s[j - 1].t) {
            d[--w] = d[--i];
        } else if (i > 0 && d[i - 1].t == s[j - 1].t) {
            w--, i--, j--;
            d[w] = d[i];
            if (s[j].e > d[w].e)
                d[w].e = s[j].e;
        } else {
            d[--w] = s[--j];
        }
    }
    dst->n += k;
}

void hb_vc_copy(struct vclock *dst, const struct vclock *src)
{
    vc_reserve(dst, src->n);
    if (src->n)
        memcpy(dst->c, src->c, (size_t)src->n * sizeof *src->c);
    dst->n = src->n;
}

void hb_vc_clear(struct vclock *v) { v->n = 0; }

void hb_vc_free(struct vclock *v)
{
    free(v->c);
    memset(v, 0, sizeof *v);
}

/* ---- folds ----
 * When j joins the finished u, j's clock holds u's last epoch L; from
 * j's next epoch A = (j's epoch at the join) + 1 on, any clock that knows
 * epoch A of j learnt it from a publication of j made after the join, so
 * it knows u up to L.  (A, not the epoch of the join itself: a clock may
 * have read j's live clock earlier in that epoch.)  So u's entry in any
 * clock is
 *     L            if the clock's entry of j is >= A
 *     its stored entry (0 if none) otherwise,
 * the stored entry being exact whenever it is not implied, since joins
 * take the maximum of exact entries.  An entry <= L that is implied can
 * be dropped without changing any value: vc_compact does, so that the
 * create/join loop's clocks hold the live threads only, not one entry
 * per thread ever joined.  j may be folded in turn, into k at A': the
 * chain is walked upward (it has no cycles: a thread folds only into a
 * joiner not folded itself, so folds along a chain are ever later).
 * Exactness needs only that no thread acts after it was joined, which a
 * real run guarantees (the join returns after the thread is gone). */

/* Whether clock v's real entry of thread `cur` is >= `need`. */
static bool fold_reaches(const struct analyzer *a, const struct vclock *v,
                         uint32_t cur, uint64_t need)
{
    for (;;) {
        if (hb_vc_get(v, cur) >= need)
            return true;
        const struct hb_fold *f = &a->threads[cur].fold;
        if (!f->at || f->last < need)
            return false;
        need = f->at;
        cur = f->into;
    }
}

uint64_t hb_get_folded(const struct analyzer *a, const struct vclock *v,
                       uint32_t u, uint64_t stored)
{
    const struct hb_fold *f = &a->threads[u].fold;
    return fold_reaches(a, v, f->into, f->at) ? f->last : stored;
}

/* Drop the entries the folds imply (two passes: the first reads v while
 * it zeroes them, which changes no value, the second removes them). */
static void vc_compact(const struct analyzer *a, struct vclock *v)
{
    bool any = false;
    for (uint32_t i = 0; i < v->n; i++) {
        uint32_t u = v->c[i].t;
        const struct hb_fold *f = u < a->nthreads ? &a->threads[u].fold : NULL;
        if (f && f->at && v->c[i].e <= f->last &&
            fold_reaches(a, v, f->into, f->at)) {
            v->c[i].e = 0;
            any = true;
        }
    }
    if (!any)
        return;
    uint32_t w = 0;
    for (uint32_t i = 0; i < v->n; i++)
        if (v->c[i].e)
            v->c[w++] = v->c[i];
    v->n = w;
}

/* ---- edges ---- */

void hb_thread_init(struct analyzer *a, uint32_t thread)
{
    struct an_thread *t = &a->threads[thread];
    if (hb_vc_get(&t->vc, thread) == 0)
        hb_vc_set(&t->vc, thread, 1);
}

/* Every join into a thread's clock goes through here (see vc_joins). */
void hb_thread_join(struct analyzer *a, uint32_t thread,
                    const struct vclock *src)
{
    struct an_thread *t = &a->threads[thread];
    hb_vc_join(&t->vc, src);
    vc_compact(a, &t->vc);
    t->vc_joins++;
}

/* A freed clock restarts from zeros: a change like a join (vc_joins), so
 * that no release takes the one-entry shortcut against its old copy.  A
 * thread joined twice (a misuse) is folded at its first join only; a
 * joiner folded itself (acting after its own join) takes no folds. */
void hb_thread_fold(struct analyzer *a, uint32_t thread, uint32_t joiner)
{
    struct an_thread *t = &a->threads[thread];
    struct hb_fold *f = &t->fold;
    if (!f->at && !a->threads[joiner].fold.at) {
        f->into = joiner;
        f->last = hb_vc_get(&t->vc, thread);
        f->at = hb_vc_get(&a->threads[joiner].vc, joiner) + 1;
    }
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
    hb_lock_acquire(a, thread, o);
    if (o->vr.n) {
        hb_thread_join(a, thread, &o->vr);
        /* the writer's release will carry them from now on */
        hb_vc_clear(&o->vr);
    }
}

void hb_send(struct analyzer *a, uint32_t thread, struct vclock *obj_vc)
{
    struct an_thread *t = &a->threads[thread];
    hb_vc_join(obj_vc, &t->vc);
    vc_compact(a, obj_vc); /* a sem posted by many threads since joined */
    hb_vc_tick(&t->vc, thread);
}

void hb_receive(struct analyzer *a, uint32_t thread,
                const struct vclock *obj_vc)
{
    hb_thread_join(a, thread, obj_vc);
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
    return hb_get(a, &a->threads[thread_t].vc, thread_u) >= epoch_u;
}

uint32_t analyzer_hb_clock(const struct analyzer *a, uint32_t thread,
                           uint64_t *out, uint32_t cap)
{
    uint32_t n = thread < a->nthreads ? (uint32_t)a->nthreads : 0;
    for (uint32_t u = 0; u < cap; u++)
        out[u] = u < n ? hb_get(a, &a->threads[thread].vc, u) : 0;
    return n;
}
