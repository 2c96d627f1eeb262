/* Stopping a live process for a moment and letting it go again, as a
 * debugger does, with PTRACE_SEIZE + PTRACE_INTERRUPT (no SIGSTOP is
 * sent, so nothing is left pending in the program) on every thread, and
 * PTRACE_DETACH afterwards.  A signal that arrived while a thread was
 * stopped is handed back to it on detach: the program runs on exactly as
 * before.  While stopped, the threads' registers and memory can be read
 * (unwind.c, memory reads). */
#ifndef CTRACE_ATTACH_STOP_H
#define CTRACE_ATTACH_STOP_H

#include <stddef.h>
#include <sys/types.h>

struct stop_thread {
    pid_t tid;
    int pending_sig; /* signal to deliver on detach, 0 for none */
};

struct stopped {
    pid_t pid;
    struct stop_thread *threads; /* every thread stopped, ascending tid */
    size_t n;
};

/* Stop every thread of pid (threads created meanwhile included).
 * Returns 0, or an errno: ESRCH (no such process, or it exited
 * meanwhile), EPERM (not allowed to trace it). */
int stop_process(pid_t pid, struct stopped *s);

/* Let every stopped thread go on. */
void stop_release(struct stopped *s);

#endif
