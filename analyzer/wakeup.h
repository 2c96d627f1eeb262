/* What can still end a process's waits from outside the traced tree
 * (docs/analysis.md, "Deadlock and hang").
 *
 * A process whose threads are all blocked is hung only if nothing can
 * wake them.  Three things can, that the wait-for graph does not see:
 *  - a timer still to fire (alarm, setitimer(ITIMER_REAL), a POSIX timer
 *    on a real-time clock) whose signal runs a handler of the program's,
 *    or that starts a SIGEV_THREAD function: the handler may post the
 *    semaphore they wait on (sem_post is async-signal-safe), exit or
 *    jump;
 *  - a handler already seen posting the semaphore a thread waits on,
 *    still installed: another process can send that signal again;
 *  - a named semaphore whose name is still linked: any process, traced
 *    or not, may sem_open and post it.
 * This pass (pass.h) records what it needs from signal-action, timer-*,
 * sem-open, sem-unlink, signal-enter/-leave and sem-post events, and
 * says, for a hung process, what could still wake it.  waitfor.c then
 * reports a warning instead of a hang, and the live monitor leaves the
 * program running.  A wait for a lock, a join or a private semaphore
 * with no such way out stays a hang. */
#ifndef CTRACE_ANALYZER_WAKEUP_H
#define CTRACE_ANALYZER_WAKEUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader.h"

struct analyzer;

/* What could still end the waits of process image `proc` as of now_ns
 * ("a SIGALRM handler is installed and alarm(15) is pending"), written
 * to buf; false when nothing could. */
bool wakeup_explain(struct analyzer *a, uint32_t proc, uint64_t now_ns,
                    char *buf, size_t len);

#endif
