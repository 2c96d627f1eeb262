/* The live monitor of `ctrace run`: while the program runs, read its
 * trace as it grows, feed the analyzer, and as soon as threads are
 * deadlocked (a wait-for cycle) or a whole process hangs, say so with
 * stacks and act (--on-deadlock): kill the program (default), abort the
 * stuck process so that it leaves a core, or only report and wait.  A
 * hang that a pending timer, a signal handler or another process could
 * still end is only a warning: it is printed, and the program runs on.
 *
 * It is a launch_tick_fn (launch.h): launch_wait() calls live_tick()
 * every LIVE_TICK_MS while the program runs. */
#ifndef CTRACE_CLI_LIVE_H
#define CTRACE_CLI_LIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define LIVE_TICK_MS 250

enum live_action {
    LIVE_KILL = 0, /* SIGKILL the stuck process and the program */
    LIVE_ABORT,    /* SIGABRT the stuck process: it dumps core */
    LIVE_WAIT,     /* report only */
};

struct live_options {
    enum live_action on_deadlock;
    uint64_t hang_timeout_ns; /* 0: the analyzer's default */
    FILE *out;                /* where findings go (stderr) */
    int color;                /* REPORT_COLOR_* (report.h); 0: auto */
};

struct live_monitor;

/* "kill", "abort", "wait" -> action; -1 when unknown. */
int live_action_from_name(const char *name);

struct live_monitor *live_monitor_new(const char *trace_dir, pid_t program,
                                      const struct live_options *opt);
/* One look at the trace (a launch_tick_fn: `arg` is the monitor). */
void live_tick(void *arg);
/* Deadlocks and hangs reported so far. */
unsigned live_monitor_reported(const struct live_monitor *m);
void live_monitor_free(struct live_monitor *m);

#endif
