/* The analyzer's invariant checks (see check.h).  Each check walks what
 * it needs (a thread's held list, all threads for a reader count), so a
 * checked build is much slower on traces with many threads: it is for
 * the test suites. */
#include "check.h"

#if CTRACE_INVARIANTS
#include <assert.h>

#include "state.h"

static void an_check_lock(struct analyzer *a, uint32_t oi)
{
    const struct an_obj *o = &a->objs[oi];
    if (!an_kind_is_lock(o->kind))
        return;
    if (o->owner != AN_NONE && !an_obj_is_pylock(o)) {
        assert(o->owner < a->nthreads);
        const struct an_held *h = an_held_find(&a->threads[o->owner], oi);
        assert(h && "a lock's owner holds it");
        assert(h->write && "a lock's owner holds it for writing");
    }
    if (o->kind == AN_RWLOCK) {
        uint32_t readers = 0;
        for (size_t t = 0; t < a->nthreads; t++) {
            const struct an_held *h = an_held_find(&a->threads[t], oi);
            readers += h && !h->write;
        }
        assert(readers == o->nreaders &&
               "an rwlock's reader count matches its read holds");
    }
}

static void an_check_thread(struct analyzer *a, uint32_t ti)
{
    const struct an_thread *t = &a->threads[ti];
    if (t->blk != BLK_NONE && t->blk_obj != AN_NONE)
        assert(t->blk_obj < a->nobjs && "a blocked thread names an object");
    for (size_t i = 0; i < t->nheld; i++)
        assert(t->held[i].obj < a->nobjs && t->held[i].count > 0);
}

void an_check_event(struct analyzer *a, const struct trace_event *ev)
{
    if (ev->thread < a->nthreads)
        an_check_thread(a, ev->thread);
    if (!(an_event_flags(ev->type) & TF_OBJ))
        return;
    uint32_t oi = an_obj_lookup(a, ev->proc, ev->obj);
    if (oi != AN_NONE)
        an_check_lock(a, oi);
}
#endif
