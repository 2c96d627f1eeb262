/* The trace reader on well-formed traces: exact events, clock and
 * sequence order, payloads, many threads, chunk rollover, slot tables,
 * thread and process lists, creation gates, live polling.
 *
 * Traces are written in-process with the real writer (one OS thread
 * plays many traced threads, in an order the test chooses, with
 * rt_tick() making every stamp strictly later than the one before), or
 * crafted byte by byte when a test needs exact clocks and sequences. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

#define OBJ_BASE 0x10000ull
#define SITE_BASE 0x400000ull

/* ---- the event table ---- */

Test(events, table_round_trips)
{
    int n = 0;
    for (uint32_t t = 0; t < TRACE_EV_LIMIT; t++) {
        const char *name = trace_event_name(t);
        if (!name)
            continue;
        n++;
        cr_assert_eq(trace_event_from_name(name), (int)t, "%s", name);
    }
    cr_assert_gt(n, 60);
    cr_assert_str_eq(trace_event_name(TRACE_EV_MUTEX_ACQUIRE), "mutex-acquire");
    cr_assert_str_eq(trace_event_name(TRACE_EV_PROCESS_START), "process-start");
    cr_assert_eq(trace_event_flags(TRACE_EV_MUTEX_ACQUIRE) & TF_SEQ, TF_SEQ);
    cr_assert_eq(trace_event_flags(TRACE_EV_OBJDEF) & TF_META, TF_META);
    cr_assert_null(trace_event_name(0));
    cr_assert_null(trace_event_name(255));
    cr_assert_null(trace_event_name(100000));
    cr_assert_eq(trace_event_flags(100000), 0);
    cr_assert_eq(trace_event_from_name("no-such-event"), -1);
    cr_assert_eq(trace_event_from_name(NULL), -1);
}

/* ---- exact events of one thread ---- */

Test(reader, exact_events_and_lists)
{
    char *dir = rt_dir();
    uint32_t kind = rt_kind_best();
    struct trace_proc_writer pw;
    rt_proc_open(&pw, dir, 4242, 17, 0, kind);
    struct trace_thread_writer *w = rt_thread(&pw, 4242);
    struct trace_process_info pi = {4242, 17, UINT32_MAX, 0};
    trace_emit_payload(w, TRACE_EV_PROCESS_START, 0, 0, &pi, sizeof pi);
    trace_emit(w, TRACE_EV_THREAD_START, 0xaaa0, 0, UINT32_MAX);
    trace_emit_payload(w, TRACE_EV_THREAD_NAME, 0xaaa0, 0, "main", 5);
    trace_emit(w, TRACE_EV_MUTEX_INIT, 0x5000, 0x401234, 3);
    trace_emit_ordered(w, TRACE_EV_MUTEX_ACQUIRE, 0x5000, 0x401300, 0,
                       TRACE_FENCE_ACQUIRE);
    trace_emit_ordered(w, TRACE_EV_MUTEX_RELEASE, 0x5000, 0x401400, 0,
                       TRACE_FENCE_RELEASE);
    const char path[] = "/bin/some/program/with/a/long/path";
    trace_emit_payload(w, TRACE_EV_EXEC, 0, 0x401500, path, sizeof path);
    trace_emit(w, TRACE_EV_PROCESS_EXIT, 0, 0x401600, 3);
    trace_writer_thread_free(w);
    trace_writer_close_process(&pw, 3);
    trace_writer_drop_process(&pw);

    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    cr_assert_eq(t.nerr, 0, "%s", t.nerr ? t.err[0] : "");
    rt_check_sane(&t);
    static const uint32_t types[] = {
        TRACE_EV_PROCESS_START, TRACE_EV_THREAD_START,  TRACE_EV_THREAD_NAME,
        TRACE_EV_MUTEX_INIT,    TRACE_EV_MUTEX_ACQUIRE, TRACE_EV_MUTEX_RELEASE,
        TRACE_EV_EXEC,          TRACE_EV_PROCESS_EXIT};
    cr_assert_eq(t.n, 8);
    for (size_t i = 0; i < t.n; i++) {
        cr_assert_eq(t.ev[i].type, types[i], "event %zu is %s", i,
                     trace_event_name(t.ev[i].type));
        cr_assert_eq(t.ev[i].pid, 4242);
        cr_assert_eq(t.ev[i].tid, 4242);
        cr_assert_eq(t.ev[i].thread, 0);
        cr_assert_eq(t.ev[i].proc, 0);
        if (i)
            cr_assert_geq(t.ev[i].ts_ns, t.ev[i - 1].ts_ns);
    }
    cr_assert_eq(t.ev[0].payload_len, sizeof pi);
    cr_assert_eq(memcmp(t.ev[0].payload, &pi, sizeof pi), 0);
    cr_assert_eq(t.ev[1].obj, 0xaaa0);
    cr_assert_eq(t.ev[1].arg, UINT32_MAX);
    cr_assert_str_eq(t.ev[2].payload, "main");
    cr_assert_eq(t.ev[3].obj, 0x5000);
    cr_assert_eq(t.ev[3].arg, 3);
    cr_assert_eq(t.ev[3].site, 0x401234);
    cr_assert_eq(t.ev[4].site, 0x401300);
    cr_assert_eq(t.ev[5].site, 0x401400);
    cr_assert_eq(t.ev[6].payload_len, sizeof path);
    cr_assert_str_eq(t.ev[6].payload, path);
    cr_assert_eq(t.ev[6].obj, 0, "exec has no object");
    cr_assert_eq(t.ev[7].arg, 3);

    cr_assert_eq(t.nprocs, 1);
    cr_assert_eq(t.procs[0].pid, 4242);
    cr_assert_eq(t.procs[0].ppid, 17);
    cr_assert_eq(t.procs[0].parent, -1);
    cr_assert_eq(t.procs[0].exec_from, -1);
    cr_assert(t.procs[0].exited);
    cr_assert_eq(t.procs[0].exit_status, 3);
    cr_assert_neq(strstr(t.procs[0].exe, "test_reader"), NULL, "exe %s",
                  t.procs[0].exe);
    cr_assert_neq(strstr(t.procs[0].path, "p4242.0.ctrace"), NULL);
    cr_assert_geq(t.procs[0].end_ns, t.ev[7].ts_ns);
    cr_assert_eq(t.nthreads, 1);
    cr_assert_eq(t.threads[0].tid, 4242);
    cr_assert_eq(t.threads[0].serial, 0);
    cr_assert_str_eq(t.threads[0].name, "main");
    cr_assert_eq(t.threads[0].events, 8);
    cr_assert_eq(t.threads[0].lost_events, 0);
    cr_assert_eq(t.threads[0].first_ns, t.ev[0].ts_ns);
    cr_assert_eq(t.threads[0].last_ns, t.ev[7].ts_ns);
    cr_assert_eq(t.lost, 0);
    rt_free(&t);
}

/* ---- merge order ---- */

/* Events emitted by many writers in a known global order, each stamped
 * strictly later than the one before: the merge must give that order. */
static void check_global_order(uint32_t kind, int nthreads, int nevents)
{
    char *dir = rt_dir();
    struct trace_proc_writer pw;
    rt_proc_open(&pw, dir, 100, 1, 0, kind);
    struct trace_thread_writer **w = calloc((size_t)nthreads, sizeof *w);
    for (int i = 0; i < nthreads; i++)
        w[i] = rt_thread(&pw, 1000 + (uint32_t)i);
    srand(7);
    int *owner = malloc((size_t)nevents * sizeof *owner);
    for (int i = 0; i < nevents; i++) {
        owner[i] = rand() % nthreads;
        rt_tick(kind);
        trace_emit(w[owner[i]], TRACE_EV_MUTEX_INIT,
                   OBJ_BASE + 64 * (uint64_t)(i % 97),
                   SITE_BASE + (uint64_t)(i % 13), (uint32_t)i);
    }
    for (int i = 0; i < nthreads; i++)
        trace_writer_thread_free(w[i]);
    trace_writer_drop_process(&pw);

    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    cr_assert_eq(t.nerr, 0, "%s", t.nerr ? t.err[0] : "");
    cr_assert_eq(t.n, (size_t)nevents);
    for (int i = 0; i < nevents; i++) {
        const struct trace_event *e = &t.ev[i];
        cr_assert_eq(e->arg, (uint32_t)i, "position %d holds event %u", i,
                     e->arg);
        cr_assert_eq(e->tid, 1000 + (uint32_t)owner[i]);
        cr_assert_eq(e->obj, OBJ_BASE + 64 * (uint64_t)(i % 97));
        cr_assert_eq(e->site, SITE_BASE + (uint64_t)(i % 13));
        if (i)
            cr_assert_gt(e->clock, t.ev[i - 1].clock);
    }
    cr_assert_eq(t.nthreads, (size_t)nthreads);
    size_t total = 0;
    for (size_t i = 0; i < t.nthreads; i++) {
        cr_assert_eq(t.threads[i].serial, i, "threads sorted by serial");
        total += t.threads[i].events;
    }
    cr_assert_eq(total, (size_t)nevents);
    rt_free(&t);
    free(owner);
    free(w);
}

Test(reader, global_order_monotonic_clock)
{
    check_global_order(TRACE_CLOCK_MONOTONIC, 8, 3000);
}

Test(reader, global_order_best_clock)
{
    check_global_order(rt_kind_best(), 8, 3000);
}

Test(reader, many_threads_keep_program_order)
{
    check_global_order(rt_kind_best(), 300, 60000);
}

/* Sequence numbers overrule the clock for one object (rule 7): thread B's
 * release (seq 4) is stamped after thread A's acquire (seq 5), yet it
 * must come first. */
Test(reader, sequence_overrules_clock)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 50, 1, 0, TRACE_FILE_SEQ, TRACE_CLOCK_MONOTONIC, 10);
    struct craft_chunk a, b;
    craft_chunk(&f, &a, TRACE_CHUNK_MIN, 50, 0, 0, 90);
    craft_objdef(&a, 7, 0xbeef0);
    craft_event(&a, TRACE_EV_MUTEX_ACQUIRE, 7, 0, 5, 0, 100);
    craft_event(&a, TRACE_EV_MUTEX_RELEASE, 7, 0, 6, 0, 300);
    craft_chunk(&f, &b, TRACE_CHUNK_MIN, 51, 1, 0, 40);
    craft_objdef(&b, 9, 0xbeef0);
    craft_objdef(&b, 3, 0xcafe0);
    craft_event(&b, TRACE_EV_MUTEX_WAIT, 3, 0, 0, 0, 50);
    craft_event(&b, TRACE_EV_MUTEX_RELEASE, 9, 0, 4, 0, 200);
    craft_event(&b, TRACE_EV_MUTEX_ACQUIRE, 9, 0, 7, 0, 250);
    craft_write(&f, dir, "p50.0.ctrace");
    craft_free(&f);

    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    cr_assert_eq(t.nerr, 0, "%s", t.nerr ? t.err[0] : "");
    cr_assert_eq(t.n, 5);
    static const struct {
        uint32_t tid, type, seq;
        uint64_t clock;
    } want[] = {
        {51, TRACE_EV_MUTEX_WAIT, 0, 50},
        {51, TRACE_EV_MUTEX_RELEASE, 4, 200},
        {50, TRACE_EV_MUTEX_ACQUIRE, 5, 100},
        {50, TRACE_EV_MUTEX_RELEASE, 6, 300},
        {51, TRACE_EV_MUTEX_ACQUIRE, 7, 250},
    };
    for (size_t i = 0; i < 5; i++) {
        cr_assert_eq(t.ev[i].tid, want[i].tid, "event %zu", i);
        cr_assert_eq(t.ev[i].type, want[i].type, "event %zu", i);
        cr_assert_eq(t.ev[i].seq, want[i].seq, "event %zu", i);
        cr_assert_eq(t.ev[i].clock, want[i].clock, "event %zu", i);
    }
    cr_assert_eq(t.ev[2].obj, 0xbeef0);
    cr_assert_eq(t.ev[1].obj, 0xbeef0);
    cr_assert_eq(t.ev[0].obj, 0xcafe0);
    /* MONOTONIC clock: ns are the clock, counted from the trace's start */
    cr_assert_eq(t.ev[0].ts_ns, 40);
    cr_assert_eq(t.ev[1].ts_ns, 190);
    rt_free(&t);
}

/* Many threads, each recording only on its own object, objects shared
 * by several threads; sequence numbers follow a random interleaving and
 * clocks are random: per object the merge must give the sequence order,
 * per thread program order.  (Every thread's next event is then on its
 * object, so the rule is exact here; it exercises the sequence map's
 * inserts, deletes and growth.) */
Test(reader, sequence_order_with_random_clocks)
{
    enum { THREADS = 240, OBJECTS = 90, EACH = 60 };
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 55, 1, 0, TRACE_FILE_SEQ, TRACE_CLOCK_MONOTONIC, 1);
    static struct craft_chunk c[THREADS];
    static uint32_t done[THREADS], seq_of[OBJECTS];
    srand(99);
    for (uint32_t t = 0; t < THREADS; t++) {
        craft_chunk(&f, &c[t], TRACE_CHUNK_MIN, 5000 + t, t, 0, 1000);
        craft_objdef(&c[t], 1 + t % 4000, 0x10000 + 64 * (t % OBJECTS));
    }
    for (uint32_t left = THREADS * EACH; left; left--) {
        uint32_t t;
        do
            t = (uint32_t)rand() % THREADS;
        while (done[t] == EACH);
        uint32_t o = t % OBJECTS;
        uint64_t clock = c[t].clock + 1 + (uint64_t)(rand() % 100000);
        craft_event(
            &c[t], rand() % 2 ? TRACE_EV_MUTEX_ACQUIRE : TRACE_EV_MUTEX_RELEASE,
            1 + t % 4000, 0, ++seq_of[o], done[t]++, clock);
    }
    craft_write(&f, dir, "p55.0.ctrace");
    craft_free(&f);

    struct rt_trace tr;
    rt_load(&tr, dir);
    cr_assert(tr.opened, "%s", tr.open_err);
    cr_assert_eq(tr.nerr, 0, "%s", tr.nerr ? tr.err[0] : "");
    cr_assert_eq(tr.n, THREADS * EACH);
    static uint32_t last_seq[OBJECTS], next_arg[THREADS];
    for (size_t i = 0; i < tr.n; i++) {
        const struct trace_event *e = &tr.ev[i];
        uint32_t t = e->tid - 5000, o = (uint32_t)((e->obj - 0x10000) / 64);
        cr_assert_eq(o, t % OBJECTS);
        cr_assert_eq(e->arg, next_arg[t]++, "program order of thread %u", t);
        cr_assert_eq(e->seq, last_seq[o] + 1, "object %u: seq %u after %u", o,
                     e->seq, last_seq[o]);
        last_seq[o] = e->seq;
    }
    rt_free(&tr);
}

/* Clock values wrap their low 32 bits; TIME records give absolute ones. */
Test(reader, clock_unwrap_and_time_records)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 60, 1, 0, 0, TRACE_CLOCK_MONOTONIC, 0xffffff00ull);
    struct craft_chunk c;
    uint64_t base = 0xffffff00ull;
    craft_chunk(&f, &c, TRACE_CHUNK_MIN, 60, 0, 0, base);
    uint64_t clocks[] = {base + 0x80, base + 0x110, base + 0x7fff0000ull,
                         base + 0xfffe0000ull};
    for (int i = 0; i < 4; i++)
        craft_event(&c, TRACE_EV_MUTEX_INIT, 0, 0, 0, (uint32_t)i, clocks[i]);
    uint64_t far = 0x1234567890ull;
    craft_time(&c, far);
    craft_event(&c, TRACE_EV_MUTEX_INIT, 0, 0, 0, 4, far + 5);
    craft_event(&c, TRACE_EV_MUTEX_INIT, 0, 0, 0, 5, far - 3); /* a handler */
    craft_event(&c, TRACE_EV_MUTEX_INIT, 0, 0, 0, 6, far + 9);
    craft_write(&f, dir, "p60.0.ctrace");
    craft_free(&f);

    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    cr_assert_eq(t.nerr, 0, "%s", t.nerr ? t.err[0] : "");
    cr_assert_eq(t.n, 7);
    uint64_t want[] = {clocks[0], clocks[1], clocks[2], clocks[3],
                       far + 5,   far - 3,   far + 9};
    for (size_t i = 0; i < 7; i++) {
        cr_assert_eq(t.ev[i].arg, i);
        cr_assert_eq(t.ev[i].clock, want[i], "event %zu: %#llx", i,
                     (unsigned long long)t.ev[i].clock);
    }
    rt_free(&t);
}

/* ---- chunks and slots ---- */

Test(reader, chunk_rollover_over_many_chunks)
{
    char *dir = rt_dir();
    uint32_t kind = rt_kind_best();
    struct trace_proc_writer pw;
    rt_proc_open(&pw, dir, 300, 1, 0, kind);
    struct trace_thread_writer *w = rt_thread(&pw, 301);
    const uint32_t n = 300000;
    for (uint32_t i = 0; i < n; i++)
        trace_emit(w, TRACE_EV_MUTEX_INIT, OBJ_BASE + 64 * (uint64_t)(i % 5003),
                   SITE_BASE + (i % 101), i);
    uint32_t chunks = w->chunk_index;
    trace_writer_thread_free(w);
    trace_writer_drop_process(&pw);
    cr_assert_geq(chunks, 6, "the test needs several chunks (%u)", chunks);

    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    cr_assert_eq(t.nerr, 0, "%s", t.nerr ? t.err[0] : "");
    cr_assert_eq(t.n, n);
    for (uint32_t i = 0; i < n; i++) {
        cr_assert_eq(t.ev[i].arg, i);
        cr_assert_eq(t.ev[i].obj, OBJ_BASE + 64 * (uint64_t)(i % 5003),
                     "event %u", i);
        cr_assert_eq(t.ev[i].site, SITE_BASE + (i % 101), "event %u", i);
        if (i)
            cr_assert_geq(t.ev[i].clock, t.ev[i - 1].clock);
    }
    cr_assert_eq(t.threads[0].events, n);
    rt_free(&t);
}

/* Slots are defined per chunk: the same slot means another address in
 * the next chunk, and a slot defined only in an earlier chunk is
 * corruption.  The other thread is not affected. */
Test(reader, slots_are_per_chunk)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 70, 1, 0, 0, TRACE_CLOCK_MONOTONIC, 1);
    struct craft_chunk c0, c1, o;
    craft_chunk(&f, &c0, TRACE_CHUNK_MIN, 70, 0, 0, 10);
    craft_objdef(&c0, 5, 0xa000);
    craft_objdef(&c0, 6, 0xa600);
    craft_sitedef(&c0, 2, 0x4000a2);
    craft_event(&c0, TRACE_EV_MUTEX_INIT, 5, 2, 0, 1, 11);
    craft_event(&c0, TRACE_EV_MUTEX_INIT, 6, 0, 0, 2, 12);
    craft_chunk(&f, &o, TRACE_CHUNK_MIN, 71, 1, 0, 10);
    for (uint32_t i = 0; i < 3; i++)
        craft_event(&o, TRACE_EV_MUTEX_FAIL, 0, 0, 0, i, 20 + i);
    craft_chunk(&f, &c1, 2 * TRACE_CHUNK_MIN, 70, 0, 1, 13);
    craft_objdef(&c1, 5, 0xb000);
    craft_event(&c1, TRACE_EV_MUTEX_INIT, 5, 0, 0, 3, 14);
    craft_event(&c1, TRACE_EV_MUTEX_INIT, 6, 0, 0, 4, 15);
    craft_event(&c1, TRACE_EV_MUTEX_INIT, 5, 0, 0, 5, 16);
    craft_write(&f, dir, "p70.0.ctrace");
    craft_free(&f);

    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    rt_check_sane(&t);
    cr_assert_eq(t.nerr, 1);
    cr_assert_neq(strstr(t.err[0], "p70.0.ctrace: offset "), NULL, "%s",
                  t.err[0]);
    cr_assert_neq(strstr(t.err[0], "object slot 6 used before its definition"),
                  NULL, "%s", t.err[0]);
    int main_t = rt_find_thread(&t, 70, 0), other = rt_find_thread(&t, 70, 1);
    cr_assert_eq(rt_thread_count(&t, (uint32_t)main_t), 3);
    cr_assert_eq(rt_thread_event(&t, (uint32_t)main_t, 0)->obj, 0xa000);
    cr_assert_eq(rt_thread_event(&t, (uint32_t)main_t, 0)->site, 0x4000a2);
    cr_assert_eq(rt_thread_event(&t, (uint32_t)main_t, 1)->obj, 0xa600);
    cr_assert_eq(rt_thread_event(&t, (uint32_t)main_t, 1)->site, 0);
    cr_assert_eq(rt_thread_event(&t, (uint32_t)main_t, 2)->obj, 0xb000);
    cr_assert_eq(rt_thread_count(&t, (uint32_t)other), 3);
    cr_assert_eq(t.threads[main_t].events, 3, "counts stop where it broke");
    rt_free(&t);
}

/* A deeper stack attached to a site reaches every later event of the
 * chunk with that site. */
Test(reader, site_stacks)
{
    char *dir = rt_dir();
    struct trace_proc_writer pw;
    rt_proc_open(&pw, dir, 80, 1, 0, rt_kind_best());
    struct trace_thread_writer *w = rt_thread(&pw, 80);
    uint64_t pcs[5] = {0x401111, 0x402222, 0x403333, 0x404444, 0x405555};
    trace_emit(w, TRACE_EV_MUTEX_INIT, 0x9000, 0x409999, 0);
    trace_emit_site_stack(w, 0x401111, pcs, 5);
    trace_emit(w, TRACE_EV_MUTEX_DESTROY, 0x9000, 0x401111, 0);
    trace_emit(w, TRACE_EV_MUTEX_DESTROY, 0x9000, 0x409999, 0);
    trace_emit(w, TRACE_EV_MUTEX_DESTROY, 0x9000, 0x401111, 1);
    trace_writer_thread_free(w);
    trace_writer_drop_process(&pw);

    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    cr_assert_eq(t.nerr, 0, "%s", t.nerr ? t.err[0] : "");
    cr_assert_eq(t.n, 4, "the site stack is not an event");
    cr_assert_eq(t.ev[0].site_depth, 0);
    cr_assert_eq(t.ev[1].site_depth, 5);
    cr_assert_eq(memcmp(t.ev[1].site_stack, pcs, sizeof pcs), 0);
    cr_assert_eq(t.ev[2].site_depth, 0);
    cr_assert_eq(t.ev[3].site_depth, 5);
    cr_assert_eq(t.ev[3].site_stack[4], 0x405555);
    rt_free(&t);
}

/* Space reserved for a chunk that was never written (the writer failed
 * after reserving it) is skipped without complaint. */
Test(reader, zero_space_between_chunks)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 90, 1, 0, 0, TRACE_CLOCK_MONOTONIC, 1);
    struct craft_chunk a, b;
    craft_chunk(&f, &a, TRACE_CHUNK_MIN, 90, 0, 0, 10);
    craft_event(&a, TRACE_EV_MUTEX_FAIL, 0, 0, 0, 1, 11);
    craft_fill(&f, 4 * TRACE_CHUNK_MIN, 0);
    craft_chunk(&f, &b, 2 * TRACE_CHUNK_MIN, 90, 0, 1, 12);
    craft_event(&b, TRACE_EV_MUTEX_FAIL, 0, 0, 0, 2, 13);
    craft_fill(&f, TRACE_CHUNK_MIN, 0);
    craft_write(&f, dir, "p90.0.ctrace");
    craft_free(&f);

    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    cr_assert_eq(t.nerr, 0, "%s", t.nerr ? t.err[0] : "");
    cr_assert_eq(t.n, 2);
    cr_assert_eq(t.ev[1].arg, 2);
    rt_free(&t);
}

/* Lost counts: per chunk (lost_before), LOST events and the header. */
Test(reader, lost_counts)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 95, 1, 0, 0, TRACE_CLOCK_MONOTONIC, 1);
    craft_hdr(&f)->lost_events = 19;
    struct craft_chunk a, b;
    craft_chunk(&f, &a, TRACE_CHUNK_MIN, 95, 0, 0, 10);
    craft_event(&a, TRACE_EV_LOST, 0, 0, 0, 3, 11);
    craft_chunk(&f, &b, 2 * TRACE_CHUNK_MIN, 95, 0, 1, 12);
    craft_chunk_hdr(&b)->lost_before = 7;
    craft_event(&b, TRACE_EV_MUTEX_FAIL, 0, 0, 0, 2, 13);
    craft_write(&f, dir, "p95.0.ctrace");
    craft_free(&f);

    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    cr_assert_eq(t.nerr, 0, "%s", t.nerr ? t.err[0] : "");
    cr_assert_eq(t.threads[0].lost_events, 10);
    cr_assert_eq(t.procs[0].lost_events, 19);
    cr_assert_eq(t.lost, 19);
    rt_free(&t);
}

/* ---- threads, processes, names, gates ---- */

/* Names: a thread naming itself, one naming another, and a pthread_t
 * reused by a later thread. */
Test(reader, thread_names_follow_pthread_t)
{
    char *dir = rt_dir();
    uint32_t kind = rt_kind_best();
    struct trace_proc_writer pw;
    rt_proc_open(&pw, dir, 120, 1, 0, kind);
    struct trace_thread_writer *a = rt_thread(&pw, 120);
    struct trace_thread_writer *b = rt_thread(&pw, 121);
    trace_emit(a, TRACE_EV_THREAD_START, 0xa0, 0, UINT32_MAX);
    trace_emit_payload(a, TRACE_EV_THREAD_NAME, 0xa0, 0, "alpha", 6);
    trace_emit(a, TRACE_EV_THREAD_CREATE, 0, 0, 1);
    rt_tick(kind);
    trace_emit(b, TRACE_EV_THREAD_START, 0xb0, 0, 0);
    trace_emit_payload(b, TRACE_EV_THREAD_NAME, 0xb0, 0, "b-self", 7);
    rt_tick(kind);
    trace_emit_payload(a, TRACE_EV_THREAD_NAME, 0xb0, 0, "bee", 4);
    trace_emit(b, TRACE_EV_THREAD_EXIT, 0xb0, 0, 0);
    rt_tick(kind);
    trace_emit(a, TRACE_EV_THREAD_CREATE, 0, 0, 2);
    struct trace_thread_writer *c = rt_thread(&pw, 122);
    rt_tick(kind);
    trace_emit(c, TRACE_EV_THREAD_START, 0xb0, 0, 0); /* reused pthread_t */
    rt_tick(kind);
    trace_emit_payload(a, TRACE_EV_THREAD_NAME, 0xb0, 0, "sea", 4);
    trace_writer_thread_free(a);
    trace_writer_thread_free(b);
    trace_writer_thread_free(c);
    trace_writer_drop_process(&pw);

    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    cr_assert_eq(t.nerr, 0, "%s", t.nerr ? t.err[0] : "");
    cr_assert_eq(t.nthreads, 3);
    cr_assert_str_eq(t.threads[0].name, "alpha");
    cr_assert_str_eq(t.threads[1].name, "bee");
    cr_assert_str_eq(t.threads[2].name, "sea");
    cr_assert_eq(t.threads[1].tid, 121);
    rt_free(&t);
}

/* A thread-start stamped before its thread-create still comes after it;
 * a forked child's events come after the parent's fork event, which is
 * recorded when fork() returns in the parent. */
Test(reader, creation_gates)
{
    char *dir = rt_dir();
    uint32_t kind = rt_kind_best();
    struct trace_proc_writer parent, child;
    rt_proc_open(&parent, dir, 200, 1, 0, kind);
    struct trace_thread_writer *p0 = rt_thread(&parent, 200);
    struct trace_process_info pi = {200, 1, UINT32_MAX, 0};
    trace_emit_payload(p0, TRACE_EV_PROCESS_START, 0, 0, &pi, sizeof pi);
    rt_tick(kind);
    struct trace_thread_writer *p1 = rt_thread(&parent, 201);
    trace_emit(p1, TRACE_EV_THREAD_START, 0xf1, 0, 0); /* before create */
    rt_tick(kind);
    trace_emit(p0, TRACE_EV_THREAD_CREATE, 0, 0, 1);
    rt_tick(kind);
    rt_proc_open(&child, dir, 210, 200, TRACE_FILE_FORKED, kind);
    struct trace_thread_writer *c0 = rt_thread(&child, 210);
    struct trace_process_info ci = {210, 200, 0, TRACE_FILE_FORKED};
    trace_emit_payload(c0, TRACE_EV_PROCESS_START, 0, 0, &ci, sizeof ci);
    rt_tick(kind);
    trace_emit(c0, TRACE_EV_THREAD_START, 0xc0, 0, UINT32_MAX);
    rt_tick(kind);
    trace_emit(p0, TRACE_EV_FORK, 0, 0, 210);
    rt_tick(kind);
    trace_emit(p1, TRACE_EV_MUTEX_INIT, 0x77, 0, 1);
    rt_tick(kind);
    trace_emit(c0, TRACE_EV_MUTEX_INIT, 0x77, 0, 2);
    trace_writer_thread_free(p0);
    trace_writer_thread_free(p1);
    trace_writer_thread_free(c0);
    trace_writer_drop_process(&parent);
    trace_writer_drop_process(&child);

    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    cr_assert_eq(t.nerr, 0, "%s", t.nerr ? t.err[0] : "");
    static const struct {
        uint32_t tid, type;
    } want[] = {
        {200, TRACE_EV_PROCESS_START}, {200, TRACE_EV_THREAD_CREATE},
        {201, TRACE_EV_THREAD_START},  {200, TRACE_EV_FORK},
        {210, TRACE_EV_PROCESS_START}, {210, TRACE_EV_THREAD_START},
        {201, TRACE_EV_MUTEX_INIT},    {210, TRACE_EV_MUTEX_INIT},
    };
    cr_assert_eq(t.n, 8);
    for (size_t i = 0; i < 8; i++) {
        cr_assert_eq(t.ev[i].tid, want[i].tid, "event %zu: tid %u %s", i,
                     t.ev[i].tid, trace_event_name(t.ev[i].type));
        cr_assert_eq(t.ev[i].type, want[i].type, "event %zu: %s", i,
                     trace_event_name(t.ev[i].type));
    }
    cr_assert_eq(t.nprocs, 2);
    cr_assert_eq(t.procs[0].pid, 200);
    cr_assert_eq(t.procs[1].pid, 210);
    cr_assert_eq(t.procs[1].parent, 0);
    cr_assert_eq(t.procs[1].flags & TRACE_FILE_FORKED, TRACE_FILE_FORKED);
    cr_assert(!t.procs[1].exited);
    rt_free(&t);
}

/* exec: image 1 of a pid links back to image 0; both have the parent. */
Test(reader, exec_images_link)
{
    char *dir = rt_dir();
    uint32_t kind = rt_kind_best();
    struct trace_proc_writer sh, img0, img1;
    rt_proc_open(&sh, dir, 300, 1, 0, kind);
    struct trace_thread_writer *s = rt_thread(&sh, 300);
    trace_emit(s, TRACE_EV_FORK, 0, 0, 301);
    rt_tick(kind);
    rt_proc_open(&img0, dir, 301, 300, TRACE_FILE_FORKED, kind);
    struct trace_thread_writer *a = rt_thread(&img0, 301);
    struct trace_process_info ai = {301, 300, 0, TRACE_FILE_FORKED};
    trace_emit_payload(a, TRACE_EV_PROCESS_START, 0, 0, &ai, sizeof ai);
    trace_emit_payload(a, TRACE_EV_EXEC, 0, 0, "/bin/x", 7);
    rt_tick(kind);
    rt_proc_open(&img1, dir, 301, 300, TRACE_FILE_EXECED, kind);
    struct trace_thread_writer *b = rt_thread(&img1, 301);
    struct trace_process_info bi = {301, 300, UINT32_MAX, TRACE_FILE_EXECED};
    trace_emit_payload(b, TRACE_EV_PROCESS_START, 0, 0, &bi, sizeof bi);
    trace_writer_close_process(&img1, 0);
    trace_writer_thread_free(s);
    trace_writer_thread_free(a);
    trace_writer_thread_free(b);
    trace_writer_drop_process(&sh);
    trace_writer_drop_process(&img0);
    trace_writer_drop_process(&img1);

    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    cr_assert_eq(t.nerr, 0, "%s", t.nerr ? t.err[0] : "");
    cr_assert_eq(t.nprocs, 3);
    cr_assert_eq(t.procs[1].pid, 301);
    cr_assert_eq(t.procs[1].image, 0);
    cr_assert_eq(t.procs[2].image, 1);
    cr_assert_eq(t.procs[1].parent, 0);
    cr_assert_eq(t.procs[2].parent, 0);
    cr_assert_eq(t.procs[2].exec_from, 1);
    cr_assert_eq(t.procs[1].exec_from, -1);
    cr_assert(t.procs[2].exited);
    cr_assert_eq(t.n, 4);
    cr_assert_eq(t.ev[2].type, TRACE_EV_EXEC);
    cr_assert_eq(t.ev[3].proc, 2);
    rt_free(&t);
}

/* ---- live mode ---- */

Test(reader, live_poll_finds_new_records_threads_and_files)
{
    char *dir = rt_dir();
    uint32_t kind = rt_kind_best();
    struct trace_proc_writer pw;
    rt_proc_open(&pw, dir, 400, 1, 0, kind);
    struct trace_thread_writer *a = rt_thread(&pw, 400);
    for (uint32_t i = 0; i < 10; i++)
        trace_emit(a, TRACE_EV_MUTEX_INIT, 0x100 + 16 * i, 0, i);

    struct trace_error err;
    struct trace_reader *r = trace_reader_open(dir, &err);
    cr_assert_not_null(r, "%s", err.msg);
    struct rt_trace t;
    memset(&t, 0, sizeof t);
    rt_drain(&t, r);
    cr_assert_eq(t.n, 10);
    cr_assert_eq(trace_reader_poll(r, &err), 0, "nothing new yet");

    /* more records (over several chunks), a new thread, a new process */
    for (uint32_t i = 10; i < 20000; i++)
        trace_emit(a, TRACE_EV_MUTEX_INIT, 0x100 + 16 * (i % 300), 0, i);
    struct trace_thread_writer *b = rt_thread(&pw, 401);
    for (uint32_t i = 0; i < 3; i++)
        trace_emit(b, TRACE_EV_SEM_POST, 0x200, 0, i);
    struct trace_proc_writer pw2;
    rt_proc_open(&pw2, dir, 410, 400, 0, kind);
    struct trace_thread_writer *c = rt_thread(&pw2, 410);
    trace_emit(c, TRACE_EV_SEM_INIT, 0x300, 0, 1);
    trace_emit(c, TRACE_EV_SEM_INIT, 0x300, 0, 2);

    int n = trace_reader_poll(r, &err);
    cr_assert_eq(n, 20000 - 10 + 3 + 2, "poll found %d", n);
    rt_drain(&t, r);
    cr_assert_eq(t.nerr, 0, "%s", t.nerr ? t.err[0] : "");
    cr_assert_eq(t.n, 20000 + 3 + 2);
    cr_assert_eq(t.nthreads, 3);
    cr_assert_eq(t.nprocs, 2);
    cr_assert_eq(t.procs[1].parent, 0);
    uint32_t next_a = 0, next_b = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (t.ev[i].tid == 400)
            cr_assert_eq(t.ev[i].arg, next_a++);
        else if (t.ev[i].tid == 401)
            cr_assert_eq(t.ev[i].arg, next_b++);
    }
    cr_assert_eq(next_a, 20000);
    cr_assert_eq(next_b, 3);
    cr_assert_eq(t.threads[0].events, 20000);

    /* and again, in the middle of a chunk */
    for (uint32_t i = 20000; i < 20005; i++)
        trace_emit(a, TRACE_EV_MUTEX_INIT, 0x100, 0, i);
    cr_assert_eq(trace_reader_poll(r, &err), 5);
    size_t before = t.n;
    rt_drain(&t, r);
    cr_assert_eq(t.n, before + 5);
    cr_assert_eq(t.ev[t.n - 1].arg, 20004);
    cr_assert_eq(t.ev[t.n - 1].obj, 0x100);

    trace_reader_close(r);
    trace_writer_thread_free(a);
    trace_writer_thread_free(b);
    trace_writer_thread_free(c);
    trace_writer_drop_process(&pw);
    trace_writer_drop_process(&pw2);
    rt_free(&t);
}

/* ---- one thread alone ---- */

/* A thread reader seeks to the chunk holding a moment, reads that
 * thread's events in order to its end, and leaves the merged stream
 * undisturbed. */
Test(reader, thread_reader_seeks_by_time)
{
    char *dir = rt_dir();
    uint32_t kind = rt_kind_best();
    struct trace_proc_writer pw;
    rt_proc_open(&pw, dir, 500, 1, 0, kind);
    struct trace_thread_writer *a = rt_thread(&pw, 500);
    struct trace_thread_writer *b = rt_thread(&pw, 501);
    const uint32_t n = 100000;
    for (uint32_t i = 0; i < n; i++) {
        trace_emit(a, TRACE_EV_MUTEX_INIT, 0x100 + 16 * (i % 77), 0, i);
        if (i % 10 == 0)
            trace_emit(b, TRACE_EV_SEM_INIT, 0x900, 0, i);
    }
    trace_writer_thread_free(a);
    trace_writer_thread_free(b);
    trace_writer_drop_process(&pw);

    struct rt_trace all;
    rt_load(&all, dir);
    cr_assert_eq(all.nerr, 0);
    const struct trace_event *mid = rt_thread_event(&all, 0, 70000);
    cr_assert_not_null(mid);
    uint64_t from = mid->ts_ns;

    struct trace_error err;
    struct trace_reader *r = trace_reader_open(dir, &err);
    cr_assert_not_null(r, "%s", err.msg);
    cr_assert_null(trace_thread_reader_open(r, 99, 0));
    struct trace_event ev;
    cr_assert_eq(trace_reader_next(r, &ev, &err), 1); /* merged: first */
    struct trace_thread_reader *tr = trace_thread_reader_open(r, 0, from);
    cr_assert_not_null(tr);
    uint32_t expect = UINT32_MAX, got = 0;
    while (trace_thread_reader_next(tr, &ev, &err) > 0) {
        cr_assert_eq(ev.tid, 500);
        if (expect == UINT32_MAX) {
            cr_assert_leq(ev.ts_ns, from, "the seek starts at or before");
            cr_assert_gt(ev.arg, 1000, "and not at the beginning");
            expect = ev.arg;
        }
        cr_assert_eq(ev.arg, expect++, "program order");
        cr_assert_eq(ev.obj, 0x100 + 16 * (ev.arg % 77));
        got++;
    }
    cr_assert_eq(expect, n, "to the thread's end");
    trace_thread_reader_close(tr);
    /* the merged stream goes on where it was */
    size_t merged = 1;
    while (trace_reader_next(r, &ev, &err) > 0)
        merged++;
    cr_assert_eq(merged, all.n);
    trace_reader_close(r);
    rt_free(&all);
    (void)got;
}

/* The spec lists every event of the table (the table is the source; the
 * spec must not fall behind it). */
Test(events, spec_lists_every_event)
{
    const char *root = getenv("CTRACE_SOURCE_ROOT");
    cr_assert_not_null(root, "CTRACE_SOURCE_ROOT is not set");
    char *path = NULL;
    cr_assert_geq(asprintf(&path, "%s/docs/trace-format.md", root), 0);
    size_t len;
    char *doc = (char *)rt_slurp(path, &len);
    doc[len] = '\0';
    for (uint32_t t = 1; t < TRACE_EV_LIMIT; t++) {
        const char *name = trace_event_name(t);
        if (!name)
            continue;
        char row[96];
        snprintf(row, sizeof row, "| %u | `%s` |", t, name);
        cr_assert_not_null(strstr(doc, row), "docs/trace-format.md lacks %s",
                           row);
    }
    free(doc);
    free(path);
}

/* Live mode against writers running for real: threads record while the
 * reader polls and drains in a loop.  Whatever the interleaving (chunks
 * seen before their headers are written, `used` read mid-stream), the
 * end result must be every event, in each thread's order, no error. */
struct live_writer {
    struct trace_proc_writer *pw;
    uint32_t tid, n;
};

static void *live_writer_main(void *p)
{
    struct live_writer *lw = p;
    struct trace_thread_writer *w = rt_thread(lw->pw, lw->tid);
    for (uint32_t i = 0; i < lw->n; i++)
        trace_emit(w, TRACE_EV_MUTEX_INIT, 0x1000 + 64 * (i % 211),
                   0x400000 + i % 7, i);
    trace_writer_thread_free(w);
    return NULL;
}

Test(reader, live_with_concurrent_writers)
{
    enum { WRITERS = 4, EACH = 150000 };
    char *dir = rt_dir();
    struct trace_proc_writer pw;
    rt_proc_open(&pw, dir, 600, 1, 0, rt_kind_best());
    struct trace_thread_writer *main_w = rt_thread(&pw, 600);
    trace_emit(main_w, TRACE_EV_THREAD_START, 0x60, 0, UINT32_MAX);
    struct trace_error err;
    struct trace_reader *r = trace_reader_open(dir, &err);
    cr_assert_not_null(r, "%s", err.msg);
    struct rt_trace t;
    memset(&t, 0, sizeof t);

    pthread_t th[WRITERS];
    struct live_writer lw[WRITERS];
    for (uint32_t i = 0; i < WRITERS; i++) {
        lw[i] = (struct live_writer){&pw, 601 + i, EACH};
        cr_assert_eq(pthread_create(&th[i], NULL, live_writer_main, &lw[i]), 0);
    }
    int polls = 0;
    for (uint32_t i = 0; i < WRITERS; i++) {
        /* read while they write: at least until this one is done */
        while (pthread_tryjoin_np(th[i], NULL) != 0) {
            cr_assert_geq(trace_reader_poll(r, &err), 0, "%s", err.msg);
            rt_drain(&t, r);
            polls++;
        }
    }
    cr_assert_geq(trace_reader_poll(r, &err), 0, "%s", err.msg);
    rt_drain(&t, r);
    cr_log_info("%d polls while writing", polls);
    cr_assert_eq(t.nerr, 0, "%s", t.nerr ? t.err[0] : "");
    cr_assert_eq(t.n, 1 + WRITERS * EACH, "events %zu after %d polls", t.n,
                 polls);
    uint32_t next[WRITERS] = {0};
    for (size_t i = 0; i < t.n; i++) {
        if (t.ev[i].tid == 600)
            continue;
        uint32_t k = t.ev[i].tid - 601;
        cr_assert_lt(k, WRITERS);
        cr_assert_eq(t.ev[i].arg, next[k]++);
        cr_assert_eq(t.ev[i].obj, 0x1000 + 64 * (t.ev[i].arg % 211));
    }
    for (uint32_t k = 0; k < WRITERS; k++)
        cr_assert_eq(next[k], EACH);
    cr_assert_eq(t.nthreads, 1 + WRITERS);
    trace_reader_close(r);
    trace_writer_thread_free(main_w);
    trace_writer_drop_process(&pw);
    rt_free(&t);
}

/* NOP records (reserved, never filled) are skipped; PAD ends a chunk's
 * records even when `used` says more. */
Test(reader, nop_and_pad_records)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 65, 1, 0, 0, TRACE_CLOCK_MONOTONIC, 1);
    struct craft_chunk c;
    craft_chunk(&f, &c, TRACE_CHUNK_MIN, 65, 0, 0, 10);
    craft_event(&c, TRACE_EV_MUTEX_FAIL, 0, 0, 0, 1, 11);
    craft_raw(&c, 0, 0);
    craft_raw(&c, 0, 0);
    craft_event(&c, TRACE_EV_MUTEX_FAIL, 0, 0, 0, 2, 12);
    craft_raw(&c, TRACE_W0(TRACE_EV_PAD, 0, 0, 0), 0);
    craft_event(&c, 250, 0, 0, 0, 3, 13); /* after the pad: not read */
    craft_write(&f, dir, "p65.0.ctrace");
    craft_free(&f);

    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    cr_assert_eq(t.nerr, 0, "%s", t.nerr ? t.err[0] : "");
    cr_assert_eq(t.n, 2);
    cr_assert_eq(t.ev[0].arg, 1);
    cr_assert_eq(t.ev[1].arg, 2);
    cr_assert_eq(t.threads[0].events, 2);
    rt_free(&t);
}

/* Short (one-word) and full records mix in a chunk: each short one reads
 * as the event with arg and seq 0, its slots resolved and its clock
 * unwrapped like a full record's, and payload words follow full records
 * at any word boundary. */
Test(reader, short_and_full_records_interleave)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 61, 1, 0, 0, TRACE_CLOCK_MONOTONIC, 100);
    struct craft_chunk c;
    craft_chunk(&f, &c, TRACE_CHUNK_MIN, 61, 0, 0, 100);
    craft_objdef(&c, 7, 0xa700);
    craft_sitedef(&c, 9, 0x400900);
    craft_short(&c, TRACE_EV_MUTEX_ACQUIRE, 7, 9, 110);
    craft_event(&c, TRACE_EV_MUTEX_ACQUIRE, 7, 9, 0, TRACE_ACQ_TRY, 120);
    craft_short(&c, TRACE_EV_MUTEX_RELEASE, 7, 0, 130);
    craft_payload(&c, TRACE_EV_THREAD_NAME, 0, 140, "odd-length", 11);
    craft_short(&c, TRACE_EV_SEM_POST, 7, 9, 0x70000005ull);
    craft_write(&f, dir, "p61.0.ctrace");
    craft_free(&f);

    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    cr_assert_eq(t.nerr, 0, "%s", t.nerr ? t.err[0] : "");
    rt_check_sane(&t);
    cr_assert_eq(t.n, 5);
    uint32_t types[] = {TRACE_EV_MUTEX_ACQUIRE, TRACE_EV_MUTEX_ACQUIRE,
                        TRACE_EV_MUTEX_RELEASE, TRACE_EV_THREAD_NAME,
                        TRACE_EV_SEM_POST};
    uint64_t clocks[] = {110, 120, 130, 140, 0x70000005ull};
    uint64_t sites[] = {0x400900, 0x400900, 0, 0, 0x400900};
    for (size_t i = 0; i < 5; i++) {
        cr_assert_eq(t.ev[i].type, types[i], "event %zu", i);
        cr_assert_eq(t.ev[i].clock, clocks[i], "event %zu", i);
        cr_assert_eq(t.ev[i].site, sites[i], "event %zu", i);
        cr_assert_eq(t.ev[i].seq, 0);
    }
    cr_assert_eq(t.ev[0].obj, 0xa700);
    cr_assert_eq(t.ev[0].arg, 0);
    cr_assert_eq(t.ev[1].arg, TRACE_ACQ_TRY);
    cr_assert_eq(t.ev[2].obj, 0xa700);
    cr_assert_eq(t.ev[3].payload_len, 11);
    cr_assert_str_eq(t.ev[3].payload, "odd-length");
    cr_assert_eq(t.ev[4].obj, 0xa700);
    cr_assert_eq(t.threads[0].events, 5);
    rt_free(&t);
}

/* Chunks a thread is done with carry a summary (events, last clock) that
 * the reader's scan counts instead of walking, unless they hold an event
 * the thread list needs (here: a rename in the middle of the run).  The
 * counts and last times must be exactly what walking gives: the events
 * the merge delivers, the last one's time. */
Test(reader, closed_chunk_summaries_count_like_a_walk)
{
    char *dir = rt_dir();
    struct trace_proc_writer pw;
    rt_proc_open(&pw, dir, 910, 1, 0, rt_kind_best());
    struct trace_thread_writer *w[2] = {rt_thread(&pw, 910),
                                        rt_thread(&pw, 911)};
    const uint32_t per_thread = 400000; /* 3.2 MB: chunks 0..5 */
    for (uint32_t i = 0; i < per_thread; i++)
        for (int k = 0; k < 2; k++) {
            if (k == 1 && i == per_thread / 2)
                trace_emit_payload(w[k], TRACE_EV_THREAD_NAME, 0xab00, 0,
                                   "renamed", 8);
            trace_emit_ordered(
                w[k], i % 2 ? TRACE_EV_MUTEX_RELEASE : TRACE_EV_MUTEX_ACQUIRE,
                0x7000 + 64 * (uint64_t)(i % 5), 0x500000, 0, TRACE_FENCE_BOTH);
        }
    uint32_t closed = 0;
    for (int k = 0; k < 2; k++)
        closed += w[k]->chunk_index;
    for (int k = 0; k < 2; k++)
        trace_writer_thread_free(w[k]);
    trace_writer_close_process(&pw, 0);
    trace_writer_drop_process(&pw);
    cr_assert_geq(closed, 10, "only %u chunks: the test proves little", closed);

    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    cr_assert_eq(t.nerr, 0, "%s", t.nerr ? t.err[0] : "");
    for (uint32_t th = 0; th < t.nthreads; th++) {
        size_t n = rt_thread_count(&t, th);
        cr_assert_eq(t.threads[th].events, n, "thread %u: list %llu, merge %zu",
                     th, (unsigned long long)t.threads[th].events, n);
        cr_assert_eq(t.threads[th].last_ns,
                     rt_thread_event(&t, th, (uint32_t)n - 1)->ts_ns);
    }
    int renamed = rt_find_thread(&t, 910, 1);
    cr_assert_geq(renamed, 0);
    cr_assert_str_eq(t.threads[renamed].name, "renamed");
    cr_assert_eq(t.threads[renamed].events, per_thread + 1);
    rt_free(&t);
}
