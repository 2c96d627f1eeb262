/* The GIL section of the reports (analysis_result.gil, gil.c): per
 * thread of each Python process, how long it waited for the GIL and what
 * share of its life that was: what a Python developer wants to know
 * about threads that do not make a program faster.  docs/python.md. */
#ifndef CTRACE_ANALYZER_GIL_REPORT_H
#define CTRACE_ANALYZER_GIL_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "report.h"

struct jsonw;

/* "== GIL: ... ==" then one line per thread; nothing without Python.
 * `bold` and `reset` are the text writer's escape sequences. */
void gil_write_text(FILE *out, const struct report_input *in, const char *bold,
                    const char *reset);

/* Member `key` (an array of threads); nothing without Python. */
void gil_write_json(struct jsonw *w, const struct report_input *in,
                    const char *key);

#endif
