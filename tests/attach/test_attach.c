/* `ctrace attach PID` end to end: real programs started natively (never
 * under ctrace) are waited for until /proc shows them blocked where the
 * test expects (no sleeps), then attached to; the report must name the
 * threads, locks and lines, and the program must run on afterwards:
 * still blocked the same way, or, where the test releases it, finishing
 * with its normal output and exit status. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

/* Safety net for a program to reach its blocked state (never a pass
 * criterion: the wait ends as soon as /proc shows it). */
#define BLOCK_TIMEOUT_S 60

struct prog {
    pid_t pid;
    int in_fd;  /* its stdin, -1 once closed */
    int out_fd; /* its stdout */
};

static void prog_start(struct prog *p, const char *const argv[])
{
    int in[2], out[2];
    cr_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0);
    p->pid = fork();
    cr_assert(p->pid >= 0);
    if (p->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    p->in_fd = in[1];
    p->out_fd = out[0];
}

/* How many threads of pid are in system call nr now. */
static int threads_in_syscall(pid_t pid, long nr)
{
    char path[300], buf[256];
    int n = 0;
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%s/syscall", (int)pid,
                 e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(buf, sizeof buf, f) && strncmp(buf, "running", 7) != 0 &&
            strtol(buf, NULL, 10) == nr)
            n++;
        fclose(f);
    }
    closedir(d);
    return n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait until at least n threads of pid sit in system call nr. */
static void wait_in_syscall(pid_t pid, long nr, int n)
{
    double end = now_s() + BLOCK_TIMEOUT_S;
    while (threads_in_syscall(pid, nr) < n) {
        cr_assert(now_s() < end, "pid %d never had %d threads in syscall %ld",
                  (int)pid, n, nr);
        usleep(5000);
    }
}

static void attach_run(struct e2e_result *r, pid_t pid, const char *opt1,
                       const char *opt2)
{
    char pids[32];
    snprintf(pids, sizeof pids, "%d", (int)pid);
    const char *argv[6] = {"ctrace", "attach"};
    size_t k = 2;
    if (opt1)
        argv[k++] = opt1;
    if (opt2)
        argv[k++] = opt2;
    argv[k++] = pids;
    argv[k] = NULL;
    cr_assert_eq(e2e_run(r, argv), 0);
    cr_assert_not(r->timed_out);
}

/* The program goes on after the attach: alive, not stopped. */
static void assert_running(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    cr_assert(f, "pid %d is gone after the attach", (int)pid);
    cr_assert(fgets(buf, sizeof buf, f));
    fclose(f);
    char state = strrchr(buf, ')')[2];
    cr_assert(state != 'T' && state != 't' && state != 'Z',
              "pid %d is in state %c after the attach", (int)pid, state);
}

/* Wait for the program's end; returns its exit status (128+sig). */
static int prog_wait(struct prog *p)
{
    int st;
    while (waitpid(p->pid, &st, 0) < 0)
        cr_assert_eq(errno, EINTR);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void prog_kill(struct prog *p)
{
    kill(p->pid, SIGKILL);
    prog_wait(p);
    close(p->out_fd);
    if (p->in_fd >= 0)
        close(p->in_fd);
}

static char *prog_output(struct prog *p)
{
    static char buf[4096];
    size_t n = 0;
    ssize_t r;
    while (n + 1 < sizeof buf &&
           (r = read(p->out_fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    return buf;
}

static void assert_has(const char *text, const char *part)
{
    cr_assert(strstr(text, part), "expected \"%s\" in:\n%s", part, text);
}

/* report_check.py MODE ARG on a file holding `text`. */
static int report_check(const char *mode, const char *text)
{
    char path[256], cmd[1024];
    snprintf(path, sizeof path, "%s/report.json", e2e_tmpdir());
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    const char *root = getenv("CTRACE_SOURCE_ROOT");
    if (strcmp(mode, "sarif") == 0)
        snprintf(cmd, sizeof cmd,
                 "python3 %s/tests/analyzer/report_check.py sarif %s", root,
                 path);
    else
        snprintf(cmd, sizeof cmd,
                 "python3 %s/tests/analyzer/report_check.py schema "
                 "%s/docs/report-schema.json %s",
                 root, root, path);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(attach, abba_deadlock)
{
    struct prog p;
    const char *argv[] = {ATTACH_PROG_ABBA, NULL};
    prog_start(&p, argv);
    wait_in_syscall(p.pid, SYS_futex, 3); /* two lockers and main's join */
    struct e2e_result r;
    attach_run(&r, p.pid, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    assert_has(r.out, "== deadlock: 1 finding ==");
    assert_has(r.out, "waits for lock_b held by T2");
    assert_has(r.out, "waits for lock_a held by T1");
    assert_has(r.out, "take_a_then_b (prog_abba.c:17)");
    assert_has(r.out, "take_b_then_a (prog_abba.c:28)");
    assert_has(r.out, "main (");
    cr_assert_not(strstr(r.out, "== hang"), "the deadlock says why");
    e2e_result_free(&r);

    attach_run(&r, p.pid, "--format=json", NULL);
    assert_has(r.out, "\"kind\": \"deadlock\"");
    cr_assert_eq(report_check("schema", r.out), 0, "%s", r.out);
    e2e_result_free(&r);
    attach_run(&r, p.pid, "--format=sarif", NULL);
    cr_assert_eq(report_check("sarif", r.out), 0, "%s", r.out);
    e2e_result_free(&r);

    assert_running(p.pid);
    cr_assert_eq(threads_in_syscall(p.pid, SYS_futex), 3,
                 "still deadlocked the same way");
    prog_kill(&p);
}

Test(attach, ring_of_three)
{
    struct prog p;
    const char *argv[] = {ATTACH_PROG_RING, NULL};
    prog_start(&p, argv);
    wait_in_syscall(p.pid, SYS_futex, 4);
    struct e2e_result r;
    attach_run(&r, p.pid, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    assert_has(r.out, "== deadlock: 1 finding ==");
    /* every member waits for the next one's lock */
    assert_has(r.out, "waits for ring_lock+40 held by");
    assert_has(r.out, "waits for ring_lock+80 held by");
    assert_has(r.out, "waits for ring_lock held by");
    assert_has(r.out, "ring_member (prog_ring.c:21)");
    e2e_result_free(&r);
    assert_running(p.pid);
    prog_kill(&p);
}

Test(attach, condition_nobody_signals_is_a_hang)
{
    struct prog p;
    const char *argv[] = {ATTACH_PROG_CONDHANG, NULL};
    prog_start(&p, argv);
    wait_in_syscall(p.pid, SYS_futex, 2);
    struct e2e_result r;
    attach_run(&r, p.pid, "--error-exitcode=9", NULL);
    cr_assert_eq(r.status, 9, "%s", r.err);
    assert_has(r.out, "== hang: 1 finding ==");
    assert_has(r.out, "all 2 threads of process");
    assert_has(r.out, "in pthread_cond_wait on work_ready");
    assert_has(r.out, "worker (prog_condhang.c:17)");
    e2e_result_free(&r);
    assert_running(p.pid);
    prog_kill(&p);
}

Test(attach, rwlock_writer_holds)
{
    struct prog p;
    const char *argv[] = {ATTACH_PROG_RWLOCK, NULL};
    prog_start(&p, argv);
    wait_in_syscall(p.pid, SYS_read, 1);
    wait_in_syscall(p.pid, SYS_futex, 2); /* the reader and main's join */
    struct e2e_result r;
    attach_run(&r, p.pid, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    assert_has(r.out, "blocked in pthread_rwlock_rdlock on rwlock "
                      "table_rwlock");
    assert_has(r.out, "write-held by T1");
    assert_has(r.out, "blocked in read on fd 0 (pipe:[");
    assert_has(r.out, "reader (prog_rwlock.c:29)");
    assert_has(r.out, "ctrace: 0 findings");
    e2e_result_free(&r);
    /* released: the writer reads its line and lets the reader in */
    cr_assert_eq(write(p.in_fd, "go\n", 3), 3);
    close(p.in_fd);
    p.in_fd = -1;
    cr_assert_str_eq(prog_output(&p), "rwlock done\n");
    cr_assert_eq(prog_wait(&p), 0);
    close(p.out_fd);
}

Test(attach, busy_program_has_no_finding)
{
    struct prog p;
    const char *argv[] = {ATTACH_PROG_BUSY, NULL};
    prog_start(&p, argv);
    wait_in_syscall(p.pid, SYS_read, 1); /* main waits for stdin */
    struct e2e_result r;
    attach_run(&r, p.pid, "--format=json", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    assert_has(r.out, "\"findings\": []");
    cr_assert_eq(report_check("schema", r.out), 0, "%s", r.out);
    e2e_result_free(&r);
    attach_run(&r, p.pid, NULL, NULL);
    assert_has(r.out, ": running");
    assert_has(r.out, "ctrace: 0 findings");
    e2e_result_free(&r);
    close(p.in_fd);
    p.in_fd = -1;
    cr_assert_str_eq(prog_output(&p), "busy done\n");
    cr_assert_eq(prog_wait(&p), 0);
    close(p.out_fd);
}

Test(attach, errors_say_what_failed)
{
    struct e2e_result r;
    /* a pid above pid_max: no such process */
    attach_run(&r, 0x3ffffff0, NULL, NULL);
    cr_assert_eq(r.status, 1);
    assert_has(r.err, "no such process: 1073741808");
    e2e_result_free(&r);
    const char *argv[] = {"ctrace", "attach", "nope", NULL};
    cr_assert_eq(e2e_run(&r, argv), 0);
    cr_assert_eq(r.status, 2);
    assert_has(r.err, "expected a process id");
    e2e_result_free(&r);
}

/* The parent's pid's only child, once there is one. */
static pid_t child_of(pid_t pid)
{
    char path[96], buf[64];
    double end = now_s() + BLOCK_TIMEOUT_S;
    for (;;) {
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid,
                 (int)pid);
        FILE *f = fopen(path, "r");
        cr_assert(f);
        bool got = fgets(buf, sizeof buf, f) != NULL;
        fclose(f);
        if (got && atoi(buf) > 0)
            return (pid_t)atoi(buf);
        cr_assert(now_s() < end, "pid %d never forked", (int)pid);
        usleep(5000);
    }
}

Test(attach, children_parent_waits_for_child_on_pipe)
{
    struct prog p;
    const char *argv[] = {ATTACH_PROG_PIPE_CHILD, NULL};
    prog_start(&p, argv);
    pid_t child = child_of(p.pid);
    wait_in_syscall(p.pid, SYS_wait4, 1);
    wait_in_syscall(child, SYS_read, 1);
    struct e2e_result r;
    attach_run(&r, p.pid, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    assert_has(r.out, "ctrace: 0 findings in 1 process");
    e2e_result_free(&r);
    attach_run(&r, p.pid, "--children", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char want[200];
    snprintf(want, sizeof want, "waits in waitpid for process %d", (int)child);
    assert_has(r.out, "== deadlock: 1 finding ==");
    assert_has(r.out, want);
    snprintf(want, sizeof want, "whose write end process %d holds", (int)p.pid);
    assert_has(r.out, want);
    assert_has(r.out, "child_main (prog_pipe_child.c:26)");
    e2e_result_free(&r);
    attach_run(&r, p.pid, "--children", "--format=json");
    cr_assert_eq(report_check("schema", r.out), 0, "%s", r.out);
    e2e_result_free(&r);
    assert_running(p.pid);
    assert_running(child);
    /* released: the handler writes the line the child waits for */
    cr_assert_eq(kill(p.pid, SIGUSR1), 0);
    close(p.in_fd);
    p.in_fd = -1;
    cr_assert_str_eq(prog_output(&p), "child done 0\n");
    cr_assert_eq(prog_wait(&p), 0);
    close(p.out_fd);
}

/* A fingerprint of pid's untimed futex waits (sum of tid * uaddr), and
 * their number. */
static int untimed_futex_waits(pid_t pid, unsigned long long *print)
{
    char path[300], buf[256];
    int n = 0;
    *print = 0;
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%s/syscall", (int)pid,
                 e->d_name);
        FILE *f = fopen(path, "r");
        unsigned long long a[4];
        long nr;
        if (f && fgets(buf, sizeof buf, f) &&
            sscanf(buf, "%ld %llx %llx %llx %llx", &nr, &a[0], &a[1], &a[2],
                   &a[3]) == 5 &&
            nr == SYS_futex && a[3] == 0) {
            n++;
            *print += a[0] * (unsigned long long)atoi(e->d_name);
        }
        if (f)
            fclose(f);
    }
    closedir(d);
    return n;
}

/* CPython threads pass through short untimed futex waits (a Barrier's
 * Condition) on their way to a deadlock: wait until n untimed waits are
 * the same ones on several polls, the state a deadlock never leaves. */
static void wait_stable_futex(pid_t pid, int n)
{
    double end = now_s() + BLOCK_TIMEOUT_S;
    unsigned long long last = 0, print;
    int same = 0;
    while (same < 5) {
        cr_assert(now_s() < end, "pid %d never settled", (int)pid);
        usleep(20000);
        bool full = untimed_futex_waits(pid, &print) >= n;
        same = full && print == last ? same + 1 : 0;
        last = print;
    }
}

Test(attach, python_abba_between_two_locks)
{
    if (access("/usr/bin/python3", X_OK) != 0)
        cr_skip_test("no /usr/bin/python3");
    struct prog p;
    const char *argv[] = {"/usr/bin/python3", ATTACH_PY_ABBA, NULL};
    prog_start(&p, argv);
    /* both lockers and main's join of the first */
    wait_stable_futex(p.pid, 3);
    struct e2e_result r;
    attach_run(&r, p.pid, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    assert_has(r.out, "== deadlock: 1 finding ==");
    assert_has(r.out, "blocked in Lock.acquire, waiting for threading.Lock");
    assert_has(r.out, "take_a_then_b (");
    assert_has(r.out, "py_abba.py:15)");
    assert_has(r.out, "take_b_then_a (");
    assert_has(r.out, "py_abba.py:22)");
    assert_has(r.out, "blocked in threading.Lock wait (Lock.acquire)");
    assert_has(r.out, "join (threading.py:");
    e2e_result_free(&r);
    assert_running(p.pid);
    cr_assert_eq(threads_in_syscall(p.pid, SYS_futex), 3);
    prog_kill(&p);
}
