/* Lock contention figures (a pass, pass.h; not findings): per lock,
 * acquisitions (every successful one, trylocks and recursive re-entries
 * included), contended acquisitions (the ones a *-wait event preceded,
 * or that the shim saw busy), wait time (from the wait event to the
 * acquisition) and hold time (from the acquisition to the release), each
 * total and max, the lock's creation site, and its busiest call sites.
 * Counting is exact.
 *
 * The figures live in a side table indexed by object; a lock's call
 * sites in an open-addressing table on the pc. */
#include <stdlib.h>
#include <string.h>

#include "pass.h"
#include "python.h"
#include "state.h"

#define CONTENTION_SITES_MAX 1024 /* sites tracked per lock */

struct an_site_count {
    uint64_t pc;
    uint64_t acquisitions; /* 0: an empty slot */
    uint64_t wait_ns;
};

struct an_contention {
    uint64_t acquisitions, contended;
    uint64_t wait_total, wait_max, hold_total, hold_max;
    struct an_site_count *sites;
    size_t nsites, sites_cap;
};

struct contention {
    struct an_contention *v; /* by object index */
    size_t n, cap;
};

static inline size_t contention_site_home(uint64_t pc, size_t cap)
{
    return (size_t)((pc * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

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

static struct an_site_count *contention_site_new(struct an_contention *ct,
                                                 uint64_t pc)
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

/* The counts of call site `pc`, or NULL past CONTENTION_SITES_MAX. */
static struct an_site_count *contention_site(struct an_contention *ct,
                                             uint64_t pc)
{
    if (ct->sites_cap) {
        size_t mask = ct->sites_cap - 1;
        for (size_t i = contention_site_home(pc, ct->sites_cap);;
             i = (i + 1) & mask) {
            struct an_site_count *s = &ct->sites[i];
            if (!s->acquisitions)
                break;
            if (s->pc == pc)
                return s;
        }
    }
    return contention_site_new(ct, pc);
}

static struct an_contention *contention_of(struct contention *c, uint32_t obj)
{
    if (obj >= c->n) {
        an_grow(&c->v, &c->cap, (size_t)obj + 1, sizeof *c->v);
        c->n = (size_t)obj + 1;
    }
    return &c->v[obj];
}

static void contention_acquire(struct an_contention *ct,
                               const struct an_step *s)
{
    ct->acquisitions++;
    if (s->contended) {
        ct->contended++;
        ct->wait_total += s->ns;
        if (s->ns > ct->wait_max)
            ct->wait_max = s->ns;
    }
    struct an_site_count *site = contention_site(ct, s->site);
    if (site) {
        site->acquisitions++;
        if (s->contended)
            site->wait_ns += s->ns;
    }
}

static void contention_step(struct analyzer *a, void *self,
                            const struct an_step *s)
{
    (void)a;
    struct an_contention *ct = contention_of(self, s->obj);
    if (s->kind != AN_STEP_RELEASE) {
        contention_acquire(ct, s);
        return;
    }
    ct->hold_total += s->ns;
    if (s->ns > ct->hold_max)
        ct->hold_max = s->ns;
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
                       const struct an_contention *ct,
                       struct contention_entry *e)
{
    struct an_obj *o = &a->objs[oi];
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

/* Every lock with at least one acquisition, hottest first (total wait,
 * then contended count, then acquisitions). */
static void contention_finish(struct analyzer *a, void *self,
                              struct analysis_result *out)
{
    struct contention *c = self;
    size_t count = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].acquisitions)
            count++;
    out->contention = NULL;
    out->ncontention = 0;
    if (!count)
        return;
    struct contention_entry *v = calloc(count, sizeof *v);
    if (!v)
        abort();
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].acquisitions)
            entry_fill(a, (uint32_t)i, &c->v[i], &v[k++]);
    qsort(v, count, sizeof *v, entry_cmp);
    out->contention = v;
    out->ncontention = count;
}

static void *contention_create(struct analyzer *a)
{
    (void)a;
    struct contention *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    return c;
}

static void contention_destroy(void *self)
{
    struct contention *c = self;
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].sites);
    free(c->v);
    free(c);
}

const struct an_pass contention_pass = {
    .name = "contention",
    .steps = AN_STEP_BIT(AN_STEP_ACQUIRE) | AN_STEP_BIT(AN_STEP_REENTER) |
             AN_STEP_BIT(AN_STEP_RELEASE),
    .create = contention_create,
    .step = contention_step,
    .finish = contention_finish,
    .destroy = contention_destroy,
};
