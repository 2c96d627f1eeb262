/* Issue 3's acceptance on real programs.  Every finding kind has a sample
 * in samples/findings with the bug and a bug-free twin.  Each test records
 * the sample under the real `ctrace run --no-report -o DIR`, then checks
 *   - `ctrace report --format=json DIR` with check_report.py: the JSON
 *     Schema, kind, severity, threads, objects, and the sample's own lines
 *     in the stacks (found through the LINE: markers of its source, never
 *     written here);
 *   - the text report: the kind's header, the severity line, the why line,
 *     a `#0 func (file.c:N)` frame and the summary line;
 *   - `--error-exitcode=N`: N on the bug, 0 on the twin;
 *   - the twin's report: `"findings": []`, exactly.
 * Beyond the table: a deadlock seen live and offline (also when the
 * program is killed from outside), the live hang of a forked child stuck
 * on a lock held at fork, exact contention figures, SARIF, and
 * `ctrace run --error-exitcode`. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

extern char **environ;

#define MAXV 8

/* One sample, its bug and its twins. */
struct fcase {
    const char *sample;         /* under samples/, without .c */
    const char *bug[MAXV];      /* the sample's arguments for the bug */
    const char *twins[3][MAXV]; /* arguments of each twin ({"fixed"}) */
    const char *run[MAXV];      /* extra `ctrace run` options */
    int bug_status;             /* what `ctrace run` exits with on the bug */
    const char *lines[MAXV];    /* "name=TEXT": lines found by their text */
    const char *expect[MAXV];   /* check_report.py expectations */
    const char *summary;        /* the summary line, between "ctrace: " and
                                   "; 0 events lost" */
    const char *text[MAXV];     /* text report lines, {marker} expanded */
};

/* ---- running things ---- */

static struct e2e_result run(const char *const argv[])
{
    struct e2e_result r;
    cr_assert_eq(e2e_run(&r, argv), 0, "cannot start %s", argv[0]);
    cr_assert(!r.timed_out, "%s timed out; stderr: %s", argv[0], r.err);
    return r;
}

#define RUN(...) run((const char *const[]){__VA_ARGS__, NULL})

static size_t append(const char **v, size_t n, const char *const *add)
{
    for (size_t i = 0; add && add[i]; i++) {
        cr_assert_lt(n, 3 * MAXV);
        v[n++] = add[i];
    }
    return n;
}

/* `ctrace run --no-report [OPTS] -o DIR SAMPLE ARGS`: the trace dir. */
static const char *record(const char *sample, const char *const *opts,
                          const char *const *args, int want_status)
{
    const char *dir = e2e_trace_dir();
    const char *argv[3 * MAXV + 1] = {"ctrace", "run", "--no-report", "-o",
                                      dir};
    size_t n = append(argv, 5, opts);
    argv[n++] = e2e_sample(sample);
    n = append(argv, n, args);
    argv[n] = NULL;
    struct e2e_result r = run(argv);
    cr_assert_eq(r.status, want_status, "ctrace run %s exited %d, not %d: %s",
                 sample, r.status, want_status, r.err);
    e2e_result_free(&r);
    return dir;
}

/* `ctrace report --format=FORMAT -o FILE DIR`: FILE. */
static const char *report_file(const char *dir, const char *format)
{
    char *opt = NULL, *file = NULL;
    cr_assert_neq(asprintf(&opt, "--format=%s", format), -1);
    cr_assert_neq(asprintf(&file, "%s.%s", dir, format), -1);
    struct e2e_result r = RUN("ctrace", "report", opt, "-o", file, dir);
    cr_assert_eq(r.status, 0, "ctrace report %s: %s", opt, r.err);
    e2e_result_free(&r);
    free(opt);
    return file; /* freed at exit */
}

static char *source_path(const char *sample)
{
    const char *root = getenv("CTRACE_SOURCE_ROOT");
    cr_assert_not_null(root, "CTRACE_SOURCE_ROOT is not set");
    char *p = NULL;
    cr_assert_neq(asprintf(&p, "%s/samples/%s.c", root, sample), -1);
    return p;
}

/* check_report.py ARGS...: asserts it passes, with its reasons if not. */
static void check_py(const char *const *args)
{
    const char *root = getenv("CTRACE_SOURCE_ROOT");
    char *script = NULL;
    cr_assert_neq(asprintf(&script, "%s/tests/findings/check_report.py", root),
                  -1);
    const char *argv[4 * MAXV] = {"/usr/bin/python3", script};
    size_t n = 2;
    for (size_t i = 0; args[i]; i++) {
        cr_assert_lt(n, 4 * MAXV - 1);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    struct e2e_result r = run(argv);
    cr_assert_neq(r.status, 2, "check_report.py could not run: %s", r.err);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_result_free(&r);
    free(script);
}

/* ---- lines of the sample's source ---- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[4096];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, k, m);
    fclose(m);
    fclose(f);
    return buf;
}

static bool is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

/* Line of `needle` in text (1-based), 0 if absent; `marker` wants a
 * whole identifier after it. */
static int line_of(const char *text, const char *needle, bool marker)
{
    size_t nl = strlen(needle);
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += nl) {
        if (marker && is_ident(p[nl]))
            continue;
        int line = 1;
        for (const char *q = text; q < p; q++)
            line += *q == '\n';
        return line;
    }
    return 0;
}

/* The line named `name`: a `LINE:name` marker, else a case's "name=TEXT". */
static int sample_line(const struct fcase *c, const char *src, const char *name)
{
    char *needle = NULL;
    cr_assert_neq(asprintf(&needle, "/* LINE:%s", name), -1);
    int line = line_of(src, needle, true);
    free(needle);
    size_t len = strlen(name);
    for (size_t i = 0; !line && c->lines[i]; i++)
        if (strncmp(c->lines[i], name, len) == 0 && c->lines[i][len] == '=')
            line = line_of(src, c->lines[i] + len + 1, false);
    cr_assert_gt(line, 0, "no line %s in %s", name, c->sample);
    return line;
}

/* tmpl with every {name} replaced by the line it names. */
static char *expand(const struct fcase *c, const char *src, const char *tmpl)
{
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    for (const char *p = tmpl; *p; p++) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        if (!end) {
            fputc(*p, m);
            continue;
        }
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
        fprintf(m, "%d", sample_line(c, src, name));
        p = end;
    }
    fclose(m);
    return out;
}

/* ---- checks ---- */

/* The JSON report of `dir` meets `expect` (NULL-terminated; {"none"}). */
static void check_json(const struct fcase *c, const char *dir,
                       const char *const *expect, const char *const *more)
{
    const char *root = getenv("CTRACE_SOURCE_ROOT");
    char *schema = NULL, *src = source_path(c->sample);
    cr_assert_neq(asprintf(&schema, "%s/docs/report-schema.json", root), -1);
    const char *args[4 * MAXV] = {"json", schema, src,
                                  report_file(dir, "json")};
    size_t n = 4;
    char *opts[MAXV] = {0};
    for (size_t i = 0; c->lines[i]; i++) {
        cr_assert_neq(asprintf(&opts[i], "--line=%s", c->lines[i]), -1);
        args[n++] = opts[i];
    }
    n = append(args, n, more);
    n = append(args, n, expect);
    args[n] = NULL;
    check_py(args);
    for (size_t i = 0; i < MAXV; i++)
        free(opts[i]);
    free(schema);
    free(src);
}

static const char *last_line(const char *text)
{
    size_t n = strlen(text);
    cr_assert(n > 1 && text[n - 1] == '\n', "no final newline: %s", text);
    const char *p = text + n - 1;
    while (p > text && p[-1] != '\n')
        p--;
    return p;
}

/* kind=K and severity=S of an expectation. */
static void expect_field(const char *exp, const char *key, char *out,
                         size_t len)
{
    const char *p = strstr(exp, key);
    cr_assert_not_null(p, "no %s in %s", key, exp);
    p += strlen(key);
    snprintf(out, len, "%.*s", (int)strcspn(p, ";"), p);
}

static void check_text_finding(const char *out, const char *exp)
{
    char kind[64], sev[16], want[128];
    expect_field(exp, "kind=", kind, sizeof kind);
    expect_field(exp, "severity=", sev, sizeof sev);
    snprintf(want, sizeof want, "== %s: ", kind);
    cr_expect_not_null(strstr(out, want), "no '%s' in:\n%s", want, out);
    snprintf(want, sizeof want, "\n%s: %s in pid ", sev, kind);
    cr_expect_not_null(strstr(out, want), "no '%s' in:\n%s", want + 1, out);
}

/* The text report: headers, severity lines, one why per finding, the
 * case's lines and the summary. */
static void check_text(const struct fcase *c, const char *dir)
{
    struct e2e_result r = RUN("ctrace", "report", "--format=text", dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    size_t nexp = 0, nwhy = 0;
    for (; c->expect[nexp]; nexp++)
        check_text_finding(r.out, c->expect[nexp]);
    for (const char *p = r.out; (p = strstr(p, "\n  why: ")); p++)
        nwhy++;
    cr_expect_eq(nwhy, nexp, "%zu why lines for %zu findings:\n%s", nwhy, nexp,
                 r.out);
    char *src = slurp(source_path(c->sample));
    for (size_t i = 0; c->text[i]; i++) {
        char *want = expand(c, src, c->text[i]);
        cr_expect_not_null(strstr(r.out, want), "no '%s' in:\n%s", want, r.out);
        free(want);
    }
    char *sum = NULL;
    cr_assert_neq(asprintf(&sum, "ctrace: %s; 0 events lost", c->summary), -1);
    cr_expect(strncmp(last_line(r.out), sum, strlen(sum)) == 0,
              "summary '%s', not '%s'", last_line(r.out), sum);
    free(sum);
    free(src);
    e2e_result_free(&r);
}

static void check_exitcode(const char *dir, int want)
{
    struct e2e_result r = RUN("ctrace", "report", "--error-exitcode=7", dir);
    cr_expect_eq(r.status, want, "--error-exitcode=7 gave %d, not %d: %s%s",
                 r.status, want, r.out, r.err);
    e2e_result_free(&r);
}

static const char *const no_findings[] = {"none", NULL};

/* The whole acceptance of one sample. */
static void run_case(const struct fcase *c)
{
    const char *dir = record(c->sample, c->run, c->bug, c->bug_status);
    check_json(c, dir, c->expect, NULL);
    check_text(c, dir);
    check_exitcode(dir, 7);
    for (size_t t = 0; t < 3 && c->twins[t][0]; t++) {
        const char *twin = record(c->sample, c->run, c->twins[t], 0);
        check_json(c, twin, no_findings, NULL);
        check_exitcode(twin, 0);
    }
}

#define FIXED                                                                  \
    {                                                                          \
        {                                                                      \
            "fixed"                                                            \
        }                                                                      \
    }

/* ---- lock-order inversions ---- */

Test(lock_order, two_globals)
{
    static const struct fcase c = {
        .sample = "findings/inversion_pair",
        .twins = FIXED,
        .expect = {"kind=lock-order-inversion;severity=warning;threads=2;"
                   "names=transfer,audit;"
                   "objects=mutex:accounts_lock,mutex:ledger_lock;"
                   "lines=transfer_first,transfer_second,audit_first,"
                   "audit_second;stacks=4;pid=root;threads_in_stacks=1"},
        .summary = "1 finding (1 lock-order) in 1 process, 3 threads",
        .text = {"#0 transfer (inversion_pair.c:{transfer_second})",
                 "#0 audit (inversion_pair.c:{audit_second})",
                 "threads: T1 'transfer' (tid "},
    };
    run_case(&c);
}

/* A ring of n heap locks (named by creation site) and n threads; twins:
 * one global order, a gate lock around every edge, one thread alone. */
static void ring(int n)
{
    char num[16], exp[512], sum[128];
    snprintf(num, sizeof num, "%d", n);
    snprintf(exp, sizeof exp,
             "kind=lock-order-inversion;severity=warning;threads=%d;"
             "objects=mutex:mutex created at lock_cycle.c:{ring_init}*%d;"
             "lines=ring_first,ring_second;stacks=%d;pid=root;"
             "threads_in_stacks=1",
             n, n, 2 * n);
    snprintf(sum, sizeof sum,
             "1 finding (1 lock-order) in 1 process, %d "
             "threads",
             n + 1);
    const struct fcase c = {
        .sample = "findings/lock_cycle",
        .bug = {num},
        .twins = {{num, "ordered"}, {num, "gated"}, {num, "single"}},
        .expect = {exp},
        .summary = sum,
        .text = {"#0 ring_step (lock_cycle.c:{ring_second})",
                 "mutex created at lock_cycle.c:{ring_init}"},
    };
    run_case(&c);
}

Test(lock_order, ring_of_2) { ring(2); }
Test(lock_order, ring_of_3) { ring(3); }
Test(lock_order, ring_of_5) { ring(5); }
Test(lock_order, ring_of_30) { ring(30); }

Test(lock_order, more_than_64_held)
{
    static const struct fcase c = {
        .sample = "findings/many_held",
        .twins = FIXED,
        .expect = {"kind=lock-order-inversion;severity=warning;threads=2;"
                   "names=deep,flip;objects=mutex:outer_lock,mutex:tail_lock;"
                   "lines=deep_outer,deep_tail,flip_tail,flip_outer;stacks=4;"
                   "threads_in_stacks=1"},
        .summary = "1 finding (1 lock-order) in 1 process, 3 threads",
        .text = {"#0 deep_thread (many_held.c:{deep_tail})"},
    };
    run_case(&c);
}

Test(lock_order, more_than_10000_live_locks)
{
    static const struct fcase c = {
        .sample = "findings/many_locks",
        .twins = FIXED,
        .expect = {"kind=lock-order-inversion;severity=warning;threads=2;"
                   "names=early,late;"
                   "objects=mutex:mutex created at many_locks.c:{pool_init}*2;"
                   "lines=pair_first,pair_second;stacks=4;threads_in_stacks=1"},
        .summary = "1 finding (1 lock-order) in 1 process, 3 threads",
        .text = {"#0 take_pair (many_locks.c:{pair_second})"},
    };
    run_case(&c);
}

/* ---- real deadlocks and hangs (ended by the live monitor) ---- */

static const struct fcase deadlock_case = {
    .sample = "findings/deadlock_ring",
    .twins = FIXED,
    .bug_status = 137,
    .expect = {"kind=deadlock;severity=error;threads=3;"
               "names=ring0,ring1,ring2;"
               "objects=mutex:stock_lock,mutex:order_lock,mutex:bill_lock;"
               "lines=ring_own,ring_next;stacks=6;threads_in_stacks=1"},
    .summary = "1 finding (1 deadlock) in 1 process, 4 threads",
    .text = {"#0 ring_thread (deadlock_ring.c:{ring_next})",
             "#0 ring_thread (deadlock_ring.c:{ring_own})"},
};

Test(deadlock, ring_of_3_offline) { run_case(&deadlock_case); }

Test(deadlock, hang_cond)
{
    static const struct fcase c = {
        .sample = "c/hang_cond",
        .twins = FIXED,
        .run = {"--hang-timeout=1"},
        .bug_status = 137,
        .lines = {"wait=pthread_cond_wait(&ready_cond",
                  "join=pthread_join(t, NULL)"},
        .expect = {"kind=hang;severity=error;threads=2;names=@main,;"
                   "objects=cond:ready_cond;lines=wait,join;stacks=2"},
        .summary = "1 finding (1 deadlock) in 1 process, 2 threads",
        .text = {"#0 worker (hang_cond.c:{wait})",
                 "#0 main (hang_cond.c:{join})"},
    };
    run_case(&c);
}

/* ---- misuse ---- */

Test(misuse, double_lock)
{
    static const struct fcase c = {
        .sample = "findings/double_lock",
        .twins = FIXED,
        .expect = {"kind=double-lock;severity=error;threads=1;names=@main;"
                   "objects=mutex:balance_lock;lines=lock_again,lock_first;"
                   "stacks=2"},
        .summary = "1 finding (1 misuse) in 1 process, 1 thread",
        .text = {"#0 add_interest (double_lock.c:{lock_again})"},
    };
    run_case(&c);
}

Test(misuse, unlock_of_unlocked)
{
    static const struct fcase c = {
        .sample = "findings/unlock_unlocked",
        .twins = FIXED,
        .expect = {"kind=unlock-of-unlocked;severity=error;threads=1;"
                   "names=@main;objects=mutex:queue_lock;lines=unlock_again;"
                   "stacks=1"},
        .summary = "1 finding (1 misuse) in 1 process, 1 thread",
        .text = {"#0 main (unlock_unlocked.c:{unlock_again})"},
    };
    run_case(&c);
}

Test(misuse, unlock_by_non_owner)
{
    static const struct fcase c = {
        .sample = "findings/unlock_non_owner",
        .twins = FIXED,
        .expect = {"kind=unlock-by-non-owner;severity=error;threads=2;"
                   "names=@main,owner;objects=mutex:session_lock;"
                   "lines=foreign_unlock,owner_lock;stacks=2;"
                   "threads_in_stacks=1"},
        .summary = "1 finding (1 misuse) in 1 process, 2 threads",
        .text = {"#0 main (unlock_non_owner.c:{foreign_unlock})",
                 "#0 owner_thread (unlock_non_owner.c:{owner_lock})"},
    };
    run_case(&c);
}

Test(misuse, destroy_of_locked)
{
    static const struct fcase c = {
        .sample = "findings/destroy_locked",
        .twins = FIXED,
        .expect = {"kind=destroy-of-locked;severity=error;threads=2;"
                   "names=@main,holder;objects=mutex:cache_lock;"
                   "lines=destroy_held,holder_lock;stacks=2;"
                   "threads_in_stacks=1"},
        .summary = "1 finding (1 misuse) in 1 process, 2 threads",
        .text = {"#0 main (destroy_locked.c:{destroy_held})"},
    };
    run_case(&c);
}

Test(misuse, use_of_destroyed)
{
    static const struct fcase c = {
        .sample = "findings/use_destroyed",
        .twins = FIXED,
        .expect = {"kind=use-of-destroyed;severity=error;threads=1;"
                   "names=@main;objects=mutex:config_lock;"
                   "lines=use_after,destroy;stacks=2"},
        .summary = "1 finding (1 misuse) in 1 process, 1 thread",
        .text = {"#0 reload (use_destroyed.c:{use_after})",
                 "#0 main (use_destroyed.c:{destroy})"},
    };
    run_case(&c);
}

Test(misuse, cond_wait_without_mutex)
{
    static const struct fcase c = {
        .sample = "findings/cond_no_mutex",
        .twins = FIXED,
        .expect = {"kind=cond-wait-without-mutex;severity=error;threads=1;"
                   "names=poller;objects=cond:state_cond,mutex:state_lock;"
                   "lines=wait;stacks=1"},
        .summary = "1 finding (1 misuse) in 1 process, 2 threads",
        .text = {"#0 poller_thread (cond_no_mutex.c:{wait})"},
    };
    run_case(&c);
}

Test(misuse, cond_multiple_mutexes)
{
    static const struct fcase c = {
        .sample = "findings/cond_multi",
        .twins = FIXED,
        .expect = {"kind=cond-multiple-mutexes;severity=warning;threads=2;"
                   "names=@main,consumer;"
                   "objects=cond:work_cond,mutex:stats_lock,mutex:queue_lock;"
                   "lines=main_wait,consumer_wait;stacks=2;"
                   "threads_in_stacks=1"},
        .summary = "1 finding (1 misuse) in 1 process, 2 threads",
        .text = {"#0 main (cond_multi.c:{main_wait})",
                 "#0 consumer_thread (cond_multi.c:{consumer_wait})"},
    };
    run_case(&c);
}

Test(misuse, thread_leak)
{
    static const struct fcase c = {
        .sample = "findings/thread_leak",
        .twins = FIXED,
        .expect = {"kind=thread-leak;severity=warning;threads=2;"
                   "names=flusher,@main;objects=;lines=create,routine;"
                   "stacks=2;threads_in_stacks=1"},
        .summary = "1 finding (1 misuse) in 1 process, 2 threads",
        .text = {"#0 main (thread_leak.c:{create})"},
    };
    run_case(&c);
}

Test(misuse, exit_holding_lock)
{
    static const struct fcase c = {
        .sample = "findings/exit_holding",
        .twins = FIXED,
        .expect = {"kind=exit-holding-lock;severity=warning;threads=1;"
                   "names=loader;objects=mutex:cache_lock;lines=take;"
                   "stacks=1"},
        .summary = "1 finding (1 misuse) in 1 process, 2 threads",
        .text = {"#0 loader_thread (exit_holding.c:{take})"},
    };
    run_case(&c);
}

Test(misuse, invalid_join_twice)
{
    static const struct fcase c = {
        .sample = "findings/invalid_join",
        .twins = FIXED,
        .expect = {"kind=invalid-join;severity=error;threads=2;"
                   "names=@main,worker;objects=;lines=join_again;stacks=1"},
        .summary = "1 finding (1 misuse) in 1 process, 2 threads",
        .text = {"#0 main (invalid_join.c:{join_again})",
                 "which was already joined"},
    };
    run_case(&c);
}

Test(misuse, invalid_join_detached)
{
    static const struct fcase c = {
        .sample = "findings/invalid_join",
        .bug = {"detached"},
        .twins = FIXED,
        .expect = {"kind=invalid-join;severity=error;threads=2;"
                   "names=@main,worker;objects=;lines=join_detached;stacks=1"},
        .summary = "1 finding (1 misuse) in 1 process, 2 threads",
        .text = {"#0 main (invalid_join.c:{join_detached})", "is detached"},
    };
    run_case(&c);
}

Test(misuse, lock_in_signal_handler)
{
    static const struct fcase c = {
        .sample = "findings/lock_in_handler",
        .twins = FIXED,
        .expect = {"kind=lock-in-signal-handler;severity=warning;threads=1;"
                   "names=@main;objects=mutex:stats_lock;"
                   "lines=handler_lock,plain_lock;stacks=2"},
        .summary = "1 finding (1 misuse) in 1 process, 1 thread",
        .text = {"#0 on_usr1 (lock_in_handler.c:{handler_lock})",
                 "#0 count_request (lock_in_handler.c:{plain_lock})"},
    };
    run_case(&c);
}

Test(misuse, sem_misuse)
{
    static const struct fcase c = {
        .sample = "findings/sem_misuse",
        .twins = FIXED,
        .expect = {"kind=sem-misuse;severity=error;threads=1;names=@main;"
                   "objects=sem:jobs_sem;lines=post;stacks=1"},
        .summary = "1 finding (1 misuse) in 1 process, 1 thread",
        .text = {"#0 main (sem_misuse.c:{post})", "never initialised"},
    };
    run_case(&c);
}

Test(misuse, barrier_misuse)
{
    static const struct fcase c = {
        .sample = "findings/barrier_misuse",
        .twins = FIXED,
        .run = {"--hang-timeout=1"},
        .bug_status = 137,
        .expect = {"kind=barrier-misuse;severity=error;threads=1;names=stage;"
                   "objects=barrier:stage_barrier;lines=wait;stacks=1",
                   "kind=hang;severity=error;threads=2;names=@main,stage;"
                   "objects=barrier:stage_barrier;lines=join,wait;stacks=2"},
        .summary = "2 findings (1 deadlock, 1 misuse) in 1 process, 4 threads",
        .text = {"#0 stage_thread (barrier_misuse.c:{wait})",
                 "its count is 2 but 3 threads wait on it"},
    };
    run_case(&c);
}

/* ---- fork hazards ---- */

Test(fork, lock_held_warning)
{
    static const struct fcase c = {
        .sample = "findings/fork_lock",
        .twins = FIXED,
        .expect = {"kind=fork-with-lock-held;severity=warning;threads=2;"
                   "names=@main,holder;objects=mutex:pool_lock;"
                   "lines=fork,holder_lock;stacks=2;pid=root;"
                   "threads_in_stacks=1"},
        .summary = "1 finding (1 fork) in 2 processes, 3 threads",
        .text = {"#0 main (fork_lock.c:{fork})",
                 "#0 holder_thread (fork_lock.c:{holder_lock})"},
    };
    run_case(&c);
}

static const struct fcase fork_error_case = {
    .sample = "findings/fork_lock",
    .bug = {"error"},
    .twins = FIXED,
    .run = {"--hang-timeout=1"},
    .bug_status = 137,
    .expect = {"kind=fork-with-lock-held;severity=error;threads=3;"
               "names=@main*2,holder;objects=mutex:pool_lock;"
               "lines=child_lock,holder_lock,fork;stacks=3;pid=child;"
               "threads_in_stacks=1"},
    .summary = "1 finding (1 fork) in 2 processes, 3 threads",
    .text = {"#0 child_main (fork_lock.c:{child_lock})",
             "#0 holder_thread (fork_lock.c:{holder_lock})",
             "took pool_lock here, in the parent"},
};

Test(fork, lock_held_child_waits_error) { run_case(&fork_error_case); }

/* ---- live and offline agree ---- */

/* The part of a text report from `head` to the next section, exception
 * tree or summary line. */
static char *text_section(const char *text, const char *head)
{
    const char *p = strstr(text, head);
    cr_assert_not_null(p, "no '%s' in:\n%s", head, text);
    const char *end = p;
    for (;;) {
        const char *nl = strchr(end, '\n');
        end = nl ? nl + 1 : end + strlen(end);
        if (!nl || strncmp(end, "== ", 3) == 0 ||
            strncmp(end, "ExceptionGroup", 14) == 0 ||
            strncmp(end, "ctrace: ", 8) == 0)
            break;
    }
    return strndup(p, (size_t)(end - p));
}

static const char *const live_head = "ctrace: detected while the program runs:";

/* The deadlock that `ctrace run` prints while the program runs is the
 * one `ctrace report` finds in the trace it leaves. */
Test(deadlock, live_and_offline_agree)
{
    const char *dir = e2e_trace_dir();
    struct e2e_result r =
        RUN("ctrace", "run", "-o", dir, e2e_sample(deadlock_case.sample));
    cr_assert_eq(r.status, 137, "%d: %s", r.status, r.err);
    const char *live = strstr(r.err, live_head);
    cr_assert_not_null(live, "%s", r.err);
    cr_expect_not_null(strstr(live, "(--on-deadlock=kill)"), "%s", r.err);
    char *live_sec = text_section(live, "== deadlock:");
    struct e2e_result off = RUN("ctrace", "report", dir);
    cr_assert_eq(off.status, 0, "%s", off.err);
    char *off_sec = text_section(off.out, "== deadlock:");
    cr_expect_str_eq(live_sec, off_sec);
    free(live_sec);
    free(off_sec);
    e2e_result_free(&off);
    e2e_result_free(&r);
}

/* `ctrace run --on-deadlock=wait` in the background, stderr in a pipe. */
static pid_t spawn_piped(const char *const argv[], int *err_fd)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    pid_t pid;
    int rc = posix_spawn(&pid, e2e_ctrace(), &fa, &attr, (char *const *)argv,
                         environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(fds[1]);
    cr_assert_eq(rc, 0, "cannot start ctrace: %s", strerror(rc));
    *err_fd = fds[0];
    return pid;
}

static void on_alarm(int signo) { (void)signo; }

/* Read fd into *buf until `until` has been seen (true) or EOF (false).
 * A safety net alarm interrupts the read of a run that never says it
 * (the caller then kills it). */
static bool read_until(int fd, const char *until, char **buf, size_t *len)
{
    FILE *m = open_memstream(buf, len);
    char chunk[4096];
    ssize_t k;
    bool found = false;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART: read() returns EINTR */
    sigaction(SIGALRM, &sa, NULL);
    alarm(E2E_TIMEOUT_S);
    while (!found && (k = read(fd, chunk, sizeof chunk)) > 0) {
        fwrite(chunk, 1, (size_t)k, m);
        fflush(m);
        found = strstr(*buf, until) != NULL;
    }
    alarm(0);
    fclose(m);
    return found;
}

/* A deadlocked program killed from outside (SIGKILL by the test, not by
 * ctrace): its trace gives the finding the live monitor printed. */
Test(deadlock, killed_from_outside)
{
    const char *dir = e2e_trace_dir();
    const char *argv[] = {e2e_ctrace(),
                          "run",
                          "--no-report",
                          "--on-deadlock=wait",
                          "-o",
                          dir,
                          e2e_sample(deadlock_case.sample),
                          NULL};
    int fd;
    pid_t ctrace = spawn_piped(argv, &fd);
    char *err = NULL;
    size_t len = 0;
    bool said = read_until(fd, "stop it yourself\n", &err, &len);
    int program = 0;
    const char *at = said ? strstr(err, "error: deadlock in pid ") : NULL;
    if (at)
        sscanf(at, "error: deadlock in pid %d", &program);
    if (program > 0)
        kill(program, SIGKILL);
    else
        kill(-ctrace, SIGKILL); /* do not leave it behind */
    cr_assert_gt(program, 0, "no deadlock reported live:\n%s", err);
    int status;
    cr_assert_eq(waitpid(ctrace, &status, 0), ctrace);
    close(fd);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 137,
              "ctrace run exited with %#x, not 137", status);
    check_json(&deadlock_case, dir, deadlock_case.expect, NULL);
    char *live_sec = text_section(strstr(err, live_head), "== deadlock:");
    struct e2e_result off = RUN("ctrace", "report", dir);
    char *off_sec = text_section(off.out, "== deadlock:");
    cr_expect_str_eq(live_sec, off_sec);
    free(live_sec);
    free(off_sec);
    free(err);
    e2e_result_free(&off);
}

/* The forked child stuck on the lock the parent's thread held at fork:
 * live, a hang of the child that ends the run; after it, the report's
 * fork error with the parent's holder and the child's lock. */
Test(fork, child_hang_is_seen_live)
{
    const struct fcase *c = &fork_error_case;
    const char *dir = e2e_trace_dir();
    struct e2e_result r = RUN("ctrace", "run", "--hang-timeout=1", "-o", dir,
                              e2e_sample(c->sample), "error");
    cr_assert_eq(r.status, 137, "%d: %s", r.status, r.err);
    const char *live = strstr(r.err, live_head);
    cr_assert_not_null(live, "%s", r.err);
    char *src = slurp(source_path(c->sample));
    char *child = expand(c, src, "#0 child_main (fork_lock.c:{child_lock})");
    char *holder =
        expand(c, src, "#0 holder_thread (fork_lock.c:{holder_lock})");
    char *hang = text_section(live, "== hang:");
    cr_expect_not_null(strstr(hang, "pool_lock (locked since the fork)"), "%s",
                       hang);
    cr_expect_not_null(strstr(hang, child), "no %s in %s", child, hang);
    const char *after = strstr(live, "(--on-deadlock=kill)");
    cr_assert_not_null(after, "%s", r.err);
    char *fork = text_section(after, "== fork-with-lock-held:");
    cr_expect_not_null(strstr(fork, "error: fork-with-lock-held in pid "), "%s",
                       fork);
    cr_expect_not_null(strstr(fork, child), "no %s in %s", child, fork);
    cr_expect_not_null(strstr(fork, holder), "no %s in %s", holder, fork);
    free(hang);
    free(fork);
    free(child);
    free(holder);
    free(src);
    e2e_result_free(&r);
}

/* ---- contention ---- */

Test(contention, exact_figures)
{
    static const struct fcase c = {
        .sample = "findings/contention",
        .summary = "0 findings in 1 process, 3 threads",
        .text =
            {"1200 acquisitions, 100 contended (8.3%)",
             "waited: waiter_thread (contention.c:{waiter_lock})",
             "1000 acquisitions, 0 ns waited: main (contention.c:{solo_lock})",
             "5 acquisitions, 0 contended (0.0%)"},
    };
    const char *dir = record(c.sample, NULL, NULL, 0);
    const char *figures[] = {
        "--contention=lock=hot_lock;rank=0;acquisitions=1200;contended=100;"
        "sites=waiter_lock:100,solo_lock:1000,holder_lock:100;wait>0",
        "--contention=lock=cold_lock;rank=1;acquisitions=5;contended=0;"
        "sites=cold_lock:5;wait=0",
        NULL};
    check_json(&c, dir, no_findings, figures);
    check_text(&c, dir);
    check_exitcode(dir, 0);

    const char *fixed[] = {"fixed", NULL};
    const char *twin = record(c.sample, NULL, fixed, 0);
    const char *calm[] = {
        "--contention=lock=hot_lock;rank=0;acquisitions=1100;contended=0;"
        "sites=solo_lock:1000,holder_lock:100;wait=0",
        NULL};
    check_json(&c, twin, no_findings, calm);
}

/* ---- SARIF and exit codes ---- */

Test(sarif, rule_per_kind_located_at_the_sample_line)
{
    const char *dir = record("findings/inversion_pair", NULL, NULL, 0);
    char *src = source_path("findings/inversion_pair");
    const char *args[] = {"sarif",
                          src,
                          report_file(dir, "sarif"),
                          "lock-order-inversion",
                          "warning",
                          "transfer_second",
                          "transfer_first",
                          "audit_first",
                          "audit_second",
                          NULL};
    check_py(args);
    free(src);
}

Test(exitcode, ctrace_run_error_exitcode)
{
    struct e2e_result r =
        RUN("ctrace", "run", "--error-exitcode=7", "-o", e2e_trace_dir(),
            e2e_sample("findings/double_lock"));
    cr_expect_eq(r.status, 7, "%d: %s", r.status, r.err);
    e2e_result_free(&r);
    r = RUN("ctrace", "run", "--error-exitcode=7", "-o", e2e_trace_dir(),
            e2e_sample("findings/double_lock"), "fixed");
    cr_expect_eq(r.status, 0, "%d: %s", r.status, r.err);
    e2e_result_free(&r);
}
