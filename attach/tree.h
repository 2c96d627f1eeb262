/* Waits between the processes of a tree (`ctrace attach --children`),
 * which the analyzer's wait-for graph does not model: a thread in
 * waitpid waits for its child to end; a thread reading a pipe or socket
 * waits for the processes that hold its other end (and writing to a full
 * pipe, for the readers).  A process all of whose threads are blocked is
 * stuck; a cycle of stuck processes through such waits is a deadlock,
 * reported as a `deadlock` finding worded like the analyzer's. */
#ifndef CTRACE_ATTACH_TREE_H
#define CTRACE_ATTACH_TREE_H

#include <stddef.h>

#include "replay.h"
#include "snapshot.h"

/* Add the deadlocks through processes to r->res. */
void tree_check(const struct snapshot *s, struct replay *r);

/* Append to a thread's description who holds the other end of the pipe
 * or socket it waits on (", whose write end pid 12 holds"). */
void tree_describe_peer(const struct snapshot *s, const struct snap_thread *t,
                        char *buf, size_t len);

#endif
