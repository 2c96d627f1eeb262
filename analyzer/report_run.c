/* The whole report pipeline (report.h): one pass over the trace feeds
 * the analyzer and the symbolizer (module-load events) together; then
 * suppressions remove what the user asked to ignore, and a writer prints
 * the rest.  Used by `ctrace report` and by `ctrace run` after the
 * program ends. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "excgroup_report.h"
#include "report_internal.h"
#include "suppress.h"

/* Corrupt spots reported before giving up on a trace. */
#define REPORT_MAX_CORRUPT 100

/* Feed every event of r to the analyzer and the symbolizer.  Returns
 * how many corrupt spots the reader reported. */
static unsigned report_read_trace(struct trace_reader *r, struct analyzer *a,
                                  struct symbolizer *sym)
{
    struct trace_error terr;
    struct trace_event ev;
    unsigned corrupt = 0;
    int rc;
    while ((rc = trace_reader_next(r, &ev, &terr)) != 0) {
        if (rc < 0) {
            /* the reader keeps what came before a corruption and goes on
               with the other threads */
            fprintf(stderr, "ctrace: warning: %s (skipped)\n", terr.msg);
            if (++corrupt == REPORT_MAX_CORRUPT)
                break;
            continue;
        }
        if (ev.type == TRACE_EV_MODULE_LOAD) {
            const struct trace_process *p = trace_reader_process(r, ev.proc);
            sym_add_event(sym, &ev, p ? p->exe : NULL);
        }
        analyzer_feed(a, &ev);
    }
    return corrupt;
}

void report_input_lists(const struct trace_reader *r, struct report_input *in,
                        struct trace_process **procs,
                        struct trace_thread **threads)
{
    size_t np = trace_reader_process_count(r);
    size_t nt = trace_reader_thread_count(r);
    *procs = calloc(np ? np : 1, sizeof(**procs));
    *threads = calloc(nt ? nt : 1, sizeof(**threads));
    if (!*procs || !*threads)
        abort();
    for (size_t i = 0; i < np; i++)
        (*procs)[i] = *trace_reader_process(r, i);
    for (size_t i = 0; i < nt; i++)
        (*threads)[i] = *trace_reader_thread(r, i);
    in->procs = *procs;
    in->nprocs = np;
    in->threads = *threads;
    in->nthreads = nt;
}

int report_run(const char *dir, const struct report_options *opts, FILE *out,
               struct report_outcome *outcome, char *err, size_t errlen)
{
    struct suppressions *supp = NULL;
    if (opts->suppressions &&
        !(supp = suppress_load(opts->suppressions, err, errlen)))
        return -1;
    struct trace_error terr;
    struct trace_reader *r = trace_reader_open(dir, &terr);
    if (!r) {
        snprintf(err, errlen, "cannot read the trace: %s", terr.msg);
        suppress_free(supp);
        return -1;
    }
    struct analyzer_options ao;
    analyzer_options_default(&ao);
    if (opts->hang_timeout_s)
        ao.hang_timeout_ns = (uint64_t)opts->hang_timeout_s * 1000000000ull;
    ao.exceptions_all = opts->exceptions_all;
    struct analyzer *a = analyzer_new(&ao, r);
    struct symbolizer *sym = sym_new();
    unsigned damaged = report_read_trace(r, a, sym);
    struct analysis_result res;
    memset(&res, 0, sizeof(res));
    analyzer_finish(a, &res);
    analyzer_free(a);
    excgroup_symbolize(&res, sym);

    struct report_input in = {.res = &res, .sym = sym};
    struct trace_process *procs;
    struct trace_thread *threads;
    report_input_lists(r, &in, &procs, &threads);
    if (supp)
        in.suppressed = suppress_apply(supp, &in, &res);
    int rc = report_write(out, &in, opts);
    if (rc != 0)
        snprintf(err, errlen, "cannot write the report: %s", strerror(errno));
    if (outcome) {
        outcome->findings = res.nfindings;
        outcome->suppressed = in.suppressed;
        outcome->damaged = damaged;
    }
    analysis_result_free(&res);
    free(procs);
    free(threads);
    sym_free(sym);
    trace_reader_close(r);
    suppress_free(supp);
    return rc;
}

int report_print_for_run(const char *dir, const struct report_options *opts,
                         FILE *out)
{
    char err[1024];
    struct report_outcome outcome;
    if (report_run(dir, opts, out, &outcome, err, sizeof(err)) != 0) {
        fprintf(stderr, "ctrace: %s\n", err);
        return -1;
    }
    return (int)outcome.findings;
}
