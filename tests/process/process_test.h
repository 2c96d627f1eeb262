/* Helpers shared by the process, signal and failure end-to-end tests:
 * running a program under the real `ctrace run` and without it, comparing
 * the two runs, reading what a sample printed, and finding events and
 * payloads in the loaded trace. */
#ifndef CTRACE_TESTS_PROCESS_TEST_H
#define CTRACE_TESTS_PROCESS_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2e.h"
#include "format.h"

/* A program run under ctrace, with its trace loaded. */
struct proc_run {
    struct e2e_result res; /* of `ctrace run` */
    struct e2e_trace t;
};

/* Run argv (program and arguments) under `ctrace run --no-report -o DIR`
 * with `input` on stdin (may be NULL), load the trace and delete the
 * files.  Fails the test if ctrace cannot start, times out, or the trace
 * cannot be read; the exit status is the caller's to check. */
void proc_run_traced(struct proc_run *r, const char *const argv[],
                     const char *input);
void proc_run_free(struct proc_run *r);
/* The same program without ctrace. */
void proc_run_native(struct e2e_result *res, const char *const argv[],
                     const char *input);

/* Same exit status, stdout and stderr, once the lines that begin with
 * `mask` (a per-run address, say; NULL for none) are left out. */
void proc_assert_same(const char *what, const struct e2e_result *native,
                      const struct e2e_result *traced, const char *mask);

/* The number after `key ` on a line of `out` ("crash_fn 0x55..",
 * "pairs 1000"); fails the test when there is none. */
uint64_t proc_out_value(const char *out, const char *key);

/* The pid printed as "ROLE pid=P" by fork_tree; 0 if none. */
uint32_t proc_out_role_pid(const char *out, const char *role);

/* Events of `type` in process `pid` (0: any). */
size_t proc_count(const struct e2e_trace *t, uint32_t type, uint32_t pid);
size_t proc_count_arg(const struct e2e_trace *t, uint32_t type, uint32_t pid,
                      uint32_t arg);
/* The n-th event of `type` in `pid` (0: any), or NULL. */
const struct trace_event *proc_find(const struct e2e_trace *t, uint32_t type,
                                    uint32_t pid, size_t nth);
/* Index of an image in t->procs, or -1. */
int proc_image_index(const struct e2e_trace *t, uint32_t pid, uint32_t image);

/* Does any pc lie in [lo, lo + span)? */
bool proc_pcs_hit(const uint64_t *pcs, size_t n, uint64_t lo, uint64_t span);

/* Payload views. */
const uint64_t *proc_signal_pcs(const struct trace_event *e,
                                const struct trace_signal_info **info);
struct proc_assert {
    const char *expr, *file, *func;
    uint32_t line;
    const uint64_t *pcs;
    size_t nframes;
};
void proc_assert_decode(const struct trace_event *e, struct proc_assert *a);
struct proc_throw {
    const char *type, *what; /* "" when absent */
    const uint64_t *pcs;
    size_t nframes;
};
void proc_throw_decode(const struct trace_event *e, struct proc_throw *x);

/* Crash functions are small: a pc of theirs is within this of their
 * address. */
#define PROC_FN_SPAN 256

#endif
