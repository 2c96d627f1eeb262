/* `ctrace run`: its options, and the report step that follows a run.
 *
 * cmd_run.c records; run_report() is the one call that turns the trace
 * into the report printed after the program ends.  The analyzer plugs in
 * there, so the live monitor and `ctrace report` can share it.
 */
#ifndef CTRACE_CLI_RUN_H
#define CTRACE_CLI_RUN_H

#include <stdbool.h>

/* Default trace directory of run, report, view, export and dump. */
#define RUN_DEFAULT_DIR "ctrace.data"

struct run_options {
    const char *output;       /* -o DIR */
    bool no_report;           /* --no-report */
    int stack_depth;          /* --stack-depth=N; -1: the shim's default */
    int error_exitcode;       /* --error-exitcode=N; -1: off */
    bool live;                /* --live: the viewer while it runs */
    const char *on_deadlock;  /* --on-deadlock=kill|abort|wait */
    int hang_timeout;         /* --hang-timeout=SECONDS; -1: the default (10) */
    const char *exceptions;   /* --exceptions=fatal|all */
    const char *suppressions; /* --suppressions=FILE, as `ctrace report` */
    const char *color;        /* --color=auto|always|never */
};

/* Print the report of the trace in `dir` to stderr.  Returns the number
 * of findings (0 or more), or -1 when the trace cannot be read (the
 * reason is printed). */
int run_report(const char *dir, const struct run_options *opts);

#endif
