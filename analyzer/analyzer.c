/* The analyzer's public face (analyzer.h): options, feeding events to the
 * modules by family, live checks, the end-of-trace pass that assembles
 * an analysis_result, and analysing a whole trace directory.
 *
 * Per event: the thread is looked up (an array index), then one family
 * handler runs (sync.c for synchronization objects, lifecycle.c for
 * threads and processes).  Nothing is allocated per event once the
 * tables have grown to the trace's threads and objects. */
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "check.h"
#include "forkhazard.h"
#include "gil.h"
#include "lifecycle.h"
#include "lockgraph.h"
#include "misuse.h"
#include "python.h"
#include "state.h"
#include "sync.h"
#include "waitfor.h"

void analyzer_options_default(struct analyzer_options *o)
{
    memset(o, 0, sizeof *o);
    o->hang_timeout_ns = 10ull * 1000 * 1000 * 1000;
    o->deadlock_confirm_ns = 500ull * 1000 * 1000;
    o->max_lock_cycles = 1000;
}

struct analyzer *analyzer_new(const struct analyzer_options *opt,
                              const struct trace_reader *r)
{
    struct analyzer *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    analyzer_options_default(&a->opt);
    if (opt) {
        a->opt = *opt;
        if (!a->opt.max_lock_cycles)
            a->opt.max_lock_cycles = 1000;
    }
    a->reader = r;
    a->graph = lockgraph_new();
    a->free_create = AN_NONE;
    an_passes_init(a, a->opt.extra_passes);
    return a;
}

void analyzer_free(struct analyzer *a)
{
    if (!a)
        return;
    an_passes_free(a);
    an_state_free(a);
    lockgraph_free(a->graph);
    python_state_free(a->py);
    gil_state_free(a->gil);
    free(a);
}

/* ---- feeding ---- */

/* The core's state machine, by family (trace/events.def). */
static void analyzer_core_event(struct analyzer *a, uint32_t ti,
                                uint32_t family, const struct trace_event *ev)
{
    switch (family) {
    case TRACE_FAM_MUTEX:
    case TRACE_FAM_RWLOCK:
    case TRACE_FAM_SPIN:
        sync_lock_event(a, ti, ev);
        break;
    case TRACE_FAM_COND:
        sync_cond_event(a, ti, ev);
        break;
    case TRACE_FAM_SEM:
        sync_sem_event(a, ti, ev);
        break;
    case TRACE_FAM_BARRIER:
        sync_barrier_event(a, ti, ev);
        break;
    case TRACE_FAM_ONCE:
        sync_once_event(a, ti, ev);
        break;
    case TRACE_FAM_THREAD:
        life_thread_event(a, ti, ev);
        break;
    case TRACE_FAM_PROCESS:
        life_process_event(a, ti, ev);
        break;
    }
}

void analyzer_feed(struct analyzer *a, const struct trace_event *ev)
{
    /* bookkeeping records (1..15) never reach here from the reader */
    if (a->finished || ev->type < TRACE_EV_PROCESS_START)
        return;
    a->events++;
    if (!a->have_ts) {
        a->have_ts = true;
        a->first_ts = ev->ts_ns;
    }
    if (ev->ts_ns > a->last_ts)
        a->last_ts = ev->ts_ns;
    an_thread_touch(a, ev);
    uint32_t ti = ev->thread, type = ev->type;
    uint32_t family = an_event_family(type);
    /* Python: runtimes, frames, the GIL and CPython's locks (python.c) */
    enum python_fed py = a->py || type == TRACE_EV_PY_RUNTIME
                             ? python_feed(a, ti, ev)
                             : PYTHON_NOT_MINE;
    if (py == PYTHON_NOT_MINE)
        analyzer_core_event(a, ti, family, ev);
    if (py != PYTHON_GIL) /* passes that want raw events of its family */
        an_emit_event(a, family, ev);
    if (py != PYTHON_NOT_MINE || a->py)
        python_after(a, ti, ev);
    an_check_event(a, ev);
}

/* ---- results ---- */

static void finding_copy(struct finding *dst, const struct finding *src)
{
    *dst = *src;
    dst->stacks = NULL;
    if (src->nstacks) {
        dst->stacks = malloc(src->nstacks * sizeof *src->stacks);
        if (!dst->stacks)
            abort();
        memcpy(dst->stacks, src->stacks, src->nstacks * sizeof *src->stacks);
    }
}

int analyzer_check_live(struct analyzer *a, uint64_t now_ns,
                        struct analysis_result *out_new)
{
    if (a->finished)
        return 0;
    size_t before = a->findings.n;
    waitfor_check(a, now_ns, true);
    size_t added = a->findings.n - before;
    if (!added)
        return 0;
    size_t n = out_new->nfindings;
    struct finding *v = realloc(out_new->findings, (n + added) * sizeof *v);
    if (!v)
        abort();
    for (size_t i = 0; i < added; i++)
        finding_copy(&v[n + i], &a->findings.v[before + i]);
    out_new->findings = v;
    out_new->nfindings = n + added;
    out_new->events = a->events;
    out_new->lost_events = a->lost_events;
    return (int)added;
}

static int finding_cmp(const void *x, const void *y)
{
    const struct finding *a = x, *b = y;
    if (a->severity != b->severity)
        return a->severity < b->severity ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->ts_ns != b->ts_ns)
        return a->ts_ns < b->ts_ns ? -1 : 1;
    return 0;
}

void analyzer_finish(struct analyzer *a, struct analysis_result *out)
{
    memset(out, 0, sizeof *out);
    if (a->finished)
        return;
    waitfor_check(a, a->last_ts, false);
    misuse_finish(a);
    forkhazard_finish(a);
    lockgraph_report_cycles(a);
    an_passes_finish(a, out);
    a->finished = true;

    uint64_t lost = a->lost_events;
    if (a->reader && trace_reader_lost_events(a->reader) > lost)
        lost = trace_reader_lost_events(a->reader);
    if (lost)
        an_note(a,
                "%llu events were lost while recording: findings about the "
                "threads that lost them may be missing or wrong",
                (unsigned long long)lost);

    if (a->findings.n)
        qsort(a->findings.v, a->findings.n, sizeof *a->findings.v, finding_cmp);
    out->findings = a->findings.v;
    out->nfindings = a->findings.n;
    a->findings.v = NULL;
    a->findings.n = a->findings.cap = 0;
    an_map_free(&a->findings.by_key);
    out->events = a->events;
    out->lost_events = lost;
    out->duration_ns = a->last_ts - a->first_ts;
    out->notes = a->notes;
    out->nnotes = a->nnotes;
    a->notes = NULL;
    a->nnotes = a->notes_cap = 0;
    gil_collect(a, out);
}

/* ---- a whole trace ---- */

int analyzer_run_trace(const char *dir, const struct analyzer_options *opt,
                       struct analysis_result *out, struct trace_error *err)
{
    memset(out, 0, sizeof *out);
    struct trace_reader *r = trace_reader_open(dir, err);
    if (!r)
        return -1;
    struct analyzer *a = analyzer_new(opt, r);
    if (!a) {
        trace_reader_close(r);
        snprintf(err->msg, sizeof err->msg, "%s: out of memory", dir);
        return -1;
    }
    int status = 0, errors = 0;
    struct trace_event ev;
    struct trace_error e;
    for (;;) {
        int rc = trace_reader_next(r, &ev, &e);
        if (rc > 0) {
            analyzer_feed(a, &ev);
            continue;
        }
        if (rc == 0)
            break;
        if (status == 0)
            *err = e;
        status = 1;
        if (++errors > 10000)
            break; /* the reader promises progress; do not trust it blindly */
    }
    analyzer_finish(a, out);
    analyzer_free(a);
    trace_reader_close(r);
    return status;
}
