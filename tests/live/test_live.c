/* The live monitor: `ctrace run` notices a deadlock or a hang while the
 * program runs, prints it with the program's file:line, and ends the
 * program (--on-deadlock=kill, the default) or aborts it (abort).  The
 * samples force their bug with a barrier, so it happens every run; their
 * fixed twins must run to the end with nothing reported. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

static void run_sample(struct e2e_result *res, const char *sample,
                       const char *const extra[])
{
    const char *argv[16] = {"ctrace", "run", "-o", e2e_trace_dir()};
    int n = 4;
    for (int i = 0; extra && extra[i]; i++)
        argv[n++] = extra[i];
    argv[n++] = e2e_sample(sample);
    argv[n] = NULL;
    cr_assert_eq(e2e_run(res, argv), 0, "cannot start ctrace");
    cr_assert(!res->timed_out, "safety net: the run did not end: %s", res->err);
}

static const char *const fixed_arg[] = {"fixed", NULL};

Test(live, deadlock_is_reported_and_killed)
{
    struct e2e_result r;
    run_sample(&r, "c/deadlock_abba", NULL);
    cr_expect_eq(r.status, 137, "killed by SIGKILL: %d\n%s", r.status, r.err);
    const char *live = strstr(r.err, "detected while the program runs");
    cr_assert_not_null(live, "%s", r.err);
    cr_expect_not_null(strstr(live, "deadlock"), "%s", r.err);
    cr_expect_not_null(strstr(live, "accounts_lock"), "%s", r.err);
    cr_expect_not_null(strstr(live, "ledger_lock"), "%s", r.err);
    cr_expect_not_null(strstr(live, "transfer (deadlock_abba.c:21)"), "%s",
                       r.err);
    cr_expect_not_null(strstr(live, "audit (deadlock_abba.c:40)"), "%s", r.err);
    cr_expect_not_null(strstr(r.err, "(--on-deadlock=kill)"), "%s", r.err);
    e2e_result_free(&r);
}

Test(live, deadlock_abort_leaves_sigabrt)
{
    struct e2e_result r;
    const char *const opts[] = {"--on-deadlock=abort", NULL};
    const char *argv[8] = {"ctrace", "run",
                           "-o",     e2e_trace_dir(),
                           opts[0],  e2e_sample("c/deadlock_abba"),
                           NULL};
    cr_assert_eq(e2e_run(&r, argv), 0);
    cr_expect_eq(r.status, 134, "SIGABRT: %d\n%s", r.status, r.err);
    cr_expect_not_null(strstr(r.err, "sent SIGABRT"), "%s", r.err);
    e2e_result_free(&r);
}

Test(live, deadlock_twin_runs_to_the_end)
{
    struct e2e_result r;
    const char *argv[8] = {"ctrace",
                           "run",
                           "-o",
                           e2e_trace_dir(),
                           e2e_sample("c/deadlock_abba"),
                           fixed_arg[0],
                           NULL};
    cr_assert_eq(e2e_run(&r, argv), 0);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, "transfers 1 audits 1\n");
    cr_expect_null(strstr(r.err, "detected while"), "%s", r.err);
    cr_expect_not_null(strstr(r.err, "ctrace: 0 findings"), "%s", r.err);
    e2e_result_free(&r);
}

Test(live, hang_is_reported_and_killed)
{
    struct e2e_result r;
    const char *const opts[] = {"--hang-timeout=1", NULL};
    run_sample(&r, "c/hang_cond", opts);
    cr_expect_eq(r.status, 137, "%d\n%s", r.status, r.err);
    const char *live = strstr(r.err, "detected while the program runs");
    cr_assert_not_null(live, "%s", r.err);
    cr_expect_not_null(strstr(live, "hang"), "%s", r.err);
    cr_expect_not_null(strstr(live, "worker (hang_cond.c:18)"), "%s", r.err);
    cr_expect_not_null(strstr(live, "main (hang_cond.c:34)"), "%s", r.err);
    e2e_result_free(&r);
}

Test(live, hang_twin_runs_to_the_end)
{
    struct e2e_result r;
    const char *argv[8] = {"ctrace",           "run",
                           "--hang-timeout=1", "-o",
                           e2e_trace_dir(),    e2e_sample("c/hang_cond"),
                           fixed_arg[0],       NULL};
    cr_assert_eq(e2e_run(&r, argv), 0);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, "worker done\n");
    cr_expect_null(strstr(r.err, "detected while"), "%s", r.err);
    e2e_result_free(&r);
}

/* ---- waits that something outside can end ---- */

/* What the live monitor printed must not have stopped the program. */
static void expect_left_running(const struct e2e_result *r, const char *out)
{
    cr_expect_eq(r->status, 0, "%d\n%s", r->status, r->err);
    cr_expect_str_eq(r->out, out, "%s", r->err);
    cr_expect_null(strstr(r->err, "(--on-deadlock="), "%s", r->err);
    const char *live = strstr(r->err, "detected while the program runs");
    if (live) /* only when the monitor looked while it waited: a warning */
        cr_expect_not_null(strstr(live, "keeps running"), "%s", r->err);
}

Test(live, alarm_into_handler_is_not_killed)
{
    struct e2e_result r;
    const char *const opts[] = {"--hang-timeout=1", NULL};
    const char *const args[] = {"alarm", "3", NULL};
    const char *argv[12] = {
        "ctrace",        "run",   "-o",
        e2e_trace_dir(), opts[0], e2e_sample("c/outside_wake"),
        args[0],         args[1], NULL};
    cr_assert_eq(e2e_run(&r, argv), 0);
    cr_assert(!r.timed_out, "safety net: %s", r.err);
    expect_left_running(&r, "woken by SIGALRM\n");
    e2e_result_free(&r);
}

/* The process whose command line holds `needle`, or 0. */
static pid_t pid_with_arg(const char *needle)
{
    DIR *d = opendir("/proc");
    pid_t found = 0;
    struct dirent *de;
    while (d && !found && (de = readdir(d))) {
        char path[300], cmd[4096];
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/cmdline", de->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(cmd, 1, sizeof cmd - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
            if (strcmp(cmd + i, needle) == 0 && (i == 0 || !cmd[i - 1]) &&
                strstr(cmd, "outside_wake"))
                found = atoi(de->d_name);
    }
    if (d)
        closedir(d);
    return found;
}

/* Whether the process's (single) thread sleeps in the kernel. */
static bool pid_sleeping(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'S';
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* An untraced program: once `name` exists and the traced thread sleeps
 * on it, wait past the hang timeout (1 s) and post it. */
static void named_poster(const char *name)
{
    sem_t *s = SEM_FAILED;
    pid_t pid = 0;
    for (int i = 0; i < 60000 && (s == SEM_FAILED || !pid); i += 10) {
        if (s == SEM_FAILED)
            s = sem_open(name, 0);
        if (s != SEM_FAILED && !pid)
            pid = pid_with_arg(name);
        sleep_ms(10);
    }
    for (int i = 0; pid && i < 6000 && !pid_sleeping(pid); i++)
        sleep_ms(10);
    sleep_ms(3000);
    _exit(s != SEM_FAILED && sem_post(s) == 0 ? 0 : 1);
}

Test(live, named_sem_posted_by_an_untraced_program_is_not_killed)
{
    char name[64];
    snprintf(name, sizeof name, "/ctrace-live-%d", (int)getpid());
    sem_unlink(name);
    pid_t poster = fork();
    cr_assert_geq(poster, 0);
    if (poster == 0)
        named_poster(name);
    struct e2e_result r;
    const char *argv[12] = {"ctrace",
                            "run",
                            "--hang-timeout=1",
                            "-o",
                            e2e_trace_dir(),
                            e2e_sample("c/outside_wake"),
                            "named",
                            name,
                            NULL};
    cr_assert_eq(e2e_run(&r, argv), 0);
    int st;
    if (r.status != 0)
        kill(poster, SIGKILL);
    waitpid(poster, &st, 0);
    sem_unlink(name);
    cr_assert(!r.timed_out, "safety net: %s", r.err);
    expect_left_running(&r, "posted from outside\n");
    e2e_result_free(&r);
}

/* The bug twin: nothing outside can post a private semaphore when no
 * handler and no timer exist: still a hang, still killed. */
Test(live, lone_private_sem_wait_is_killed)
{
    struct e2e_result r;
    const char *const opts[] = {"--hang-timeout=1", NULL};
    const char *argv[10] = {"ctrace", "run",
                            "-o",     e2e_trace_dir(),
                            opts[0],  e2e_sample("c/outside_wake"),
                            "stuck",  NULL};
    cr_assert_eq(e2e_run(&r, argv), 0);
    cr_assert(!r.timed_out, "safety net: %s", r.err);
    cr_expect_eq(r.status, 137, "%d\n%s", r.status, r.err);
    const char *live = strstr(r.err, "detected while the program runs");
    cr_assert_not_null(live, "%s", r.err);
    cr_expect_not_null(strstr(live, "hang"), "%s", r.err);
    cr_expect_not_null(strstr(live, "outside_wake.c"), "%s", r.err);
    cr_expect_not_null(strstr(r.err, "(--on-deadlock=kill)"), "%s", r.err);
    e2e_result_free(&r);
}
