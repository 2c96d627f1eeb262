/* Python in the analyzer (docs/python.md): what a trace of CPython means
 * in Python terms.
 *  - python-runtime events say where each image's CPython code lies; the
 *    GIL's mutexes and condition variables are the ones used from there,
 *    and go to gil.c instead of the lock analyses (no lock-order, misuse
 *    or contention finding is ever about the GIL);
 *  - a semaphore CPython creates with a count of 1 is a PyThread lock
 *    (threading.Lock, the lock inside RLock, Condition's waiters, the
 *    import lock): it is analysed as a mutex with Python's rules (any
 *    thread may release it; its owner blocking on it again is a wait, as
 *    in Condition.wait, not a double lock; a blocking acquire that
 *    succeeded on the first try orders locks like any acquisition);
 *  - py-frames events put Python frames (as pystack.h tokens) at the top
 *    of the stacks of the thread's next events on the same object.
 * Nothing here is allocated for a trace without Python. */
#ifndef CTRACE_ANALYZER_PYTHON_H
#define CTRACE_ANALYZER_PYTHON_H

#include <stdbool.h>
#include <stdint.h>

#include "finding.h"
#include "reader.h"

struct analyzer;
struct python_state;

/* Before the event goes to the other modules: what became of it. */
enum python_fed {
    PYTHON_NOT_MINE, /* the other modules take it */
    PYTHON_HANDLED,  /* handled here (runtime, frames, Python locks); the
                        exception groups still see it */
    PYTHON_GIL,      /* a GIL event: nobody else sees it, exception
                        groups included (a thread waiting for the GIL
                        is running, not blocked) */
};
enum python_fed python_feed(struct analyzer *a, uint32_t thread,
                            const struct trace_event *ev);

/* After the other modules: the thread's Python frames stop applying
 * once the operation they belong to is over. */
void python_after(struct analyzer *a, uint32_t thread,
                  const struct trace_event *ev);

/* The stack of an event (interned id `c_stack`, C frames) with the
 * thread's Python frames on top when they belong to this event. */
uint32_t python_stack_decorate(struct analyzer *a, const struct trace_event *ev,
                               uint32_t c_stack);

/* A finding's object: a Python lock is called "python-lock" and its
 * creation site is the program's Python line that made it. */
void python_object_decorate(const struct analyzer *a, uint32_t obj,
                            struct finding_object *fo);

/* Whether `pc` of process image `proc` lies in CPython's own code. */
bool python_in_runtime(struct analyzer *a, uint32_t proc, uint64_t pc);

void python_state_free(struct python_state *py);

#endif
