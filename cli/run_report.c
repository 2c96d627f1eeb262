/* The report step of `ctrace run` (see run.h).
 *
 * Until the analyzer exists (issue 3) the report is a summary of what was
 * recorded, read through the trace reader, and there are no findings.
 * The analyzer replaces the body of run_report(); its callers stay. */
#include "run.h"

#include <inttypes.h>
#include <stdio.h>

#include "reader.h"

/* Corrupt spots reported before giving up on a trace. */
#define RUN_REPORT_MAX_ERRORS 100

int run_report(const char *dir, const struct run_options *opts)
{
    (void)opts;
    struct trace_error err = {{0}};
    struct trace_reader *r = trace_reader_open(dir, &err);
    if (!r) {
        fprintf(stderr, "ctrace: no trace to report: %s\n", err.msg);
        return -1;
    }
    uint64_t events = 0;
    unsigned errors = 0;
    struct trace_event ev;
    int rc;
    while ((rc = trace_reader_next(r, &ev, &err)) != 0) {
        if (rc > 0) {
            events++;
            continue;
        }
        /* The reader keeps what came before a corruption and goes on with
         * the other threads; a bound keeps a broken reader from looping. */
        fprintf(stderr, "ctrace: %s\n", err.msg);
        if (++errors == RUN_REPORT_MAX_ERRORS)
            break;
    }
    fprintf(stderr,
            "ctrace: recorded %" PRIu64 " events in %zu processes, %zu "
            "threads; %" PRIu64 " events lost\n",
            events, trace_reader_process_count(r), trace_reader_thread_count(r),
            trace_reader_lost_events(r));
    trace_reader_close(r);
    return 0;
}
