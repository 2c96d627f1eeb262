/* What a blocked thread waits for, from the system call it is in
 * (/proc/PID/task/TID/syscall) and, for a futex wait, from glibc's
 * objects in the program's memory.
 *
 * glibc 2.36 on x86_64 (nptl's struct definitions): a thread blocked in
 * a pthread call sleeps in futex(2) on one word of the object, and the
 * word's offset tells the object's start:
 *   mutex    __lock at 0; the holder's tid is __owner at 8
 *   rwlock   __wrphase_futex at 8 or __writers_futex at 12 (the object
 *            is 8-aligned); the write holder's tid is __cur_writer at 24
 *   cond     __g_signals[g] at 40 + 4g (8-aligned)
 *   sem      the value, the low half of the 64-bit word at 0
 *   barrier  current_round at 4; count at 8
 *   join     the joined thread's tid field (its value is the tid)
 * Which object it is comes from the function the thread waits in (the
 * frames of its stack); without names (a libc without symbols) a word
 * whose neighbour 8 bytes on holds a tid of the process is a mutex. */
#ifndef CTRACE_ATTACH_CLASSIFY_H
#define CTRACE_ATTACH_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "snapshot.h"

/* Read len bytes of pid's memory at addr; false when it cannot. */
bool classify_read(pid_t pid, uint64_t addr, void *buf, size_t len);

/* Fill t->wait and what goes with it from t->pt (its /proc state) and
 * the names of the functions of its innermost frames (funcs[0] is the
 * innermost; entries may be NULL).  `is_tid` says whether a tid is a
 * thread of the process. */
void classify_thread(pid_t pid, struct snap_thread *t, const char *const *funcs,
                     size_t nfuncs, bool (*is_tid)(void *ctx, pid_t tid),
                     void *ctx);

#endif
