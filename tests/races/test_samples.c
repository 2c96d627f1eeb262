/* The ground truth: every program of samples/races, built with the real
 * `ctrace cc` (GCC, and clang when it is installed), run under the real
 * `ctrace run`, reported by `ctrace report --format=json`.  A racy sample
 * gives exactly one finding, a data-race between its two RACE lines
 * (both stacks' first frames, in the sample's own file); a twin gives no
 * finding at all.  A few samples check more of the finding: the heap
 * block and its allocation line, the global's name, the lock held, the
 * process it happened in; and every racy report matches
 * docs/report-schema.json. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "races_test.h"

/* The sample's source and its expected race lines (sorted). */
struct expect {
    const char *src;
    int lines[2];
    size_t nlines; /* 0: race-free */
    int alloc_line;
};

static void expect_load(struct expect *e, const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "samples/races/%s.c", name);
    e->src = races_source(rel);
    if (access(e->src, R_OK) != 0) {
        snprintf(rel, sizeof rel, "samples/races/%s.cpp", name);
        e->src = races_source(rel);
    }
    int lines[4];
    size_t n = races_markers(e->src, "RACE", lines, 4);
    cr_assert_leq(n, 2, "%s: more than two RACE lines", e->src);
    e->nlines = n;
    if (n == 1)
        lines[1] = lines[0];
    if (n) {
        e->lines[0] = lines[0] < lines[1] ? lines[0] : lines[1];
        e->lines[1] = lines[0] < lines[1] ? lines[1] : lines[0];
    }
    int al[2];
    e->alloc_line = races_markers(e->src, "ALLOC", al, 2) ? al[0] : 0;
}

static void check_race(const struct expect *e, const struct json *f,
                       const char *bin)
{
    const char *base = strrchr(e->src, '/') + 1;
    cr_assert_str_eq(json_str(f, "kind"), "data-race", "%s: %s", bin,
                     json_str(f, "message"));
    int got[2];
    for (size_t i = 0; i < 2; i++) {
        got[i] = races_stack_line(f, i);
        cr_assert_str_eq(races_stack_file(f, i), base,
                         "%s: stack %zu is not in %s: %s", bin, i, base,
                         json_str(f, "message"));
    }
    int lo = got[0] < got[1] ? got[0] : got[1];
    int hi = got[0] < got[1] ? got[1] : got[0];
    cr_assert(lo == e->lines[0] && hi == e->lines[1],
              "%s: race between lines %d and %d, expected %d and %d: %s", bin,
              lo, hi, e->lines[0], e->lines[1], json_str(f, "message"));
    if (e->alloc_line) {
        const struct json *o = json_at(json_get(f, "objects"), 0);
        cr_assert_str_eq(json_str(o, "kind"), "heap block", "%s", bin);
        cr_assert_eq((int)json_num(json_get(o, "created_at"), "line", 0),
                     e->alloc_line,
                     "%s: heap block allocated at line %d, "
                     "expected %d",
                     bin, (int)json_num(json_get(o, "created_at"), "line", 0),
                     e->alloc_line);
        cr_assert_not_null(strstr(json_str(f, "message"), "bytes, offset"),
                           "%s", bin);
    }
}

/* Run one build of a sample; returns its report's findings (owned by r). */
static const struct json *run_sample(struct races_run *r, const char *bin)
{
    const char *path = e2e_sample(bin);
    cr_assert_eq(access(path, X_OK), 0, "%s is not built", path);
    const char *argv[] = {path, NULL};
    races_run(r, argv);
    cr_assert_eq(r->run.status, 0, "%s exited %d: %s", bin, r->run.status,
                 r->run.err);
    return races_findings(r);
}

/* Both builds of a sample; `extra` checks the racy finding further. */
static void check_sample(const char *name,
                         void (*extra)(const struct races_run *,
                                       const struct json *, const char *))
{
    struct expect e;
    expect_load(&e, name);
    const char *suffix[] = {"", "-clang"};
    for (size_t k = 0; k < 2; k++) {
        char bin[128];
        snprintf(bin, sizeof bin, "races/%s%s", name, suffix[k]);
        if (k && access(e2e_sample(bin), X_OK) != 0)
            continue; /* no clang */
        struct races_run r;
        const struct json *fs = run_sample(&r, bin);
        if (!e.nlines) {
            cr_assert_eq(json_len(fs), 0, "%s: race-free, but: %s", bin,
                         json_str(json_at(fs, 0), "message"));
        } else {
            cr_assert_eq(json_len(fs), 1,
                         "%s: %zu findings, expected one "
                         "data race; first: %s",
                         bin, json_len(fs),
                         json_str(json_at(fs, 0), "message"));
            check_race(&e, json_at(fs, 0), bin);
            races_check_schema(&r);
            if (extra)
                extra(&r, json_at(fs, 0), bin);
        }
        races_run_free(&r);
    }
}

/* ---- extra checks ---- */

static void global_named(const struct races_run *r, const struct json *f,
                         const char *bin)
{
    (void)r;
    const struct json *o = json_at(json_get(f, "objects"), 0);
    cr_assert_str_eq(json_str(o, "name"), "counter", "%s: %s", bin,
                     json_str(f, "message"));
}

static bool has_object_kind(const struct json *f, const char *kind)
{
    const struct json *objs = json_get(f, "objects");
    for (size_t i = 0; i < json_len(objs); i++)
        if (strcmp(json_str(json_at(objs, i), "kind"), kind) == 0)
            return true;
    return false;
}

static void spinlock_held(const struct races_run *r, const struct json *f,
                          const char *bin)
{
    (void)r;
    cr_assert(has_object_kind(f, "spinlock"), "%s: %s", bin,
              json_str(f, "message"));
    cr_assert_not_null(strstr(json_str(f, "message"), "holding no lock"), "%s",
                       bin);
}

static void rwlock_held(const struct races_run *r, const struct json *f,
                        const char *bin)
{
    (void)r;
    cr_assert(has_object_kind(f, "rwlock"), "%s: %s", bin,
              json_str(f, "message"));
}

/* The race is in the forked child, not in the parent. */
static void in_child(const struct races_run *r, const struct json *f,
                     const char *bin)
{
    const struct json *procs = json_get(r->report, "processes");
    double pid = json_num(f, "pid", 0), ppid = -1;
    for (size_t i = 0; i < json_len(procs); i++)
        if (json_num(json_at(procs, i), "pid", 0) == pid)
            ppid = json_num(json_at(procs, i), "ppid", -1);
    bool parent_traced = false;
    for (size_t i = 0; i < json_len(procs); i++)
        parent_traced |= json_num(json_at(procs, i), "pid", 0) == ppid;
    cr_assert(parent_traced, "%s: the race is not in the forked child", bin);
}

/* Both threads, and where they were created. */
static void threads_and_creation(const struct races_run *r,
                                 const struct json *f, const char *bin)
{
    (void)r;
    cr_assert_geq(json_len(json_get(f, "threads")), 2, "%s", bin);
    size_t created = 0;
    const struct json *st = json_get(f, "stacks");
    for (size_t i = 0; i < json_len(st); i++)
        created += strstr(json_str(json_at(st, i), "label"), "created") != NULL;
    cr_assert_geq(created, 2, "%s: both threads' creation stacks", bin);
}

#define RACE_SAMPLE(name, extra)                                               \
    Test(samples, name, .timeout = 300) { check_sample(#name, extra); }

RACE_SAMPLE(counter_race, global_named)
RACE_SAMPLE(counter_mutex_ok, NULL)
RACE_SAMPLE(rwlock_race, rwlock_held)
RACE_SAMPLE(rwlock_ok, NULL)
RACE_SAMPLE(spin_race, spinlock_held)
RACE_SAMPLE(spin_ok, NULL)
RACE_SAMPLE(sem_race, NULL)
RACE_SAMPLE(sem_ok, NULL)
RACE_SAMPLE(cond_race, NULL)
RACE_SAMPLE(cond_ok, NULL)
RACE_SAMPLE(barrier_race, threads_and_creation)
RACE_SAMPLE(barrier_ok, NULL)
RACE_SAMPLE(once_race, NULL)
RACE_SAMPLE(once_ok, NULL)
RACE_SAMPLE(join_race, NULL)
RACE_SAMPLE(join_ok, NULL)
RACE_SAMPLE(create_race, NULL)
RACE_SAMPLE(create_ok, NULL)
RACE_SAMPLE(atomic_ok, NULL)
RACE_SAMPLE(relaxed_race, NULL)
RACE_SAMPLE(atomic_rmw_ok, NULL)
RACE_SAMPLE(atomic_mixed_race, NULL)
RACE_SAMPLE(heap_race, NULL)
RACE_SAMPLE(heap_ok, NULL)
RACE_SAMPLE(field_race, NULL)
RACE_SAMPLE(field_ok, NULL)
RACE_SAMPLE(byte_race, NULL)
RACE_SAMPLE(byte_ok, NULL)
RACE_SAMPLE(fork_race, in_child)
RACE_SAMPLE(fork_ok, NULL)
RACE_SAMPLE(memcpy_race, NULL)
RACE_SAMPLE(memcpy_ok, NULL)
RACE_SAMPLE(free_race, NULL)
RACE_SAMPLE(heap_reuse_ok, NULL)
RACE_SAMPLE(stack_reuse_ok, NULL)
RACE_SAMPLE(trylock_ok, NULL)
RACE_SAMPLE(c11_mtx_ok, NULL)
RACE_SAMPLE(cxx_race, NULL)
RACE_SAMPLE(cxx_ok, NULL)
RACE_SAMPLE(cxx_pool_ok, NULL)
