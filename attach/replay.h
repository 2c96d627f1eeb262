/* From a snapshot to findings, through the analyzer itself: the snapshot
 * is replayed as the short trace a recording would end with (each
 * process starts, each thread starts, holders take the locks that others
 * wait for, then every blocked thread begins its wait, at the moment it
 * last ran), and analyzer_finish() reports the deadlocks and hangs with
 * the same wait-for graph, wording and finding kinds as `ctrace report`.
 * What the analyzer does not model, edges between processes through
 * pipes, sockets and waitpid (--children), is added by tree.c.
 *
 * A live process does not say where a lock was taken: findings carry the
 * waiters' stacks only. */
#ifndef CTRACE_ATTACH_REPLAY_H
#define CTRACE_ATTACH_REPLAY_H

#include <stddef.h>

#include "finding.h"
#include "reader.h"
#include "snapshot.h"

/* What the report writers read: the findings, and process and thread
 * lists indexed like the snapshot (threads that exited while holding a
 * lock are appended after the snapshot's). */
struct replay {
    struct analysis_result res;
    struct trace_process *procs;
    size_t nprocs;
    struct trace_thread *threads;
    size_t nthreads;
};

void replay_snapshot(const struct snapshot *s, struct replay *r);
void replay_free(struct replay *r);

#endif
