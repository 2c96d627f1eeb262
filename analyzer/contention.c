/* Lock contention figures (see contention.h).  Counting is exact; a
 * lock's call sites are a small array searched from the front with the
 * busiest moved forward, so a hot site costs one comparison. */
#include <stdlib.h>
#include <string.h>

#include "contention.h"
#include "state.h"

#define CONTENTION_SITES_MAX 1024 /* sites tracked per lock */

static struct an_site_count *site_slot(struct an_contention *ct, uint64_t pc)
{
    for (size_t i = 0; i < ct->nsites; i++) {
        if (ct->sites[i].pc != pc)
            continue;
        if (i > 0 && ct->sites[i].acquisitions >= ct->sites[i - 1].acquisitions) {
            struct an_site_count tmp = ct->sites[i - 1];
            ct->sites[i - 1] = ct->sites[i];
            ct->sites[i] = tmp;
            return &ct->sites[i - 1];
        }
        return &ct->sites[i];
    }
    if (ct->nsites == CONTENTION_SITES_MAX)
        return NULL;
    an_grow(&ct->sites, &ct->sites_cap, ct->nsites + 1, sizeof *ct->sites);
    struct an_site_count *s = &ct->sites[ct->nsites++];
    s->pc = pc;
    return s;
}

static struct an_contention *contention_of(struct an_obj *o)
{
    if (!o->ct) {
        o->ct = calloc(1, sizeof *o->ct);
        if (!o->ct)
            abort();
    }
    return o->ct;
}

void contention_acquire(struct an_obj *o, uint64_t site, bool contended,
                        uint64_t waited_ns)
{
    struct an_contention *ct = contention_of(o);
    ct->acquisitions++;
    if (contended) {
        ct->contended++;
        ct->wait_total += waited_ns;
        if (waited_ns > ct->wait_max)
            ct->wait_max = waited_ns;
    }
    struct an_site_count *s = site_slot(ct, site);
    if (s) {
        s->acquisitions++;
        if (contended)
            s->wait_ns += waited_ns;
    }
}

void contention_release(struct an_obj *o, uint64_t held_ns)
{
    struct an_contention *ct = contention_of(o);
    ct->hold_total += held_ns;
    if (held_ns > ct->hold_max)
        ct->hold_max = held_ns;
}

static int site_cmp(const void *x, const void *y)
{
    const struct an_site_count *a = x, *b = y;
    if (a->wait_ns != b->wait_ns)
        return a->wait_ns > b->wait_ns ? -1 : 1;
    if (a->acquisitions != b->acquisitions)
        return a->acquisitions > b->acquisitions ? -1 : 1;
    return a->pc < b->pc ? -1 : a->pc > b->pc;
}

static int entry_cmp(const void *x, const void *y)
{
    const struct contention_entry *a = x, *b = y;
    if (a->wait_total_ns != b->wait_total_ns)
        return a->wait_total_ns > b->wait_total_ns ? -1 : 1;
    if (a->contended != b->contended)
        return a->contended > b->contended ? -1 : 1;
    if (a->acquisitions != b->acquisitions)
        return a->acquisitions > b->acquisitions ? -1 : 1;
    if (a->lock.proc != b->lock.proc)
        return a->lock.proc < b->lock.proc ? -1 : 1;
    return a->lock.addr < b->lock.addr ? -1 : a->lock.addr > b->lock.addr;
}

static void entry_fill(struct analyzer *a, uint32_t oi,
                       struct contention_entry *e)
{
    struct an_obj *o = &a->objs[oi];
    struct an_contention *ct = o->ct;
    memset(e, 0, sizeof *e);
    e->lock.addr = o->addr;
    e->lock.proc = o->proc;
    e->lock.generation = o->gen;
    strncpy(e->lock.kind, an_obj_kind_name(o->kind), sizeof e->lock.kind - 1);
    e->lock.create_pc = o->create_pc;
    e->acquisitions = ct->acquisitions;
    e->contended = ct->contended;
    e->wait_total_ns = ct->wait_total;
    e->wait_max_ns = ct->wait_max;
    e->hold_total_ns = ct->hold_total;
    e->hold_max_ns = ct->hold_max;
    qsort(ct->sites, ct->nsites, sizeof *ct->sites, site_cmp);
    size_t max = sizeof e->sites / sizeof e->sites[0];
    e->nsites = ct->nsites < max ? ct->nsites : max;
    for (size_t i = 0; i < e->nsites; i++) {
        e->sites[i].pc = ct->sites[i].pc;
        e->sites[i].acquisitions = ct->sites[i].acquisitions;
        e->sites[i].wait_ns = ct->sites[i].wait_ns;
    }
}

void contention_collect(struct analyzer *a, struct contention_entry **out,
                        size_t *n)
{
    size_t count = 0;
    for (size_t i = 0; i < a->nobjs; i++)
        if (a->objs[i].ct && a->objs[i].ct->acquisitions)
            count++;
    *out = NULL;
    *n = 0;
    if (!count)
        return;
    struct contention_entry *v = calloc(count, sizeof *v);
    if (!v)
        abort();
    size_t k = 0;
    for (size_t i = 0; i < a->nobjs; i++)
        if (a->objs[i].ct && a->objs[i].ct->acquisitions)
            entry_fill(a, (uint32_t)i, &v[k++]);
    qsort(v, count, sizeof *v, entry_cmp);
    *out = v;
    *n = count;
}
