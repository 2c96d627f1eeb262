/* The viewer's model of a trace: everything the screen shows, summarised
 * so that no frame ever re-reads all events.
 *
 * It owns:
 *  - rows: processes in their fork/exec/spawn tree, each followed by its
 *    threads (reader thread index, tid, name);
 *  - per thread, a pyramid of timeline cells (cells.h): a base level of
 *    `base_cells` cells of 2^base_shift ns each, filled once by streaming
 *    every thread's events (trace_thread_reader) through its activity
 *    state machine, and coarser levels of half as many cells each.
 *    Memory is threads x cells, never events;
 *  - per thread, a sparse index of checkpoints (every MODEL_CKPT_EVERY
 *    events: a time and the activity there), so that the exact cells of
 *    a window finer than the base level, the events under the cursor and
 *    who held a lock at a moment are rebuilt by re-reading only the
 *    events after the nearest checkpoint (model_fetch.c);
 *  - the locks seen, with their contention figures (acquisitions,
 *    contended, wait and hold times), and the exception events
 *    (markers);
 *  - the highlight layer of one lock (its holds and waits on every
 *    thread).
 *
 * A model follows a live trace too: model_update() after
 * trace_reader_poll() reads what is new and extends the threads still
 * running up to now; when the trace outgrows the base level, its cell
 * width doubles.
 */
#ifndef CTRACE_TUI_MODEL_H
#define CTRACE_TUI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "activity.h"
#include "cells.h"
#include "reader.h"

#define MODEL_LEVELS_MAX 24
#define MODEL_TOP_CELLS 16    /* cells of the coarsest level */
#define MODEL_CKPT_EVERY 4096 /* events between checkpoints */

struct symbolizer;

struct model_ckpt {
    uint64_t ts;         /* the first event at or after it has ts >= this */
    struct activity act; /* the activity just before that event */
};

struct model_thread {
    uint32_t tid, proc, serial;
    char name[64];     /* recorded name, "" if none */
    uint64_t start_pc; /* start routine (thread-start site) */
    uint64_t events;
    uint64_t first_ns; /* first event */
    uint64_t stop_ns;  /* where its row ends */
    bool started;
    bool ended;          /* exited, or its process ended: after stop_ns its
                            cells show ACT_END (up to cur_ns) */
    struct activity act; /* after the latest event read */
    uint64_t cur_ns;     /* cells are filled up to here */
    struct cell *lv[MODEL_LEVELS_MAX];
    uint8_t *hl[MODEL_LEVELS_MAX]; /* highlight layer, NULL when off */
    struct cell_sink sink;         /* the base level */
    struct cell_sink hl_sink;      /* the base highlight layer */
    size_t dirty;                  /* base cells from here need the pyramid */
    struct model_ckpt *ck;
    size_t nck, capck;
    uint64_t since_ck; /* events since the last checkpoint */
    uint64_t last_ts;
    struct trace_thread_reader *tr; /* live: kept open */
};

enum model_row_kind { ROW_PROCESS, ROW_THREAD };

struct model_row {
    enum model_row_kind kind;
    uint32_t index; /* reader process index or thread index */
    uint32_t depth; /* process tree depth */
};

enum model_lock_kind { LOCK_MUTEX, LOCK_RWLOCK, LOCK_SPIN };

struct model_lock {
    uint64_t addr;
    uint32_t proc;
    enum model_lock_kind kind;
    uint64_t acquisitions, contended;
    uint64_t wait_ns, wait_max_ns, hold_ns, hold_max_ns;
    uint64_t first_ns;
    char name[96]; /* filled lazily by model_lock_name() */
};

/* An exception event: signal, abort, assert, C++ throw/terminate,
 * Python exception, non-zero exit. */
struct model_exc {
    uint64_t ts;
    uint32_t thread;
    uint32_t type;  /* trace event type */
    int32_t detail; /* signal number or exit status */
};

struct model {
    struct trace_reader *r;
    struct symbolizer *sym; /* module-load events go there; may be NULL */
    bool live;
    char *dir;
    /* threads and processes, indexed like the reader's lists */
    struct model_thread *th;
    size_t nth;
    size_t nprocs;
    struct model_row *rows;
    size_t nrows;
    /* time */
    unsigned base_shift; /* base cell width = 1 << base_shift ns */
    size_t base_cells;   /* power of two */
    unsigned levels;     /* level k: base_cells >> k cells, k < levels */
    uint64_t end_ns;     /* the trace's end (live: now) */
    uint64_t events, lost_events;
    uint64_t version; /* bumped whenever cells change */
    /* locks: open addressing on (proc, addr) */
    struct model_lock *locks;
    size_t nlocks, caplocks;
    uint32_t *lock_hash;
    size_t lock_hash_cap; /* power of two */
    /* exceptions */
    struct model_exc *exc;
    size_t nexc, capexc;
    /* the highlighted lock (index into locks), -1 when none */
    long hl_lock;
    uint64_t hl_version;
    /* errors met while reading (first one), for the status line */
    char error[512];
};

/* Open the trace in `dir` and build the whole model (static), or start
 * following it (live: what is there now; model_update() brings more).
 * `sym` (may be NULL) receives module-load events.  NULL with err filled
 * when the trace cannot be opened. */
struct model *model_open(const char *dir, bool live, struct symbolizer *sym,
                         struct trace_error *err);
void model_free(struct model *m);

/* Live: read what trace_reader_poll() found and extend running threads
 * to now.  Returns true when something changed. */
bool model_update(struct model *m);

/* Live: whether a traced process may still run (one has neither
 * recorded its exit nor disappeared from the system). */
bool model_running(const struct model *m);

/* The cells of a level (NULL when the level does not exist). */
static inline const struct cell *model_level(const struct model *m,
                                             size_t thread, unsigned level)
{
    return level < m->levels ? m->th[thread].lv[level] : NULL;
}
static inline size_t model_level_cells(const struct model *m, unsigned level)
{
    return m->base_cells >> level;
}

/* Highlight one lock's holds and waits (index into m->locks; -1 turns
 * it off).  Re-reads the trace once. */
void model_highlight_lock(struct model *m, long lock);

/* Highlight bits (enum cell_hl) of a thread doing activity a. */
uint8_t model_hl_bits(const struct model *m, size_t thread,
                      const struct activity *a);

/* The lock at (proc, addr), or -1. */
long model_lock_find(const struct model *m, uint32_t proc, uint64_t addr);
/* A name for a lock: its data symbol ("table_lock") when the symbolizer
 * knows one, else "mutex 0x55d0c0de". */
const char *model_lock_name(struct model *m, long lock);

/* The thread's label: its name, else its start routine ("[worker]"),
 * else "[main]" for the first thread of a process. */
void model_thread_label(struct model *m, size_t thread, char *buf, size_t len);

/* ---- re-reading windows (model_fetch.c) ---- */

/* Exact cells of thread `thread` for ncols cells of 2^shift ns from t0
 * (t0 a multiple of 2^shift), with the highlight layer when hl is not
 * NULL. */
void model_window(struct model *m, size_t thread, uint64_t t0, unsigned shift,
                  size_t ncols, struct cell *out, uint8_t *hl);

/* What a screen row shows: ncols cells of 2^shift ns from t0 (a
 * multiple of it), with the highlight layer in hl.  Copied from the
 * pyramid when a cell is at least a base cell wide, else rebuilt exactly
 * by model_window(). */
void model_cells(struct model *m, size_t thread, uint64_t t0, unsigned shift,
                 size_t ncols, struct cell *out, uint8_t *hl);

/* The one cell of `thread` of width 2^shift holding time t0. */
void model_window_cell(struct model *m, size_t thread, uint64_t t0,
                       unsigned shift, struct cell *out, uint8_t *hl);

/* Events of `thread` with t0 <= ts_ns < t1, in order: fn is called with
 * each event and the activity just before it; it returns false to stop.
 * Returns the number of events passed. */
typedef bool model_event_fn(void *ctx, const struct trace_event *ev,
                            const struct activity *before);
size_t model_fetch(struct model *m, size_t thread, uint64_t t0, uint64_t t1,
                   model_event_fn *fn, void *ctx);

/* The last event of `thread` before ts (fn called once), false when
 * there is none. */
bool model_fetch_last(struct model *m, size_t thread, uint64_t ts,
                      model_event_fn *fn, void *ctx);

/* The activity of `thread` at time ts (after every event with ts_ns <=
 * ts). */
void model_activity_at(struct model *m, size_t thread, uint64_t ts,
                       struct activity *out);

#endif
