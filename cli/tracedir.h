/* The output directory of `ctrace run`: making room for a new trace,
 * safely even in a directory others can write (docs/security.md).
 *
 * ctrace creates DIR with mode 0700 and marks it (TRACE_DIR_MARKER).
 * An existing DIR is kept as DIR.old (one generation: an older DIR.old
 * is emptied and removed) only when ctrace marked it, the same user owns
 * it, nobody else can write it and it holds only ctrace's own regular
 * files; anything else (a symlink, another user's directory, a
 * directory with other files, a trace of an older ctrace without the
 * marker) is refused with the reason and left as it is.  An empty
 * directory of the user's own is recorded into as it is.
 */
#ifndef CTRACE_CLI_TRACEDIR_H
#define CTRACE_CLI_TRACEDIR_H

#include <stddef.h>

/* Make DIR ready: move an existing trace to DIR.old, create DIR, and
 * return its absolute path in abs.  Returns 0, or -1 with the reason
 * printed. */
int tracedir_prepare(const char *dir, char *abs, size_t size);

#endif
