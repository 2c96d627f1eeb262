/* Threads and processes as the analyzer follows them: creation, start,
 * exit, join and detach of threads; start, fork, exec, spawn, wait/reap,
 * exit and crashes of processes; signal handlers; lost events.  Each
 * event updates the state (who exists, who is blocked, who is joinable),
 * adds its happens-before edge and notices thread misuse (invalid joins,
 * leaks, exits holding locks). */
#ifndef CTRACE_ANALYZER_LIFECYCLE_H
#define CTRACE_ANALYZER_LIFECYCLE_H

#include <stdint.h>

#include "reader.h"

struct analyzer;

void life_thread_event(struct analyzer *a, uint32_t thread,
                       const struct trace_event *ev);
void life_process_event(struct analyzer *a, uint32_t thread,
                        const struct trace_event *ev);

#endif
