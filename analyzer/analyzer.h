/* The analyzer: a streaming library that turns trace events into
 * findings (docs/analysis.md explains every analysis with an example).
 *
 * Events go in one at a time, in the reader's merged order
 * (trace_reader_next); findings come out at the end (analyzer_finish) or,
 * for real deadlocks and hangs, while the program still runs
 * (analyzer_check_live).  Memory is bounded by the number of threads,
 * objects, distinct stacks and distinct findings, never by the number of
 * events, so the same code serves `ctrace report`, the live monitor of
 * `ctrace run` and the viewer.
 *
 * Typical use:
 *
 *     struct analyzer *a = analyzer_new(NULL, reader);
 *     while (trace_reader_next(reader, &ev, &err) > 0)
 *         analyzer_feed(a, &ev);
 *     struct analysis_result res;
 *     analyzer_finish(a, &res);
 *     analyzer_free(a);
 *     ... report ...
 *     analysis_result_free(&res);
 *
 * Findings name threads by reader thread index and objects by their
 * position in finding.objects, through placeholders in the message and
 * the stack labels ("{thread:3}", "{object:0}"): finding_message_format()
 * (finding.h) turns them into names.
 */
#ifndef CTRACE_ANALYZER_ANALYZER_H
#define CTRACE_ANALYZER_ANALYZER_H

#include <stdbool.h>
#include <stdint.h>

#include "finding.h"
#include "reader.h"

struct an_pass;

struct analyzer_options {
    /* hang: every thread of a process blocked this long (default 10 s) */
    uint64_t hang_timeout_ns;
    /* live only: a wait-for cycle must have lasted this long before it is
     * reported, so that events still on their way cannot fake one
     * (default 500 ms) */
    uint64_t deadlock_confirm_ns;
    /* lock-order cycles reported at most (default 1000); the search also
     * stops after 100 times as many cycles looked at */
    uint32_t max_lock_cycles;
    /* exception groups: caught C++ throws count too (--exceptions=all) */
    bool exceptions_all;
    /* skip the data-race analysis (mem-* and atomic-* events): the live
     * monitor, which looks for deadlocks and hangs only */
    bool no_races;
    /* passes to run after the built-in ones (pass.h), NULL-terminated;
     * NULL for none.  Tests and tools use it; built-in passes are listed
     * in passes.def. */
    const struct an_pass *const *extra_passes;
};

void analyzer_options_default(struct analyzer_options *o);

struct analyzer;

/* A new analyzer.  `opt` NULL means the defaults.  `r` (may be NULL)
 * tells thread identities (process, tid, serial) and process facts; it
 * is only read, and must outlive the analyzer.  Without a reader, call
 * analyzer_set_thread / analyzer_set_process for every thread and image
 * before its first event (the unit tests do). */
struct analyzer *analyzer_new(const struct analyzer_options *opt,
                              const struct trace_reader *r);
void analyzer_free(struct analyzer *a);

/* Identity of a thread (reader thread index) and of a process image
 * (reader process index): what the reader's lists would say. */
void analyzer_set_thread(struct analyzer *a, uint32_t thread, uint32_t proc,
                         uint32_t tid, uint32_t serial);
void analyzer_set_process(struct analyzer *a, uint32_t proc, uint32_t pid,
                          uint32_t ppid, int parent);

/* One event, in merged order. */
void analyzer_feed(struct analyzer *a, const struct trace_event *ev);

/* Live monitoring: look for deadlocks and hangs in the current state, as
 * of `now_ns` (the trace's ts_ns time base: trace_reader_now_ns()).
 * Appends the ones not reported before to *out_new (zero it first; free
 * with analysis_result_free) and returns how many.  Cheap: proportional
 * to the number of blocked threads. */
int analyzer_check_live(struct analyzer *a, uint64_t now_ns,
                        struct analysis_result *out_new);

/* End of the trace: end-of-trace deadlocks and hangs, lock-order cycles,
 * leaks; fills *out (findings sorted most severe first, contention
 * hottest first).  Call once; then only analyzer_free. */
void analyzer_finish(struct analyzer *a, struct analysis_result *out);

/* Convenience: analyse a whole trace directory.  Returns 0; 1 when parts
 * of the trace were corrupt (they are skipped, err says the first one);
 * -1 when it cannot be opened (err says why). */
int analyzer_run_trace(const char *dir, const struct analyzer_options *opt,
                       struct analysis_result *out, struct trace_error *err);

/* ---- happens-before queries (hb.h) ----
 * An event of thread u carries the epoch analyzer_hb_epoch(a, u) had when
 * it was fed.  It happens before everything thread t does from now on iff
 * analyzer_hb_ordered(a, u, epoch, t). */
uint64_t analyzer_hb_epoch(const struct analyzer *a, uint32_t thread);
bool analyzer_hb_ordered(const struct analyzer *a, uint32_t thread_u,
                         uint64_t epoch_u, uint32_t thread_t);
/* Thread t's whole clock, as dense as it reads: out[i] (i < cap) gets
 * the latest epoch of thread i that happens before t's current point.
 * Returns the number of threads (entries past it are 0).  Once a
 * finished thread has been joined its own clock is forgotten (all 0):
 * what it knew lives on in its joiner's.  Costs cap clock reads: the
 * clocks themselves are sparse (hb.h). */
uint32_t analyzer_hb_clock(const struct analyzer *a, uint32_t thread,
                           uint64_t *out, uint32_t cap);

#endif
