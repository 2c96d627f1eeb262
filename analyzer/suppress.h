/* Suppressions in ThreadSanitizer's syntax (`--suppressions=FILE`).
 *
 * One rule a line, `type:pattern`; `#` starts a comment, blank lines are
 * ignored.  Types and the finding kinds they cover:
 *   deadlock         lock-order-inversion, deadlock, hang
 *   mutex            misuse of mutexes and other sync objects (double-lock,
 *                    unlock-of-unlocked, ..., cond-*, sem-misuse,
 *                    barrier-misuse, exit-holding-lock,
 *                    fork-with-lock-held)
 *   thread           thread-leak, invalid-join
 *   race, race_top   data-race (race_top: only the top frame of each stack)
 *   signal           lock-in-signal-handler
 *   called_from_lib  any kind whose stacks' top program frame (the first
 *                    one outside libc and ctrace) lies in a matching module
 *   KIND             a finding kind name itself ("double-lock:worker*")
 * A pattern is a glob (`*` matches any run of characters) matched as in
 * TSan: anywhere in the text unless anchored with a leading `^` or a
 * trailing `$`.  It is tried against every frame's function, source file
 * and module, and against the names of the finding's objects (a global
 * lock's symbol).  A finding any rule matches is removed and counted.
 */
#ifndef CTRACE_ANALYZER_SUPPRESS_H
#define CTRACE_ANALYZER_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "finding.h"

struct suppressions;
struct report_input;

/* Parse suppressions text; `origin` names it in error messages.
 * Returns NULL with "FILE:LINE: what is wrong" in err. */
struct suppressions *suppress_parse(const char *text, const char *origin,
                                    char *err, size_t errlen);
/* Read and parse a file. */
struct suppressions *suppress_load(const char *path, char *err, size_t errlen);
void suppress_free(struct suppressions *s);
size_t suppress_rule_count(const struct suppressions *s);

/* Whether a glob pattern matches text, TSan style (see above). */
bool suppress_pattern_match(const char *pattern, const char *text);

/* Whether any rule suppresses finding f (symbolized through in->sym). */
bool suppress_match(const struct suppressions *s, const struct report_input *in,
                    const struct finding *f);

/* Remove the suppressed findings from res (freeing their stacks), keeping
 * the order of the rest.  Returns how many were removed. */
size_t suppress_apply(const struct suppressions *s,
                      const struct report_input *in,
                      struct analysis_result *res);

#endif
