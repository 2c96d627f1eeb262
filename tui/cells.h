/* Timeline cells: what a thread did during one slice of time.
 *
 * A cell keeps the share of its time spent in each activity (activity.h),
 * in 255ths, plus an event count and flags.  Two neighbouring cells
 * combine into the cell of twice the width (cell_combine), which is what
 * the model's pyramid of zoom levels is made of.  A `cell_sink` turns a
 * thread's activity intervals [t0, t1) into cells of one width (a power
 * of two ns) from an origin: the model's base level, the exact cells of a
 * zoomed-in window, and the highlight layer of one lock are all filled
 * by it.
 *
 * Invariant: a sink's intervals arrive in time order (each t0 >= the
 * previous t1, callers clamp); only the cell at the latest time is still
 * being accumulated (`cur`), every earlier one is final.
 */
#ifndef CTRACE_TUI_CELLS_H
#define CTRACE_TUI_CELLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "activity.h"

enum cell_flag {
    CELL_ALIVE = 1u << 0, /* the thread was alive some of the time */
    CELL_CRASH = 1u << 1, /* a fatal signal arrived */
    CELL_EXC = 1u << 2,   /* an exception: signal, abort, assert, throw,
                             non-zero exit */
    CELL_ENDED = 1u << 3, /* the thread had ended some of the time */
};

/* Highlight layer bits (one byte per cell, a separate array). */
enum cell_hl {
    HL_WAIT = 1u << 0, /* waited for the highlighted lock */
    HL_HOLD = 1u << 1, /* held it */
};

struct cell {
    uint8_t frac[ACT_COUNT]; /* 255ths of the cell's time */
    uint16_t events;         /* saturating */
    uint8_t flags;           /* enum cell_flag */
    uint8_t pad;
};

/* The cell of twice the width made of a and b. */
void cell_combine(struct cell *out, const struct cell *a, const struct cell *b);

/* What the cell shows: the activity it mostly had while alive; when the
 * thread was not alive at all, ACT_END if it had ended, else ACT_DEAD
 * (not started yet). */
enum act cell_activity(const struct cell *c);

/* Adds count to the saturating event counter. */
static inline void cell_add_events(struct cell *c, uint32_t count)
{
    uint32_t e = c->events + count;
    c->events = e > UINT16_MAX ? UINT16_MAX : (uint16_t)e;
}

struct cell_sink {
    struct cell *cells; /* may be NULL: highlight only */
    uint8_t *hl;        /* may be NULL: no highlight */
    size_t n;           /* cells; time beyond them is dropped */
    uint64_t origin;    /* ns at the start of cells[0] */
    unsigned shift;     /* cell width = 1 << shift ns */
    /* the cell being accumulated */
    size_t cur;
    bool open;
    uint64_t ns[ACT_COUNT];
    uint8_t hl_acc;
    bool ended; /* some of it after the thread's end */
};

void cell_sink_init(struct cell_sink *k, struct cell *cells, uint8_t *hl,
                    size_t n, uint64_t origin, unsigned shift);
/* The thread did `act` during [t0, t1) (ACT_DEAD: nothing; ACT_END:
 * the cells get CELL_ENDED, no share); `hl` are the highlight bits of
 * that interval. */
void cell_sink_add(struct cell_sink *k, uint64_t t0, uint64_t t1, enum act act,
                   uint8_t hl);
/* One event at ts, with cell flags to set. */
void cell_sink_event(struct cell_sink *k, uint64_t ts, uint8_t flags);
/* Write the cell being accumulated (it stays open: more may come). */
void cell_sink_flush(struct cell_sink *k);
/* Halve the resolution in place: cells i*2 and i*2+1 become cell i, the
 * width doubles, the second half is emptied (live traces outgrowing the
 * base level). */
void cell_sink_coarsen(struct cell_sink *k);

#endif
