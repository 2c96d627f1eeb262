/* Search (`/`): thread names, functions and locks, case-insensitive.
 *
 * A thread matches by its label or tid (the match is its first event);
 * a lock by its name, a function by its symbolized name or file:line.
 * Lock and function matches are moments: one pass over every thread's
 * events (each call site symbolized once) collects the events on a
 * matching lock or from a matching call site, one match per thread and
 * base cell, at most SEARCH_MAX.  n/N then walk them in time order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "symbols.h"
#include "ui.h"

#define SEARCH_MAX 100000
#define SEARCH_CELLS 2048 /* matches kept per thread at most, about */

/* Call sites already looked at: (proc, pc) -> matched or not. */
struct search_sites {
    uint64_t *key; /* pc ^ proc << 56; 0 = free */
    uint8_t *hit;
    size_t cap, n;
};

struct search {
    struct ui *ui;
    const char *query;
    bool *lock_hit; /* per model lock */
    struct search_sites sites;
    struct ui_match *out;
    size_t n, cap;
};

static bool search_text(const char *text, const char *query)
{
    return text && strcasestr(text, query) != NULL;
}

static bool search_add(struct search *s, uint64_t ts, size_t thread, long lock,
                       const char *what)
{
    if (s->n >= SEARCH_MAX)
        return false;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct ui_match *o = realloc(s->out, cap * sizeof *o);
        if (!o)
            return false;
        s->out = o;
        s->cap = cap;
    }
    struct ui_match *mt = &s->out[s->n++];
    mt->ts = ts;
    mt->thread = (uint32_t)thread;
    mt->lock = lock;
    snprintf(mt->what, sizeof mt->what, "%s", what);
    return true;
}

/* Whether the call site (proc, pc) is in a matching function. */
static bool search_site(struct search *s, uint32_t proc, uint64_t pc)
{
    struct search_sites *t = &s->sites;
    if ((t->n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        uint64_t *key = calloc(cap, sizeof *key);
        uint8_t *hit = calloc(cap, 1);
        if (!key || !hit) {
            free(key);
            free(hit);
            return false;
        }
        for (size_t i = 0; i < t->cap; i++)
            if (t->key[i]) {
                size_t j =
                    (t->key[i] * 0x9e3779b97f4a7c15ull) >> 40 & (cap - 1);
                while (key[j])
                    j = (j + 1) & (cap - 1);
                key[j] = t->key[i];
                hit[j] = t->hit[i];
            }
        free(t->key);
        free(t->hit);
        t->key = key;
        t->hit = hit;
        t->cap = cap;
    }
    uint64_t k = (pc ^ ((uint64_t)proc << 56)) | 1ull << 63;
    size_t j = (k * 0x9e3779b97f4a7c15ull) >> 40 & (t->cap - 1);
    while (t->key[j] && t->key[j] != k)
        j = (j + 1) & (t->cap - 1);
    if (t->key[j])
        return t->hit[j];
    struct sym_frame f[SYM_MAX_INLINE];
    int nf = sym_lookup(s->ui->sym, proc, pc, true, f, SYM_MAX_INLINE);
    bool hit = false;
    for (int i = 0; i < nf && !hit; i++) {
        char where[300];
        snprintf(where, sizeof where, "%s:%d", f[i].file ? f[i].file : "",
                 f[i].line);
        hit = search_text(f[i].function, s->query) ||
              (f[i].file && search_text(where, s->query));
    }
    t->key[j] = k;
    t->hit[j] = hit;
    t->n++;
    return hit;
}

/* One pass over thread t's events. */
static void search_thread(struct search *s, size_t t)
{
    struct model *m = s->ui->m;
    struct trace_thread_reader *tr = trace_thread_reader_open(m->r, t, 0);
    if (!tr)
        return;
    uint32_t proc = m->th[t].proc;
    uint64_t last_cell = UINT64_MAX;
    unsigned coarse = m->base_shift; /* one match per thread and cell */
    while ((m->base_cells << m->base_shift >> coarse) > SEARCH_CELLS)
        coarse++;
    struct trace_event ev;
    struct trace_error err;
    while (trace_thread_reader_next(tr, &ev, &err) > 0) {
        uint64_t cell = ev.ts_ns >> coarse;
        if (cell == last_cell)
            continue;
        long lock = ev.obj ? model_lock_find(m, proc, ev.obj) : -1;
        char what[96];
        if (lock >= 0 && s->lock_hit[lock]) {
            snprintf(what, sizeof what, "lock %s", model_lock_name(m, lock));
        } else if (ev.site && search_site(s, proc, ev.site)) {
            char at[80];
            ui_format_pc(s->ui, proc, ev.site, true, at, sizeof at);
            snprintf(what, sizeof what, "%s", at);
            lock = -1;
        } else {
            continue;
        }
        last_cell = cell;
        if (!search_add(s, ev.ts_ns, t, lock, what))
            break;
    }
    trace_thread_reader_close(tr);
}

static int search_cmp(const void *a, const void *b)
{
    const struct ui_match *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->thread < y->thread ? -1 : x->thread > y->thread;
}

void search_run(struct ui *ui, const char *query)
{
    struct model *m = ui->m;
    struct search s = {.ui = ui, .query = query};
    s.lock_hit = calloc(m->nlocks ? m->nlocks : 1, sizeof *s.lock_hit);
    for (size_t i = 0; s.lock_hit && i < m->nlocks; i++)
        s.lock_hit[i] = search_text(model_lock_name(m, (long)i), query);
    for (size_t t = 0; t < m->nth; t++) {
        char label[80], what[96];
        model_thread_label(m, t, label, sizeof label);
        char tid[16];
        snprintf(tid, sizeof tid, "%u", m->th[t].tid);
        if (m->th[t].started &&
            (search_text(label, query) || strcmp(tid, query) == 0)) {
            snprintf(what, sizeof what, "thread %s %.60s", tid, label);
            search_add(&s, m->th[t].first_ns, t, -1, what);
        }
    }
    for (size_t t = 0; s.lock_hit && t < m->nth; t++)
        search_thread(&s, t);
    free(s.lock_hit);
    free(s.sites.key);
    free(s.sites.hit);
    qsort(s.out, s.n, sizeof *s.out, search_cmp);
    free(ui->matches);
    ui->matches = s.out;
    ui->nmatches = s.n;
    snprintf(ui->query, sizeof ui->query, "%s", query);
    if (!s.n) {
        ui_set_status(ui, "no match for '%s'", query);
        return;
    }
    ui->match = SIZE_MAX;
    search_step(ui, 1);
}

static void search_show(struct ui *ui)
{
    const struct ui_match *mt = &ui->matches[ui->match];
    ui_jump(ui, mt->ts);
    size_t r = ui_row_of_thread(ui, mt->thread);
    if (r != SIZE_MAX)
        ui_select_row(ui, r);
    if (mt->lock >= 0 && mt->lock != ui->m->hl_lock)
        model_highlight_lock(ui->m, mt->lock);
    char who[96];
    ui_format_thread(ui, mt->thread, who, sizeof who);
    ui_set_status(ui, "match %zu/%zu for '%s': %s in %s", ui->match + 1,
                  ui->nmatches, ui->query, mt->what, who);
}

void search_step(struct ui *ui, int dir)
{
    if (!ui->nmatches) {
        if (ui->query[0])
            ui_set_status(ui, "no match for '%s'", ui->query);
        else
            ui_set_status(ui, "no search yet: / searches");
        return;
    }
    if (ui->match == SIZE_MAX) { /* first: the first match from the cursor */
        size_t i = 0;
        while (i < ui->nmatches && ui->matches[i].ts < ui->cursor)
            i++;
        ui->match = i < ui->nmatches ? i : 0;
    } else if (dir > 0) {
        ui->match = (ui->match + 1) % ui->nmatches;
    } else {
        ui->match = (ui->match + ui->nmatches - 1) % ui->nmatches;
    }
    search_show(ui);
}
