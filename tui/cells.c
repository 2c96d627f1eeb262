/* Timeline cells and the sink that fills them (see cells.h). */
#include "cells.h"

#include <string.h>

void cell_combine(struct cell *out, const struct cell *a, const struct cell *b)
{
    struct cell c;
    for (int i = 0; i < ACT_COUNT; i++)
        c.frac[i] = (uint8_t)((a->frac[i] + b->frac[i] + 1) >> 1);
    c.events = a->events;
    cell_add_events(&c, b->events);
    c.flags = a->flags | b->flags;
    c.pad = 0;
    *out = c;
}

enum act cell_activity(const struct cell *c)
{
    if (!(c->flags & CELL_ALIVE) && c->events == 0)
        return (c->flags & CELL_ENDED) ? ACT_END : ACT_DEAD;
    int best = ACT_RUN;
    for (int i = 1; i < ACT_COUNT; i++) /* ties go to the later (urgent) */
        if (c->frac[i] >= c->frac[best] && c->frac[i] > 0)
            best = i;
    return (enum act)best;
}

void cell_sink_init(struct cell_sink *k, struct cell *cells, uint8_t *hl,
                    size_t n, uint64_t origin, unsigned shift)
{
    memset(k, 0, sizeof *k);
    k->cells = cells;
    k->hl = hl;
    k->n = n;
    k->origin = origin;
    k->shift = shift;
}

void cell_sink_flush(struct cell_sink *k)
{
    if (!k->open)
        return;
    if (k->cells) {
        struct cell *c = &k->cells[k->cur];
        uint64_t half = (1ull << k->shift) >> 1, sum = 0;
        for (int i = 0; i < ACT_COUNT; i++) {
            uint64_t f = (k->ns[i] * 255 + half) >> k->shift;
            c->frac[i] = (uint8_t)(f > 255 ? 255 : f);
            sum += k->ns[i];
        }
        if (sum)
            c->flags |= CELL_ALIVE;
        if (k->ended)
            c->flags |= CELL_ENDED;
    }
    if (k->hl)
        k->hl[k->cur] |= k->hl_acc;
}

/* Make cell b the one being accumulated (b >= cur: time order). */
static void cell_sink_enter(struct cell_sink *k, size_t b)
{
    if (k->open && k->cur >= b)
        return;
    cell_sink_flush(k);
    k->cur = b;
    k->open = true;
    memset(k->ns, 0, sizeof k->ns);
    k->hl_acc = 0;
    k->ended = false;
}

static void cell_sink_acc(struct cell_sink *k, enum act act, uint64_t d,
                          uint8_t hl)
{
    if (act == ACT_DEAD || d == 0)
        return;
    if (act == ACT_END) {
        k->ended = true;
        return;
    }
    k->ns[act] += d;
    k->hl_acc |= hl;
}

/* A whole cell spent in one activity. */
static void cell_sink_fill(struct cell_sink *k, size_t b, enum act act,
                           uint8_t hl)
{
    if (act == ACT_DEAD)
        return;
    if (act == ACT_END) {
        if (k->cells)
            k->cells[b].flags |= CELL_ENDED;
        return;
    }
    if (k->cells) {
        struct cell *c = &k->cells[b];
        memset(c->frac, 0, sizeof c->frac);
        c->frac[act] = 255;
        c->flags |= CELL_ALIVE;
    }
    if (k->hl)
        k->hl[b] |= hl;
}

void cell_sink_add(struct cell_sink *k, uint64_t t0, uint64_t t1, enum act act,
                   uint8_t hl)
{
    uint64_t span = (uint64_t)k->n << k->shift;
    uint64_t end = k->origin + span < k->origin ? UINT64_MAX : k->origin + span;
    if (t0 < k->origin)
        t0 = k->origin;
    if (t1 > end)
        t1 = end;
    if (t1 <= t0)
        return;
    size_t b0 = (size_t)((t0 - k->origin) >> k->shift);
    size_t b1 = (size_t)((t1 - 1 - k->origin) >> k->shift);
    cell_sink_enter(k, b0);
    if (b0 == b1) {
        cell_sink_acc(k, act, t1 - t0, hl);
        return;
    }
    uint64_t b0_end = k->origin + ((uint64_t)(b0 + 1) << k->shift);
    cell_sink_acc(k, act, b0_end - t0, hl);
    for (size_t b = b0 + 1; b < b1; b++)
        cell_sink_fill(k, b, act, hl);
    cell_sink_enter(k, b1);
    cell_sink_acc(k, act, t1 - (k->origin + ((uint64_t)b1 << k->shift)), hl);
}

void cell_sink_event(struct cell_sink *k, uint64_t ts, uint8_t flags)
{
    if (ts < k->origin || !k->cells)
        return;
    uint64_t b = (ts - k->origin) >> k->shift;
    if (b >= k->n)
        return;
    cell_add_events(&k->cells[b], 1);
    k->cells[b].flags |= flags;
}

void cell_sink_coarsen(struct cell_sink *k)
{
    cell_sink_flush(k);
    size_t half = k->n / 2;
    for (size_t i = 0; i < half; i++) {
        if (k->cells)
            cell_combine(&k->cells[i], &k->cells[2 * i], &k->cells[2 * i + 1]);
        if (k->hl)
            k->hl[i] = k->hl[2 * i] | k->hl[2 * i + 1];
    }
    if (k->cells)
        memset(&k->cells[half], 0, (k->n - half) * sizeof *k->cells);
    if (k->hl)
        memset(&k->hl[half], 0, k->n - half);
    k->shift++;
    if (!k->open)
        return;
    k->cur /= 2;
    /* the merged open cell goes on accumulating from what it shows */
    for (int i = 0; i < ACT_COUNT; i++)
        k->ns[i] = k->cells
                       ? ((uint64_t)k->cells[k->cur].frac[i] << k->shift) / 255
                       : 0;
}
