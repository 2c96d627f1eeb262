/* The viewer's model without a screen: traces crafted byte by byte with
 * a nanosecond clock (tests/reader/rt.h), so every cell, lock figure and
 * re-read window has one right answer.
 *
 *   thread 0 (tid 70): creates thread 1 at 800, joins it 1500..31000
 *   thread 1 (tid 71): starts 1000; waits for lock A 2000..5000, holds it
 *                      5000..9000; waits on cond C 10000..20000; exits
 *                      at 30000
 *   thread 2 (tid 72, the long one): 20000 lock/unlock pairs of lock B,
 *                      100 ns apart, over many chunks, so that windows
 *                      re-read from checkpoints can be compared with the
 *                      cells of the full pass.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model.h"
#include "rt.h"

#define LOCK_A 0xa000
#define LOCK_B 0xb000
#define COND_C 0xc000
#define PAIRS 20000
#define PAIR_NS 200
#define LONG_T0 100000

static void craft_short_threads(struct craft_file *f)
{
    struct craft_chunk m, t;
    craft_chunk(f, &m, TRACE_CHUNK_MIN, 70, 0, 0, 500);
    craft_event(&m, TRACE_EV_THREAD_START, 0, 0, 0, 0xffffffffu, 500);
    craft_event(&m, TRACE_EV_THREAD_CREATE, 0, 0, 0, 1, 800);
    craft_objdef(&m, 5, 0x7100);
    craft_event(&m, TRACE_EV_THREAD_JOIN_WAIT, 5, 0, 0, 0, 1500);
    craft_event(&m, TRACE_EV_THREAD_JOIN, 5, 0, 0, 0, 31000);
    craft_chunk(f, &t, TRACE_CHUNK_MIN, 71, 1, 0, 1000);
    craft_objdef(&t, 1, LOCK_A);
    craft_objdef(&t, 2, COND_C);
    craft_objdef(&t, 3, 0x7100);
    craft_event(&t, TRACE_EV_THREAD_START, 3, 0, 0, 0, 1000);
    craft_event(&t, TRACE_EV_MUTEX_WAIT, 1, 0, 0, 0, 2000);
    craft_event(&t, TRACE_EV_MUTEX_ACQUIRE, 1, 0, 0, TRACE_ACQ_CONTENDED, 5000);
    craft_event(&t, TRACE_EV_MUTEX_RELEASE, 1, 0, 0, 0, 9000);
    craft_event(&t, TRACE_EV_COND_WAIT, 2, 0, 0, 0, 10000);
    craft_event(&t, TRACE_EV_COND_WAKE, 2, 0, 0, 0, 20000);
    craft_event(&t, TRACE_EV_THREAD_EXIT, 3, 0, 0, 0, 30000);
}

/* Thread 2: PAIRS acquire/release pairs of B, 4000 records a chunk. */
static void craft_long_thread(struct craft_file *f)
{
    struct craft_chunk c;
    uint32_t index = 0;
    uint64_t ts = LONG_T0;
    for (int i = 0; i < PAIRS; i++) {
        if (i % 2000 == 0) {
            craft_chunk(f, &c, TRACE_CHUNK_MIN, 72, 2, index++, ts);
            craft_objdef(&c, 9, LOCK_B);
            if (i == 0)
                craft_event(&c, TRACE_EV_THREAD_START, 0, 0, 0, 0, ts);
        }
        craft_event(&c, TRACE_EV_MUTEX_ACQUIRE, 9, 0, 0, 0, ts);
        craft_event(&c, TRACE_EV_MUTEX_RELEASE, 9, 0, 0, 0, ts + PAIR_NS / 2);
        ts += PAIR_NS;
    }
}

static struct model *model_crafted(void)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 70, 1, 0, 0, TRACE_CLOCK_MONOTONIC, 0);
    craft_short_threads(&f);
    craft_long_thread(&f);
    craft_write(&f, dir, "p70.0.ctrace");
    craft_free(&f);
    struct trace_error err;
    struct model *m = model_open(dir, false, NULL, &err);
    cr_assert_not_null(m, "model_open: %s", err.msg);
    cr_assert_eq(m->nth, 3);
    return m;
}

/* The base cell of thread t holding time ts. */
static const struct cell *base_cell(const struct model *m, size_t t,
                                    uint64_t ts)
{
    return &model_level(m, t, 0)[ts >> m->base_shift];
}

Test(model, rows_and_threads)
{
    struct model *m = model_crafted();
    cr_assert_eq(m->nrows, 4, "one process row and three thread rows");
    cr_expect_eq(m->rows[0].kind, ROW_PROCESS);
    for (size_t i = 1; i < 4; i++) {
        cr_expect_eq(m->rows[i].kind, ROW_THREAD);
        cr_expect_eq(m->th[m->rows[i].index].tid, 69 + i);
    }
    cr_expect_eq(m->events, 4 + 7 + 1 + 2 * PAIRS);
    char label[64];
    model_thread_label(m, 0, label, sizeof label);
    cr_expect_str_eq(label, "[main]");
    model_free(m);
}

Test(model, cells_show_what_the_thread_did)
{
    struct model *m = model_crafted();
    cr_assert_leq(1u << m->base_shift, 64u, "the trace is short: fine cells");
    static const struct {
        uint64_t ts;
        enum act act;
    } want[] = {
        {500, ACT_DEAD},  {1500, ACT_RUN},  {3000, ACT_LOCK},
        {7000, ACT_HOLD}, {9500, ACT_RUN},  {15000, ACT_COND},
        {25000, ACT_RUN}, {30500, ACT_END}, {99999, ACT_END},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_expect_eq(cell_activity(base_cell(m, 1, want[i].ts)), want[i].act,
                     "thread 1 at %llu: %d, want %d",
                     (unsigned long long)want[i].ts,
                     cell_activity(base_cell(m, 1, want[i].ts)), want[i].act);
    cr_expect_eq(cell_activity(base_cell(m, 0, 20000)), ACT_JOIN);
    model_free(m);
}

/* After its thread-exit a thread's cells are "ended" to the trace's end,
 * at every level and in re-read windows; before its thread-start they
 * are empty (not started), never ended. */
Test(model, ended_differs_from_not_started)
{
    struct model *m = model_crafted();
    unsigned s = m->base_shift;
    cr_expect_eq(cell_activity(base_cell(m, 1, 500)), ACT_DEAD);
    cr_expect_eq(cell_activity(base_cell(m, 2, 500)), ACT_DEAD);
    cr_expect_eq(cell_activity(base_cell(m, 2, LONG_T0 - 100)), ACT_DEAD,
                 "thread 2 starts at %d", LONG_T0);
    cr_expect_eq(base_cell(m, 2, LONG_T0 - 100)->flags & CELL_ENDED, 0);
    cr_expect_eq(cell_activity(base_cell(m, 1, m->end_ns - 1)), ACT_END,
                 "ended up to the trace's end");
    cr_expect_eq(cell_activity(base_cell(m, 1, 30000 + (2u << s))), ACT_END);
    /* the cell holding the exit shows what it did before, not "ended" */
    cr_expect_eq(cell_activity(base_cell(m, 1, 30000 - 1)), ACT_RUN);
    cr_expect_eq(activity_glyph(ACT_END), '.');
    cr_expect_neq(activity_glyph(ACT_END), activity_glyph(ACT_DEAD));
    /* coarse: [32768, 49152) is after the exit, before thread 2 began */
    unsigned k = 14 - s;
    cr_assert_lt(k, m->levels);
    cr_expect_eq(cell_activity(&model_level(m, 1, k)[2]), ACT_END);
    cr_expect_eq(cell_activity(&model_level(m, 2, k)[2]), ACT_DEAD);
    cr_expect_eq(cell_activity(&model_level(m, 1, m->levels - 1)[5]), ACT_END,
                 "the coarsest level");
    /* a window finer than the base level, re-read from the events:
     * 1 ns columns from 29990, the exit at column 10 */
    struct cell win[40];
    uint8_t hl[40];
    model_window(m, 1, 29990, 0, 40, win, hl);
    cr_expect_eq(cell_activity(&win[9]), ACT_RUN);
    for (size_t c = 11; c < 40; c++)
        cr_expect_eq(cell_activity(&win[c]), ACT_END, "window column %zu", c);
    model_window(m, 2, 1000, 0, 40, win, hl);
    cr_expect_eq(cell_activity(&win[0]), ACT_DEAD, "not started: empty");
    cr_expect_eq(win[0].flags, 0);
    model_free(m);
}

Test(model, coarse_levels_keep_the_shares)
{
    struct model *m = model_crafted();
    /* the level whose first cell covers [0, 16384): thread 1 waits for
     * the lock 3000 ns, holds it 4000, runs 2000, waits on the cond 6384 */
    unsigned k = 14 - m->base_shift;
    cr_assert_lt(k, m->levels);
    const struct cell *c = &model_level(m, 1, k)[0];
    static const struct {
        enum act act;
        uint64_t ns;
    } want[] = {
        {ACT_LOCK, 3000}, {ACT_HOLD, 4000}, {ACT_RUN, 2000}, {ACT_COND, 6384}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int expect = (int)(want[i].ns * 255 / 16384);
        cr_expect(abs(c->frac[want[i].act] - expect) <= 2,
                  "activity %d: %d/255, want about %d", want[i].act,
                  c->frac[want[i].act], expect);
    }
    cr_expect_eq(cell_activity(c), ACT_COND, "mostly: the condition wait");
    cr_expect_eq(c->events, 5, "events of thread 1 before 16384");
    model_free(m);
}

Test(model, lock_figures)
{
    struct model *m = model_crafted();
    long a = model_lock_find(m, 0, LOCK_A), b = model_lock_find(m, 0, LOCK_B);
    cr_assert_geq(a, 0);
    cr_assert_geq(b, 0);
    cr_expect_eq(model_lock_find(m, 0, COND_C), -1, "a cond is no lock");
    const struct model_lock *la = &m->locks[a], *lb = &m->locks[b];
    cr_expect_eq(la->acquisitions, 1);
    cr_expect_eq(la->contended, 1);
    cr_expect_eq(la->wait_ns, 3000);
    cr_expect_eq(la->hold_ns, 4000);
    cr_expect_eq(lb->acquisitions, PAIRS);
    cr_expect_eq(lb->contended, 0);
    cr_expect_eq(lb->hold_ns, (uint64_t)PAIRS * PAIR_NS / 2);
    cr_expect_str_eq(model_lock_name(m, a), "mutex 0xa000");
    model_free(m);
}

struct fetched {
    uint32_t type[16];
    uint64_t ts[16];
    enum act before[16];
    size_t n;
};

static bool fetch_keep(void *ctx, const struct trace_event *ev,
                       const struct activity *before)
{
    struct fetched *f = ctx;
    if (f->n < 16) {
        f->type[f->n] = ev->type;
        f->ts[f->n] = ev->ts_ns;
        f->before[f->n] = activity_now(before);
    }
    f->n++;
    return true;
}

Test(model, events_and_activity_at_a_time)
{
    struct model *m = model_crafted();
    struct fetched f = {0};
    cr_expect_eq(model_fetch(m, 1, 4000, 12000, fetch_keep, &f), 3);
    cr_assert_eq(f.n, 3);
    cr_expect_eq(f.type[0], TRACE_EV_MUTEX_ACQUIRE);
    cr_expect_eq(f.before[0], ACT_LOCK, "waiting before the acquire");
    cr_expect_eq(f.type[1], TRACE_EV_MUTEX_RELEASE);
    cr_expect_eq(f.before[1], ACT_HOLD);
    cr_expect_eq(f.type[2], TRACE_EV_COND_WAIT);
    struct activity a;
    model_activity_at(m, 1, 3000, &a);
    cr_expect_eq(activity_now(&a), ACT_LOCK);
    cr_expect_eq(a.wait_obj, LOCK_A);
    cr_expect_eq(a.wait_since, 2000);
    model_activity_at(m, 1, 6000, &a);
    cr_expect(activity_holds(&a, LOCK_A));
    model_activity_at(m, 1, 31000, &a);
    cr_expect(!a.alive, "ended at 30000");
    cr_expect_eq(activity_now(&a), ACT_END);
    model_activity_at(m, 2, 500, &a);
    cr_expect_eq(activity_now(&a), ACT_DEAD, "thread 2 not started yet");
    struct fetched last = {0};
    cr_expect(model_fetch_last(m, 1, 25000, fetch_keep, &last));
    cr_expect_eq(last.n, 1);
    cr_expect_eq(last.type[0], TRACE_EV_COND_WAKE);
    cr_expect_eq(last.ts[0], 20000);
    model_free(m);
}

Test(model, windows_reread_from_checkpoints_match_the_pass)
{
    struct model *m = model_crafted();
    cr_assert_gt(m->th[2].nck, 5, "the long thread has checkpoints");
    enum { COLS = 300 };
    struct cell win[COLS];
    uint8_t hl[COLS];
    unsigned s = m->base_shift;
    /* windows starting before, between and after checkpoints */
    for (uint64_t t0 = 0; t0 < LONG_T0 + PAIRS * PAIR_NS; t0 += 777777) {
        uint64_t start = t0 & ~((1ull << s) - 1);
        model_window(m, 2, start, s, COLS, win, hl);
        const struct cell *base = model_level(m, 2, 0) + (start >> s);
        size_t n = model_level_cells(m, 0) - (start >> s);
        for (size_t c = 0; c < COLS && c < n; c++) {
            cr_assert(memcmp(win[c].frac, base[c].frac, sizeof win[c].frac) ==
                          0,
                      "window at %llu, column %zu differs from the pass",
                      (unsigned long long)start, c);
            cr_assert_eq(win[c].events, base[c].events);
        }
    }
    /* finer than the base level: 8 ns columns add up to the base cells */
    uint64_t start = (LONG_T0 + 12345 * PAIR_NS) & ~((1ull << s) - 1);
    unsigned fine = s > 3 ? s - 3 : 0;
    size_t per = 1u << (s - fine);
    struct cell fw[COLS];
    model_window(m, 2, start, fine, COLS, fw, hl);
    for (size_t c = 0; c + per <= COLS; c += per) {
        unsigned run = 0;
        for (size_t j = 0; j < per; j++)
            run += fw[c + j].frac[ACT_RUN];
        const struct cell *b = base_cell(m, 2, start + (c << fine));
        cr_expect(abs((int)(run / per) - b->frac[ACT_RUN]) <= 2,
                  "fine columns average to the base cell: %u vs %d",
                  run / (unsigned)per, b->frac[ACT_RUN]);
    }
    model_free(m);
}

Test(model, highlight_marks_holds_and_waits)
{
    struct model *m = model_crafted();
    long a = model_lock_find(m, 0, LOCK_A);
    model_highlight_lock(m, a);
    const uint8_t *hl = m->th[1].hl[0];
    cr_assert_not_null(hl);
    cr_expect_eq(hl[3000 >> m->base_shift], HL_WAIT);
    cr_expect_eq(hl[7000 >> m->base_shift], HL_HOLD);
    cr_expect_eq(hl[15000 >> m->base_shift], 0);
    cr_expect_eq(m->th[2].hl[0][(LONG_T0 + 50) >> m->base_shift], 0,
                 "thread 2 never touches A");
    unsigned top = m->levels - 1;
    cr_expect(m->th[1].hl[top][0] & HL_WAIT, "the pyramid keeps the bits");
    model_highlight_lock(m, -1);
    cr_expect_null(m->th[1].hl[0]);
    model_free(m);
}

Test(model, cells_sink_and_combine)
{
    struct cell cells[8];
    memset(cells, 0, sizeof cells);
    struct cell_sink k;
    cell_sink_init(&k, cells, NULL, 8, 1000, 4); /* 16 ns cells from 1000 */
    cell_sink_add(&k, 1004, 1012, ACT_RUN, 0);   /* half of cell 0 */
    cell_sink_add(&k, 1012, 1056, ACT_LOCK, 0);  /* to the middle of 3 */
    cell_sink_event(&k, 1020, CELL_CRASH);
    cell_sink_flush(&k);
    cr_expect_eq(cells[0].frac[ACT_RUN], 128);
    cr_expect_eq(cells[0].frac[ACT_LOCK], 64);
    cr_expect_eq(cells[1].frac[ACT_LOCK], 255);
    cr_expect_eq(cells[1].flags & CELL_CRASH, CELL_CRASH);
    cr_expect_eq(cells[1].events, 1);
    cr_expect_eq(cells[3].frac[ACT_LOCK], 128);
    cr_expect_eq(cell_activity(&cells[4]), ACT_DEAD);
    struct cell c;
    cell_combine(&c, &cells[0], &cells[1]);
    cr_expect_eq(cell_activity(&c), ACT_LOCK);
    cr_expect_eq(c.events, 1);
    cell_sink_coarsen(&k);
    cr_expect_eq(k.shift, 5);
    cr_expect_eq(cells[0].frac[ACT_LOCK], (64 + 255 + 1) / 2);
    cr_expect_eq(cell_activity(&cells[4]), ACT_DEAD);
}

Test(model, cells_sink_ended)
{
    struct cell cells[8];
    memset(cells, 0, sizeof cells);
    struct cell_sink k;
    cell_sink_init(&k, cells, NULL, 8, 0, 4); /* 16 ns cells from 0 */
    cell_sink_add(&k, 20, 40, ACT_RUN, 0);    /* cells 1 and 2 */
    cell_sink_add(&k, 40, 100, ACT_END, 0);   /* rest of 2, then to 6 */
    cell_sink_flush(&k);
    cr_expect_eq(cell_activity(&cells[0]), ACT_DEAD, "before: not started");
    cr_expect_eq(cell_activity(&cells[2]), ACT_RUN, "alive part wins");
    cr_expect_eq(cells[2].frac[ACT_RUN], 128);
    for (int i = 3; i <= 6; i++)
        cr_expect_eq(cell_activity(&cells[i]), ACT_END, "cell %d", i);
    cr_expect_eq(cell_activity(&cells[7]), ACT_DEAD, "beyond what was added");
    struct cell c;
    cell_combine(&c, &cells[2], &cells[3]);
    cr_expect_eq(cell_activity(&c), ACT_RUN);
    cell_combine(&c, &cells[4], &cells[5]);
    cr_expect_eq(cell_activity(&c), ACT_END);
    cell_combine(&c, &cells[6], &cells[7]);
    cr_expect_eq(cell_activity(&c), ACT_END, "ended some of the time");
}

Test(model, activity_nested_locks)
{
    struct activity a;
    activity_init(&a);
    cr_expect_eq(activity_now(&a), ACT_DEAD);
    struct trace_event ev = {
        .type = TRACE_EV_MUTEX_ACQUIRE, .obj = 1, .ts_ns = 10};
    struct activity_change ch;
    activity_apply(&a, &ev, &ch);
    ev.obj = 2;
    ev.ts_ns = 20;
    activity_apply(&a, &ev, &ch);
    cr_expect_eq(activity_now(&a), ACT_HOLD);
    ev.type = TRACE_EV_MUTEX_RELEASE; /* released out of order */
    ev.obj = 1;
    ev.ts_ns = 50;
    activity_apply(&a, &ev, &ch);
    cr_expect_eq(ch.released, 1);
    cr_expect_eq(ch.held_ns, 40);
    cr_expect(activity_holds(&a, 2) && !activity_holds(&a, 1));
    ev.obj = 2;
    activity_apply(&a, &ev, &ch);
    cr_expect_eq(activity_now(&a), ACT_RUN);
    ev = (struct trace_event){.type = TRACE_EV_BARRIER_WAIT, .obj = 3};
    activity_apply(&a, &ev, NULL);
    cr_expect_eq(activity_now(&a), ACT_BARRIER);
    ev.type = TRACE_EV_BARRIER_LEAVE;
    activity_apply(&a, &ev, NULL);
    ev.type = TRACE_EV_SIGNAL;
    activity_apply(&a, &ev, NULL);
    cr_expect(a.crashed);
    ev.type = TRACE_EV_THREAD_EXIT;
    activity_apply(&a, &ev, NULL);
    cr_expect_eq(activity_now(&a), ACT_END, "ended, not 'not started'");
}

/* ---- damage the thread readers never see ---- */

/* A trace whose file lost its last chunk (cut at a chunk boundary, so
 * every record that is there reads fine): the viewer says the trace is
 * damaged, as `ctrace report` does. */
Test(model, truncated_trace_shows_damage)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 70, 1, 0, TRACE_FILE_EXITED, TRACE_CLOCK_MONOTONIC, 0);
    craft_short_threads(&f);
    craft_long_thread(&f);
    craft_write(&f, dir, "p70.0.ctrace");
    char *path = NULL;
    cr_assert_geq(asprintf(&path, "%s/p70.0.ctrace", dir), 0);
    rt_spit(path, f.buf, f.len - TRACE_CHUNK_MIN);
    craft_free(&f);
    struct trace_error err;
    struct model *m = model_open(dir, false, NULL, &err);
    cr_assert_not_null(m, "model_open: %s", err.msg);
    cr_expect(strstr(m->error, "p70.0.ctrace") && strstr(m->error, "truncated"),
              "error: '%s'", m->error);
    model_free(m);
    free(path);
}

/* A FIFO named like a process file beside a healthy one. */
Test(model, non_process_file_shows_damage)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 70, 1, 0, 0, TRACE_CLOCK_MONOTONIC, 0);
    craft_short_threads(&f);
    craft_write(&f, dir, "p70.0.ctrace");
    craft_free(&f);
    char *fifo = NULL;
    cr_assert_geq(asprintf(&fifo, "%s/p71.0.ctrace", dir), 0);
    cr_assert_eq(mkfifo(fifo, 0644), 0);
    struct trace_error err;
    struct model *m = model_open(dir, false, NULL, &err);
    cr_assert_not_null(m, "model_open: %s", err.msg);
    cr_expect(strstr(m->error, "p71.0.ctrace") &&
                  strstr(m->error, "not a regular file"),
              "error: '%s'", m->error);
    model_free(m);
    free(fifo);
}
