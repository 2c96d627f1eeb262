/* `ctrace dump`, through the real binary, on traces written in-process:
 * one line per event in order, the JSON fields docs/design.md fixes, payload
 * fields, and the exit status for missing and corrupt traces. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"
#include "rt.h"

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* The n-th line (0-based), malloc'ed. */
static char *line_at(const char *s, size_t n)
{
    while (n-- && (s = strchr(s, '\n')))
        s++;
    cr_assert_not_null(s);
    const char *e = strchr(s, '\n');
    return strndup(s, e ? (size_t)(e - s) : strlen(s));
}

static char *sample_trace_kind(uint32_t kind)
{
    char *dir = rt_dir();
    struct trace_proc_writer pw;
    rt_proc_open(&pw, dir, 777, 1, 0, kind);
    struct trace_thread_writer *a = rt_thread(&pw, 777);
    struct trace_process_info pi = {777, 1, UINT32_MAX, 0};
    trace_emit_payload(a, TRACE_EV_PROCESS_START, 0, 0, &pi, sizeof pi);
    trace_emit(a, TRACE_EV_THREAD_START, 0xa0, 0, UINT32_MAX);
    trace_emit_payload(a, TRACE_EV_THREAD_NAME, 0xa0, 0, "say \"hi\"", 9);
    trace_emit(a, TRACE_EV_THREAD_CREATE, 0, 0x401000, 1);
    rt_tick(kind);
    struct trace_thread_writer *b = rt_thread(&pw, 778);
    trace_emit(b, TRACE_EV_THREAD_START, 0xb0, 0x402000, 0);
    rt_tick(kind);
    trace_emit_ordered(b, TRACE_EV_MUTEX_ACQUIRE, 0x5550, 0x403000, 0,
                       TRACE_FENCE_ACQUIRE);
    trace_emit_ordered(b, TRACE_EV_MUTEX_RELEASE, 0x5550, 0x403010, 0,
                       TRACE_FENCE_RELEASE);
    rt_tick(kind);
    trace_emit(a, TRACE_EV_FORK, 0, 0, 779);
    struct trace_reap_info ri = {779, 3 << 8, 0, 1};
    trace_emit_payload(a, TRACE_EV_PROCESS_REAP, 0, 0, &ri, sizeof ri);
    trace_emit_payload(a, TRACE_EV_SYSTEM, 0, 0, "ls -l", 6);
    trace_emit(a, TRACE_EV_PROCESS_EXIT, 0, 0, 0);
    trace_writer_thread_free(a);
    trace_writer_thread_free(b);
    trace_writer_close_process(&pw, 0);
    trace_writer_drop_process(&pw);
    return dir;
}

static char *sample_trace(void) { return sample_trace_kind(rt_kind_best()); }

Test(dump, json_lines_in_order)
{
    char *dir = sample_trace();
    const char *argv[] = {"ctrace", "dump", "--json", dir, NULL};
    struct e2e_result res;
    cr_assert_eq(e2e_run(&res, argv), 0);
    cr_assert_eq(res.status, 0, "stderr: %s", res.err);
    cr_assert_eq(count_lines(res.out), 11, "%s", res.out);
    static const char *const want[] = {
        "\"event\":\"process-start\"", "\"event\":\"thread-start\"",
        "\"event\":\"thread-name\"",   "\"event\":\"thread-create\"",
        "\"event\":\"thread-start\"",  "\"event\":\"mutex-acquire\"",
        "\"event\":\"mutex-release\"", "\"event\":\"fork\"",
        "\"event\":\"process-reap\"",  "\"event\":\"system\"",
        "\"event\":\"process-exit\""};
    for (size_t i = 0; i < 11; i++) {
        char *l = line_at(res.out, i);
        cr_assert(strstr(l, want[i]), "line %zu: %s", i, l);
        cr_assert(l[0] == '{' && l[strlen(l) - 1] == '}', "%s", l);
        cr_assert(strstr(l, "\"ts_ns\":") && strstr(l, "\"pid\":777,") &&
                      strstr(l, "\"tid\":77"),
                  "%s", l);
        free(l);
    }
    char *l = line_at(res.out, 2);
    cr_assert(strstr(l, "\"obj\":\"0xa0\""), "%s", l);
    cr_assert(strstr(l, "\"name\":\"say \\\"hi\\\"\""), "%s", l);
    free(l);
    l = line_at(res.out, 5);
    cr_assert(strstr(l, "\"obj\":\"0x5550\"") &&
                  strstr(l, "\"site\":\"0x403000\"") && strstr(l, "\"arg\":0"),
              "%s", l);
    free(l);
    l = line_at(res.out, 7);
    cr_assert(strstr(l, "\"child_pid\":779"), "%s", l);
    free(l);
    l = line_at(res.out, 8);
    cr_assert(strstr(l, "\"child_pid\":779") && strstr(l, "\"exit_code\":3"),
              "%s", l);
    free(l);
    l = line_at(res.out, 9);
    cr_assert(strstr(l, "\"command\":\"ls -l\""), "%s", l);
    free(l);
    e2e_result_free(&res);
}

Test(dump, text_lines)
{
    char *dir = sample_trace();
    const char *argv[] = {"ctrace", "dump", dir, NULL};
    struct e2e_result res;
    cr_assert_eq(e2e_run(&res, argv), 0);
    cr_assert_eq(res.status, 0, "stderr: %s", res.err);
    cr_assert_eq(count_lines(res.out), 11, "%s", res.out);
    char *l = line_at(res.out, 5);
    cr_assert(strstr(l, " 777 778 mutex-acquire obj=0x5550 "), "%s", l);
    cr_assert(strchr(l, '.') && l[0] >= '0' && l[0] <= '9', "%s", l);
    free(l);
    e2e_result_free(&res);
}

Test(dump, help_and_bad_option)
{
    const char *help[] = {"ctrace", "dump", "--help", NULL};
    struct e2e_result res;
    cr_assert_eq(e2e_run(&res, help), 0);
    cr_assert_eq(res.status, 0);
    cr_assert(strstr(res.out, "Usage: ctrace dump [--json] [DIR]"), "%s",
              res.out);
    e2e_result_free(&res);

    const char *bad[] = {"ctrace", "dump", "--frobnicate", NULL};
    cr_assert_eq(e2e_run(&res, bad), 0);
    cr_assert_eq(res.status, 2);
    cr_assert(strstr(res.err, "--frobnicate"), "%s", res.err);
    e2e_result_free(&res);
}

Test(dump, missing_directory_exits_1)
{
    char *dir = rt_dir();
    char *missing = NULL;
    if (asprintf(&missing, "%s/not-there", dir) < 0)
        abort();
    const char *argv[] = {"ctrace", "dump", missing, NULL};
    struct e2e_result res;
    cr_assert_eq(e2e_run(&res, argv), 0);
    cr_assert_eq(res.status, 1);
    cr_assert(strstr(res.err, missing), "%s", res.err);
    cr_assert_eq(res.out_len, 0);
    e2e_result_free(&res);
    free(missing);
}

Test(dump, corrupt_trace_exits_1_after_printing_the_rest)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 8, 1, 0, 0, TRACE_CLOCK_MONOTONIC, 1);
    craft_hdr(&f)->lost_events = 4;
    struct craft_chunk a, b;
    craft_chunk(&f, &a, TRACE_CHUNK_MIN, 80, 0, 0, 5);
    craft_event(&a, TRACE_EV_MUTEX_FAIL, 0, 0, 0, 1, 6);
    craft_event(&a, 189, 0, 0, 0, 0, 7);
    craft_chunk(&f, &b, TRACE_CHUNK_MIN, 81, 1, 0, 5);
    craft_event(&b, TRACE_EV_SEM_FAIL, 0, 0, 0, 1, 8);
    craft_event(&b, TRACE_EV_SEM_FAIL, 0, 0, 0, 2, 9);
    craft_write(&f, dir, "p8.0.ctrace");
    craft_free(&f);
    const char *argv[] = {"ctrace", "dump", "--json", dir, NULL};
    struct e2e_result res;
    cr_assert_eq(e2e_run(&res, argv), 0);
    cr_assert_eq(res.status, 1, "stderr: %s", res.err);
    cr_assert_eq(count_lines(res.out), 3, "%s", res.out);
    cr_assert(strstr(res.err, "p8.0.ctrace: offset ") &&
                  strstr(res.err, "unknown event type 189"),
              "%s", res.err);
    cr_assert(strstr(res.err, "4 events were lost"), "%s", res.err);
    e2e_result_free(&res);
}

/* Payload fields of the failure events, from a crafted python-exception
 * and cxx-terminate. */
Test(dump, failure_payload_fields)
{
    char *dir = rt_dir();
    struct trace_proc_writer pw;
    rt_proc_open(&pw, dir, 880, 1, 0, rt_kind_best());
    struct trace_thread_writer *w = rt_thread(&pw, 880);
    uint8_t buf[256] = {0};
    struct trace_pyexc_info pi = {7, 11, 4, 9};
    memcpy(buf, &pi, sizeof pi);
    memcpy(buf + sizeof pi, "thread\0ValueError\0bad\0tb line\0", 31);
    trace_emit_payload(w, TRACE_EV_PY_EXCEPTION, 0, 0, buf,
                       (uint32_t)sizeof pi + 31);
    struct trace_throw_info ti = {0, 5, 1, 0};
    memset(buf, 0, sizeof buf);
    memcpy(buf, &ti, sizeof ti);
    memcpy(buf + sizeof ti, "oops", 5);
    uint64_t pc = 0x401234;
    memcpy(buf + 16, &pc, 8);
    trace_emit_payload(w, TRACE_EV_CXX_TERMINATE, 0, 0, buf, 24);
    trace_emit(w, TRACE_EV_FORK, 0, 0, UINT32_MAX);
    trace_writer_thread_free(w);
    trace_writer_drop_process(&pw);
    const char *argv[] = {"ctrace", "dump", "--json", dir, NULL};
    struct e2e_result res;
    cr_assert_eq(e2e_run(&res, argv), 0);
    cr_assert_eq(res.status, 0, "stderr: %s", res.err);
    char *l = line_at(res.out, 0);
    cr_assert(strstr(l, "\"event\":\"python-exception\"") &&
                  strstr(l, "\"kind\":\"thread\"") &&
                  strstr(l, "\"type\":\"ValueError\"") &&
                  strstr(l, "\"message\":\"bad\"") &&
                  strstr(l, "\"traceback\":\"tb line\""),
              "%s", l);
    free(l);
    l = line_at(res.out, 1);
    cr_assert(strstr(l, "\"what\":\"oops\"") && !strstr(l, "\"type\"") &&
                  strstr(l, "\"frames\":[\"0x401234\"]"),
              "%s", l);
    free(l);
    l = line_at(res.out, 2);
    cr_assert(strstr(l, "\"child_pid\":-1"), "%s", l);
    free(l);
    e2e_result_free(&res);
}

/* seq appears exactly where the trace numbers its TF_SEQ events. */
Test(dump, seq_only_in_numbered_traces)
{
    char *dir = sample_trace_kind(TRACE_CLOCK_MONOTONIC);
    const char *argv[] = {"ctrace", "dump", "--json", dir, NULL};
    struct e2e_result res;
    cr_assert_eq(e2e_run(&res, argv), 0);
    cr_assert_eq(res.status, 0, "stderr: %s", res.err);
    char *acq = line_at(res.out, 5), *start = line_at(res.out, 1);
    cr_assert(strstr(acq, "\"seq\":"), "%s", acq);
    cr_assert(!strstr(start, "\"seq\":"), "%s", start);
    free(acq);
    free(start);
    e2e_result_free(&res);
    if (rt_kind_best() != TRACE_CLOCK_TSC)
        return;
    dir = sample_trace_kind(TRACE_CLOCK_TSC);
    const char *argv2[] = {"ctrace", "dump", "--json", dir, NULL};
    cr_assert_eq(e2e_run(&res, argv2), 0);
    acq = line_at(res.out, 5);
    cr_assert(!strstr(acq, "\"seq\":"), "fenced-clock trace: %s", acq);
    free(acq);
    e2e_result_free(&res);
}
