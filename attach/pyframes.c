/* CPython 3.11 frames (pyframes.h), read from a stopped interpreter.
 *
 * The walk, with the x86_64 offsets of CPython 3.11's structures
 * (Include/internal/pycore_runtime.h, pycore_interp.h, pycore_frame.h,
 * cpython/pystate.h, cpython/code.h):
 *   _PyRuntime.interpreters.head (+40) -> PyInterpreterState
 *   interp.threads.head (+16) -> PyThreadState, .next (+8)
 *   tstate.interp (+16) == the interpreter;  .cframe (+56)
 *   tstate.native_thread_id: found among the first words by its value,
 *     a tid of the process
 *   _PyCFrame.current_frame (+8) -> _PyInterpreterFrame
 *   frame: f_code (+32), previous (+48), prev_instr (+56),
 *          localsplus (+72)
 *   code: ob_type (+8) == &PyCode_Type, co_stacksize (+68),
 *         co_firstlineno (+72), co_nlocalsplus (+76), co_filename (+112),
 *         co_name (+120), co_linetable (+136), co_code_adaptive (+184)
 * Every pointer is checked before it is followed (the code object's type
 * is PyCode_Type, the thread state points back to its interpreter);
 * a process where a check fails gets no Python frames and a reason.
 *
 * Locks held: inside `with lock:` the frame's value stack keeps the
 * bound method lock.__exit__ (a builtin method whose m_self is a
 * "_thread.lock" object, whose lock_lock is the sem_t a waiter sleeps
 * on).  A lock taken with acquire() outside `with` is not seen. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "classify.h"
#include "pyframes.h"
#include "pystack.h"
#include "unwind.h"

#define PY_MAX_THREADS 4096
#define PY_MAX_STACK 64 /* value stack slots looked at per frame */

struct py {
    pid_t pid;
    uint64_t code_type, cfunc_type;
};

static uint64_t py_word(const struct py *py, uint64_t addr)
{
    uint64_t v = 0;
    if (!addr || !classify_read(py->pid, addr, &v, sizeof v))
        return 0;
    return v;
}

static int32_t py_int(const struct py *py, uint64_t addr)
{
    int32_t v = 0;
    classify_read(py->pid, addr, &v, sizeof v);
    return v;
}

/* An ASCII str object's text ("?" for anything else). */
static void py_str(const struct py *py, uint64_t obj, char *buf, size_t len)
{
    uint8_t head[48];
    snprintf(buf, len, "?");
    if (!obj || !classify_read(py->pid, obj, head, sizeof head))
        return;
    uint64_t n;
    memcpy(&n, head + 16, sizeof n);
    uint8_t state = head[32];
    bool compact = state & 0x20, ascii = state & 0x40;
    if (!compact || !ascii || n >= len)
        return;
    if (classify_read(py->pid, obj + 48, buf, (size_t)n))
        buf[n] = '\0';
}

/* 3.11 location table varints (Objects/locations.md). */
static uint64_t py_varint(const uint8_t *t, size_t n, size_t *i)
{
    uint64_t v = 0;
    unsigned shift = 0;
    while (*i < n) {
        uint8_t b = t[(*i)++];
        v |= (uint64_t)(b & 63) << shift;
        shift += 6;
        if (!(b & 64))
            break;
    }
    return v;
}

static int64_t py_svarint(const uint8_t *t, size_t n, size_t *i)
{
    uint64_t u = py_varint(t, n, i);
    return (u & 1) ? -(int64_t)(u >> 1) : (int64_t)(u >> 1);
}

/* The line of code unit `addr` from the location table. */
static int py_line(const uint8_t *t, size_t n, int first, uint64_t addr)
{
    int line = first;
    uint64_t at = 0;
    size_t i = 0;
    while (i < n) {
        uint8_t b = t[i++];
        int code = (b >> 3) & 15;
        uint64_t units = (uint64_t)(b & 7) + 1;
        if (code == 15) { /* no location */
        } else if (code == 14) {
            line += (int)py_svarint(t, n, &i);
            py_varint(t, n, &i);
            py_varint(t, n, &i);
            py_varint(t, n, &i);
        } else if (code == 13) {
            line += (int)py_svarint(t, n, &i);
        } else if (code >= 10) {
            line += code - 10;
            i += 2;
        } else {
            i += 1;
        }
        if (addr < at + units)
            return line;
        at += units;
    }
    return line;
}

static int py_frame_line(const struct py *py, uint64_t frame, uint64_t code)
{
    uint64_t table = py_word(py, code + 136);
    uint64_t len = py_word(py, table + 16);
    uint8_t buf[4096];
    if (!table || len == 0 || len > sizeof buf ||
        !classify_read(py->pid, table + 32, buf, (size_t)len))
        return py_int(py, code + 72);
    uint64_t prev = py_word(py, frame + 56), start = code + 184;
    uint64_t addr = prev >= start ? (prev - start) / 2 : 0;
    return py_line(buf, (size_t)len, py_int(py, code + 72), addr);
}

/* A `with lock:` block's lock.__exit__ on the value stack: its sem_t. */
static uint64_t py_with_lock(const struct py *py, uint64_t obj)
{
    char name[32];
    if (!obj || py_word(py, obj + 8) != py->cfunc_type)
        return 0;
    uint64_t ml = py_word(py, obj + 16), self = py_word(py, obj + 24);
    py_str(py, 0, name, sizeof name);
    char mname[16] = "";
    uint64_t mname_p = py_word(py, ml);
    if (!mname_p || !classify_read(py->pid, mname_p, mname, sizeof mname - 1))
        return 0;
    mname[sizeof mname - 1] = '\0';
    if (strcmp(mname, "__exit__") != 0 || !self)
        return 0;
    char tname[16] = "";
    uint64_t tp = py_word(py, self + 8);
    uint64_t tname_p = py_word(py, tp + 24);
    if (!classify_read(py->pid, tname_p, tname, sizeof tname - 1))
        return 0;
    tname[sizeof tname - 1] = '\0';
    if (strcmp(tname, "_thread.lock") != 0)
        return 0;
    return py_word(py, self + 16);
}

static void py_held_scan(const struct py *py, uint64_t frame, uint64_t code,
                         struct snap_thread *t)
{
    int32_t nlocals = py_int(py, code + 76), stack = py_int(py, code + 68);
    if (nlocals < 0 || stack < 0 || stack > PY_MAX_STACK)
        return;
    uint64_t slots[PY_MAX_STACK];
    uint64_t base = frame + 72 + 8 * (uint64_t)nlocals;
    if (!stack || !classify_read(py->pid, base, slots, 8 * (size_t)stack))
        return;
    for (int32_t k = 0; k < stack; k++) {
        uint64_t sem = py_with_lock(py, slots[k]);
        if (sem && t->npyheld < sizeof t->pyheld / sizeof t->pyheld[0])
            t->pyheld[t->npyheld++] = sem;
    }
}

/* Frames of one thread state, innermost first. */
static void py_thread_frames(const struct py *py, uint64_t tstate,
                             struct snap_thread *t)
{
    uint64_t frame = py_word(py, py_word(py, tstate + 56) + 8);
    for (size_t n = 0; frame && n < 256; n++) {
        uint64_t code = py_word(py, frame + 32);
        if (py_word(py, code + 8) != py->code_type)
            break;
        char func[128], file[256];
        py_str(py, py_word(py, code + 120), func, sizeof func);
        py_str(py, py_word(py, code + 112), file, sizeof file);
        int line = py_frame_line(py, frame, code);
        uint64_t tok = pystack_intern(func, file, (uint32_t)line);
        if (tok && t->npy < SNAP_MAX_PYFRAMES)
            t->py[t->npy++] = tok;
        py_held_scan(py, frame, code, t);
        frame = py_word(py, frame + 48);
    }
    /* the lock it waits for is on its stack already (BEFORE_WITH keeps
       __exit__ there while __enter__ blocks): not held yet */
    size_t k = 0;
    for (size_t i = 0; i < t->npyheld; i++)
        if (!(t->wait == SW_PYLOCK && t->pyheld[i] == t->obj))
            t->pyheld[k++] = t->pyheld[i];
    t->npyheld = k;
}

/* The snapshot thread whose tid sits in the first words of tstate (its
 * native_thread_id), or -1. */
static long py_thread_of(const struct py *py, struct snapshot *s, uint32_t pi,
                         uint64_t tstate)
{
    uint64_t w[32];
    if (!classify_read(py->pid, tstate, w, sizeof w))
        return -1;
    for (size_t k = 18; k < 32; k++) /* past cframe and the callbacks */
        if (w[k] > 0 && w[k] < 0x40000000) {
            long i = snapshot_thread_of(s, pi, (pid_t)w[k]);
            if (i >= 0)
                return i;
        }
    return -1;
}

struct py_range {
    uint64_t lo, hi;
    bool found;
};

static void py_module(void *ctx, const struct trace_module_info *m,
                      const char *path)
{
    struct py_range *r = ctx;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!r->found && (strncmp(base, "python3", 7) == 0 ||
                      strncmp(base, "libpython3", 10) == 0)) {
        r->lo = m->lo;
        r->hi = m->hi;
        r->found = true;
    }
}

void pyframes_read(struct snapshot *s, uint32_t pi, struct unwind *u)
{
    struct snap_proc *p = &s->procs[pi];
    struct py py = {.pid = p->pid};
    uint64_t runtime;
    struct py_range range = {0};
    unwind_modules(u, py_module, &range);
    if (!range.found || !unwind_symbol(u, "python", "_PyRuntime", &runtime))
        return; /* not CPython */
    if (!unwind_symbol(u, "python", "PyCode_Type", &py.code_type) ||
        !unwind_symbol(u, "python", "PyCFunction_Type", &py.cfunc_type)) {
        snprintf(p->py_error, sizeof p->py_error,
                 "the interpreter's PyCode_Type is not among its symbols");
        return;
    }
    uint64_t interp = py_word(&py, runtime + 40);
    uint64_t tstate = py_word(&py, interp + 16);
    if (!interp || !tstate || py_word(&py, tstate + 16) != interp) {
        snprintf(p->py_error, sizeof p->py_error,
                 "its interpreter state is not CPython 3.11's");
        return;
    }
    p->python = true;
    p->py_lo = range.lo;
    p->py_hi = range.hi;
    for (size_t n = 0; tstate && n < PY_MAX_THREADS; n++) {
        long ti = py_thread_of(&py, s, pi, tstate);
        if (ti >= 0)
            py_thread_frames(&py, tstate, &s->threads[ti]);
        tstate = py_word(&py, tstate + 8);
    }
}
