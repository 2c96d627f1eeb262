/* The core's side of the passes (pass.h is the passes' side): the lists
 * an analyzer keeps, and the inline dispatch of steps and raw events.
 * Only the core (analyzer.c, sync.c, lifecycle.c, state.c) includes
 * this. */
#ifndef CTRACE_ANALYZER_PASS_RUN_H
#define CTRACE_ANALYZER_PASS_RUN_H

#include "pass.h"

#define AN_FAMILY_COUNT TRACE_FAM_COUNT

/* A pass's function with its state, ready to call: the per-step and
 * per-family lists hold these, so a dispatch is one load of each and an
 * indirect call. */
struct an_step_hook {
    void (*fn)(struct analyzer *a, void *self, const struct an_step *s);
    void *self;
};
struct an_event_hook {
    void (*fn)(struct analyzer *a, void *self, const struct trace_event *ev);
    void *self;
};

struct an_passes {
    const struct an_pass *v[AN_PASSES_MAX];
    void *self[AN_PASSES_MAX];
    uint8_t n;
    /* the passes that want each step kind and each family, in table
     * order (filled once every state exists) */
    uint8_t nby_step[AN_STEP_COUNT];
    uint8_t nby_family[AN_FAMILY_COUNT];
    struct an_step_hook by_step[AN_STEP_COUNT][AN_PASSES_MAX];
    struct an_event_hook by_family[AN_FAMILY_COUNT][AN_PASSES_MAX];
};

/* Make the passes: the built-in ones, then `extra` (NULL-terminated, may
 * be NULL); then each pass's state. */
void an_passes_init(struct analyzer *a, const struct an_pass *const *extra);
/* Each pass's finish, in table order. */
void an_passes_finish(struct analyzer *a, struct analysis_result *out);
void an_passes_free(struct analyzer *a);

#endif
