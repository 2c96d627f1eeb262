/* Analysis passes: how an analysis plugs into the analyzer.
 *
 * The analyzer core (sync.c, lifecycle.c, state.c, hb.c) is the only
 * state machine: it keeps the shared facts (threads, processes, objects,
 * holders, waiters, clocks) and, after each change, hands the passes a
 * typed *step* ("thread 3 acquired object 7, contended, after 2 ms").  A
 * pass keeps whatever else it needs in its own state (side tables indexed
 * by object or thread), reads the shared facts through state.h, and
 * turns them into findings (an_report) or results at the end.
 *
 * A pass may also ask for the raw events of whole event families (the
 * `family` column of trace/events.def): the exception groups and the
 * race detector work from events, not steps.
 *
 * The passes are listed in passes.def, one line each; analyzer/meson.build
 * reads the same file to compile them.  HACKING.md has the recipe.
 */
#ifndef CTRACE_ANALYZER_PASS_H
#define CTRACE_ANALYZER_PASS_H

#include <stdbool.h>
#include <stdint.h>

#include "finding.h"
#include "reader.h"

struct analyzer;

/* What just happened, after the core updated the shared state. */
enum an_step_kind {
    AN_STEP_ACQUIRE, /* thread now holds obj (first hold, not a
                        recursive re-entry); ns = time it waited */
    AN_STEP_REENTER, /* thread took obj again while holding it
                        (recursive mutex, recursive read lock) */
    AN_STEP_RELEASE, /* thread's hold of obj ended; ns = hold time.  Also
                        when a destroy or an init ends a hold, and when
                        another thread unlocks a normal mutex */
    AN_STEP_COUNT
};

#define AN_STEP_BIT(k) (1u << (k))
#define AN_FAMILY_BIT(f) (1ull << (f)) /* f: TRACE_FAM_* */

struct an_step {
    uint8_t kind;      /* enum an_step_kind */
    uint8_t write;     /* exclusive (write) side of the lock */
    uint8_t contended; /* acquire: the thread waited, or the shim saw the
                          lock busy */
    uint8_t trylock;   /* acquire: by a trylock */
    uint32_t thread;   /* the thread the step is about (the holder) */
    uint32_t obj;      /* the object, or AN_NONE */
    uint64_t ns;       /* acquire: wait; release: hold */
    uint64_t site;     /* the call site of the event (0: none, e.g. a hold
                          ended by a destroy) */
    const struct trace_event *ev; /* the event that caused the step */
};

/* One analysis.  Every function may be NULL. */
struct an_pass {
    const char *name;
    uint32_t steps;    /* AN_STEP_BIT()s of the steps it wants */
    uint64_t families; /* AN_FAMILY_BIT()s of the raw events it wants */
    /* Its state, made with the analyzer (NULL is a valid state). */
    void *(*create)(struct analyzer *a);
    void (*step)(struct analyzer *a, void *self, const struct an_step *s);
    void (*event)(struct analyzer *a, void *self, const struct trace_event *ev);
    /* End of the trace: add findings (an_report) and fill its part of
     * *out.  Passes finish in table order. */
    void (*finish)(struct analyzer *a, void *self, struct analysis_result *out);
    void (*destroy)(void *self);
};

/* The passes of passes.def, in order. */
#define AN_PASS(name) extern const struct an_pass name##_pass;
#include "passes.def"
#undef AN_PASS

/* At most this many passes, built-in and extra together. */
#define AN_PASSES_MAX 16

/* The state of pass `p` in analyzer `a` (what its create returned), or
 * NULL when `p` is not one of a's passes. */
void *an_pass_state(const struct analyzer *a, const struct an_pass *p);

#endif
