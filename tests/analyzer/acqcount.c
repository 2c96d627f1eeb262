/* An example analysis pass, written by following HACKING.md's "add a
 * pass" recipe word for word: it counts each thread's lock acquisitions
 * (first holds and recursive re-entries) and, at the end, reports a
 * note naming the busiest thread.  The test beside it (test_pass.c)
 * hands it to the analyzer as an extra pass; a built-in pass would be
 * the same file in analyzer/ plus one line in analyzer/passes.def. */
#include <stdlib.h>

#include "acqcount.h"
#include "pass.h"
#include "state.h"

struct acqcount {
    uint64_t *by_thread;
    size_t n, cap;
};

static void *acqcount_create(struct analyzer *a)
{
    (void)a;
    struct acqcount *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    return c;
}

static void acqcount_step(struct analyzer *a, void *self,
                          const struct an_step *s)
{
    (void)a;
    struct acqcount *c = self;
    if (s->thread >= c->n) {
        an_grow(&c->by_thread, &c->cap, (size_t)s->thread + 1,
                sizeof *c->by_thread);
        c->n = (size_t)s->thread + 1;
    }
    c->by_thread[s->thread]++;
}

static void acqcount_finish(struct analyzer *a, void *self,
                            struct analysis_result *out)
{
    (void)out;
    struct acqcount *c = self;
    size_t best = 0;
    for (size_t t = 1; t < c->n; t++)
        if (c->by_thread[t] > c->by_thread[best])
            best = t;
    if (c->n)
        an_note(a, "acqcount: thread %zu took locks %llu times", best,
                (unsigned long long)c->by_thread[best]);
}

static void acqcount_destroy(void *self)
{
    struct acqcount *c = self;
    free(c->by_thread);
    free(c);
}

const struct an_pass acqcount_pass = {
    .name = "acqcount",
    .steps = AN_STEP_BIT(AN_STEP_ACQUIRE) | AN_STEP_BIT(AN_STEP_REENTER),
    .create = acqcount_create,
    .step = acqcount_step,
    .finish = acqcount_finish,
    .destroy = acqcount_destroy,
};

uint64_t acqcount_of(const struct analyzer *a, uint32_t thread)
{
    const struct acqcount *c = an_pass_state(a, &acqcount_pass);
    return c && thread < c->n ? c->by_thread[thread] : 0;
}
