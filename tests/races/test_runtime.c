/* What the runtime writes, read back through the trace reader
 * (tests/races/progs/epochs.c, built with the real `ctrace cc`):
 *  - within one epoch, repeated and neighbouring accesses cost almost
 *    nothing: ten scans of a 4096-int array are a handful of records;
 *  - every synchronization ends an epoch: a counter bumped under a mutex
 *    a hundred times is recorded a hundred times (one record each: the
 *    read of counter++ becomes its write);
 *  - mem-stats counts what the instrumentation called;
 *  - the shadow stack gives a race its whole call chain. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "races_test.h"

static struct races_run run;
static struct e2e_trace trace;

static void epochs_setup(void)
{
    const char *dir = e2e_tmpdir();
    char *cmd = NULL, *out = NULL;
    cr_assert_geq(asprintf(&cmd, "%s cc -g -O1 %s -o %s/epochs -pthread",
                           e2e_ctrace(),
                           races_source("tests/races/progs/epochs.c"), dir),
                  0);
    cr_assert_eq(races_sh(cmd, &out), 0, "%s\n%s", cmd, out);
    free(cmd);
    free(out);
    char exe[512];
    snprintf(exe, sizeof exe, "%s/epochs", dir);
    const char *argv[] = {exe, NULL};
    races_run(&run, argv);
    cr_assert_eq(run.run.status, 0, "%s", run.run.err);
    e2e_load_trace(&trace, run.trace_dir);
}

static void epochs_teardown(void)
{
    e2e_trace_free(&trace);
    races_run_free(&run);
}

/* Reader index of the thread with this serial. */
static uint32_t thread_of(uint32_t serial)
{
    for (size_t i = 0; i < trace.nthreads; i++)
        if (trace.threads[i].serial == serial)
            return (uint32_t)i;
    cr_assert_fail("no thread with serial %u", serial);
    return 0;
}

static size_t count(uint32_t thread, uint32_t type)
{
    size_t n = 0;
    for (size_t i = 0; i < trace.n; i++)
        n += trace.ev[i].thread == thread && trace.ev[i].type == type;
    return n;
}

static struct trace_mem_stats stats_of(uint32_t thread)
{
    struct trace_mem_stats s;
    memset(&s, 0, sizeof s);
    for (size_t i = 0; i < trace.n; i++)
        if (trace.ev[i].thread == thread &&
            trace.ev[i].type == TRACE_EV_MEM_STATS)
            memcpy(&s, trace.ev[i].payload, sizeof s);
    return s;
}

TestSuite(runtime, .init = epochs_setup, .fini = epochs_teardown,
          .timeout = 300);

Test(runtime, one_epoch_is_cheap)
{
    uint32_t scanner = thread_of(1);
    struct trace_mem_stats s = stats_of(scanner);
    cr_assert_geq(s.accesses, 10 * 4096, "accesses %llu",
                  (unsigned long long)s.accesses);
    size_t records = 0;
    for (uint32_t type = TRACE_EV_MEM_READ; type <= TRACE_EV_MEM_RANGE_WRITE;
         type++)
        records += count(scanner, type);
    cr_assert_eq(records, s.records, "%zu mem-* records, stats say %llu",
                 records, (unsigned long long)s.records);
    /* 4096 ints: 8 records of 512 per scan at most */
    cr_assert_leq(records, 10 * 8 + 8, "%zu records for %llu accesses", records,
                  (unsigned long long)s.accesses);
    cr_assert_gt(records, 0);
}

Test(runtime, sync_ends_the_epoch)
{
    uint32_t locker = thread_of(2);
    /* counter++ each epoch: its read becomes its write in place once the
     * write's site is known, so at least one write record per epoch */
    cr_assert_geq(count(locker, TRACE_EV_MEM_WRITE), 100);
    cr_assert_lt(count(locker, TRACE_EV_MEM_READ), 10);
    struct trace_mem_stats s = stats_of(locker);
    cr_assert_geq(s.accesses, 200);
}

Test(runtime, shadow_stack)
{
    const struct json *fs = races_findings(&run);
    cr_assert_eq(json_len(fs), 1, "%zu findings", json_len(fs));
    const struct json *frames =
        json_get(json_at(json_get(json_at(fs, 0), "stacks"), 0), "frames");
    const char *want[] = {"level5", "level4", "level3",
                          "level2", "level1", "deep"};
    for (size_t i = 0; i < 6; i++)
        cr_assert_str_eq(json_str(json_at(frames, i), "function"), want[i],
                         "frame %zu", i);
}

/* Heap events carry the block, with the program's call site. */
Test(runtime, heap_events)
{
    size_t allocs = e2e_count(&trace, TRACE_EV_MEM_ALLOC, 0);
    size_t stacks = e2e_count(&trace, TRACE_EV_MEM_STACK, 0);
    cr_assert_geq(stacks, 4, "one mem-stack per created thread");
    (void)allocs;
}
