/* SIGKILL survival: a program killed from outside mid-run leaves a trace
 * that the reader loads, holding every lock/unlock pair the program
 * reported through its stdout before the kill.  The pairs are read from
 * a pipe as the program writes them, so the kill lands at a point the
 * test knows, not at a time it guesses. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process_test.h"

extern char **environ;

#define SIGKILL_WANT_PAIRS 30000 /* several chunks' worth of records */
#define SIGKILL_POLL_MS (E2E_TIMEOUT_S * 1000)

/* Reads lines from the traced program's stdout. */
struct line_reader {
    int fd;
    char buf[4096];
    size_t len;
};

/* The next complete line (NUL-terminated, in `line`), false at EOF or
 * after the safety-net timeout. */
static bool line_next(struct line_reader *lr, char *line, size_t cap)
{
    for (;;) {
        char *nl = memchr(lr->buf, '\n', lr->len);
        if (nl) {
            size_t n = (size_t)(nl - lr->buf);
            size_t c = n < cap - 1 ? n : cap - 1;
            memcpy(line, lr->buf, c);
            line[c] = '\0';
            memmove(lr->buf, nl + 1, lr->len - n - 1);
            lr->len -= n + 1;
            return true;
        }
        struct pollfd p = {lr->fd, POLLIN, 0};
        if (poll(&p, 1, SIGKILL_POLL_MS) <= 0)
            return false;
        ssize_t got = read(lr->fd, lr->buf + lr->len, sizeof lr->buf - lr->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        lr->len += (size_t)got;
    }
}

static pid_t spawn_ctrace(const char *dir, int out_fd, int pipe_read)
{
    const char *argv[] = {e2e_ctrace(), "run", "--no-report",
                          "-o",         dir,   e2e_sample("c/sigkill_pairs"),
                          NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, pipe_read);
    pid_t pid;
    int rc =
        posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(rc, 0, "cannot start %s: %s", argv[0], strerror(rc));
    return pid;
}

/* Acquisitions and releases of the program's one mutex. */
static void count_pairs(const struct e2e_trace *t, uint32_t pid,
                        size_t *acquired, size_t *released)
{
    *acquired = *released = 0;
    uint64_t lock = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_event *e = &t->ev[i];
        if (e->pid != pid)
            continue;
        if (e->type == TRACE_EV_MUTEX_ACQUIRE) {
            if (!lock)
                lock = e->obj;
            cr_assert_eq(e->obj, lock, "a second mutex in sigkill_pairs");
            (*acquired)++;
        } else if (e->type == TRACE_EV_MUTEX_RELEASE && e->obj == lock) {
            (*released)++;
        }
    }
}

Test(process, sigkill_leaves_every_reported_pair, .timeout = 300)
{
    const char *dir = e2e_trace_dir();
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t ctrace = spawn_ctrace(dir, fds[1], fds[0]);
    close(fds[1]);
    struct line_reader lr = {fds[0], {0}, 0};
    char line[128];
    cr_assert(line_next(&lr, line, sizeof line), "no output from the program");
    long prog = 0, reported = 0;
    cr_assert_eq(sscanf(line, "pid %ld", &prog), 1, "first line: %s", line);
    while (reported < SIGKILL_WANT_PAIRS) {
        if (!line_next(&lr, line, sizeof line)) {
            kill(ctrace, SIGKILL);
            cr_assert_fail("the program stopped reporting at %ld pairs",
                           reported);
        }
        cr_assert_eq(sscanf(line, "pairs %ld", &reported), 1, "line: %s", line);
    }
    cr_assert_eq(kill((pid_t)prog, SIGKILL), 0, "kill %ld: %s", prog,
                 strerror(errno));
    int st = 0;
    cr_assert_eq(waitpid(ctrace, &st, 0), ctrace);
    close(fds[0]);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGKILL,
              "ctrace ended with wait status %#x, not exit 137", st);

    struct e2e_trace t;
    e2e_load_trace(&t, dir);
    const struct trace_process *p = e2e_process(&t, (uint32_t)prog, 0);
    cr_assert_not_null(p, "no trace of pid %ld", prog);
    cr_expect(!p->exited, "a killed process marked exited");
    size_t acquired, released;
    count_pairs(&t, (uint32_t)prog, &acquired, &released);
    cr_expect_geq(acquired, (size_t)reported,
                  "%zu acquisitions in the trace, %ld pairs reported", acquired,
                  reported);
    cr_expect_geq(released, (size_t)reported,
                  "%zu releases in the trace, %ld pairs reported", released,
                  reported);
    cr_log_info("sigkill: %ld pairs reported, %zu/%zu in the trace", reported,
                acquired, released);
    e2e_trace_free(&t);
}
