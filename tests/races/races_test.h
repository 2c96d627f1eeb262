/* Helpers shared by the race tests: running a program under the real
 * `ctrace run`, reading `ctrace report --format=json`, building test
 * programs with the real `ctrace cc` (or a plain compiler), reading the
 * RACE/ALLOC markers of the samples (samples/races/order.h).
 *
 * Environment (tests/races/meson.build): CTRACE_BIN, CTRACE_SAMPLES,
 * CTRACE_SOURCE_ROOT, CTRACE_SHIM_DIR (the directory of libctrace.so),
 * PKG_CONFIG_PATH (where ctrace-tsan-uninstalled.pc is). */
#ifndef CTRACE_TESTS_RACES_TEST_H
#define CTRACE_TESTS_RACES_TEST_H

#include <stdbool.h>
#include <stddef.h>

#include "e2e.h"
#include "json.h"

/* A run under ctrace and its report. */
struct races_run {
    struct e2e_result run; /* the traced program (ctrace run) */
    struct json *report;   /* the JSON report, NULL if it did not parse */
    char *report_text;     /* as written by ctrace report */
    const char *trace_dir;
};

/* `ctrace run --no-report -o DIR argv...`, then `ctrace report
 * --format=json DIR`; fails the test when the report is no JSON. */
void races_run(struct races_run *r, const char *const argv[]);
void races_run_free(struct races_run *r);

/* Validate the report against docs/report-schema.json (skipped when
 * python3-jsonschema is missing). */
void races_check_schema(const struct races_run *r);

/* Findings of a report, and those of one kind. */
const struct json *races_findings(const struct races_run *r);
size_t races_count_kind(const struct races_run *r, const char *kind);

/* Line and file basename of the first frame of a finding's stack i
 * (0 / "" when absent). */
int races_stack_line(const struct json *finding, size_t i);
const char *races_stack_file(const struct json *finding, size_t i);

/* The lines of a source file holding `marker` (at most max). */
size_t races_markers(const char *path, const char *marker, int *lines,
                     size_t max);

/* Path of a source file of the tree (CTRACE_SOURCE_ROOT/rel). */
const char *races_source(const char *rel);
/* Directory of libctrace.so in the build tree. */
const char *races_shim_dir(void);

/* Run a shell command line (sh -c) with the test environment; returns
 * its exit status and, in *out (may be NULL), its output and errors. */
int races_sh(const char *cmd, char **out);
/* Whether a compiler is installed. */
bool races_have(const char *compiler);

#endif
