/* End-to-end test helpers (see e2e.h): spawning with a safety-net
 * timeout, output capture through temporary files, and loading a trace
 * through the reader into memory. */
#include "e2e.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Strings handed out for the rest of the test stay reachable from here,
 * so LeakSanitizer does not count them as leaks. */
static char *kept[256];
static size_t nkept;

static char *keep(char *s)
{
    if (nkept < sizeof kept / sizeof kept[0])
        kept[nkept++] = s;
    return s;
}

static char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return strdup(v && *v ? v : fallback);
}

const char *e2e_ctrace(void)
{
    static char *bin;
    if (!bin)
        bin = env_or("CTRACE_BIN", "ctrace");
    return bin;
}

const char *e2e_sample(const char *name)
{
    char *root = env_or("CTRACE_SAMPLES", "samples");
    char *path = NULL;
    if (asprintf(&path, "%s/%s", root, name) < 0)
        abort();
    free(root);
    return keep(path);
}

const char *e2e_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *tmpl = NULL;
    if (asprintf(&tmpl, "%s/ctrace-test-XXXXXX",
                 base && *base ? base : "/tmp") < 0)
        abort();
    cr_assert_not_null(mkdtemp(tmpl), "mkdtemp: %s", strerror(errno));
    return keep(tmpl);
}

const char *e2e_trace_dir(void)
{
    char *dir = NULL;
    if (asprintf(&dir, "%s/ctrace.data", e2e_tmpdir()) < 0)
        abort();
    return keep(dir);
}

static char *slurp_fd(int fd, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    lseek(fd, 0, SEEK_SET);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int temp_fd(void)
{
    char tmpl[] = "/tmp/ctrace-io-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd >= 0)
        unlink(tmpl);
    return fd;
}

static char **merged_env(const char *const extra[])
{
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    while (extra && extra[k])
        k++;
    char **env = calloc(n + k + 1, sizeof *env);
    size_t out = 0;
    for (size_t i = 0; i < k; i++)
        env[out++] = (char *)extra[i];
    for (size_t i = 0; i < n; i++) {
        bool overridden = false;
        for (size_t j = 0; j < k; j++) {
            size_t len = strcspn(extra[j], "=");
            if (strncmp(environ[i], extra[j], len) == 0 &&
                environ[i][len] == '=')
                overridden = true;
        }
        if (!overridden)
            env[out++] = environ[i];
    }
    return env;
}

static int wait_with_timeout(pid_t pid, int timeout_s, bool *timed_out)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int st = 0;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            return -1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= timeout_s && !*timed_out) {
            *timed_out = true;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
        }
        struct timespec nap = {0, 2 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int e2e_run_env(struct e2e_result *res, const char *const argv[],
                const char *const env[], const char *input, int timeout_s)
{
    memset(res, 0, sizeof *res);
    int out = temp_fd(), err = temp_fd(), in = temp_fd();
    if (out < 0 || err < 0 || in < 0)
        return -1;
    if (input && write(in, input, strlen(input)) < 0)
        return -1;
    lseek(in, 0, SEEK_SET);

    const char *prog = strcmp(argv[0], "ctrace") == 0 ? e2e_ctrace() : argv[0];
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in, 0);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, err, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    char **envp = merged_env(env);
    pid_t pid;
    int rc = posix_spawnp(&pid, prog, &fa, &attr, (char *const *)argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    free(envp);
    close(in);
    if (rc != 0) {
        close(out);
        close(err);
        errno = rc;
        return -1;
    }
    res->status = wait_with_timeout(pid, timeout_s, &res->timed_out);
    res->out = slurp_fd(out, &res->out_len);
    res->err = slurp_fd(err, &res->err_len);
    close(out);
    close(err);
    return 0;
}

int e2e_run(struct e2e_result *res, const char *const argv[])
{
    return e2e_run_env(res, argv, NULL, NULL, E2E_TIMEOUT_S);
}

void e2e_result_free(struct e2e_result *res)
{
    free(res->out);
    free(res->err);
    memset(res, 0, sizeof *res);
}

static char *strdup_or_empty(const char *s) { return strdup(s ? s : ""); }

void e2e_load_trace(struct e2e_trace *t, const char *dir)
{
    memset(t, 0, sizeof *t);
    struct trace_error err = {{0}};
    struct trace_reader *r = trace_reader_open(dir, &err);
    cr_assert_not_null(r, "cannot open trace %s: %s", dir, err.msg);
    size_t cap = 1024;
    t->ev = malloc(cap * sizeof *t->ev);
    struct trace_event ev;
    int rc;
    while ((rc = trace_reader_next(r, &ev, &err)) != 0) {
        cr_assert_eq(rc, 1, "reading trace %s: %s", dir, err.msg);
        if (t->n == cap) {
            cap *= 2;
            t->ev = realloc(t->ev, cap * sizeof *t->ev);
        }
        if (ev.payload_len) {
            void *copy = malloc(ev.payload_len);
            memcpy(copy, ev.payload, ev.payload_len);
            ev.payload = copy;
        }
        if (ev.site_depth) {
            uint64_t *copy = malloc(ev.site_depth * sizeof *copy);
            memcpy(copy, ev.site_stack, ev.site_depth * sizeof *copy);
            ev.site_stack = copy;
        }
        t->ev[t->n++] = ev;
    }
    t->nprocs = trace_reader_process_count(r);
    t->procs = calloc(t->nprocs + 1, sizeof *t->procs);
    for (size_t i = 0; i < t->nprocs; i++) {
        t->procs[i] = *trace_reader_process(r, i);
        t->procs[i].exe = strdup_or_empty(t->procs[i].exe);
        t->procs[i].cmdline = strdup_or_empty(t->procs[i].cmdline);
        t->procs[i].path = strdup_or_empty(t->procs[i].path);
    }
    t->nthreads = trace_reader_thread_count(r);
    t->threads = calloc(t->nthreads + 1, sizeof *t->threads);
    for (size_t i = 0; i < t->nthreads; i++)
        t->threads[i] = *trace_reader_thread(r, i);
    t->lost = trace_reader_lost_events(r);
    trace_reader_close(r);
}

void e2e_trace_free(struct e2e_trace *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free((void *)t->ev[i].payload);
        free((void *)t->ev[i].site_stack);
    }
    for (size_t i = 0; i < t->nprocs; i++) {
        free((void *)t->procs[i].exe);
        free((void *)t->procs[i].cmdline);
        free((void *)t->procs[i].path);
    }
    free(t->ev);
    free(t->procs);
    free(t->threads);
    memset(t, 0, sizeof *t);
}

size_t e2e_count(const struct e2e_trace *t, uint32_t type, uint32_t pid)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += t->ev[i].type == type && (pid == 0 || t->ev[i].pid == pid);
    return n;
}

size_t e2e_count_obj(const struct e2e_trace *t, uint32_t type, uint64_t obj)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += t->ev[i].type == type && t->ev[i].obj == obj;
    return n;
}

long e2e_find(const struct e2e_trace *t, uint32_t type, size_t nth)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->ev[i].type == type && nth-- == 0)
            return (long)i;
    return -1;
}

const struct trace_process *e2e_process(const struct e2e_trace *t, uint32_t pid,
                                        uint32_t image)
{
    for (size_t i = 0; i < t->nprocs; i++)
        if (t->procs[i].pid == pid && t->procs[i].image == image)
            return &t->procs[i];
    return NULL;
}

size_t e2e_thread_events(const struct e2e_trace *t, uint32_t thread,
                         size_t *idx, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->ev[i].thread != thread)
            continue;
        if (n < cap)
            idx[n] = i;
        n++;
    }
    return n;
}
