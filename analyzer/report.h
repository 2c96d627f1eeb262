/* The report: what a finished analysis looks like to a person (text), a
 * program (JSON, docs/report-schema.json) or a code-scanning tool (SARIF
 * 2.1.0).
 *
 * The writers only read: an analysis_result, the reader's process and
 * thread facts (pids, names, exe, exit statuses) and a symbolizer for the
 * raw pcs.  report_run() is the whole pipeline used by `ctrace report`
 * and by `ctrace run` after the program ends: analyse the trace, read its
 * module maps, apply suppressions, write.
 */
#ifndef CTRACE_ANALYZER_REPORT_H
#define CTRACE_ANALYZER_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "finding.h"
#include "reader.h"

struct symbolizer;

enum report_format {
    REPORT_FORMAT_TEXT = 0,
    REPORT_FORMAT_JSON,
    REPORT_FORMAT_SARIF,
};

enum report_color {
    REPORT_COLOR_AUTO = 0, /* on a terminal, unless NO_COLOR is set */
    REPORT_COLOR_ALWAYS,
    REPORT_COLOR_NEVER,
};

struct report_options {
    enum report_format format;
    enum report_color color;
    const char *suppressions; /* TSan-syntax suppressions file, or NULL */
    unsigned hang_timeout_s;  /* 0: the analyzer's default (10 s) */
    bool exceptions_all;      /* caught C++ throws are failures too */
};

/* Everything a writer reads.  procs/threads are indexed like the
 * reader's lists (finding.proc, finding.threads[], stack.thread). */
struct report_input {
    const struct analysis_result *res;
    const struct trace_process *procs;
    size_t nprocs;
    const struct trace_thread *threads;
    size_t nthreads;
    struct symbolizer *sym; /* may be NULL: raw pcs only */
    size_t suppressed;      /* findings removed by suppressions */
};

/* Fill in->procs/threads from the reader's lists: shallow copies in
 * arrays the caller frees (*procs, *threads); the strings stay the
 * reader's. */
void report_input_lists(const struct trace_reader *r, struct report_input *in,
                        struct trace_process **procs,
                        struct trace_thread **threads);

/* "text", "json", "sarif" -> format; -1 when unknown. */
int report_format_from_name(const char *name);
/* "auto", "always", "never" -> color; -1 when unknown. */
int report_color_from_name(const char *name);
/* Whether colour is used on `out` for this choice (auto: a terminal
 * and NO_COLOR unset or empty). */
bool report_color_enabled(enum report_color c, FILE *out);

/* The writers.  Return 0, or -1 when writing failed (errno set). */
int report_write_text(FILE *out, const struct report_input *in, bool color);
int report_write_json(FILE *out, const struct report_input *in);
int report_write_sarif(FILE *out, const struct report_input *in);
/* Dispatch on opts->format (and opts->color for text). */
int report_write(FILE *out, const struct report_input *in,
                 const struct report_options *opts);

/* The summary line, without newline:
 * "ctrace: 3 findings (1 deadlock, 2 misuse) in 2 processes, 7 threads;
 *  0 events lost" (one line; "; N failures (G groups)" when the run had
 *  exception groups, "; N suppressed" when some were). */
void report_summary_line(const struct report_input *in, char *buf, size_t len);

/* What report_run() found. */
struct report_outcome {
    size_t findings; /* shown, after suppressions */
    size_t suppressed;
    size_t damaged; /* corrupt spots the reader reported (0: intact) */
};

/* Analyse trace directory `dir`, symbolize, apply suppressions and write
 * the report to `out`.  Returns 0, or -1 with a user-facing message in
 * err (trace unreadable, suppressions file bad, write failed). */
int report_run(const char *dir, const struct report_options *opts, FILE *out,
               struct report_outcome *outcome, char *err, size_t errlen);

/* For `ctrace run`: report_run() with errors printed to stderr.  Returns
 * the number of findings shown (>= 0), or -1 when no report could be
 * made. */
int report_print_for_run(const char *dir, const struct report_options *opts,
                         FILE *out);

#endif
