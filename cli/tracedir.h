/* The output directory of `ctrace run`: making room for a new trace.
 *
 * An existing trace directory DIR is kept as DIR.old (one generation:
 * an older DIR.old is removed).  ctrace only ever moves or deletes
 * directories that look like traces (empty, or holding p*.ctrace or
 * seq.map), so a mistyped `-o $HOME` is refused, never renamed or
 * deleted.
 */
#ifndef CTRACE_CLI_TRACEDIR_H
#define CTRACE_CLI_TRACEDIR_H

#include <stdbool.h>
#include <stddef.h>

/* Make DIR ready: move an existing trace to DIR.old, create DIR, and
 * return its absolute path in abs.  Returns 0, or -1 with the reason
 * printed. */
int tracedir_prepare(const char *dir, char *abs, size_t size);

/* true when `dir` is a directory that is empty or holds trace files. */
bool tracedir_looks_like_trace(const char *dir);

#endif
