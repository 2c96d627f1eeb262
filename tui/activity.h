/* What one thread is doing, rebuilt from its own events alone.
 *
 * This module owns the viewer's idea of a thread's activity: alive or
 * not, waiting (and on what kind of object), holding locks (which, since
 * when).  It reads events in the thread's program order and needs no
 * other thread: a wait begins at a TF_BLOCK event (mutex-wait,
 * cond-wait, sem-wait, barrier-wait, thread-join-wait, process-wait) and
 * ends at the event that completes it; a lock is held from its
 * *-acquire to its *-release.  The timeline cells (cells.h), the model's
 * lock figures and the details pane all use this one state machine.
 */
#ifndef CTRACE_TUI_ACTIVITY_H
#define CTRACE_TUI_ACTIVITY_H

#include <stdbool.h>
#include <stdint.h>

#include "reader.h"

/* What a cell can show, most urgent last: a wait outranks holding, which
 * outranks plain running (activity_pick() breaks ties that way). */
enum act {
    ACT_RUN = 0, /* alive, not waiting, no lock held */
    ACT_HOLD,    /* alive, holding at least one lock */
    ACT_PWAIT,   /* waiting for a child process (wait*) */
    ACT_JOIN,    /* waiting in pthread_join */
    ACT_BARRIER, /* waiting at a barrier */
    ACT_SEM,     /* waiting on a semaphore */
    ACT_COND,    /* waiting on a condition variable */
    ACT_LOCK,    /* waiting for a mutex, rwlock or spinlock */
    ACT_COUNT,
    ACT_DEAD = ACT_COUNT, /* not alive yet (not started) */
    ACT_END               /* ended: after its thread-exit or its process's
                             end; never counted in a cell's shares */
};

/* Locks remembered per thread; deeper nesting is counted, not named. */
#define ACTIVITY_HELD 8

struct activity_hold {
    uint64_t obj;
    uint64_t since_ns;
};

struct activity {
    bool alive;
    bool ended;          /* its thread-exit or process-exit came */
    bool crashed;        /* a fatal signal arrived */
    uint8_t wait;        /* ACT_RUN when not waiting, else the wait kind */
    uint32_t nheld;      /* locks held (may exceed ACTIVITY_HELD) */
    uint64_t wait_obj;   /* what it waits on (0 for process-wait) */
    uint64_t wait_since; /* ts_ns the wait began */
    struct activity_hold held[ACTIVITY_HELD];
};

/* What an event changed, for the lock figures. */
struct activity_change {
    uint64_t acquired;  /* lock taken (0: none) */
    uint64_t waited_ns; /* how long its wait lasted (contended) */
    bool contended;
    uint64_t released; /* lock released (0: none) */
    uint64_t held_ns;  /* how long it was held */
};

/* A thread not started yet. */
void activity_init(struct activity *a);

/* Apply one event of the thread; *ch (may be NULL) says what changed. */
void activity_apply(struct activity *a, const struct trace_event *ev,
                    struct activity_change *ch);

/* The activity a cell shows for this moment (ACT_DEAD before the
 * thread's first event, ACT_END after its exit). */
enum act activity_now(const struct activity *a);

/* Whether `obj` is among the locks held (the named ones). */
bool activity_holds(const struct activity *a, uint64_t obj);

/* Whether the event type is a lock family's wait/acquire/release. */
bool activity_is_lock_event(uint32_t type);

/* One ASCII glyph per activity (ACT_DEAD: ' ', ACT_END: '.'), and a
 * short name. */
char activity_glyph(enum act a);
const char *activity_name(enum act a);

#endif
