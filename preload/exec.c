/* Exec and spawn interception: the exec family (execve, execv, execvp,
 * execvpe, execl, execlp, execle, fexecve, execveat) and posix_spawn,
 * posix_spawnp.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h for the rules.  exec often
 * follows fork in a threaded program, where only async-signal-safe
 * calls are allowed: nothing here mallocs (environment copies live in an
 * anonymous mapping, execl's argument lists on the stack or in one).
 *
 * Following the new image.  The environment handed to the new image is a
 * copy of the one the program passes (environ for execv/execvp/execl/
 * execlp), with:
 *   LD_PRELOAD      naming libctrace.so (prepended when the program's
 *                   LD_PRELOAD lacks it, set when it has none);
 *   CTRACE_DIR, CTRACE_OPTIONS  added when missing (the values this
 *                   image started with, the directory made absolute);
 *   CTRACE_EXEC_PID=<our pid>   for exec only: the new image sees its own
 *                   pid there and knows it replaced a traced image
 *                   (init.c); posix_spawn children are new processes, so
 *                   the variable is removed for them.
 * The program's own environ is never modified.  system() and popen() run
 * /bin/sh with environ as it is (libc spawns it internally): the shell is
 * traced as long as the program keeps LD_PRELOAD in environ.
 *
 * Events: exec (payload: the path or file name as passed; for fexecve
 * the descriptor's target) before the call; exec-fail (arg: errno) when
 * it returns.  spawn (payload trace_spawn_info) after posix_spawn*.
 */
#include "process.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern char **environ;

#define PATH_RECORD_MAX 1024  /* recorded prefix of an exec path */
#define EXECL_STACK_ARGS 1024 /* execl* arguments kept on the stack */

static const char ENV_PRELOAD[] = "LD_PRELOAD=";
static const char ENV_DIR[] = TRACE_DIR_ENV "=";
static const char ENV_OPTIONS[] = TRACE_OPTIONS_ENV "=";
static const char ENV_EXEC_PID[] = "CTRACE_EXEC_PID=";

/* ---- what a traced image starts with (read once) ---- */

static struct {
    int ready;                    /* 1 snapshot taken, 2 nothing to add */
    char lib[PATH_MAX];           /* libctrace.so, absolute */
    char lib_as_loaded[PATH_MAX]; /* its name as LD_PRELOAD gave it */
    char lib_dir[PATH_MAX];
    char dir[PATH_MAX]; /* CTRACE_DIR, absolute */
    char options[1024]; /* CTRACE_OPTIONS, or "" */
} snap;

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static bool snapshot_lib(void)
{
    Dl_info info;
    if (!dladdr((void *)shim_init, &info) || !info.dli_fname ||
        !*info.dli_fname)
        return false;
    copy_str(snap.lib_as_loaded, sizeof snap.lib_as_loaded, info.dli_fname);
    if (!realpath(info.dli_fname, snap.lib))
        copy_str(snap.lib, sizeof snap.lib, info.dli_fname);
    copy_str(snap.lib_dir, sizeof snap.lib_dir, snap.lib);
    char *slash = strrchr(snap.lib_dir, '/');
    if (slash)
        *slash = '\0';
    return true;
}

static bool snapshot_dir(void)
{
    const char *dir = getenv(TRACE_DIR_ENV);
    if (!dir || !*dir)
        return false;
    if (dir[0] == '/' || !realpath(dir, snap.dir))
        copy_str(snap.dir, sizeof snap.dir, dir);
    return true;
}

static void snapshot_take(void)
{
    static int claimed;
    if (__atomic_exchange_n(&claimed, 1, __ATOMIC_ACQ_REL))
        return;
    int saved = errno;
    shim_enter();
    /* Not recording (secure-execution mode among the reasons): no
     * CTRACE_* variable is read. */
    bool ok = shim_state == 1 && snapshot_lib() && snapshot_dir();
    const char *opts = ok ? getenv(TRACE_OPTIONS_ENV) : NULL;
    copy_str(snap.options, sizeof snap.options, opts ? opts : "");
    shim_leave();
    errno = saved;
    __atomic_store_n(&snap.ready, ok ? 1 : 2, __ATOMIC_RELEASE);
}

__attribute__((constructor(102))) static void exec_constructor(void)
{
    if (shim_init())
        snapshot_take();
}

static bool snapshot_usable(void)
{
    if (SHIM_UNLIKELY(!__atomic_load_n(&snap.ready, __ATOMIC_ACQUIRE)))
        snapshot_take();
    return __atomic_load_n(&snap.ready, __ATOMIC_ACQUIRE) == 1;
}

const char *shim_lib_dir(void)
{
    return snapshot_usable() ? snap.lib_dir : NULL;
}

/* ---- the environment copy ---- */

static const char *env_find(char *const *envp, const char *prefix)
{
    size_t len = strlen(prefix);
    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], prefix, len) == 0)
            return envp[i] + len;
    return NULL;
}

/* Does an LD_PRELOAD value (colon/space separated) name libctrace.so? */
static bool preload_has_lib(const char *value)
{
    for (const char *p = value; *p;) {
        size_t len = strcspn(p, ": ");
        if ((len == strlen(snap.lib) && strncmp(p, snap.lib, len) == 0) ||
            (len == strlen(snap.lib_as_loaded) &&
             strncmp(p, snap.lib_as_loaded, len) == 0))
            return true;
        p += len;
        p += strspn(p, ": ");
    }
    return false;
}

static char *put(char *at, const char *s)
{
    size_t n = strlen(s);
    memcpy(at, s, n);
    at[n] = '\0';
    return at + n;
}

static char *put_uint(char *at, uint32_t v)
{
    char tmp[12];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *at++ = tmp[--n];
    *at = '\0';
    return at;
}

/* What the copy must change, and how many bytes its new strings take. */
struct env_plan {
    size_t count;        /* entries in the caller's envp */
    const char *preload; /* the caller's LD_PRELOAD value, or NULL */
    bool set_preload, add_dir, add_options;
    size_t bytes;
};

static void env_plan_make(struct env_plan *p, char *const *envp, bool for_exec)
{
    memset(p, 0, sizeof *p);
    while (envp && envp[p->count])
        p->count++;
    p->preload = env_find(envp, ENV_PRELOAD);
    p->set_preload = !p->preload || !preload_has_lib(p->preload);
    p->add_dir = !env_find(envp, ENV_DIR);
    p->add_options = snap.options[0] && !env_find(envp, ENV_OPTIONS);
    if (p->set_preload)
        p->bytes += sizeof ENV_PRELOAD + strlen(snap.lib) + 1 +
                    (p->preload ? strlen(p->preload) : 0);
    if (p->add_dir)
        p->bytes += sizeof ENV_DIR + strlen(snap.dir);
    if (p->add_options)
        p->bytes += sizeof ENV_OPTIONS + strlen(snap.options);
    if (for_exec)
        p->bytes += sizeof ENV_EXEC_PID + 12;
}

/* Fill the new array; `str` is where the new strings go. */
static void env_fill(char **out, char *str, const struct env_plan *p,
                     char *const *envp, bool for_exec)
{
    size_t k = 0;
    for (size_t i = 0; i < p->count; i++) {
        const char *e = envp[i];
        if (strncmp(e, ENV_EXEC_PID, sizeof ENV_EXEC_PID - 1) == 0)
            continue;
        if (p->set_preload &&
            strncmp(e, ENV_PRELOAD, sizeof ENV_PRELOAD - 1) == 0)
            continue;
        out[k++] = (char *)e;
    }
    if (p->set_preload) {
        out[k++] = str;
        str = put(str, ENV_PRELOAD);
        str = put(str, snap.lib);
        if (p->preload && *p->preload) {
            str = put(str, ":");
            str = put(str, p->preload);
        }
        str++;
    }
    if (p->add_dir) {
        out[k++] = str;
        str = put(put(str, ENV_DIR), snap.dir) + 1;
    }
    if (p->add_options) {
        out[k++] = str;
        str = put(put(str, ENV_OPTIONS), snap.options) + 1;
    }
    if (for_exec) {
        out[k++] = str;
        put_uint(put(str, ENV_EXEC_PID), (uint32_t)getpid());
    }
    out[k] = NULL;
}

void shim_env_build(struct shim_env *env, char *const *envp, bool for_exec)
{
    env->envp = (char **)envp;
    env->map = NULL;
    env->size = 0;
    if (!snapshot_usable())
        return;
    struct env_plan plan;
    env_plan_make(&plan, envp, for_exec);
    size_t ptrs = (plan.count + 5) * sizeof(char *);
    size_t size = (ptrs + plan.bytes + 4095) & ~(size_t)4095;
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return;
    env_fill(m, (char *)m + ptrs, &plan, envp, for_exec);
    env->envp = m;
    env->map = m;
    env->size = size;
}

void shim_env_free(struct shim_env *env)
{
    if (env->map)
        munmap(env->map, env->size);
    env->map = NULL;
}

/* ---- exec ---- */

enum exec_kind {
    EXEC_VE,  /* execve(path, argv, envp) */
    EXEC_VPE, /* execvpe(file, argv, envp): PATH search */
    EXEC_FD,  /* fexecve(fd, argv, envp) */
    EXEC_AT   /* execveat(fd, path, argv, envp, flags) */
};

struct exec_call {
    enum exec_kind kind;
    int fd, flags;
    const char *path;
    char *const *argv;
    char *const *envp;
};

static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static int (*real_fexecve)(int, char *const[], char *const[]);
static int (*real_execveat)(int, const char *, char *const[], char *const[],
                            int);

static void *exec_resolve(void **slot, const char *name)
{
    if (SHIM_UNLIKELY(!*slot))
        *slot = shim_dlsym(name, NULL);
    return *slot;
}

static int exec_real(const struct exec_call *c, char *const *envp)
{
    switch (c->kind) {
    case EXEC_VPE:
        exec_resolve((void **)&real_execvpe, "execvpe");
        return real_execvpe(c->path, c->argv, envp);
    case EXEC_FD:
        exec_resolve((void **)&real_fexecve, "fexecve");
        return real_fexecve(c->fd, c->argv, envp);
    case EXEC_AT:
        exec_resolve((void **)&real_execveat, "execveat");
        return real_execveat(c->fd, c->path, c->argv, envp, c->flags);
    case EXEC_VE:
    default:
        exec_resolve((void **)&real_execve, "execve");
        return real_execve(c->path, c->argv, envp);
    }
}

/* The exec payload: the path as passed, or what a descriptor names. */
static uint32_t exec_path(const struct exec_call *c, char *buf, size_t cap)
{
    const char *p = c->path;
    if (c->kind == EXEC_FD || (c->kind == EXEC_AT && p && !*p)) {
        char link[32] = "/proc/self/fd/";
        char *end = put_uint(link + strlen(link), (uint32_t)c->fd);
        (void)end;
        ssize_t n = readlink(link, buf, cap - 1);
        buf[n > 0 ? n : 0] = '\0';
        return (uint32_t)(n > 0 ? n : 0) + 1;
    }
    copy_str(buf, cap, p ? p : "");
    return (uint32_t)strlen(buf) + 1;
}

static int exec_do(const struct exec_call *c, uint64_t site)
{
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return exec_real(c, c->envp);
    int saved = errno;
    char path[PATH_RECORD_MAX];
    uint32_t len = exec_path(c, path, sizeof path);
    shim_event_payload(w, TRACE_EV_EXEC, NULL, site, path, len);
    struct shim_env env;
    shim_env_build(&env, c->envp, true);
    errno = saved;
    int rc = exec_real(c, env.envp);
    saved = errno;
    shim_env_free(&env);
    if ((w = shim_writer()) != NULL)
        shim_event(w, TRACE_EV_EXEC_FAIL, NULL, site, (uint32_t)saved);
    errno = saved;
    return rc;
}

SHIM_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    const struct exec_call c = {EXEC_VE, -1, 0, path, argv, envp};
    return exec_do(&c, SHIM_SITE);
}

SHIM_EXPORT int execv(const char *path, char *const argv[])
{
    const struct exec_call c = {EXEC_VE, -1, 0, path, argv, environ};
    return exec_do(&c, SHIM_SITE);
}

SHIM_EXPORT int execvp(const char *file, char *const argv[])
{
    const struct exec_call c = {EXEC_VPE, -1, 0, file, argv, environ};
    return exec_do(&c, SHIM_SITE);
}

SHIM_EXPORT int execvpe(const char *file, char *const argv[],
                        char *const envp[])
{
    const struct exec_call c = {EXEC_VPE, -1, 0, file, argv, envp};
    return exec_do(&c, SHIM_SITE);
}

SHIM_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    const struct exec_call c = {EXEC_FD, fd, 0, NULL, argv, envp};
    return exec_do(&c, SHIM_SITE);
}

SHIM_EXPORT int execveat(int dirfd, const char *path, char *const argv[],
                         char *const envp[], int flags)
{
    const struct exec_call c = {EXEC_AT, dirfd, flags, path, argv, envp};
    return exec_do(&c, SHIM_SITE);
}

/* execl*: the arguments become an argv on the stack (a mapping past
 * EXECL_STACK_ARGS), then the call goes the execve/execvpe way.
 * `with_envp`: execle, whose envp follows the terminating NULL. */
static int execl_do(enum exec_kind kind, const char *path, const char *arg0,
                    va_list ap, bool with_envp, uint64_t site)
{
    va_list count_ap;
    va_copy(count_ap, ap);
    size_t argc = 1;
    while (arg0 && va_arg(count_ap, const char *))
        argc++;
    va_end(count_ap);
    char *stack_argv[EXECL_STACK_ARGS];
    char **argv = stack_argv;
    size_t map_size = 0;
    if (argc + 1 > EXECL_STACK_ARGS) {
        map_size = ((argc + 1) * sizeof(char *) + 4095) & ~(size_t)4095;
        void *m = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            errno = E2BIG;
            return -1;
        }
        argv = m;
    }
    argv[0] = (char *)arg0;
    for (size_t i = 1; arg0 && i < argc; i++)
        argv[i] = va_arg(ap, char *);
    argv[arg0 ? argc : 0] = NULL;
    if (arg0)
        (void)va_arg(ap, char *); /* the terminating NULL */
    char *const *envp = with_envp ? va_arg(ap, char *const *) : environ;
    const struct exec_call c = {kind, -1, 0, path, argv, envp};
    int rc = exec_do(&c, site);
    if (map_size) {
        int saved = errno;
        munmap(argv, map_size);
        errno = saved;
    }
    return rc;
}

SHIM_EXPORT int execl(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int rc = execl_do(EXEC_VE, path, arg, ap, false, SHIM_SITE);
    va_end(ap);
    return rc;
}

SHIM_EXPORT int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int rc = execl_do(EXEC_VPE, file, arg, ap, false, SHIM_SITE);
    va_end(ap);
    return rc;
}

SHIM_EXPORT int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int rc = execl_do(EXEC_VE, path, arg, ap, true, SHIM_SITE);
    va_end(ap);
    return rc;
}

/* ---- posix_spawn ---- */

typedef int (*spawn_fn)(pid_t *, const char *,
                        const posix_spawn_file_actions_t *,
                        const posix_spawnattr_t *, char *const[],
                        char *const[]);

static int spawn_do(spawn_fn real, pid_t *pid, const char *path,
                    const posix_spawn_file_actions_t *fa,
                    const posix_spawnattr_t *attr, char *const argv[],
                    char *const envp[], uint64_t site)
{
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return real(pid, path, fa, attr, argv, envp);
    int saved = errno;
    struct shim_env env;
    shim_env_build(&env, envp, false);
    errno = saved;
    pid_t child = 0;
    int rc = real(&child, path, fa, attr, argv, env.envp);
    saved = errno;
    shim_env_free(&env);
    if (rc == 0 && pid)
        *pid = child;
    struct {
        struct trace_spawn_info info;
        char path[PATH_RECORD_MAX];
    } p;
    p.info.child_pid = rc == 0 ? (uint32_t)child : 0;
    p.info.result = (uint32_t)rc;
    copy_str(p.path, sizeof p.path, path ? path : "");
    if ((w = shim_writer()) != NULL)
        shim_event_payload(w, TRACE_EV_SPAWN, NULL, site, &p,
                           (uint32_t)(sizeof p.info + strlen(p.path) + 1));
    errno = saved;
    return rc;
}

SHIM_EXPORT int posix_spawn(pid_t *pid, const char *path,
                            const posix_spawn_file_actions_t *fa,
                            const posix_spawnattr_t *attr, char *const argv[],
                            char *const envp[])
{
    SHIM_REAL(posix_spawn);
    return spawn_do(real, pid, path, fa, attr, argv, envp, SHIM_SITE);
}

SHIM_EXPORT int posix_spawnp(pid_t *pid, const char *file,
                             const posix_spawn_file_actions_t *fa,
                             const posix_spawnattr_t *attr, char *const argv[],
                             char *const envp[])
{
    SHIM_REAL(posix_spawnp);
    return spawn_do(real, pid, file, fa, attr, argv, envp, SHIM_SITE);
}
