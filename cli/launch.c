/* Launching a traced program (see launch.h).
 *
 * The checks mirror what the kernel and the dynamic loader will do, so that
 * ctrace can refuse, with the reason, a program it could not trace instead
 * of running it untraced and reporting nothing:
 *  - PATH lookup as execvp does it (a found but non-executable file gives
 *    126, nothing found 127);
 *  - #! scripts: the kernel runs the interpreter (up to 4 levels), so the
 *    interpreter is what must accept LD_PRELOAD;
 *  - ELF: a PT_INTERP header means the dynamic loader runs and reads
 *    LD_PRELOAD; without one (static, static-pie) nothing does;
 *  - secure mode (AT_SECURE), in which the loader ignores LD_PRELOAD
 *    paths: the kernel sets it when the new effective uid differs from
 *    the real uid (setuid to another user), the same for gid, or when
 *    file capabilities apply to a non-root caller.  So a setuid-root
 *    binary run by root is fine, a setuid-nobody one run by root is not.
 */
#include "launch.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

extern char **environ;

/* The kernel follows at most this many #! levels (BINPRM_MAX_RECURSION). */
#define LAUNCH_MAX_SCRIPT_DEPTH 4

/* glibc's execvp search path when PATH is unset. */
#define LAUNCH_DEFAULT_PATH "/bin:/usr/bin"

/* What an executable file is, as far as preloading goes. */
enum exe_kind {
    EXE_DYNAMIC,     /* ELF with PT_INTERP */
    EXE_STATIC,      /* ELF without PT_INTERP */
    EXE_FOREIGN_ELF, /* ELF of another class or machine than ours */
    EXE_SCRIPT,      /* #!interpreter */
    EXE_OTHER,       /* none of these: execvp hands it to /bin/sh */
    EXE_UNREADABLE,  /* execute-only: cannot look inside */
};

struct exe_info {
    enum exe_kind kind;
    char interp[PATH_MAX]; /* EXE_SCRIPT */
};

/* ---- looking inside a file ---------------------------------------- */

static bool elf_has_interp(int fd, const Elf64_Ehdr *eh)
{
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return false;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        off_t off = (off_t)(eh->e_phoff + (uint64_t)i * sizeof ph);
        if (pread(fd, &ph, sizeof ph, off) != (ssize_t)sizeof ph)
            return false;
        if (ph.p_type == PT_INTERP)
            return true;
    }
    return false;
}

/* Our own ELF identity, to compare a target's with. */
static void elf_self_ident(unsigned char *class, uint16_t *machine)
{
    static unsigned char self_class;
    static uint16_t self_machine;
    if (!self_class) {
        Elf64_Ehdr eh;
        int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh) {
            self_class = eh.e_ident[EI_CLASS];
            self_machine = eh.e_machine;
        }
        if (fd >= 0)
            close(fd);
    }
    *class = self_class;
    *machine = self_machine;
}

static enum exe_kind elf_kind(int fd, const unsigned char *buf, size_t len)
{
    Elf64_Ehdr eh;
    unsigned char class;
    uint16_t machine;
    elf_self_ident(&class, &machine);
    if (len < EI_NIDENT || buf[EI_CLASS] != class || class != ELFCLASS64)
        return EXE_FOREIGN_ELF;
    if (len < sizeof eh)
        return EXE_STATIC; /* truncated: the kernel will refuse it */
    memcpy(&eh, buf, sizeof eh);
    if (eh.e_machine != machine)
        return EXE_FOREIGN_ELF;
    return elf_has_interp(fd, &eh) ? EXE_DYNAMIC : EXE_STATIC;
}

/* "#! /usr/bin/env python3" -> "/usr/bin/env", as the kernel reads it. */
static enum exe_kind script_interp(const unsigned char *buf, size_t len,
                                   char *interp, size_t size)
{
    size_t i = 2;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    size_t start = i;
    while (i < len && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' &&
           buf[i] != '\0')
        i++;
    if (i == start || i - start >= size)
        return EXE_OTHER;
    memcpy(interp, buf + start, i - start);
    interp[i - start] = '\0';
    return EXE_SCRIPT;
}

static void exe_inspect(const char *path, struct exe_info *info)
{
    unsigned char buf[256]; /* the kernel's BINPRM_BUF_SIZE */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t len = fd >= 0 ? pread(fd, buf, sizeof buf, 0) : -1;
    if (len < 0)
        info->kind = EXE_UNREADABLE;
    else if (len >= 4 && memcmp(buf, ELFMAG, SELFMAG) == 0)
        info->kind = elf_kind(fd, buf, (size_t)len);
    else if (len >= 2 && buf[0] == '#' && buf[1] == '!')
        info->kind =
            script_interp(buf, (size_t)len, info->interp, sizeof info->interp);
    else
        info->kind = EXE_OTHER;
    if (fd >= 0)
        close(fd);
}

/* ---- secure mode --------------------------------------------------- */

/* Why the loader would run `path` in secure mode, or NULL. */
static const char *secure_reason(const char *path, const struct stat *st)
{
    struct statvfs vfs;
    bool nosuid = statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_NOSUID);
    bool setuid = !nosuid && (st->st_mode & S_ISUID);
    /* setgid without group execute is mandatory locking, not setgid. */
    bool setgid = !nosuid && (st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP);
    uid_t new_euid = setuid ? st->st_uid : geteuid();
    gid_t new_egid = setgid ? st->st_gid : getegid();
    if (new_euid != getuid())
        return setuid ? "setuid binaries ignore LD_PRELOAD"
                      : "ctrace runs with an effective uid other than its "
                        "real one, and then the loader ignores LD_PRELOAD";
    if (new_egid != getgid())
        return setgid ? "setgid binaries ignore LD_PRELOAD"
                      : "ctrace runs with an effective gid other than its "
                        "real one, and then the loader ignores LD_PRELOAD";
    if (!nosuid && getuid() != 0 &&
        getxattr(path, "security.capability", NULL, 0) > 0)
        return "binaries with file capabilities ignore LD_PRELOAD";
    return NULL;
}

/* ---- checks -------------------------------------------------------- */

/* How the file is named in messages: "X", or "Y (the interpreter of X)". */
static void check_name(char *buf, size_t size, const char *path,
                       const char *script)
{
    if (script)
        snprintf(buf, size, "%s (the interpreter of %s)", path, script);
    else
        snprintf(buf, size, "%s", path);
}

/* Can the kernel execute `path`?  0 or an exit status. */
static int check_executable(const char *path, const char *name, struct stat *st)
{
    if (stat(path, st) != 0) {
        int e = errno;
        fprintf(stderr, "ctrace: cannot run %s: %s\n", name, strerror(e));
        return e == ENOENT || e == ENOTDIR ? LAUNCH_EXIT_NOT_FOUND
                                           : LAUNCH_EXIT_CANNOT_RUN;
    }
    const char *why = NULL;
    if (S_ISDIR(st->st_mode))
        why = "it is a directory";
    else if (!S_ISREG(st->st_mode))
        why = "it is not a regular file";
    else if (access(path, X_OK) != 0)
        why = "it is not executable (no permission to execute it)";
    if (why) {
        fprintf(stderr, "ctrace: cannot run %s: %s\n", name, why);
        return LAUNCH_EXIT_CANNOT_RUN;
    }
    return 0;
}

static int check_file(const char *path, const char *script, int depth,
                      struct launch_target *t);

/* The file is executable: will libctrace.so be preloaded into it? */
static int check_preloadable(const char *path, const char *name,
                             const struct stat *st, int depth,
                             struct launch_target *t)
{
    struct exe_info info;
    exe_inspect(path, &info);
    /* The kernel ignores setuid bits on scripts: only the interpreter's
     * count. */
    const char *why = info.kind == EXE_SCRIPT ? NULL : secure_reason(path, st);
    if (why) {
        fprintf(stderr,
                "ctrace: cannot preload into %s: %s; run it as a normal "
                "binary\n",
                name, why);
        return LAUNCH_EXIT_CANNOT_RUN;
    }
    switch (info.kind) {
    case EXE_STATIC:
        fprintf(stderr,
                "ctrace: cannot trace %s: it is statically linked, so "
                "LD_PRELOAD cannot work; link it dynamically\n",
                name);
        return LAUNCH_EXIT_CANNOT_RUN;
    case EXE_FOREIGN_ELF:
        fprintf(stderr,
                "ctrace: cannot trace %s: it is built for another "
                "architecture or word size than ctrace, so libctrace.so "
                "cannot be loaded into it\n",
                name);
        return LAUNCH_EXIT_CANNOT_RUN;
    case EXE_SCRIPT:
        if (depth >= LAUNCH_MAX_SCRIPT_DEPTH) {
            fprintf(stderr,
                    "ctrace: cannot run %s: too many levels of #! "
                    "interpreters\n",
                    name);
            return LAUNCH_EXIT_CANNOT_RUN;
        }
        return check_file(info.interp, path, depth + 1, t);
    case EXE_OTHER:
        /* execvp runs such a file with /bin/sh; so do we. */
        if (depth > 0) {
            fprintf(stderr, "ctrace: cannot run %s: Exec format error\n", name);
            return LAUNCH_EXIT_CANNOT_RUN;
        }
        t->sh_fallback = true;
        return check_file("/bin/sh", path, depth + 1, t);
    case EXE_DYNAMIC:
    case EXE_UNREADABLE:
        break;
    }
    return 0;
}

/* Check a file the kernel would execute; `script` is set when `path` is
 * the interpreter of that script. */
static int check_file(const char *path, const char *script, int depth,
                      struct launch_target *t)
{
    char name[2 * PATH_MAX + 64];
    struct stat st;
    check_name(name, sizeof name, path, script);
    int rc = check_executable(path, name, &st);
    return rc ? rc : check_preloadable(path, name, &st, depth, t);
}

/* ---- PATH lookup --------------------------------------------------- */

static bool path_is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           access(path, X_OK) == 0;
}

static bool path_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Search PATH like execvp: the first executable regular file wins; if
 * there is none, the first non-executable one is kept (to say "not
 * executable" rather than "not found").  Returns 0 when `out` is set. */
static int path_search(const char *name, char *out, size_t size)
{
    const char *path = getenv("PATH");
    if (!path)
        path = LAUNCH_DEFAULT_PATH;
    bool have_fallback = false;
    while (true) {
        size_t len = strcspn(path, ":");
        char cand[PATH_MAX];
        /* An empty PATH entry means the current directory. */
        int n =
            len ? snprintf(cand, sizeof cand, "%.*s/%s", (int)len, path, name)
                : snprintf(cand, sizeof cand, "./%s", name);
        if (n > 0 && (size_t)n < sizeof cand) {
            if (path_is_executable_file(cand)) {
                snprintf(out, size, "%s", cand);
                return 0;
            }
            if (!have_fallback && path_is_file(cand)) {
                snprintf(out, size, "%s", cand);
                have_fallback = true;
            }
        }
        if (path[len] == '\0')
            break;
        path += len + 1;
    }
    return have_fallback ? 0 : -1;
}

int launch_resolve(const char *name, struct launch_target *t)
{
    memset(t, 0, sizeof *t);
    if (*name == '\0') {
        fprintf(stderr, "ctrace: cannot run '': empty program name\n");
        return LAUNCH_EXIT_NOT_FOUND;
    }
    if (strchr(name, '/')) {
        if (strlen(name) >= sizeof t->path) {
            fprintf(stderr, "ctrace: cannot run %s: path too long\n", name);
            return LAUNCH_EXIT_NOT_FOUND;
        }
        snprintf(t->path, sizeof t->path, "%s", name);
    } else if (path_search(name, t->path, sizeof t->path) != 0) {
        fprintf(stderr, "ctrace: cannot run %s: command not found in PATH\n",
                name);
        return LAUNCH_EXIT_NOT_FOUND;
    }
    return check_file(t->path, NULL, 0, t);
}

/* ---- libctrace.so -------------------------------------------------- */

#ifndef CTRACE_BIN_TO_SHIM
#define CTRACE_BIN_TO_SHIM "../lib/ctrace"
#endif
#define SHIM_NAME "libctrace.so"

/* LD_PRELOAD splits on spaces and colons: such a path cannot be used. */
static bool shim_path_ok(const char *path)
{
    return strpbrk(path, " :\t\n") == NULL;
}

static int shim_accept(const char *cand, char *buf, size_t size)
{
    char real[PATH_MAX];
    if (access(cand, R_OK) != 0 || !realpath(cand, real))
        return -1;
    if (!shim_path_ok(real)) {
        fprintf(stderr,
                "ctrace: cannot preload %s: LD_PRELOAD cannot hold a path "
                "with spaces or colons; install ctrace elsewhere\n",
                real);
        return -2;
    }
    snprintf(buf, size, "%s", real);
    return 0;
}

/* A symbol that only libctrace.so exports (preload/pyhook.c): its name
 * in the dynamic string table tells the shim from any other library. */
#define SHIM_MARK_SYMBOL "ctrace_record_exception"

/* Whether the ELF file at `path` is a ctrace shim.  Checked before the
 * program runs: preloading something else would trace nothing, and the
 * report would then say "0 findings" about a program never watched. */
static bool shim_is_ctrace(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return false;
    bool ok = false;
    if (fstat(fd, &st) == 0 && st.st_size > (off_t)sizeof(Elf64_Ehdr)) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            static const char mark[] = "\0" SHIM_MARK_SYMBOL;
            ok = memcmp(m, ELFMAG, SELFMAG) == 0 &&
                 memmem(m, (size_t)st.st_size, mark, sizeof mark) != NULL;
            munmap(m, (size_t)st.st_size);
        }
    }
    close(fd);
    return ok;
}

int launch_find_shim(char *buf, size_t size)
{
    const char *env = getenv("CTRACE_LIB");
    if (env && *env) {
        int rc = shim_accept(env, buf, size);
        if (rc == -1)
            fprintf(stderr, "ctrace: CTRACE_LIB=%s: %s\n", env,
                    strerror(errno));
        if (rc == 0 && !shim_is_ctrace(buf)) {
            fprintf(stderr,
                    "ctrace: CTRACE_LIB=%s is not libctrace.so (it does not "
                    "define %s); unset CTRACE_LIB or point it at ctrace's "
                    "libctrace.so\n",
                    env, SHIM_MARK_SYMBOL);
            return -1;
        }
        return rc == 0 ? 0 : -1;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "ctrace: cannot find itself (/proc/self/exe): %s\n",
                strerror(errno));
        return -1;
    }
    self[n] = '\0';
    *strrchr(self, '/') = '\0';
    /* Installed layout first, then the build tree (build/cli/ctrace next to
     * build/preload/libctrace.so). */
    const char *const rel[] = {CTRACE_BIN_TO_SHIM, "../preload"};
    char tried[2][PATH_MAX + 64];
    for (size_t i = 0; i < 2; i++) {
        /* An absolute CTRACE_BIN_TO_SHIM: libdir is not under prefix. */
        snprintf(tried[i], sizeof tried[i], "%s%s%s/%s",
                 rel[i][0] == '/' ? "" : self, rel[i][0] == '/' ? "" : "/",
                 rel[i], SHIM_NAME);
        int rc = shim_accept(tried[i], buf, size);
        if (rc != -1)
            return rc;
    }
    fprintf(stderr,
            "ctrace: cannot find %s (looked for %s and %s); reinstall "
            "ctrace or set CTRACE_LIB\n",
            SHIM_NAME, tried[0], tried[1]);
    return -1;
}

/* true for an LD_PRELOAD entry that is some libctrace.so. */
static bool shim_entry(const char *entry, size_t len)
{
    size_t n = sizeof SHIM_NAME - 1;
    return len >= n && memcmp(entry + len - n, SHIM_NAME, n) == 0 &&
           (len == n || entry[len - n - 1] == '/');
}

/* LD_PRELOAD for the program: our shim first, then the entries it had,
 * less any other libctrace.so (ctrace run from inside a traced program
 * must not load two shims). */
static char *shim_preload_list(const char *shim, const char *old)
{
    char *list = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&list, &size);
    if (!f)
        return NULL;
    fputs(shim, f);
    while (old && *old) {
        size_t len = strcspn(old, " :");
        if (len && !shim_entry(old, len))
            fprintf(f, ":%.*s", (int)len, old);
        old += len + (old[len] != '\0');
    }
    fclose(f);
    return list;
}

/* ---- Python's startup module (python/ctrace_site, docs/python.md) ---- */

#ifndef CTRACE_BIN_TO_PYSITE
#define CTRACE_BIN_TO_PYSITE "../share/ctrace/python/ctrace_site"
#endif

/* The ctrace_site directory: installed layout first, then the build tree
 * (build/cli/ctrace next to build/python/ctrace_site); CTRACE_PYTHON_SITE
 * overrides.  false when there is none (Python runs without it). */
static bool pysite_accept(const char *dir, char *buf, size_t size)
{
    char cand[PATH_MAX + 32], real[PATH_MAX];
    snprintf(cand, sizeof cand, "%s/sitecustomize.py", dir);
    if (access(cand, R_OK) != 0 || !realpath(cand, real))
        return false;
    *strrchr(real, '/') = '\0';
    snprintf(buf, size, "%s", real);
    return true;
}

static bool pysite_find(char *buf, size_t size)
{
    const char *env = getenv("CTRACE_PYTHON_SITE");
    if (env && *env)
        return pysite_accept(env, buf, size);
    char self[PATH_MAX], cand[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return false;
    self[n] = '\0';
    *strrchr(self, '/') = '\0';
    const char *const rel[] = {CTRACE_BIN_TO_PYSITE, "../python/ctrace_site"};
    for (size_t i = 0; i < 2; i++) {
        if (rel[i][0] == '/')
            snprintf(cand, sizeof cand, "%s", rel[i]);
        else
            snprintf(cand, sizeof cand, "%s/%s", self, rel[i]);
        if (pysite_accept(cand, buf, size))
            return true;
    }
    return false;
}

/* PYTHONPATH with the ctrace_site directory first (once), so that every
 * Python process of the run imports ctrace's sitecustomize, which chains
 * to the one it hides. */
static int launch_python_env(void)
{
    char site[PATH_MAX];
    if (!pysite_find(site, sizeof site))
        return 0;
    const char *old = getenv("PYTHONPATH");
    char *list = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&list, &size);
    if (!f)
        return -1;
    fputs(site, f);
    size_t sl = strlen(site);
    while (old && *old) {
        size_t len = strcspn(old, ":");
        if (!(len == sl && memcmp(old, site, sl) == 0))
            fprintf(f, ":%.*s", (int)len, old);
        old += len + (old[len] != '\0');
    }
    fclose(f);
    int rc = setenv("PYTHONPATH", list, 1);
    free(list);
    return rc;
}

int launch_setup_env(const char *trace_dir, const char *shim,
                     const char *shim_options)
{
    char *preload = shim_preload_list(shim, getenv("LD_PRELOAD"));
    if (!preload)
        return -1;
    int rc = setenv("LD_PRELOAD", preload, 1);
    free(preload);
    rc |= setenv("CTRACE_DIR", trace_dir, 1);
    rc |= launch_python_env();
    if (shim_options && *shim_options)
        rc |= setenv("CTRACE_OPTIONS", shim_options, 1);
    else
        rc |= unsetenv("CTRACE_OPTIONS");
    return rc ? -1 : 0;
}

/* ---- running ------------------------------------------------------- */

static const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define N_FORWARDED (sizeof forwarded_signals / sizeof forwarded_signals[0])

static volatile pid_t launch_child;
static struct sigaction saved_actions[N_FORWARDED];

/* A signal for ctrace while the program runs.  One the terminal sent
 * (si_code SI_KERNEL) went to the whole foreground process group, the
 * program included: forwarding it would deliver it twice.  One another
 * process sent to ctrace alone (kill, timeout, a supervisor) is passed
 * on.  Either way ctrace stays alive to reap the program and report. */
static void launch_forward(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    int saved = errno;
    if (info->si_code != SI_KERNEL && launch_child > 0)
        kill(launch_child, sig);
    errno = saved;
}

/* A signal ctrace was started with ignored stays ignored, for ctrace and
 * (exec keeps SIG_IGN) for the program, as without ctrace.  The others
 * get the forwarding handler; exec resets them to the default in the
 * program. */
static void launch_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = launch_forward;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_FORWARDED; i++) {
        sigaction(forwarded_signals[i], NULL, &saved_actions[i]);
        if (saved_actions[i].sa_handler != SIG_IGN)
            sigaction(forwarded_signals[i], &sa, NULL);
    }
}

static void launch_signals_restore(void)
{
    for (size_t i = 0; i < N_FORWARDED; i++)
        sigaction(forwarded_signals[i], &saved_actions[i], NULL);
}

static void launch_signal_set(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < N_FORWARDED; i++)
        sigaddset(set, forwarded_signals[i]);
}

/* argv for the execvp-style /bin/sh fallback: sh PATH ARGS... */
static char **launch_sh_argv(const char *path, char *const argv[])
{
    size_t n = 0;
    while (argv[n])
        n++;
    char **sh = calloc(n + 2, sizeof *sh);
    if (!sh)
        return NULL;
    sh[0] = (char *)"/bin/sh";
    sh[1] = (char *)path;
    for (size_t i = 1; i < n; i++)
        sh[i + 1] = argv[i];
    return sh;
}

static int launch_posix_spawn(const struct launch_target *t, char *const argv[],
                              const sigset_t *mask, pid_t *pid)
{
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    /* The program gets the signal mask ctrace got, not the one blocking
     * the forwarded signals during the spawn. */
    posix_spawnattr_setsigmask(&attr, mask);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    char **sh = t->sh_fallback ? launch_sh_argv(t->path, argv) : NULL;
    int rc = t->sh_fallback && !sh
                 ? ENOMEM
                 : posix_spawn(pid, sh ? "/bin/sh" : t->path, NULL, &attr,
                               sh ? sh : argv, environ);
    free(sh);
    posix_spawnattr_destroy(&attr);
    return rc;
}

int launch_spawn(const struct launch_target *t, char *const argv[], pid_t *pid)
{
    sigset_t block, old;
    launch_signal_set(&block);
    /* Blocked until the pid is known, so none is lost or kills ctrace. */
    sigprocmask(SIG_BLOCK, &block, &old);
    launch_signals_install();
    int rc = launch_posix_spawn(t, argv, &old, pid);
    if (rc == 0)
        launch_child = *pid;
    else
        launch_signals_restore();
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        fprintf(stderr, "ctrace: cannot run %s: %s\n", t->path, strerror(rc));
        return rc == ENOENT ? LAUNCH_EXIT_NOT_FOUND : LAUNCH_EXIT_CANNOT_RUN;
    }
    return 0;
}

static int launch_status(int st)
{
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int launch_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* Sleep until the program exits or tick_ms pass.  Returns true when it
 * may have exited.  Without pidfd (old kernels) it naps a whole tick. */
static bool launch_sleep(int pidfd, int tick_ms)
{
    if (pidfd >= 0) {
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        return poll(&p, 1, tick_ms) != 0;
    }
    poll(NULL, 0, tick_ms);
    return true;
}

int launch_wait(pid_t pid, int tick_ms, launch_tick_fn *tick, void *arg)
{
    int pidfd = tick ? launch_pidfd(pid) : -1;
    int st = 0;
    for (;;) {
        if (tick && !launch_sleep(pidfd, tick_ms)) {
            tick(arg);
            continue;
        }
        pid_t r = waitpid(pid, &st, tick ? WNOHANG : 0);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            st = 1 << 8; /* exit status 1: the real one is unknown */
            fprintf(stderr, "ctrace: waiting for the program: %s\n",
                    strerror(errno));
            break;
        }
        if (r == 0 && pidfd < 0)
            tick(arg);
    }
    if (pidfd >= 0)
        close(pidfd);
    launch_child = 0;
    launch_signals_restore();
    return launch_status(st);
}
