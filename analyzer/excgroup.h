/* Exception groups (docs/exception-groups.md): every failure of a run, across
 * all threads and processes, grouped by signature.
 *
 * This module owns collecting failures from the event stream and grouping
 * them.  Failures are: fatal signals (signal), abort() (abort), failed
 * asserts (assert), C++ throws that end in std::terminate (cxx-throw then
 * cxx-terminate; with `all_throws` also the throws that were caught),
 * Python exceptions (python-exception, from ctrace_record_exception()),
 * and, once the trace has ended, processes that exited non-zero or died
 * without a stack (the parent's process-reap status, the process-exit
 * event, the file header's exit status, or nothing at all: "died without a
 * trace of why").  A process counts once: an assert that ends in abort()
 * and SIGABRT, reaped by its parent as "killed by SIGABRT", is one
 * failure.
 *
 * Signature = kind + detail (signal, assert expression, exception type,
 * exit status) + the names of the top three program frames: frames in
 * system libraries and in libctrace.so are skipped, as the symbolizer
 * marks them.  The analysis core does not symbolize, so this happens in
 * two steps: here a failure is merged, when it arrives, into the group of
 * its kind, detail and stack as module+offset pairs (memory grows with
 * threads, processes and distinct failures, never with events); then
 * excgroup_symbolize() (excgroup_report.h), given a symbolizer, names the
 * frames and merges the groups whose names agree.
 * docs/exception-groups.md explains it with an example.
 *
 * It also keeps, per thread, the blocking call it is in (the last TF_BLOCK
 * event not yet completed), so that a crashed process's group can say
 * what every other thread was doing when it died.
 */
#ifndef CTRACE_ANALYZER_EXCGROUP_H
#define CTRACE_ANALYZER_EXCGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "finding.h"
#include "reader.h"

struct excgroup;

/* A new collector.  `r` (may be NULL) gives process facts (pid, image,
 * exe, header exit status); without it call excgroup_set_process() for
 * every image.  `all_throws`: caught C++ throws are failures too
 * (`--exceptions=all`). */
struct excgroup *excgroup_new(const struct trace_reader *r, bool all_throws);
void excgroup_free(struct excgroup *g);

/* What the reader's process list would say about image `proc` (pid,
 * ppid, image, flags, exited, exit_status, exe, end_ns are used). */
void excgroup_set_process(struct excgroup *g, uint32_t proc,
                          const struct trace_process *p);

/* One event, in the reader's merged order. */
void excgroup_feed(struct excgroup *g, const struct trace_event *ev);

/* End of the trace: exit statuses and silent deaths become failures,
 * blocked threads are attached to the crashes, and the groups, totals
 * and per-process outcomes are moved into `out` (exc_* and outcomes
 * fields).  Call once. */
void excgroup_finish(struct excgroup *g, struct analysis_result *out);

/* Free what excgroup_finish() put into `res` (analysis_result_free calls
 * it). */
void excgroup_result_free(struct analysis_result *res);

/* ---- for excgroup_symbolize() (excgroup_report.c) ---- */

/* "kind:detail:", the part of a signature before the frames, in buf;
 * returns its length.  `detail`: assert expression, exception type or
 * exit status; `caught` for C++ throws that were caught. */
size_t excgroup_signature_head(enum exception_kind kind, int32_t signo,
                               const char *detail, bool caught, char *buf,
                               size_t len);
/* Merge group `from` into `into` (counts, times, pids, tids, members);
 * `from` is emptied. */
void excgroup_merge(struct exception_group *into, struct exception_group *from);
/* Report order: crashes in order of appearance, then the exit-status
 * branches (non-zero exits, deaths without a stack). */
void excgroup_sort(struct exception_group *v, size_t n);
bool excgroup_is_exit_branch(const struct exception_group *gr);

/* "signal", "assert", "abort", "cxx-exception", "exit-status",
 * "python-exception". */
const char *exception_kind_name(enum exception_kind k);
/* "SIGSEGV"; "signal 42" style names go to buf for unknown numbers. */
const char *excgroup_signal_name(int signo, char *buf, size_t len);
/* The call a TF_BLOCK event stands for ("pthread_mutex_lock"). */
const char *excgroup_block_call(uint32_t event);

#endif
