/* `ctrace attach PID`: explain a process that is already stuck, without
 * restarting it (docs/attach.md).  The process is stopped for a moment
 * (ptrace), every thread's stack and wait is read (snapshot.h), the
 * waits go through the analyzer's wait-for graph (replay.h, tree.h), and
 * the findings are written by the same writers as `ctrace report`: text
 * (with each thread's state and stack first), JSON or SARIF.  The process
 * then runs on as before.  This header is the library's whole public
 * face: the command (cli/cmd_attach.c) and the benchmark use it. */
#ifndef CTRACE_ATTACH_ATTACH_H
#define CTRACE_ATTACH_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "report.h"

struct attach_options {
    enum report_format format;
    enum report_color color;
    bool children; /* the whole process tree below pid */
};

/* Attach to pid, report to out.  Returns 0 with the number of findings
 * in *nfindings, or -1 with a message for the user in err (no such
 * process, not permitted, exited meanwhile). */
int attach_run(pid_t pid, const struct attach_options *o, FILE *out,
               size_t *nfindings, char *err, size_t errlen);

#endif
