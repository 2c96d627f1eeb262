/* The shim's diagnostic log: with CTRACE_OPTIONS=debug=1, libctrace.so
 * says on stderr why it records nothing, or less than everything (set-up
 * failures, threads left unrecorded, events lost and why).  Without it,
 * nothing here prints.
 *
 * RUNS INSIDE THE TRACED PROGRAM (shim.h): a message may be said from a
 * signal handler or from the middle of an emit, so it is built in a stack
 * buffer by hand (no printf, no malloc, no locks) and leaves with one
 * write(2) on fd 2, one line per message, prefixed `ctrace[PID]: `.
 * errno is kept. */
#include "shim.h"

#include <errno.h>
#include <unistd.h>

static int log_enabled;

void shim_log_enable(bool on) { log_enabled = on; }

bool shim_log_on(void) { return log_enabled; }

void shim_log_str(struct shim_log *m, const char *s)
{
    m->len = trace_put_str(m->buf, m->len, sizeof m->buf, s ? s : "");
}

void shim_log_uint(struct shim_log *m, uint64_t v)
{
    m->len = trace_put_uint(m->buf, m->len, sizeof m->buf, v);
}

/* The errnos the shim's set-up and chunk allocation can meet. */
#define ERRNO_NAME(e)                                                          \
    {                                                                          \
        e, #e                                                                  \
    }
static const struct {
    int err;
    const char *name;
} errno_names[] = {
    ERRNO_NAME(EPERM),   ERRNO_NAME(ENOENT),    ERRNO_NAME(EINTR),
    ERRNO_NAME(EIO),     ERRNO_NAME(ENXIO),     ERRNO_NAME(EBADF),
    ERRNO_NAME(EAGAIN),  ERRNO_NAME(ENOMEM),    ERRNO_NAME(EACCES),
    ERRNO_NAME(EFAULT),  ERRNO_NAME(EBUSY),     ERRNO_NAME(EEXIST),
    ERRNO_NAME(ENODEV),  ERRNO_NAME(ENOTDIR),   ERRNO_NAME(EISDIR),
    ERRNO_NAME(EINVAL),  ERRNO_NAME(ENFILE),    ERRNO_NAME(EMFILE),
    ERRNO_NAME(ETXTBSY), ERRNO_NAME(EFBIG),     ERRNO_NAME(ENOSPC),
    ERRNO_NAME(EROFS),   ERRNO_NAME(EMLINK),    ERRNO_NAME(ENAMETOOLONG),
    ERRNO_NAME(ELOOP),   ERRNO_NAME(EOVERFLOW), ERRNO_NAME(EDQUOT),
};

static const char *errno_name(int err)
{
    for (size_t i = 0; i < sizeof errno_names / sizeof *errno_names; i++)
        if (errno_names[i].err == err)
            return errno_names[i].name;
    return "errno";
}

void shim_log_errno(struct shim_log *m, int err)
{
    if (err < 0)
        err = -err;
    shim_log_str(m, errno_name(err));
    shim_log_str(m, " (");
    shim_log_uint(m, (uint64_t)err);
    shim_log_str(m, ")");
}

bool shim_log_begin(struct shim_log *m)
{
    if (!log_enabled)
        return false;
    m->saved_errno = errno;
    m->len = 0;
    shim_log_str(m, "ctrace[");
    shim_log_uint(m, (uint64_t)getpid());
    shim_log_str(m, "]: ");
    return true;
}

void shim_log_end(struct shim_log *m)
{
    m->buf[m->len++] = '\n'; /* shim_log_str leaves room for it */
    for (size_t at = 0; at < m->len;) {
        ssize_t n = write(2, m->buf + at, m->len - at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        at += (size_t)n;
    }
    errno = m->saved_errno;
}

void shim_log_say(const char *what, const char *path, int err)
{
    struct shim_log m;
    if (!shim_log_begin(&m))
        return;
    shim_log_str(&m, what);
    if (path) {
        shim_log_str(&m, " '");
        shim_log_str(&m, path);
        shim_log_str(&m, "'");
    }
    if (err) {
        shim_log_str(&m, ": ");
        shim_log_errno(&m, err);
    }
    shim_log_end(&m);
}

/* ---- lost events ---- */

/* At most this many "first loss" lines per process image: a lossy run
 * with many threads says a handful, then the summary at exit. */
#define LOSS_LINES_MAX 8

static const char *const loss_names[TRACE_LOSS_KINDS] = {
    [TRACE_LOSS_NESTED] = "a signal handler met a full chunk",
    [TRACE_LOSS_NOSPACE] = "disk full",
    [TRACE_LOSS_FSIZE] = "file-size limit (RLIMIT_FSIZE)",
    [TRACE_LOSS_MAP] = "cannot allocate or map a chunk",
    [TRACE_LOSS_FILE] = "cannot re-open the process file",
};

void shim_log_loss(struct trace_thread_writer *w, enum trace_loss why, int err)
{
    static uint32_t lines;
    uint32_t n = __atomic_fetch_add(&lines, 1, __ATOMIC_RELAXED);
    struct shim_log m;
    if (n > LOSS_LINES_MAX || !shim_log_begin(&m))
        return;
    if (n == LOSS_LINES_MAX) {
        shim_log_str(&m, "more threads lose events; not said again until "
                         "the summary at exit");
        shim_log_end(&m);
        return;
    }
    shim_log_str(&m, "thread ");
    shim_log_uint(&m, w->tid);
    shim_log_str(&m, " starts losing events: ");
    shim_log_str(&m, loss_names[why]);
    if (err) {
        shim_log_str(&m, ", ");
        shim_log_errno(&m, err);
    }
    if (why != TRACE_LOSS_NESTED && w->proc) {
        shim_log_str(&m, " on '");
        shim_log_str(&m, w->proc->path);
        shim_log_str(&m, "'");
    }
    shim_log_end(&m);
}

void shim_log_lost_summary(void)
{
    struct shim_log m;
    uint64_t total = 0;
    for (int i = 0; i < TRACE_LOSS_KINDS; i++)
        total += __atomic_load_n(&shim_proc.lost_by[i], __ATOMIC_RELAXED);
    if (!total || !shim_log_begin(&m))
        return;
    shim_log_uint(&m, total);
    shim_log_str(&m, " events lost (");
    const char *sep = "";
    for (int i = 0; i < TRACE_LOSS_KINDS; i++) {
        uint64_t n = __atomic_load_n(&shim_proc.lost_by[i], __ATOMIC_RELAXED);
        if (!n)
            continue;
        shim_log_str(&m, sep);
        shim_log_str(&m, loss_names[i]);
        shim_log_str(&m, ": ");
        shim_log_uint(&m, n);
        sep = "; ";
    }
    shim_log_str(&m, "); the trace keeps what fitted");
    shim_log_end(&m);
}
