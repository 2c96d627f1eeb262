/* Lock contention figures (see contention.h): the out-of-line parts of
 * the counting, and the collection at the end.  Counting is exact. */
#include <stdlib.h>
#include <string.h>

#include "contention.h"
#include "python.h"
#include "state.h"

#define CONTENTION_SITES_MAX 1024 /* sites tracked per lock */

static void sites_rehash(struct an_contention *ct, size_t cap)
{
    struct an_site_count *old = ct->sites;
    size_t oldcap = ct->sites_cap;
    ct->sites = calloc(cap, sizeof *ct->sites);
    if (!ct->sites)
        abort();
    ct->sites_cap = cap;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].acquisitions)
            continue;
        size_t j = contention_site_home(old[i].pc, cap);
        while (ct->sites[j].acquisitions)
            j = (j + 1) & (cap - 1);
        ct->sites[j] = old[i];
    }
    free(old);
}

struct an_site_count *contention_site_new(struct an_contention *ct, uint64_t pc)
{
    if (ct->nsites == CONTENTION_SITES_MAX)
        return NULL;
    if ((ct->nsites + 1) * 2 > ct->sites_cap)
        sites_rehash(ct, ct->sites_cap ? ct->sites_cap * 2 : 8);
    size_t mask = ct->sites_cap - 1;
    size_t i = contention_site_home(pc, ct->sites_cap);
    while (ct->sites[i].acquisitions)
        i = (i + 1) & mask;
    ct->nsites++;
    ct->sites[i].pc = pc;
    return &ct->sites[i];
}

struct an_contention *contention_new(struct an_obj *o)
{
    o->ct = calloc(1, sizeof *o->ct);
    if (!o->ct)
        abort();
    return o->ct;
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
    python_object_decorate(a, oi, &e->lock);
    e->acquisitions = ct->acquisitions;
    e->contended = ct->contended;
    e->wait_total_ns = ct->wait_total;
    e->wait_max_ns = ct->wait_max;
    e->hold_total_ns = ct->hold_total;
    e->hold_max_ns = ct->hold_max;
    struct an_site_count *v = calloc(ct->nsites + 1, sizeof *v);
    if (!v)
        abort();
    size_t n = 0;
    for (size_t i = 0; i < ct->sites_cap; i++)
        if (ct->sites[i].acquisitions)
            v[n++] = ct->sites[i];
    qsort(v, n, sizeof *v, site_cmp);
    size_t max = sizeof e->sites / sizeof e->sites[0];
    e->nsites = n < max ? n : max;
    for (size_t i = 0; i < e->nsites; i++) {
        e->sites[i].pc = v[i].pc;
        e->sites[i].acquisitions = v[i].acquisitions;
        e->sites[i].wait_ns = v[i].wait_ns;
    }
    free(v);
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
