/* Stopping and releasing a live process with ptrace (stop.h). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "procfs.h"
#include "stop.h"

static bool stop_has(const struct stopped *s, pid_t tid)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->threads[i].tid == tid)
            return true;
    return false;
}

/* Wait for the interrupt's stop.  A signal-delivery stop may come first:
 * it is a stop as good as ours, and its signal must be delivered when we
 * let go.  Returns false when the thread is gone. */
static bool stop_wait(pid_t tid, int *pending)
{
    int st;
    for (;;) {
        pid_t r = waitpid(tid, &st, __WALL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || WIFEXITED(st) || WIFSIGNALED(st))
            return false;
        if (!WIFSTOPPED(st))
            continue;
        int sig = WSTOPSIG(st);
        if ((st >> 16) == PTRACE_EVENT_STOP) /* interrupt or group stop */
            return true;
        if (sig != SIGTRAP)
            *pending = sig;
        return true;
    }
}

static int stop_one(struct stopped *s, pid_t tid)
{
    if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0)
        return errno;
    if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) != 0) {
        int e = errno;
        ptrace(PTRACE_DETACH, tid, NULL, NULL);
        return e;
    }
    int pending = 0;
    if (!stop_wait(tid, &pending))
        return ESRCH;
    struct stop_thread *t = realloc(s->threads, (s->n + 1) * sizeof *t);
    if (!t)
        abort();
    s->threads = t;
    s->threads[s->n++] = (struct stop_thread){tid, pending};
    return 0;
}

/* One pass over the thread list; *added says whether it stopped any
 * thread not stopped before.  A thread that exits meanwhile is skipped;
 * a refusal (EPERM) ends the attempt. */
static int stop_pass(struct stopped *s, bool *added)
{
    pid_t *tids;
    size_t n = procfs_tids(s->pid, &tids);
    *added = false;
    int rc = n ? 0 : ESRCH;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (stop_has(s, tids[i]))
            continue;
        int e = stop_one(s, tids[i]);
        if (e == 0)
            *added = true;
        else if (e != ESRCH)
            rc = e;
    }
    free(tids);
    return rc;
}

static int stop_cmp(const void *a, const void *b)
{
    pid_t x = ((const struct stop_thread *)a)->tid;
    pid_t y = ((const struct stop_thread *)b)->tid;
    return (x > y) - (x < y);
}

int stop_process(pid_t pid, struct stopped *s)
{
    memset(s, 0, sizeof *s);
    s->pid = pid;
    bool added = true;
    int rc = 0;
    /* until a pass finds no new thread: a thread not stopped yet may
       have created one */
    while (added && rc == 0)
        rc = stop_pass(s, &added);
    if (rc == 0 && s->n == 0)
        rc = ESRCH;
    if (rc != 0) {
        stop_release(s);
        return rc;
    }
    qsort(s->threads, s->n, sizeof *s->threads, stop_cmp);
    return 0;
}

void stop_release(struct stopped *s)
{
    for (size_t i = 0; i < s->n; i++)
        ptrace(PTRACE_DETACH, s->threads[i].tid, NULL,
               (void *)(long)s->threads[i].pending_sig);
    free(s->threads);
    s->threads = NULL;
    s->n = 0;
}
