/* The per-thread activity state machine (see activity.h).
 *
 * Every transition is keyed by event type alone; objects only matter to
 * match a release with its acquire.  Events are trusted to come in the
 * thread's program order, which the reader guarantees per thread.
 */
#include "activity.h"

#include <string.h>

void activity_init(struct activity *a)
{
    memset(a, 0, sizeof *a);
    a->wait = ACT_RUN;
}

/* The wait kind an event begins, or ACT_RUN when it begins none. */
static enum act activity_wait_of(uint32_t type)
{
    switch (type) {
    case TRACE_EV_MUTEX_WAIT:
    case TRACE_EV_RWLOCK_RDWAIT:
    case TRACE_EV_RWLOCK_WRWAIT:
    case TRACE_EV_SPIN_WAIT:
        return ACT_LOCK;
    case TRACE_EV_COND_WAIT:
        return ACT_COND;
    case TRACE_EV_SEM_WAIT:
        return ACT_SEM;
    case TRACE_EV_BARRIER_WAIT:
        return ACT_BARRIER;
    case TRACE_EV_THREAD_JOIN_WAIT:
        return ACT_JOIN;
    case TRACE_EV_PROCESS_WAIT:
        return ACT_PWAIT;
    default:
        return ACT_RUN;
    }
}

/* Whether an event ends a wait (successfully or not). */
static bool activity_ends_wait(uint32_t type)
{
    switch (type) {
    case TRACE_EV_MUTEX_ACQUIRE:
    case TRACE_EV_MUTEX_FAIL:
    case TRACE_EV_RWLOCK_RDACQUIRE:
    case TRACE_EV_RWLOCK_WRACQUIRE:
    case TRACE_EV_RWLOCK_FAIL:
    case TRACE_EV_SPIN_ACQUIRE:
    case TRACE_EV_SPIN_FAIL:
    case TRACE_EV_COND_WAKE:
    case TRACE_EV_SEM_ACQUIRE:
    case TRACE_EV_SEM_FAIL:
    case TRACE_EV_BARRIER_LEAVE:
    case TRACE_EV_THREAD_JOIN:
    case TRACE_EV_PROCESS_REAP:
        return true;
    default:
        return false;
    }
}

static bool activity_is_acquire(uint32_t type)
{
    return type == TRACE_EV_MUTEX_ACQUIRE ||
           type == TRACE_EV_RWLOCK_RDACQUIRE ||
           type == TRACE_EV_RWLOCK_WRACQUIRE || type == TRACE_EV_SPIN_ACQUIRE;
}

static bool activity_is_release(uint32_t type)
{
    return type == TRACE_EV_MUTEX_RELEASE || type == TRACE_EV_RWLOCK_RELEASE ||
           type == TRACE_EV_SPIN_RELEASE;
}

bool activity_is_lock_event(uint32_t type)
{
    return activity_wait_of(type) == ACT_LOCK || activity_is_acquire(type) ||
           activity_is_release(type) || type == TRACE_EV_MUTEX_FAIL ||
           type == TRACE_EV_RWLOCK_FAIL || type == TRACE_EV_SPIN_FAIL;
}

static void activity_push(struct activity *a, uint64_t obj, uint64_t ts)
{
    if (a->nheld < ACTIVITY_HELD)
        a->held[a->nheld] = (struct activity_hold){obj, ts};
    a->nheld++;
}

/* Forget the latest hold of obj; returns when it began (ts if unknown). */
static uint64_t activity_pop(struct activity *a, uint64_t obj, uint64_t ts)
{
    uint32_t named = a->nheld < ACTIVITY_HELD ? a->nheld : ACTIVITY_HELD;
    for (uint32_t i = named; i-- > 0;) {
        if (a->held[i].obj != obj)
            continue;
        uint64_t since = a->held[i].since_ns;
        memmove(&a->held[i], &a->held[i + 1],
                (named - i - 1) * sizeof a->held[0]);
        a->nheld--;
        return since;
    }
    if (a->nheld > ACTIVITY_HELD) /* it was one of the unnamed ones */
        a->nheld--;
    return ts;
}

static void activity_lock_change(struct activity *a,
                                 const struct trace_event *ev, bool was_waiting,
                                 struct activity_change *ch)
{
    if (activity_is_acquire(ev->type)) {
        bool waited = was_waiting && a->wait_obj == ev->obj;
        ch->acquired = ev->obj;
        ch->contended = waited || (ev->arg & TRACE_ACQ_CONTENDED);
        ch->waited_ns =
            waited && ev->ts_ns > a->wait_since ? ev->ts_ns - a->wait_since : 0;
        activity_push(a, ev->obj, ev->ts_ns);
    } else if (activity_is_release(ev->type)) {
        uint64_t since = activity_pop(a, ev->obj, ev->ts_ns);
        ch->released = ev->obj;
        ch->held_ns = ev->ts_ns > since ? ev->ts_ns - since : 0;
    }
}

void activity_apply(struct activity *a, const struct trace_event *ev,
                    struct activity_change *ch)
{
    struct activity_change scratch;
    if (!ch)
        ch = &scratch;
    memset(ch, 0, sizeof *ch);
    a->alive = true;
    a->ended = false;
    bool was_waiting = a->wait == ACT_LOCK;
    enum act w = activity_wait_of(ev->type);
    if (w != ACT_RUN) {
        a->wait = (uint8_t)w;
        a->wait_obj = ev->obj;
        a->wait_since = ev->ts_ns;
    }
    activity_lock_change(a, ev, was_waiting, ch);
    if (activity_ends_wait(ev->type))
        a->wait = ACT_RUN;
    switch (ev->type) {
    case TRACE_EV_SIGNAL:
        a->crashed = true;
        break;
    case TRACE_EV_THREAD_EXIT:
    case TRACE_EV_PROCESS_EXIT:
        a->alive = false;
        a->ended = true;
        a->wait = ACT_RUN;
        break;
    default:
        break;
    }
}

enum act activity_now(const struct activity *a)
{
    if (!a->alive)
        return a->ended ? ACT_END : ACT_DEAD;
    if (a->wait != ACT_RUN)
        return (enum act)a->wait;
    return a->nheld ? ACT_HOLD : ACT_RUN;
}

bool activity_holds(const struct activity *a, uint64_t obj)
{
    uint32_t named = a->nheld < ACTIVITY_HELD ? a->nheld : ACTIVITY_HELD;
    for (uint32_t i = 0; i < named; i++)
        if (a->held[i].obj == obj)
            return true;
    return false;
}

static const struct {
    char glyph;
    const char *name;
} activity_table[ACT_END + 1] = {
    [ACT_RUN] = {'-', "running"},
    [ACT_HOLD] = {'#', "holding a lock"},
    [ACT_PWAIT] = {'p', "waiting for a child process"},
    [ACT_JOIN] = {'j', "waiting to join a thread"},
    [ACT_BARRIER] = {'b', "waiting at a barrier"},
    [ACT_SEM] = {'s', "waiting on a semaphore"},
    [ACT_COND] = {'c', "waiting on a condition"},
    [ACT_LOCK] = {'w', "waiting for a lock"},
    [ACT_DEAD] = {' ', "not started"},
    [ACT_END] = {'.', "ended"},
};

char activity_glyph(enum act a)
{
    return a <= ACT_END ? activity_table[a].glyph : '?';
}

const char *activity_name(enum act a)
{
    return a <= ACT_END ? activity_table[a].name : "?";
}
