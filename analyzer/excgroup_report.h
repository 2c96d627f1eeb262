/* Exception groups in the report (docs/exception-groups.md): the symbolized
 * signatures and the two views of the groups, the text tree and the JSON array.
 *
 * This module owns the report side of excgroup.c: excgroup_symbolize()
 * names the frames of every group's stack, rewrites its signature with
 * the top program frames (system and ctrace frames skipped) and merges
 * the groups whose signatures then agree; the writers show the result.
 * It lives in the report library because it needs the symbolizer
 * (libdw), which the analysis core does without.
 *
 * The text view is one tree in the spirit of Python's ExceptionGroup
 * traceback:
 *
 *     ExceptionGroup: 5 failures in 5 processes (2 distinct)
 *     ├─ [3x] SIGSEGV at parse_record (worker.c:10)   pids 101, 102, 103
 *     │    #0 parse_record (worker.c:10)
 *     │    #1 worker_main (worker.c:22)
 *     └─ [2x] exit status 1   pids 104, 105
 *
 * drawn with box characters when the locale is UTF-8, else with ASCII.
 */
#ifndef CTRACE_ANALYZER_EXCGROUP_REPORT_H
#define CTRACE_ANALYZER_EXCGROUP_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "finding.h"
#include "report_internal.h"

struct symbolizer;

/* Symbolized signatures, and groups merged by them.  Call once, after
 * analyzer_finish() and before writing (report_run() does). */
void excgroup_symbolize(struct analysis_result *res, struct symbolizer *sym);

/* The frames of a group's stack, innermost first, inline frames
 * expanded (Python: the traceback's frames, without pcs).  `sym` may be
 * NULL (raw pcs).  Returns the count.  Strings belong to `sym` or `gr`. */
size_t excgroup_stack_frames(struct symbolizer *sym,
                             const struct exception_group *gr,
                             struct sym_frame *out, size_t max);

/* Escape sequences of the text report (all "" without colour). */
struct excgroup_style {
    const char *head, *bold, *dim, *reset;
};

/* Whether the locale asks for UTF-8 (LC_ALL, LC_CTYPE, LANG). */
bool excgroup_utf8_locale(void);

/* The tree; nothing when there are no groups. */
void excgroup_write_text(FILE *out, const struct report_input *in,
                         const struct excgroup_style *st, bool utf8);

/* The `exception_groups` array, as member `key` of the current object. */
void excgroup_write_json(struct jsonw *w, const struct report_input *in,
                         const char *key);

/* `exit_status` and `signal` of process image `proc` (null when not
 * known): what excgroup.c decided, else the file header's status. */
void excgroup_json_outcome(struct jsonw *w, const struct report_input *in,
                           size_t proc);

#endif
