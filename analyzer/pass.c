/* The analyzer's passes (see pass.h): the built-in table from
 * passes.def, extra passes handed in through analyzer_options, their
 * states, and the per-step and per-family lists the core dispatches on.
 *
 * The lists are computed once, when the analyzer is made, so that a step
 * costs a short loop over the passes that asked for it and nothing for
 * the others. */
#include <stdlib.h>

#include "pass_run.h"
#include "state.h"

static const struct an_pass *const an_builtin_passes[] = {
#define AN_PASS(name) &name##_pass,
#include "passes.def"
#undef AN_PASS
};

#define AN_NBUILTIN (sizeof an_builtin_passes / sizeof an_builtin_passes[0])

static void an_passes_add(struct analyzer *a, const struct an_pass *p)
{
    struct an_passes *ps = &a->passes;
    if (ps->n == AN_PASSES_MAX)
        abort(); /* a programming error: raise AN_PASSES_MAX */
    ps->v[ps->n++] = p;
}

/* The dispatch lists of pass i, whose state exists now. */
static void an_passes_hook(struct an_passes *ps, uint8_t i)
{
    const struct an_pass *p = ps->v[i];
    for (uint32_t k = 0; k < AN_STEP_COUNT; k++)
        if (p->step && (p->steps & AN_STEP_BIT(k)))
            ps->by_step[k][ps->nby_step[k]++] =
                (struct an_step_hook){p->step, ps->self[i]};
    for (uint32_t f = 0; f < TRACE_FAM_COUNT; f++)
        if (p->event && (p->families & AN_FAMILY_BIT(f)))
            ps->by_family[f][ps->nby_family[f]++] =
                (struct an_event_hook){p->event, ps->self[i]};
}

void an_passes_init(struct analyzer *a, const struct an_pass *const *extra)
{
    for (size_t i = 0; i < AN_NBUILTIN; i++)
        an_passes_add(a, an_builtin_passes[i]);
    for (; extra && *extra; extra++)
        an_passes_add(a, *extra);
    /* states last: a pass's create may look for another's state */
    for (uint8_t i = 0; i < a->passes.n; i++)
        if (a->passes.v[i]->create)
            a->passes.self[i] = a->passes.v[i]->create(a);
    for (uint8_t i = 0; i < a->passes.n; i++)
        an_passes_hook(&a->passes, i);
}

void an_passes_finish(struct analyzer *a, struct analysis_result *out)
{
    for (uint8_t i = 0; i < a->passes.n; i++)
        if (a->passes.v[i]->finish)
            a->passes.v[i]->finish(a, a->passes.self[i], out);
}

void an_passes_free(struct analyzer *a)
{
    for (uint8_t i = 0; i < a->passes.n; i++)
        if (a->passes.v[i]->destroy)
            a->passes.v[i]->destroy(a->passes.self[i]);
    a->passes.n = 0;
}

void *an_pass_state(const struct analyzer *a, const struct an_pass *p)
{
    for (uint8_t i = 0; i < a->passes.n; i++)
        if (a->passes.v[i] == p)
            return a->passes.self[i];
    return NULL;
}
