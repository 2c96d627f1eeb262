/* Helpers shared by the shim's end-to-end tests (see shim_test.h). */
#include "shim_test.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

const struct shim_lock_family shim_mutex_family = {{TRACE_EV_MUTEX_WAIT, 0},
                                                   {TRACE_EV_MUTEX_ACQUIRE, 0},
                                                   TRACE_EV_MUTEX_FAIL,
                                                   TRACE_EV_MUTEX_RELEASE,
                                                   TRACE_EV_MUTEX_RELEASE_FAIL};
const struct shim_lock_family shim_rwlock_family = {
    {TRACE_EV_RWLOCK_RDWAIT, TRACE_EV_RWLOCK_WRWAIT},
    {TRACE_EV_RWLOCK_RDACQUIRE, TRACE_EV_RWLOCK_WRACQUIRE},
    TRACE_EV_RWLOCK_FAIL,
    TRACE_EV_RWLOCK_RELEASE,
    0};
const struct shim_lock_family shim_spin_family = {{TRACE_EV_SPIN_WAIT, 0},
                                                  {TRACE_EV_SPIN_ACQUIRE, 0},
                                                  TRACE_EV_SPIN_FAIL,
                                                  TRACE_EV_SPIN_RELEASE,
                                                  0};
const struct shim_lock_family shim_sem_family = {{TRACE_EV_SEM_WAIT, 0},
                                                 {TRACE_EV_SEM_ACQUIRE, 0},
                                                 TRACE_EV_SEM_FAIL,
                                                 TRACE_EV_SEM_POST,
                                                 TRACE_EV_SEM_POST_FAIL};

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* The thread list's counts (from the chunks' summaries where the writer
 * closed them, signal handlers' events included) are the events the
 * merge delivers. */
static void shim_check_thread_counts(const struct e2e_trace *t,
                                     const char *sample)
{
    size_t *n = calloc(t->nthreads + 1, sizeof *n);
    cr_assert_not_null(n);
    for (size_t i = 0; i < t->n; i++)
        if (t->ev[i].thread < t->nthreads)
            n[t->ev[i].thread]++;
    for (size_t th = 0; th < t->nthreads; th++)
        cr_assert_eq(t->threads[th].events, n[th],
                     "%s: thread %zu (tid %u): the list says %llu events, "
                     "the merge gave %zu",
                     sample, th, t->threads[th].tid,
                     (unsigned long long)t->threads[th].events, n[th]);
    free(n);
}

void shim_run_sample(struct shim_run *r, const char *sample)
{
    shim_run_sample_env(r, sample, NULL);
}

void shim_run_sample_env(struct shim_run *r, const char *sample,
                         const char *const env[])
{
    memset(r, 0, sizeof *r);
    const char *dir = e2e_trace_dir();
    const char *argv[] = {"ctrace",           "run", "--no-report", "-o", dir,
                          e2e_sample(sample), NULL};
    cr_assert_eq(e2e_run_env(&r->res, argv, env, NULL, E2E_TIMEOUT_S), 0,
                 "cannot start %s", e2e_ctrace());
    cr_assert(!r->res.timed_out, "%s under ctrace timed out", sample);
    cr_assert_eq(r->res.status, 0,
                 "%s under ctrace exited %d\nstdout:\n%s\nstderr:\n%s", sample,
                 r->res.status, r->res.out, r->res.err);
    e2e_load_trace(&r->t, dir);
    cr_assert_eq(r->t.lost, 0, "%s: %llu events lost", sample,
                 (unsigned long long)r->t.lost);
    shim_check_thread_counts(&r->t, sample);
    /* The trace is in memory now: leave no files behind. */
    char *parent = strdup(dir);
    *strrchr(parent, '/') = '\0';
    nftw(parent, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(parent);
}

void shim_run_free(struct shim_run *r)
{
    e2e_trace_free(&r->t);
    e2e_result_free(&r->res);
}

size_t shim_count(const struct e2e_trace *t, uint32_t type, uint64_t obj,
                  uint64_t arg)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_event *e = &t->ev[i];
        n += e->type == type && (obj == ANY_OBJ || e->obj == obj) &&
             (arg == ANY_ARG || e->arg == arg);
    }
    return n;
}

size_t shim_count_bits(const struct e2e_trace *t, uint32_t type, uint64_t obj,
                       uint32_t bits)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_event *e = &t->ev[i];
        n += e->type == type && (obj == ANY_OBJ || e->obj == obj) &&
             (e->arg & bits) == bits;
    }
    return n;
}

uint64_t shim_obj_of(const struct e2e_trace *t, uint32_t type, size_t nth)
{
    long i = e2e_find(t, type, nth);
    cr_assert_geq(i, 0, "no %s event #%zu in the trace", trace_event_name(type),
                  nth);
    return t->ev[i].obj;
}

size_t shim_objects(const struct e2e_trace *t, uint32_t type, uint64_t *objs,
                    size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->ev[i].type != type)
            continue;
        size_t k = 0;
        while (k < n && k < cap && objs[k] != t->ev[i].obj)
            k++;
        if (k == n) {
            if (n < cap)
                objs[n] = t->ev[i].obj;
            n++;
        }
    }
    return n;
}

uint64_t shim_printed_addr(const struct shim_run *r, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, "%s=0x", name);
    const char *p = strstr(r->res.err, key);
    cr_assert_not_null(p, "the sample did not print %s on stderr:\n%s", name,
                       r->res.err);
    return strtoull(p + strlen(key), NULL, 16);
}

size_t shim_thread_obj_events(const struct e2e_trace *t, uint32_t thread,
                              uint64_t obj, size_t *idx, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->ev[i].thread != thread || t->ev[i].obj != obj)
            continue;
        if (n < cap)
            idx[n] = i;
        n++;
    }
    return n;
}

uint32_t shim_thread_of(const struct e2e_trace *t, uint32_t type, uint64_t obj)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->ev[i].type == type && t->ev[i].obj == obj)
            return t->ev[i].thread;
    cr_assert_fail("no %s event on %#llx", trace_event_name(type),
                   (unsigned long long)obj);
    return 0;
}

void shim_expect_sequence(const struct e2e_trace *t, uint32_t thread,
                          uint64_t obj, uint32_t skip, const uint32_t *types,
                          const uint64_t *args, size_t n)
{
    size_t idx[256], got = 0;
    size_t all = shim_thread_obj_events(t, thread, obj, idx, 256);
    cr_assert_leq(all, 256);
    for (size_t k = 0; k < all; k++)
        if (skip == 0 || t->ev[idx[k]].type != skip)
            idx[got++] = idx[k];
    cr_assert_eq(got, n, "thread %u has %zu events on %#llx, expected %zu",
                 t->threads[thread].tid, got, (unsigned long long)obj, n);
    for (size_t k = 0; k < n; k++) {
        const struct trace_event *e = &t->ev[idx[k]];
        cr_assert_eq(e->type, types[k],
                     "event %zu of thread %u: %s, expected %s", k,
                     t->threads[thread].tid, trace_event_name(e->type),
                     trace_event_name(types[k]));
        if (args && args[k] != ANY_ARG)
            cr_assert_eq(e->arg, args[k],
                         "event %zu (%s) of thread %u: arg %u, expected %llu",
                         k, trace_event_name(e->type), t->threads[thread].tid,
                         e->arg, (unsigned long long)args[k]);
    }
}

/* ---- the lock protocol ---- */

enum lp_kind {
    LP_OTHER,
    LP_WAIT,
    LP_ACQUIRE,
    LP_FAIL,
    LP_RELEASE,
    LP_RELEASE_FAIL
};

static enum lp_kind lp_classify(const struct shim_lock_family *f, uint32_t type,
                                int *side)
{
    for (int k = 0; k < 2; k++) {
        if (f->wait[k] && type == f->wait[k]) {
            *side = k;
            return LP_WAIT;
        }
        if (f->acquire[k] && type == f->acquire[k]) {
            *side = k;
            return LP_ACQUIRE;
        }
    }
    if (type == f->fail)
        return LP_FAIL;
    if (type == f->release)
        return LP_RELEASE;
    if (f->release_fail && type == f->release_fail)
        return LP_RELEASE_FAIL;
    return LP_OTHER;
}

struct lp_thread {
    long held;
    bool waiting;
    int wait_side;
    uint32_t wait_arg;
    bool released_below_zero; /* must be a failed release */
    bool last_was_release;
};

size_t shim_check_lock_protocol(const struct e2e_trace *t, uint64_t obj,
                                const struct shim_lock_family *f, bool counting)
{
    struct lp_thread *st = calloc(t->nthreads + 1, sizeof *st);
    size_t checked = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_event *e = &t->ev[i];
        if (e->obj != obj)
            continue;
        int side = 0;
        enum lp_kind kind = lp_classify(f, e->type, &side);
        if (kind == LP_OTHER)
            continue;
        struct lp_thread *s = &st[e->thread];
        uint32_t tid = t->threads[e->thread].tid;
        checked++;
        cr_assert(!s->released_below_zero || kind == LP_RELEASE_FAIL,
                  "event %zu: thread %u released %#llx it did not hold", i, tid,
                  (unsigned long long)obj);
        switch (kind) {
        case LP_WAIT:
            cr_assert(!s->waiting, "event %zu: thread %u waits twice", i, tid);
            s->waiting = true;
            s->wait_side = side;
            s->wait_arg = e->arg;
            break;
        case LP_ACQUIRE: {
            bool contended = (e->arg & TRACE_ACQ_CONTENDED) != 0;
            cr_assert_eq(contended, s->waiting,
                         "event %zu: thread %u: %s arg %u %s a wait", i, tid,
                         trace_event_name(e->type), e->arg,
                         s->waiting ? "after" : "without");
            if (s->waiting) {
                cr_assert_eq(side, s->wait_side, "event %zu: wrong side", i);
                cr_assert_eq((e->arg & TRACE_ACQ_TIMED) != 0, s->wait_arg == 1,
                             "event %zu: timed acquisition after an untimed "
                             "wait or the reverse",
                             i);
            }
            s->waiting = false;
            s->held++;
            break;
        }
        case LP_FAIL:
            cr_assert_neq(e->arg, 0, "event %zu: failure with error 0", i);
            s->waiting = false;
            break;
        case LP_RELEASE:
            cr_assert(!s->waiting, "event %zu: release while waiting", i);
            if (!counting && --s->held < 0)
                s->released_below_zero = true;
            break;
        case LP_RELEASE_FAIL:
            cr_assert(s->last_was_release, "event %zu: %s without a release", i,
                      trace_event_name(e->type));
            if (!counting)
                s->held++;
            s->released_below_zero = false;
            break;
        case LP_OTHER:
            break;
        }
        s->last_was_release = kind == LP_RELEASE;
    }
    for (size_t k = 0; k < t->nthreads; k++) {
        cr_assert(!st[k].waiting && !st[k].released_below_zero,
                  "thread %u ends waiting for %#llx", t->threads[k].tid,
                  (unsigned long long)obj);
        cr_assert(counting || st[k].held == 0,
                  "thread %u ends holding %#llx %ld times", t->threads[k].tid,
                  (unsigned long long)obj, st[k].held);
    }
    free(st);
    return checked;
}

/* ---- mutual exclusion ---- */

size_t shim_check_exclusive(const struct e2e_trace *t, uint64_t obj,
                            const struct shim_lock_family *f)
{
    bool have_seq = shim_trace_has_seq(t);
    long holder = -1;
    uint64_t last_ts = 0;
    uint32_t last_seq = 0;
    bool any = false;
    size_t pairs = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_event *e = &t->ev[i];
        if (e->obj != obj)
            continue;
        int side;
        enum lp_kind kind = lp_classify(f, e->type, &side);
        if (kind != LP_ACQUIRE && kind != LP_RELEASE)
            continue;
        if (kind == LP_ACQUIRE) {
            cr_assert_eq(holder, -1,
                         "event %zu: %#llx acquired by thread %u "
                         "while thread %u holds it (hold intervals overlap)",
                         i, (unsigned long long)obj, t->threads[e->thread].tid,
                         holder < 0 ? 0 : t->threads[holder].tid);
            holder = e->thread;
        } else {
            cr_assert_eq(holder, (long)e->thread,
                         "event %zu: %#llx released by "
                         "thread %u which does not hold it",
                         i, (unsigned long long)obj, t->threads[e->thread].tid);
            holder = -1;
            pairs++;
        }
        cr_assert_geq(e->ts_ns, last_ts,
                      "event %zu: %#llx: time goes back "
                      "(%llu < %llu ns)",
                      i, (unsigned long long)obj, (unsigned long long)e->ts_ns,
                      (unsigned long long)last_ts);
        if (have_seq && any)
            cr_assert(trace_seq_before(last_seq, e->seq),
                      "event %zu: %#llx: sequence %u after %u", i,
                      (unsigned long long)obj, e->seq, last_seq);
        last_ts = e->ts_ns;
        last_seq = e->seq;
        any = true;
    }
    cr_assert_eq(holder, -1, "%#llx is still held at the end",
                 (unsigned long long)obj);
    return pairs;
}

/* ---- condition waits ---- */

static bool is_mutex_or_cond(uint32_t type)
{
    return (type >= TRACE_EV_MUTEX_INIT &&
            type <= TRACE_EV_MUTEX_RELEASE_FAIL) ||
           (type >= TRACE_EV_COND_INIT && type <= TRACE_EV_COND_WAKE);
}

struct cw_thread {
    int step; /* 0 idle, 1 released, 2 waiting, 3 woken */
    uint64_t mutex, cond;
};

size_t shim_check_cond_waits(const struct e2e_trace *t, uint64_t cond,
                             uint64_t *mutex)
{
    struct cw_thread *st = calloc(t->nthreads + 1, sizeof *st);
    size_t waits = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_event *e = &t->ev[i];
        struct cw_thread *s = &st[e->thread];
        uint32_t tid = t->threads[e->thread].tid;
        /* Other families may record inside a wait (a signal handler, or
         * the unwinder when the thread is cancelled in it). */
        if (s->step != 0 && !is_mutex_or_cond(e->type))
            continue;
        switch (s->step) {
        case 0:
            cr_assert_neq(e->type, TRACE_EV_COND_WAIT,
                          "event %zu: thread %u: "
                          "cond-wait without its mutex-release",
                          i, tid);
            if (e->type == TRACE_EV_MUTEX_RELEASE && e->arg == TRACE_REL_COND) {
                s->step = 1;
                s->mutex = e->obj;
            }
            break;
        case 1:
            cr_assert_eq(e->type, TRACE_EV_COND_WAIT,
                         "event %zu: thread %u: %s "
                         "after a mutex-release for a condition wait",
                         i, tid, trace_event_name(e->type));
            s->cond = e->obj;
            s->step = 2;
            break;
        case 2:
            cr_assert(e->type == TRACE_EV_COND_WAKE && e->obj == s->cond,
                      "event %zu: thread %u: %s after cond-wait", i, tid,
                      trace_event_name(e->type));
            s->step = 3;
            break;
        case 3:
            cr_assert(e->type == TRACE_EV_MUTEX_ACQUIRE && e->obj == s->mutex,
                      "event %zu: thread %u: %s after cond-wake, expected the "
                      "mutex-acquire of %#llx",
                      i, tid, trace_event_name(e->type),
                      (unsigned long long)s->mutex);
            s->step = 0;
            if (cond == ANY_OBJ || s->cond == cond) {
                if (mutex && waits == 0)
                    *mutex = s->mutex;
                else if (mutex)
                    cr_assert_eq(*mutex, s->mutex,
                                 "waits on %#llx with two "
                                 "mutexes",
                                 (unsigned long long)s->cond);
                waits++;
            }
            break;
        }
    }
    for (size_t k = 0; k < t->nthreads; k++)
        cr_assert_eq(st[k].step, 0, "thread %u ends inside a condition wait",
                     t->threads[k].tid);
    free(st);
    return waits;
}

bool shim_trace_has_seq(const struct e2e_trace *t)
{
    for (size_t i = 0; i < t->nprocs; i++)
        if (t->procs[i].flags & TRACE_FILE_SEQ)
            return true;
    return false;
}
