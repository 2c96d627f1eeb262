/* The viewer's model: building and following it (see model.h).
 *
 * One pass per thread, in the thread's own order (no merge is needed:
 * a thread's activity depends on its events alone): every event closes
 * the interval since the previous one, which the base level's sink turns
 * into cell shares; the coarser levels are then combined pairwise.  The
 * memory the pass keeps is the cells, one checkpoint per
 * MODEL_CKPT_EVERY events, and one entry per lock and exception.
 */
#include "model.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols.h"

/* Cells of all base levels together (threads x base cells). */
#define MODEL_CELL_BUDGET (2u << 20)
#define MODEL_BASE_MAX 65536u
#define MODEL_BASE_MIN 1024u
#define MODEL_BASE_LIVE 16384u
#define MODEL_LIVE_SHIFT 14u  /* 16 us cells to begin with */
#define MODEL_PARK_THREADS 32 /* live: more threads park their readers */

static void *model_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "ctrace view: out of memory\n");
        abort();
    }
    return q;
}

static void *model_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "ctrace view: out of memory\n");
        abort();
    }
    return p;
}

static void model_note_error(struct model *m, const char *msg)
{
    if (!m->error[0])
        snprintf(m->error, sizeof m->error, "%s", msg);
}

/* ---- locks ---- */

static uint32_t model_lock_hash(uint32_t proc, uint64_t addr)
{
    uint64_t h = (addr ^ ((uint64_t)proc << 48)) * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> 32);
}

long model_lock_find(const struct model *m, uint32_t proc, uint64_t addr)
{
    if (!m->lock_hash_cap)
        return -1;
    size_t mask = m->lock_hash_cap - 1;
    for (size_t i = model_lock_hash(proc, addr) & mask;; i = (i + 1) & mask) {
        uint32_t v = m->lock_hash[i];
        if (v == 0)
            return -1;
        const struct model_lock *l = &m->locks[v - 1];
        if (l->addr == addr && l->proc == proc)
            return (long)(v - 1);
    }
}

static void model_lock_rehash(struct model *m)
{
    size_t cap = m->lock_hash_cap ? m->lock_hash_cap * 2 : 64;
    free(m->lock_hash);
    m->lock_hash = model_xcalloc(cap, sizeof *m->lock_hash);
    m->lock_hash_cap = cap;
    for (size_t j = 0; j < m->nlocks; j++) {
        size_t i =
            model_lock_hash(m->locks[j].proc, m->locks[j].addr) & (cap - 1);
        while (m->lock_hash[i])
            i = (i + 1) & (cap - 1);
        m->lock_hash[i] = (uint32_t)(j + 1);
    }
}

static enum model_lock_kind model_lock_kind_of(uint32_t type)
{
    if (type >= TRACE_EV_RWLOCK_INIT && type <= TRACE_EV_RWLOCK_RELEASE)
        return LOCK_RWLOCK;
    if (type >= TRACE_EV_SPIN_INIT && type <= TRACE_EV_SPIN_RELEASE)
        return LOCK_SPIN;
    return LOCK_MUTEX;
}

static struct model_lock *model_lock_get(struct model *m, uint32_t proc,
                                         uint64_t addr, uint32_t type,
                                         uint64_t ts)
{
    long i = model_lock_find(m, proc, addr);
    if (i >= 0)
        return &m->locks[i];
    if ((m->nlocks + 1) * 2 > m->lock_hash_cap)
        model_lock_rehash(m);
    if (m->nlocks == m->caplocks) {
        m->caplocks = m->caplocks ? m->caplocks * 2 : 64;
        m->locks = model_xrealloc(m->locks, m->caplocks * sizeof *m->locks);
    }
    struct model_lock *l = &m->locks[m->nlocks];
    memset(l, 0, sizeof *l);
    l->addr = addr;
    l->proc = proc;
    l->kind = model_lock_kind_of(type);
    l->first_ns = ts;
    size_t mask = m->lock_hash_cap - 1;
    size_t h = model_lock_hash(proc, addr) & mask;
    while (m->lock_hash[h])
        h = (h + 1) & mask;
    m->lock_hash[h] = (uint32_t)(++m->nlocks);
    return l;
}

static void model_lock_count(struct model *m, uint32_t proc,
                             const struct trace_event *ev,
                             const struct activity_change *ch)
{
    struct model_lock *l =
        model_lock_get(m, proc, ev->obj, ev->type, ev->ts_ns);
    if (ch->acquired) {
        l->acquisitions++;
        if (ch->contended)
            l->contended++;
        l->wait_ns += ch->waited_ns;
        if (ch->waited_ns > l->wait_max_ns)
            l->wait_max_ns = ch->waited_ns;
    }
    if (ch->released) {
        l->hold_ns += ch->held_ns;
        if (ch->held_ns > l->hold_max_ns)
            l->hold_max_ns = ch->held_ns;
    }
}

static const char *const model_lock_kind_names[] = {"mutex", "rwlock", "spin"};

const char *model_lock_name(struct model *m, long lock)
{
    if (lock < 0 || (size_t)lock >= m->nlocks)
        return "?";
    struct model_lock *l = &m->locks[lock];
    if (l->name[0])
        return l->name;
    char sym[64];
    if (m->sym && sym_lookup_data(m->sym, l->proc, l->addr, sym, sizeof sym))
        snprintf(l->name, sizeof l->name, "%s", sym);
    else
        snprintf(l->name, sizeof l->name, "%s 0x%llx",
                 model_lock_kind_names[l->kind], (unsigned long long)l->addr);
    return l->name;
}

/* ---- threads, processes and rows ---- */

void model_thread_label(struct model *m, size_t thread, char *buf, size_t len)
{
    const struct model_thread *t = &m->th[thread];
    if (t->name[0]) {
        snprintf(buf, len, "%s", t->name);
        return;
    }
    if (t->start_pc && m->sym) {
        struct sym_frame f;
        sym_lookup(m->sym, t->proc, t->start_pc, false, &f, 1);
        if (f.function) {
            snprintf(buf, len, "[%s]", f.function);
            return;
        }
    }
    if (t->serial == 0)
        snprintf(buf, len, "[main]");
    else
        snprintf(buf, len, "[thread %u]", t->serial);
}

static void model_thread_alloc_levels(struct model *m, struct model_thread *t)
{
    for (unsigned k = 0; k < m->levels; k++)
        t->lv[k] = model_xcalloc(m->base_cells >> k, sizeof(struct cell));
    cell_sink_init(&t->sink, t->lv[0], NULL, m->base_cells, 0, m->base_shift);
}

static void model_thread_free_hl(struct model *m, struct model_thread *t)
{
    for (unsigned k = 0; k < m->levels; k++) {
        free(t->hl[k]);
        t->hl[k] = NULL;
    }
}

static void model_thread_highlight(struct model *m, size_t i);

/* Threads and processes the reader knows now; true when rows changed. */
static bool model_sync_threads(struct model *m)
{
    size_t n = trace_reader_thread_count(m->r);
    size_t np = trace_reader_process_count(m->r);
    for (size_t i = 0; i < m->nth; i++) { /* names may come later */
        const struct trace_thread *rt = trace_reader_thread(m->r, i);
        snprintf(m->th[i].name, sizeof m->th[i].name, "%s", rt->name);
    }
    if (n == m->nth && np == m->nprocs)
        return false;
    m->th = model_xrealloc(m->th, n * sizeof *m->th);
    for (size_t i = m->nth; i < n; i++) {
        const struct trace_thread *rt = trace_reader_thread(m->r, i);
        struct model_thread *t = &m->th[i];
        memset(t, 0, sizeof *t);
        t->tid = rt->tid;
        t->proc = rt->proc;
        t->serial = rt->serial;
        snprintf(t->name, sizeof t->name, "%s", rt->name);
        activity_init(&t->act);
        model_thread_alloc_levels(m, t);
        t->dirty = SIZE_MAX;
    }
    size_t old = m->nth;
    m->nth = n;
    m->nprocs = np;
    for (size_t i = old; i < n && m->hl_lock >= 0; i++)
        model_thread_highlight(m, i);
    return true;
}

/* Children of process image p (fork/spawn children and the image it
 * exec'd into) in start order, appended to rows after p. */
static int model_row_cmp_start(const void *a, const void *b, void *arg)
{
    const struct trace_reader *r = arg;
    const struct trace_process *x = trace_reader_process(r, *(const size_t *)a);
    const struct trace_process *y = trace_reader_process(r, *(const size_t *)b);
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int model_proc_parent(const struct trace_reader *r, size_t p)
{
    const struct trace_process *pr = trace_reader_process(r, p);
    return pr->exec_from >= 0 ? pr->exec_from : pr->parent;
}

static void model_rows_add(struct model *m, size_t p, uint32_t depth,
                           const size_t *order, size_t np)
{
    if (depth > 64)
        return; /* a corrupt tree never loops us */
    m->rows[m->nrows++] = (struct model_row){ROW_PROCESS, (uint32_t)p, depth};
    size_t first = m->nrows;
    for (size_t i = 0; i < m->nth; i++)
        if (m->th[i].proc == p)
            m->rows[m->nrows++] =
                (struct model_row){ROW_THREAD, (uint32_t)i, depth};
    /* serial order (a live reader numbers threads as it finds them) */
    for (size_t i = first + 1; i < m->nrows; i++)
        for (size_t j = i; j > first && m->th[m->rows[j].index].serial <
                                            m->th[m->rows[j - 1].index].serial;
             j--) {
            struct model_row tmp = m->rows[j];
            m->rows[j] = m->rows[j - 1];
            m->rows[j - 1] = tmp;
        }
    for (size_t j = 0; j < np; j++)
        if (model_proc_parent(m->r, order[j]) == (int)p)
            model_rows_add(m, order[j], depth + 1, order, np);
}

static void model_build_rows(struct model *m)
{
    size_t np = m->nprocs;
    size_t *order = model_xcalloc(np, sizeof *order);
    for (size_t i = 0; i < np; i++)
        order[i] = i;
    qsort_r(order, np, sizeof *order, model_row_cmp_start, m->r);
    free(m->rows);
    m->rows = model_xcalloc(np + m->nth, sizeof *m->rows);
    m->nrows = 0;
    for (size_t j = 0; j < np; j++) {
        int parent = model_proc_parent(m->r, order[j]);
        if (parent < 0 || (size_t)parent >= np)
            model_rows_add(m, order[j], 0, order, np);
    }
    free(order);
}

/* ---- reading events ---- */

static uint8_t model_event_flags(const struct trace_event *ev)
{
    switch (ev->type) {
    case TRACE_EV_SIGNAL:
        return CELL_CRASH | CELL_EXC;
    case TRACE_EV_ABORT:
    case TRACE_EV_ASSERT:
    case TRACE_EV_CXX_THROW:
    case TRACE_EV_CXX_TERMINATE:
    case TRACE_EV_PY_EXCEPTION:
        return CELL_EXC;
    case TRACE_EV_PROCESS_EXIT:
        return ev->arg ? CELL_EXC : 0;
    default:
        return 0;
    }
}

static void model_note_exception(struct model *m, size_t thread,
                                 const struct trace_event *ev)
{
    if (m->nexc == m->capexc) {
        m->capexc = m->capexc ? m->capexc * 2 : 16;
        m->exc = model_xrealloc(m->exc, m->capexc * sizeof *m->exc);
    }
    int32_t detail = (int32_t)ev->arg;
    if (ev->type == TRACE_EV_SIGNAL && ev->payload &&
        ev->payload_len >= sizeof(struct trace_signal_info))
        detail = ((const struct trace_signal_info *)ev->payload)->signo;
    m->exc[m->nexc++] =
        (struct model_exc){ev->ts_ns, (uint32_t)thread, ev->type, detail};
}

uint8_t model_hl_bits(const struct model *m, size_t thread,
                      const struct activity *a)
{
    const struct model_thread *t = &m->th[thread];
    if (m->hl_lock < 0)
        return 0;
    const struct model_lock *l = &m->locks[m->hl_lock];
    if (l->proc != t->proc || !a->alive)
        return 0;
    uint8_t bits = 0;
    if (a->wait == ACT_LOCK && a->wait_obj == l->addr)
        bits |= HL_WAIT;
    if (activity_holds(a, l->addr))
        bits |= HL_HOLD;
    return bits;
}

/* Live: double the base cell width until ts fits. */
static void model_ensure_span(struct model *m, uint64_t ts)
{
    while (m->base_shift < 62 && (ts >> m->base_shift) >= m->base_cells) {
        for (size_t i = 0; i < m->nth; i++) {
            struct model_thread *t = &m->th[i];
            cell_sink_coarsen(&t->sink);
            if (t->hl[0])
                cell_sink_coarsen(&t->hl_sink);
            t->dirty = 0;
        }
        m->base_shift++;
    }
}

/* Fill the thread's cells from where they are up to ts with `a` (hl:
 * whether its highlight bits apply). */
static void model_thread_fill(struct model *m, struct model_thread *t,
                              uint64_t ts, enum act a, bool hl)
{
    if (ts <= t->cur_ns)
        return;
    model_ensure_span(m, ts);
    cell_sink_add(&t->sink, t->cur_ns, ts, a, 0);
    if (t->hl[0])
        cell_sink_add(&t->hl_sink, t->cur_ns, ts, a,
                      hl ? model_hl_bits(m, (size_t)(t - m->th), &t->act) : 0);
    t->cur_ns = ts;
}

/* The interval since the thread's previous event, up to ts. */
static void model_thread_advance(struct model *m, struct model_thread *t,
                                 uint64_t ts)
{
    model_thread_fill(m, t, ts, activity_now(&t->act), true);
}

static void model_checkpoint(struct model_thread *t, uint64_t ts)
{
    if (t->nck == t->capck) {
        t->capck = t->capck ? t->capck * 2 : 16;
        t->ck = model_xrealloc(t->ck, t->capck * sizeof *t->ck);
    }
    t->ck[t->nck++] = (struct model_ckpt){ts, t->act};
    t->since_ck = 0;
}

static void model_thread_event(struct model *m, size_t i,
                               const struct trace_event *ev)
{
    struct model_thread *t = &m->th[i];
    uint64_t ts = ev->ts_ns;
    if (!t->started) {
        t->started = true;
        t->first_ns = ts;
        t->cur_ns = ts;
        model_checkpoint(t, ts);
    } else if (t->since_ck >= MODEL_CKPT_EVERY && ts > t->last_ts) {
        model_checkpoint(t, ts);
    }
    model_thread_advance(m, t, ts);
    uint8_t flags = model_event_flags(ev);
    cell_sink_event(&t->sink, t->cur_ns, flags);
    if (flags)
        model_note_exception(m, i, ev);
    struct activity_change ch;
    activity_apply(&t->act, ev, &ch);
    if (activity_is_lock_event(ev->type) && ev->obj)
        model_lock_count(m, t->proc, ev, &ch);
    if (ev->type == TRACE_EV_THREAD_START && !t->start_pc)
        t->start_pc = ev->site;
    if (ev->type == TRACE_EV_MODULE_LOAD && m->sym) {
        const struct trace_process *p = trace_reader_process(m->r, t->proc);
        sym_add_event(m->sym, ev, p ? p->exe : NULL);
    }
    t->events++;
    t->since_ck++;
    if (ts > t->last_ts)
        t->last_ts = ts;
    m->events++;
    if (ts > m->end_ns)
        m->end_ns = ts;
}

/* Base cells from the one being accumulated on may change. */
static void model_mark_dirty(struct model_thread *t)
{
    size_t from = t->sink.open ? t->sink.cur : 0;
    if (from < t->dirty)
        t->dirty = from;
}

/* Read what is new of thread i.  Static traces close the thread's reader
 * at its end; live ones keep it to go on after the next poll. */
static bool model_thread_read(struct model *m, size_t i)
{
    struct model_thread *t = &m->th[i];
    if (t->tr && trace_reader_thread(m->r, i)->events == t->events)
        return false; /* live: nothing new (the scan counts every event) */
    if (!t->tr)
        t->tr = trace_thread_reader_open(m->r, i, 0);
    if (!t->tr)
        return false;
    struct trace_event ev;
    struct trace_error err;
    uint64_t before = t->events;
    int rc;
    model_mark_dirty(t);
    while ((rc = trace_thread_reader_next(t->tr, &ev, &err)) > 0)
        model_thread_event(m, i, &ev);
    if (rc < 0)
        model_note_error(m, err.msg);
    if (!m->live || rc < 0) {
        trace_thread_reader_close(t->tr);
        t->tr = NULL;
    } else if (m->nth > MODEL_PARK_THREADS) {
        trace_thread_reader_park(t->tr); /* memory: threads x tables */
    }
    return t->events != before;
}

/* Whether process image `proc` has ended: it recorded its exit, an exec
 * replaced it, or the trace is a recorded one (every image is over; one
 * killed ended with its last event, the reader's end_ns). */
static bool model_proc_ended(const struct model *m, uint32_t proc)
{
    const struct trace_process *p = trace_reader_process(m->r, proc);
    if (!p || !p->end_ns)
        return false;
    if (p->exited || !m->live)
        return true;
    size_t n = trace_reader_process_count(m->r);
    for (size_t i = 0; i < n; i++)
        if (trace_reader_process(m->r, i)->exec_from == (int)proc)
            return true;
    return false;
}

/* Where a thread's row ends: its exit, its process's end, or the end of
 * the trace (live: now) while it may still run.  Never before its
 * latest event nor before where it ended last time (cur_ns may be
 * further: the ended cells). */
static uint64_t model_thread_stop(const struct model *m,
                                  const struct model_thread *t)
{
    uint64_t upto = t->last_ts > t->stop_ns ? t->last_ts : t->stop_ns;
    if (!t->act.alive)
        return upto;
    if (model_proc_ended(m, t->proc)) {
        const struct trace_process *p = trace_reader_process(m->r, t->proc);
        return p->end_ns > upto ? p->end_ns : upto;
    }
    uint64_t end = m->end_ns > t->cur_ns ? m->end_ns : t->cur_ns;
    return end > upto ? end : upto;
}

static void model_pyramid(struct model *m, struct model_thread *t, size_t lo,
                          size_t hi)
{
    for (unsigned k = 1; k < m->levels; k++) {
        lo >>= 1;
        hi >>= 1;
        const struct cell *below = t->lv[k - 1];
        for (size_t j = lo; j <= hi && j < (m->base_cells >> k); j++) {
            cell_combine(&t->lv[k][j], &below[2 * j], &below[2 * j + 1]);
            if (t->hl[k])
                t->hl[k][j] = t->hl[k - 1][2 * j] | t->hl[k - 1][2 * j + 1];
        }
    }
}

/* Extend every thread to its stop, write the open cells and bring the
 * coarser levels up to date where the base changed. */
static void model_settle(struct model *m)
{
    for (size_t i = 0; i < m->nth; i++) {
        struct model_thread *t = &m->th[i];
        if (!t->started)
            continue;
        model_mark_dirty(t);
        t->stop_ns = model_thread_stop(m, t);
        model_thread_advance(m, t, t->stop_ns);
        t->ended = t->act.ended || model_proc_ended(m, t->proc);
        if (t->ended) /* from its end to the trace's: "ended" cells */
            model_thread_fill(m, t, m->end_ns, ACT_END, false);
        cell_sink_flush(&t->sink);
        if (t->hl[0])
            cell_sink_flush(&t->hl_sink);
        if (t->dirty != SIZE_MAX) {
            size_t hi = t->sink.open ? t->sink.cur : m->base_cells - 1;
            model_pyramid(m, t, t->dirty, hi < t->dirty ? t->dirty : hi);
        }
        t->dirty = SIZE_MAX;
    }
    m->version++;
}

/* ---- opening and following ---- */

static uint64_t model_trace_end(const struct trace_reader *r)
{
    uint64_t end = 0;
    for (size_t i = 0; i < trace_reader_thread_count(r); i++) {
        const struct trace_thread *t = trace_reader_thread(r, i);
        if (t->last_ns > end)
            end = t->last_ns;
    }
    for (size_t i = 0; i < trace_reader_process_count(r); i++) {
        const struct trace_process *p = trace_reader_process(r, i);
        if (p->end_ns > end)
            end = p->end_ns;
    }
    return end;
}

/* Base cells and width: as fine as the cell budget allows, the whole
 * trace inside the base level. */
static void model_pick_base(struct model *m, size_t nthreads, uint64_t end)
{
    size_t cells = MODEL_BASE_MAX;
    if (m->live) {
        cells = MODEL_BASE_LIVE;
    } else {
        while (cells > MODEL_BASE_MIN &&
               cells * (nthreads ? nthreads : 1) > MODEL_CELL_BUDGET)
            cells /= 2;
    }
    unsigned shift = m->live ? MODEL_LIVE_SHIFT : 0;
    while (shift < 62 && ((uint64_t)cells << shift) <= end)
        shift++;
    m->base_cells = cells;
    m->base_shift = shift;
    unsigned levels = 1;
    while ((cells >> levels) >= MODEL_TOP_CELLS && levels < MODEL_LEVELS_MAX)
        levels++;
    m->levels = levels;
}

static void model_read_new(struct model *m)
{
    if (model_sync_threads(m))
        model_build_rows(m);
    for (size_t i = 0; i < m->nth; i++)
        model_thread_read(m, i);
    m->lost_events = trace_reader_lost_events(m->r);
    /* damage outside the threads' records (a truncated file, a file that
     * is not a process file, a broken chunk area): the thread readers
     * never see it, the merged stream that `report` reads does */
    struct trace_error err;
    if (trace_reader_damage(m->r, &err))
        model_note_error(m, err.msg);
}

struct model *model_open(const char *dir, bool live, struct symbolizer *sym,
                         struct trace_error *err)
{
    struct trace_reader *r = trace_reader_open(dir, err);
    if (!r)
        return NULL;
    struct model *m = model_xcalloc(1, sizeof *m);
    m->r = r;
    m->sym = sym;
    m->live = live;
    m->dir = strdup(dir);
    m->hl_lock = -1;
    model_pick_base(m, trace_reader_thread_count(r), model_trace_end(r));
    m->end_ns = live ? trace_reader_now_ns(r) : model_trace_end(r);
    model_read_new(m);
    if (live && model_running(m)) {
        uint64_t now = trace_reader_now_ns(r);
        if (now > m->end_ns)
            m->end_ns = now;
    }
    model_settle(m);
    return m;
}

bool model_running(const struct model *m)
{
    size_t n = trace_reader_process_count(m->r);
    for (size_t i = 0; i < n; i++) {
        const struct trace_process *p = trace_reader_process(m->r, i);
        /* killed processes never record an exit: ask the kernel */
        if (!p->exited && !(kill((pid_t)p->pid, 0) != 0 && errno == ESRCH))
            return true;
    }
    return n == 0;
}

bool model_update(struct model *m)
{
    if (!m->live)
        return false;
    struct trace_error err;
    int rc = trace_reader_poll(m->r, &err);
    if (rc < 0)
        model_note_error(m, err.msg);
    model_read_new(m);
    if (model_running(m)) { /* else the trace ends with its last event */
        uint64_t now = trace_reader_now_ns(m->r);
        if (now > m->end_ns)
            m->end_ns = now;
    }
    model_settle(m);
    return true; /* time moved on: running threads grew */
}

void model_free(struct model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nth; i++) {
        struct model_thread *t = &m->th[i];
        for (unsigned k = 0; k < m->levels; k++)
            free(t->lv[k]);
        model_thread_free_hl(m, t);
        free(t->ck);
        trace_thread_reader_close(t->tr);
    }
    free(m->th);
    free(m->rows);
    free(m->locks);
    free(m->lock_hash);
    free(m->exc);
    free(m->dir);
    trace_reader_close(m->r);
    free(m);
}

/* ---- highlighting one lock ---- */

/* Re-read thread i up to where the model is and fill its layer. */
static void model_thread_highlight(struct model *m, size_t i)
{
    struct model_thread *t = &m->th[i];
    for (unsigned k = 0; k < m->levels; k++)
        t->hl[k] = model_xcalloc(m->base_cells >> k, 1);
    cell_sink_init(&t->hl_sink, NULL, t->hl[0], m->base_cells, 0,
                   m->base_shift);
    if (!t->started || m->locks[m->hl_lock].proc != t->proc)
        return;
    struct trace_thread_reader *tr = trace_thread_reader_open(m->r, i, 0);
    struct activity a;
    activity_init(&a);
    uint64_t cur = t->first_ns;
    struct trace_event ev;
    struct trace_error err;
    while (tr && trace_thread_reader_next(tr, &ev, &err) > 0) {
        uint64_t ts = ev.ts_ns < cur ? cur : ev.ts_ns;
        if (ts > t->cur_ns)
            break;
        cell_sink_add(&t->hl_sink, cur, ts, activity_now(&a),
                      model_hl_bits(m, i, &a));
        cur = ts;
        activity_apply(&a, &ev, NULL);
    }
    trace_thread_reader_close(tr);
    cell_sink_add(&t->hl_sink, cur, t->ended ? t->stop_ns : t->cur_ns,
                  activity_now(&a), model_hl_bits(m, i, &a));
    cell_sink_flush(&t->hl_sink);
    model_pyramid(m, t, 0, m->base_cells - 1);
}

void model_highlight_lock(struct model *m, long lock)
{
    for (size_t i = 0; i < m->nth; i++)
        model_thread_free_hl(m, &m->th[i]);
    m->hl_lock = lock >= 0 && (size_t)lock < m->nlocks ? lock : -1;
    m->hl_version++;
    if (m->hl_lock < 0)
        return;
    for (size_t i = 0; i < m->nth; i++)
        model_thread_highlight(m, i);
}
