/* Python support in the shim (docs/python.md):
 *  - python-runtime: when this image runs CPython, one event at start says
 *    where CPython's code lies, so the analyzer can tell the GIL's mutex
 *    and condition variable by their call sites;
 *  - py-frames: the innermost Python frames (function, file, line) of a
 *    sync event made by a thread that holds the GIL, just before it;
 *  - ctrace_set_thread_name(), ctrace_set_thread_name_of(): Python thread
 *    names (Thread.name) as the startup module (python/ctrace_site) reports
 *    them, without pthread_setname_np, which would cut them to 15 bytes
 *    and change what the OS shows.
 *
 * Only CPython's public C API is used, found with dlsym(RTLD_DEFAULT) in
 * the process (the python executable exports it, or libpython does).
 * Frames are read only by the thread that holds the GIL, from its own
 * thread state, never inside a signal handler: that is when the API may
 * be called at all.  Reading them creates the frame objects Python would
 * create for a traceback; the collector is paused meanwhile (PyGC_Disable)
 * so that no finalizer runs inside a lock call, and the error indicator is
 * saved and restored around it.  Anything missing (an older Python, a
 * symbol not exported) leaves the events with their C frames only.
 *
 * Code objects' names are cached by address, with a reference held so
 * the address stays theirs; the cache is touched only with the GIL held,
 * which serialises it.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h. */
#include "python.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

typedef struct pyobj pyobj; /* PyObject, PyThreadState, PyFrameObject */

int shim_py_active;

static struct {
    int (*gil_check)(void);          /* PyGILState_Check */
    pyobj *(*this_tstate)(void);     /* PyGILState_GetThisThreadState */
    pyobj *(*current_tstate)(void);  /* _PyThreadState_UncheckedGet, opt */
    int (*finalizing)(void);         /* _Py_IsFinalizing, optional */
    pyobj *(*tstate_frame)(pyobj *); /* PyThreadState_GetFrame */
    pyobj *(*frame_back)(pyobj *);   /* PyFrame_GetBack */
    pyobj *(*frame_code)(pyobj *);   /* PyFrame_GetCode */
    int (*frame_line)(pyobj *);      /* PyFrame_GetLineNumber */
    int (*frame_lasti)(pyobj *);     /* PyFrame_GetLasti, optional */
    int (*gc_disable)(void);         /* PyGC_Disable */
    int (*gc_enable)(void);          /* PyGC_Enable */
    void (*err_fetch)(pyobj **, pyobj **, pyobj **);
    void (*err_restore)(pyobj *, pyobj *, pyobj *);
    void (*incref)(pyobj *);                  /* Py_IncRef */
    void (*decref)(pyobj *);                  /* Py_DecRef */
    pyobj *(*getattr)(pyobj *, const char *); /* PyObject_GetAttrString */
    const char *(*utf8)(pyobj *, ssize_t *);  /* PyUnicode_AsUTF8AndSize */
} py;

/* Frames recorded per event: CTRACE_OPTIONS py_frames=N (0: none). */
static uint32_t py_depth = 8;

#define PY_FUNC_MAX 128u /* bytes of a function name, NUL included */
#define PY_FILE_MAX 256u /* bytes of a file name (its end is kept) */

/* ---- finding CPython ---- */

static void *py_sym(const char *name) { return dlsym(RTLD_DEFAULT, name); }

#define PY_RESOLVE(field, name) (*(void **)&py.field = py_sym(name))

/* The public API frames need; false when anything is missing. */
static bool py_resolve(void)
{
    bool ok = PY_RESOLVE(gil_check, "PyGILState_Check") &&
              PY_RESOLVE(this_tstate, "PyGILState_GetThisThreadState") &&
              PY_RESOLVE(tstate_frame, "PyThreadState_GetFrame") &&
              PY_RESOLVE(frame_back, "PyFrame_GetBack") &&
              PY_RESOLVE(frame_code, "PyFrame_GetCode") &&
              PY_RESOLVE(frame_line, "PyFrame_GetLineNumber") &&
              PY_RESOLVE(gc_disable, "PyGC_Disable") &&
              PY_RESOLVE(gc_enable, "PyGC_Enable") &&
              PY_RESOLVE(err_fetch, "PyErr_Fetch") &&
              PY_RESOLVE(err_restore, "PyErr_Restore") &&
              PY_RESOLVE(incref, "Py_IncRef") &&
              PY_RESOLVE(decref, "Py_DecRef") &&
              PY_RESOLVE(getattr, "PyObject_GetAttrString") &&
              PY_RESOLVE(utf8, "PyUnicode_AsUTF8AndSize");
    /* PyGILState_Check says yes for everyone once sub-interpreters turned
     * its check off; the thread state that holds the GIL settles it. */
    PY_RESOLVE(current_tstate, "_PyThreadState_UncheckedGet");
    PY_RESOLVE(finalizing, "_Py_IsFinalizing");
    PY_RESOLVE(frame_lasti, "PyFrame_GetLasti");
    return ok;
}

struct py_range {
    uint64_t addr;
    uint64_t lo, hi;
};

static int py_range_of(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct py_range *r = data;
    uint64_t lo = UINT64_MAX, hi = 0;
    bool inside = false;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uint64_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
        if (s < lo)
            lo = s;
        if (e > hi)
            hi = e;
        if (r->addr >= s && r->addr < e)
            inside = true;
    }
    if (!inside)
        return 0;
    r->lo = lo;
    r->hi = hi;
    return 1;
}

static uint32_t py_version(void)
{
    const unsigned long *v = py_sym("Py_Version");
    return v ? (uint32_t)*v : 0;
}

static void py_options(void)
{
    char v[16];
    if (shim_option("py_frames", v, sizeof v)) {
        long n = strtol(v, NULL, 10);
        py_depth = n < 0 ? 0 : n > 64 ? 64 : (uint32_t)n;
    }
}

/* After the shim's own set-up (constructor 101): is this CPython? */
__attribute__((constructor(103))) static void python_constructor(void)
{
    if (!shim_init())
        return;
    struct trace_thread_writer *w = shim_writer();
    if (!w)
        return;
    shim_enter();
    struct py_range r = {0, 0, 0};
    r.addr = (uint64_t)(uintptr_t)py_sym("PyEval_SaveThread");
    if (r.addr)
        dl_iterate_phdr(py_range_of, &r);
    bool frames = r.hi && py_resolve();
    uint32_t version = r.hi ? py_version() : 0;
    shim_leave();
    if (!r.hi)
        return;
    py_options();
    struct trace_pyruntime_info info = {r.lo, r.hi, version, 0};
    if (frames && py_depth)
        info.flags |= TRACE_PYRT_FRAMES;
    shim_event_payload(w, TRACE_EV_PY_RUNTIME, NULL, 0, &info, sizeof info);
    __atomic_store_n(&shim_py_active, (info.flags & TRACE_PYRT_FRAMES) != 0,
                     __ATOMIC_RELEASE);
}

/* ---- code object names, cached ---- */

#define PY_CACHE_SIZE 4096u /* power of two */
#define PY_CACHE_FILL 3072u /* entries kept at most */

struct py_code_names {
    pyobj *code;
    const char *func, *file; /* owned by the code object */
    uint32_t func_len, file_len;
};

static struct py_code_names py_cache[PY_CACHE_SIZE];
static uint32_t py_cached;

static const char *py_str(pyobj *s, uint32_t *len)
{
    ssize_t n = 0;
    const char *p = s ? py.utf8(s, &n) : NULL;
    *len = p && n > 0 ? (uint32_t)n : 0;
    return p;
}

/* The names of a code object.  Its strings live as long as it does; a
 * failed lookup leaves an error set, which the caller's restore drops. */
static void py_names_fetch(pyobj *code, struct py_code_names *e)
{
    memset(e, 0, sizeof *e);
    e->code = code;
    pyobj *name = py.getattr(code, "co_qualname");
    if (!name)
        name = py.getattr(code, "co_name");
    pyobj *file = py.getattr(code, "co_filename");
    e->func = py_str(name, &e->func_len);
    e->file = py_str(file, &e->file_len);
    /* the code object keeps both alive */
    if (name)
        py.decref(name);
    if (file)
        py.decref(file);
}

static uint32_t py_cache_slot(const pyobj *code)
{
    return (uint32_t)((((uintptr_t)code >> 4) * 0x9e3779b97f4a7c15ull) >> 40) &
           (PY_CACHE_SIZE - 1);
}

/* Cached names of `code`, or *tmp filled when the cache is full (then
 * tmp->code is NULL: its address may be another code object's later). */
static const struct py_code_names *py_names(pyobj *code,
                                            struct py_code_names *tmp)
{
    uint32_t i = py_cache_slot(code);
    for (uint32_t k = 0; k < 16; k++, i = (i + 1) & (PY_CACHE_SIZE - 1)) {
        struct py_code_names *e = &py_cache[i];
        if (e->code == code)
            return e;
        if (e->code)
            continue;
        if (py_cached >= PY_CACHE_FILL)
            break;
        py_names_fetch(code, e);
        py.incref(code); /* the address stays this code object's */
        py_cached++;
        return e;
    }
    py_names_fetch(code, tmp);
    tmp->code = NULL;
    return tmp;
}

/* Line numbers by (cached code object, instruction): PyFrame_GetLineNumber
 * scans the code's line table from its start every time. */
#define PY_LINES 8192u /* power of two */

struct py_line {
    const pyobj *code;
    int32_t lasti;
    uint32_t line;
};

static struct py_line py_lines[PY_LINES];

static uint32_t py_frame_line(pyobj *frame, const struct py_code_names *n)
{
    if (!n->code || !py.frame_lasti) {
        int line = py.frame_line(frame);
        return line > 0 ? (uint32_t)line : 0;
    }
    int32_t lasti = py.frame_lasti(frame);
    uint32_t i = (py_cache_slot(n->code) ^ ((uint32_t)lasti * 0x9e3779b1u)) &
                 (PY_LINES - 1);
    struct py_line *e = &py_lines[i];
    if (e->code != n->code || e->lasti != lasti) {
        int line = py.frame_line(frame);
        e->code = n->code;
        e->lasti = lasti;
        e->line = line > 0 ? (uint32_t)line : 0;
    }
    return e->line;
}

/* ---- frames ---- */

struct py_payload {
    union {
        struct trace_pyframes_info info;
        char bytes[TRACE_PAYLOAD_MAX];
    } u;
    uint32_t off;
};

/* Copy `len` bytes of `s` with a NUL, at most `max` in all; a long file
 * name keeps its end. */
static uint32_t py_put(char *dst, const char *s, uint32_t len, uint32_t max,
                       bool keep_tail)
{
    if (!s)
        len = 0;
    if (len >= max) {
        if (keep_tail)
            s += len - (max - 1);
        len = max - 1;
    }
    if (len)
        memcpy(dst, s, len);
    dst[len] = '\0';
    return len + 1;
}

static bool py_frame_add(struct py_payload *p, pyobj *frame)
{
    pyobj *code = py.frame_code(frame);
    if (!code)
        return false;
    struct py_code_names tmp;
    const struct py_code_names *n = py_names(code, &tmp);
    uint32_t need =
        (uint32_t)sizeof(struct trace_pyframe) + PY_FUNC_MAX + PY_FILE_MAX;
    bool fits = p->off + need <= TRACE_PAYLOAD_MAX;
    if (fits) {
        struct trace_pyframe fr = {py_frame_line(frame, n), 0, 0};
        char *at = p->u.bytes + p->off + sizeof fr;
        fr.func_len =
            (uint16_t)py_put(at, n->func, n->func_len, PY_FUNC_MAX, false);
        fr.file_len = (uint16_t)py_put(at + fr.func_len, n->file, n->file_len,
                                       PY_FILE_MAX, true);
        memcpy(p->u.bytes + p->off, &fr, sizeof fr);
        p->off += (uint32_t)sizeof fr + fr.func_len + fr.file_len;
        p->u.info.nframes++;
    }
    py.decref(code);
    return fits;
}

/* Does the calling thread hold the GIL, with a thread state of its own? */
static pyobj *py_holder_state(void)
{
    pyobj *ts = py.this_tstate();
    if (!ts || !py.gil_check())
        return NULL;
    if (py.current_tstate && py.current_tstate() != ts)
        return NULL;
    if (py.finalizing && py.finalizing())
        return NULL;
    return ts;
}

static void py_frames_collect(pyobj *ts, struct py_payload *p)
{
    pyobj *et, *ev, *etb;
    py.err_fetch(&et, &ev, &etb);
    int collecting = py.gc_disable();
    pyobj *f = py.tstate_frame(ts);
    for (uint32_t n = 0; f; n++) {
        pyobj *back = NULL;
        if (py_frame_add(p, f) && n + 1 < py_depth)
            back = py.frame_back(f);
        py.decref(f);
        f = back;
    }
    if (collecting)
        py.gc_enable();
    py.err_restore(et, ev, etb);
}

void shim_python_frames_slow(struct trace_thread_writer *w, const void *obj,
                             uint64_t site)
{
    if (shim_tls.in_signal || shim_tls.busy)
        return;
    int saved = errno;
    shim_enter();
    struct py_payload p;
    memset(&p.u.info, 0, sizeof p.u.info);
    p.off = sizeof p.u.info;
    pyobj *ts = py_holder_state();
    if (ts)
        py_frames_collect(ts, &p);
    shim_leave();
    if (p.u.info.nframes)
        shim_event_payload(w, TRACE_EV_PY_FRAMES, obj, site, p.u.bytes, p.off);
    errno = saved;
}

/* ---- thread names ---- */

/* The calling thread is called `name` (recorded only; the OS name stays). */
SHIM_EXPORT void ctrace_set_thread_name(const char *name)
{
    shim_thread_name(pthread_self(), name, SHIM_SITE);
}

/* Thread `thread` (a pthread_t: Python's Thread.ident) is called `name`. */
SHIM_EXPORT void ctrace_set_thread_name_of(unsigned long thread,
                                           const char *name)
{
    shim_thread_name((pthread_t)thread, name, SHIM_SITE);
}
