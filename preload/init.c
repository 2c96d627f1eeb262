/* Shim bootstrap: the constructor, options, the process image's trace
 * file, per-thread writers, the recording helpers every wrapper calls,
 * and symbol resolution.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h for the rules.  Setting up
 * may happen from the constructor or from the first intercepted call
 * (another library's constructor can lock a mutex before ours runs);
 * shim_init() is idempotent and a CAS decides who does it. */
#include "shim.h"

#include <dlfcn.h>
#include <fcntl.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

__thread struct shim_tls shim_tls __attribute__((tls_model("initial-exec")));
struct trace_proc_writer shim_proc;
int shim_state;

static uint32_t opt_stack_depth = 8;
/* clock=monotonic: CLOCK_MONOTONIC and sequence numbers even where the
 * TSC could order events (tests run the sequence path with it). */
static bool opt_clock_monotonic;
static char trace_dir[512];

uint32_t shim_option_stack_depth(void) { return opt_stack_depth; }

/* libctrace.so may also be an ordinary dependency that comes after libc
 * in the search order (a library built with `ctrace cc`, used by a plain
 * program run without ctrace): nothing of libc's comes "next" then, and
 * the default definition, if it is not ours, is the real one. */
static void *shim_dlsym_default(const char *name)
{
    void *p = dlsym(RTLD_DEFAULT, name);
    Dl_info self, found;
    if (p && dladdr((void *)shim_dlsym_default, &self) && dladdr(p, &found) &&
        found.dli_fbase == self.dli_fbase)
        return NULL;
    return p;
}

void *shim_dlsym(const char *name, const char *version)
{
    shim_enter();
    void *p = version ? dlvsym(RTLD_NEXT, name, version) : NULL;
    if (!p)
        p = dlsym(RTLD_NEXT, name);
    if (!p)
        p = shim_dlsym_default(name);
    shim_leave();
    if (!p) /* the program cannot work without it: fail loudly, like ld.so */
        abort();
    return p;
}

/* ---- options: CTRACE_OPTIONS="stack_depth=8 other=x" ---- */

static bool option_value(const char *opts, const char *key, char *out,
                         size_t cap)
{
    size_t klen = strlen(key);
    for (const char *p = opts; p && *p;) {
        while (*p == ' ' || *p == ',' || *p == ':')
            p++;
        size_t len = strcspn(p, " ,:");
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t vlen = len - klen - 1;
            if (vlen >= cap)
                vlen = cap - 1;
            memcpy(out, p + klen + 1, vlen);
            out[vlen] = '\0';
            return true;
        }
        p += len;
    }
    return false;
}

/* Secure-execution mode (setuid, setgid, file capabilities): the
 * environment belongs to whoever started the program, not to its owner,
 * so no CTRACE_* variable is read and nothing is recorded
 * (docs/security.md). */
static bool shim_secure(void) { return getauxval(AT_SECURE) != 0; }

bool shim_option(const char *key, char *out, size_t cap)
{
    if (shim_secure())
        return false;
    return option_value(getenv(TRACE_OPTIONS_ENV), key, out, cap);
}

/* With debug=1: say which keys nothing reads (a typo, most likely). */
static void options_say_unknown(const char *opts)
{
    static const char *const known[] = {TRACE_OPTIONS_KEYS};
    for (const char *p = opts; p && *p;) {
        while (*p == ' ' || *p == ',' || *p == ':')
            p++;
        size_t len = strcspn(p, " ,:"), klen = strcspn(p, "=");
        klen = klen < len ? klen : len;
        bool found = len == 0;
        for (size_t i = 0; !found && i < sizeof known / sizeof *known; i++)
            found = strlen(known[i]) == klen && strncmp(known[i], p, klen) == 0;
        struct shim_log m;
        if (!found && shim_log_begin(&m)) {
            char key[64];
            size_t n = klen < sizeof key ? klen : sizeof key - 1;
            memcpy(key, p, n);
            key[n] = '\0';
            shim_log_str(&m, "CTRACE_OPTIONS: unknown key '");
            shim_log_str(&m, key);
            shim_log_str(&m, "', ignored");
            shim_log_end(&m);
        }
        p += len;
    }
}

/* Called only outside secure-execution mode (trace_dir_take). */
static void options_parse(void)
{
    const char *opts = getenv(TRACE_OPTIONS_ENV);
    char v[32];
    if (option_value(opts, "debug", v, sizeof v))
        shim_log_enable(strcmp(v, "0") != 0);
    options_say_unknown(opts);
    if (option_value(opts, "stack_depth", v, sizeof v)) {
        long n = strtol(v, NULL, 10);
        opt_stack_depth = n < 1 ? 1 : n > 64 ? 64 : (uint32_t)n;
    }
    if (option_value(opts, "clock", v, sizeof v))
        opt_clock_monotonic = strcmp(v, "monotonic") == 0;
}

/* ---- process image ---- */

static void site_stack_capture(struct trace_thread_writer *w, uint64_t site);
static struct trace_thread_writer *
process_adopt_orphan(struct trace_thread_writer *old);

static uint32_t current_tid(void) { return (uint32_t)syscall(SYS_gettid); }

/* The calling thread's writer; when it cannot be made, the thread goes
 * unrecorded, and the log says so. */
static struct trace_thread_writer *thread_writer_new(uint32_t serial)
{
    uint32_t tid = current_tid();
    struct trace_thread_writer *w =
        trace_writer_thread_new(&shim_proc, tid, serial);
    struct shim_log m;
    if (!w && shim_log_begin(&m)) {
        shim_log_str(&m, "thread ");
        shim_log_uint(&m, tid);
        shim_log_str(&m, " is not recorded: cannot map its writer: ");
        shim_log_errno(&m, m.saved_errno);
        shim_log_end(&m);
    }
    return w;
}

static void record_thread_name_from_comm(struct trace_thread_writer *w)
{
    char name[32];
    int fd = open("/proc/thread-self/comm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, name, sizeof name - 1);
    close(fd);
    if (n <= 0)
        return;
    if (name[n - 1] == '\n')
        n--;
    name[n] = '\0';
    shim_event_payload(w, TRACE_EV_THREAD_NAME, (void *)pthread_self(), 0, name,
                       (uint32_t)n + 1);
}

/* Open this image's file and record who it is.  `flags` says how the
 * image began (TRACE_FILE_FORKED / _EXECED). */
static bool process_open(uint32_t flags, uint32_t parent_serial)
{
    uint32_t pid = (uint32_t)getpid(), ppid = (uint32_t)getppid();
    uint32_t clock_kind = trace_clock_pick();
    if (opt_clock_monotonic)
        clock_kind = TRACE_CLOCK_MONOTONIC;
    int rc = trace_writer_open_process(&shim_proc, trace_dir, pid, ppid, flags,
                                       clock_kind, opt_stack_depth);
    if (rc != 0) {
        shim_log_say("recording nothing: cannot create the process file",
                     shim_proc.path, rc);
        return false;
    }
    if (opt_stack_depth > 1)
        shim_proc.site_hook = site_stack_capture;
    shim_proc.orphan_hook = process_adopt_orphan;
    if (shim_log_on())
        shim_proc.loss_hook = shim_log_loss;
    uint32_t serial = trace_writer_next_serial(&shim_proc);
    struct trace_thread_writer *w = thread_writer_new(serial);
    if (!w)
        return false;
    shim_tls.w = w;
    shim_tls.dead = 0;
    struct trace_process_info info = {pid, ppid, parent_serial, flags};
    shim_event_payload(w, TRACE_EV_PROCESS_START, NULL, 0, &info, sizeof info);
    shim_modules_record(w);
    shim_signals_install();
    shim_event(w, TRACE_EV_THREAD_START, (void *)pthread_self(), 0, UINT32_MAX);
    record_thread_name_from_comm(w);
    return true;
}

static bool image_was_execed(void)
{
    /* The launcher (or a traced parent's exec wrapper) marks the
     * environment with the pid that exec'd: same pid, so this image
     * replaced a traced one. */
    const char *v = getenv("CTRACE_EXEC_PID");
    return v && (uint32_t)strtoul(v, NULL, 10) == (uint32_t)getpid();
}

/* Said once per process image, when the shim first sets up. */
static void shim_say_secure(void)
{
    static const char msg[] =
        "ctrace: secure-execution mode (setuid, setgid or file "
        "capabilities): libctrace.so records nothing and reads no CTRACE_* "
        "variable\n";
    ssize_t n = write(2, msg, sizeof msg - 1);
    (void)n;
}

/* The trace directory must be a directory of this user's that nobody
 * else can write: a trace never lands where another user can read or
 * swap it (`ctrace run` makes it 0700). */
static bool trace_dir_usable(const char *dir)
{
    struct stat st;
    const char *why = NULL;
    if (stat(dir, &st) != 0) {
        shim_log_say("recording nothing: cannot use the trace directory", dir,
                     errno);
        return false;
    }
    if (!S_ISDIR(st.st_mode))
        why = "the trace directory is not a directory";
    else if (st.st_uid != geteuid())
        why = "the trace directory belongs to another user";
    else if (st.st_mode & (S_IWGRP | S_IWOTH))
        why = "the trace directory is writable by group or others";
    if (why)
        shim_log_say(why, dir, 0);
    return !why;
}

/* CTRACE_DIR, copied into trace_dir, when recording may start.  Options
 * are read here, after the secure-mode check: debug=1 too is a CTRACE_*
 * input. */
static bool trace_dir_take(void)
{
    if (shim_secure()) {
        shim_say_secure();
        return false;
    }
    options_parse();
    const char *dir = getenv(TRACE_DIR_ENV);
    if (!dir || !*dir) {
        shim_log_say("CTRACE_DIR is not set: recording nothing", NULL, 0);
        return false;
    }
    if (strlen(dir) >= sizeof trace_dir - 32) {
        shim_log_say("the trace directory's name is too long", dir, 0);
        return false;
    }
    if (!trace_dir_usable(dir))
        return false;
    strcpy(trace_dir, dir);
    return true;
}

bool shim_init(void)
{
    int s = __atomic_load_n(&shim_state, __ATOMIC_ACQUIRE);
    if (SHIM_LIKELY(s != 0))
        return s == 1;
    static int claimed;
    if (__atomic_exchange_n(&claimed, 1, __ATOMIC_ACQ_REL)) {
        /* Another thread is setting up: record nothing until it is done. */
        return false;
    }
    shim_enter();
    int saved = errno;
    bool ok = false;
    if (trace_dir_take()) {
        /* libunwind's caches take locks (and one has a thread-exit
         * destructor that would show up as the program's own locking). */
        unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_NONE);
        ok = process_open(image_was_execed() ? TRACE_FILE_EXECED : 0,
                          UINT32_MAX);
    }
    errno = saved;
    shim_leave();
    __atomic_store_n(&shim_state, ok ? 1 : 2, __ATOMIC_RELEASE);
    return ok;
}

void shim_process_start_child(uint32_t parent_serial)
{
    if (shim_state != 1)
        return;
    /* The parent's mappings are shared with the parent: forget them
     * (unmapping only this process's view) and start our own file. */
    struct trace_thread_writer *old = shim_tls.w;
    shim_tls.w = NULL;
    /* not trace_writer_thread_free: sealing would punch the parent's live
     * chunk and rewind its `used` */
    trace_writer_thread_forget(old);
    trace_writer_drop_process(&shim_proc);
    shim_enter();
    bool ok = process_open(TRACE_FILE_FORKED, parent_serial);
    shim_leave();
    if (!ok)
        shim_state = 2;
}

/* The writer's orphan_hook: an event on a writer of the parent's, wiped
 * by the fork that made this process.  The shim's fork handlers start a
 * child's file before it records anything, so this is a child they did
 * not see: a raw clone() without CLONE_VM (libc's or the system call).
 * Start its own file as a fork child does; the writer's thread made it. */
static struct trace_thread_writer *
process_adopt_orphan(struct trace_thread_writer *old)
{
    if (shim_tls.w != old) /* a writer held across the fork: use ours */
        return shim_tls.w && shim_tls.w->live ? shim_tls.w : NULL;
    if (shim_tls.busy)
        return NULL;
    shim_tls.stack_lo = shim_tls.stack_hi = 0; /* clone() gave a new stack */
    shim_process_start_child(old->serial);
    return shim_tls.w;
}

__attribute__((constructor(101))) static void shim_constructor(void)
{
    shim_init();
}

/* ---- per-thread writers ---- */

static pthread_key_t writer_key;
static pthread_once_t writer_key_once = PTHREAD_ONCE_INIT;

/* Runs among the thread's TLS destructors, as late as we can arrange:
 * it re-arms itself until the last destructor round so that locks taken
 * by other destructors are still recorded. */
static void writer_key_destructor(void *p)
{
    static __thread int rounds;
    if (++rounds < PTHREAD_DESTRUCTOR_ITERATIONS) {
        pthread_setspecific(writer_key, p);
        return;
    }
    struct trace_thread_writer *w = p;
    if (w && shim_tls.w == w) {
        shim_tls.w = NULL;
        shim_tls.dead = 1;
        trace_writer_thread_free(w);
    }
}

static void writer_key_create(void)
{
    pthread_key_create(&writer_key, writer_key_destructor);
}

void shim_thread_adopt(uint32_t serial, uint32_t creator_serial,
                       uint64_t start_routine)
{
    struct trace_thread_writer *w = thread_writer_new(serial);
    if (!w)
        return;
    shim_tls.w = w;
    shim_enter();
    pthread_once(&writer_key_once, writer_key_create);
    pthread_setspecific(writer_key, w);
    shim_leave();
    shim_event(w, TRACE_EV_THREAD_START, (void *)pthread_self(), start_routine,
               creator_serial);
}

struct trace_thread_writer *shim_writer_slow(void)
{
    if (shim_tls.busy || shim_tls.dead)
        return NULL;
    if (shim_tls.w)
        return shim_tls.w;
    if (!shim_init())
        return NULL;
    if (shim_tls.w) /* shim_init set up this (the first) thread */
        return shim_tls.w;
    /* A thread we did not see start (created before our init, or by a
     * raw clone): adopt it with an unknown creator. */
    int saved = errno;
    shim_thread_adopt(trace_writer_next_serial(&shim_proc), UINT32_MAX, 0);
    errno = saved;
    return shim_tls.w;
}

/* ---- recording helpers ---- */

/* A plain unw_step walk: unw_backtrace's fast path keeps a per-thread
 * cache with a lock and a thread-exit destructor of its own. */
uint32_t shim_backtrace(uint64_t *pcs, uint32_t max, uint32_t skip)
{
    unw_context_t ctx;
    unw_cursor_t cur;
    uint32_t n = 0, seen = 0;
    shim_enter();
    if (unw_getcontext(&ctx) == 0 && unw_init_local(&cur, &ctx) == 0) {
        while (n < max && unw_step(&cur) > 0) {
            unw_word_t ip = 0;
            if (unw_get_reg(&cur, UNW_REG_IP, &ip) != 0 || ip == 0)
                break;
            if (seen++ >= skip)
                pcs[n++] = ip;
        }
    }
    shim_leave();
    return n;
}

/* First record at this site in this chunk: attach the deeper stack
 * (the writer's site_hook).  Not from a signal handler: unwinding there
 * could meet the loader's lock. */
#define SITE_CAPTURE_MAX (64 + 8) /* --stack-depth's most, and shim frames */

static void site_stack_capture(struct trace_thread_writer *w, uint64_t site)
{
    if (shim_tls.in_signal || !shim_stack_has_room())
        return;
    uint64_t pcs[SITE_CAPTURE_MAX];
    uint32_t n = shim_backtrace(pcs, SITE_CAPTURE_MAX, 0);
    uint32_t at = 0;
    while (at < n && pcs[at] != site)
        at++;
    if (at == n)
        return; /* the site is not on our stack (tail call): no stack */
    uint32_t depth = n - at;
    if (depth > w->proc->stack_depth)
        depth = w->proc->stack_depth;
    trace_emit_site_stack(w, site, pcs + at, depth);
}
