/* Helpers shared by the report tests (report_*.c): code with known
 * file:line, inline and C++ frames to symbolize, and feeding the test
 * process's own loaded modules to a symbolizer, as module-load events
 * would. */
#ifndef CTRACE_TESTS_REPORT_TESTLIB_H
#define CTRACE_TESTS_REPORT_TESTLIB_H

#include <pthread.h>
#include <stdint.h>

#include <stdbool.h>
#include <stdio.h>

#include "finding.h"
#include "report.h"
#include "symbols.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Lines of the calls whose return addresses the functions return. */
extern volatile int testlib_plain_line;  /* in testlib_plain() */
extern volatile int testlib_inline_line; /* in testlib_inline_helper() */
extern volatile int testlib_outer_line;  /* in testlib_outer() */
extern volatile int testlib_cxx_line;    /* in ctrace_test::Widget::poke */

/* Globals to name by symbol. */
extern pthread_mutex_t table_lock;
extern pthread_mutex_t testlib_locks[4];

/* The caller's return address, as the shim records a call site. */
uint64_t testlib_capture(void);
extern volatile uint64_t testlib_sink;

/* Return addresses (recorded-site style) inside these functions. */
uint64_t testlib_plain(void); /* in testlib_plain */
uint64_t testlib_outer(void); /* inside inlined testlib_inline_helper */
uint64_t testlib_cxx(void);   /* in ctrace_test::Widget::poke(int) */

/* Source file basenames of the above. */
#define TESTLIB_C_FILE "report_testlib.c"
#define TESTLIB_CXX_FILE "report_testlib_cxx.cpp"

/* Add every module of this process (dl_iterate_phdr) as process image
 * `proc`, with its recorded build id, as the shim records them. */
void testlib_add_self_modules(struct symbolizer *s, uint32_t proc);
/* Load bias and build id of the main executable. */
uint64_t testlib_exe_base(void);
void testlib_exe_module(struct trace_module_info *m, char *path, size_t len);

/* An address inside libc's own pthread_mutex_lock (not an interposer's,
 * as under ASan). */
uint64_t testlib_libc_pc(void);

/* A stack of the given pcs in process image 0, thread `thread`. */
void testlib_stack(struct finding_stack *st, uint32_t thread, const char *label,
                   const uint64_t *pcs, uint32_t n);

/* A hand-built analysis of two processes (pid 4242 and its forked child
 * 4250) and three threads, whose stacks are real pcs of this binary:
 *   [0] lock-order-inversion (warning), threads 1 and 0, objects
 *       table_lock (a global) and a heap mutex created in testlib_plain;
 *       stacks: {testlib_outer, testlib_plain} on T1 (label with
 *       {object:J} placeholders), {testlib_cxx} on T0
 *   [1] deadlock (error), threads 0 and 1, message with {thread:N}
 *       placeholders; stacks start in libc's
 *       pthread_mutex_lock, then testlib_plain
 *   [2] double-lock (error) in pid 4250, thread 2, a message with quotes,
 *       a backslash, a tab, a control character, UTF-8 and an invalid
 *       byte; stack {testlib_outer}
 *   contention: table_lock (1000 acquisitions, 250 contended), the heap
 *   mutex (10, 0).  One note. */
struct testlib_fixture {
    struct trace_process procs[2];
    struct trace_thread threads[3];
    struct analysis_result res;
    struct symbolizer *sym;
    struct report_input in;
    uint64_t pc_outer, pc_plain, pc_cxx, pc_libc;
};

/* quotes, backslash, tab, \x01, an em dash, "ünïcödé", an invalid byte */
#define TESTLIB_TRICKY_MESSAGE                                                 \
    "T2 locks \"q\\lock\"\ttwice\x01 \xe2\x80\x94 "                            \
    "\xc3\xbc"                                                                 \
    "n"                                                                        \
    "\xc3\xaf"                                                                 \
    "c"                                                                        \
    "\xc3\xb6"                                                                 \
    "d"                                                                        \
    "\xc3\xa9"                                                                 \
    " \xff!"

void testlib_fixture_init(struct testlib_fixture *fx);
void testlib_fixture_fini(struct testlib_fixture *fx);

/* Write a report with `fn` into a malloc'ed string. */
char *testlib_capture_report(int (*fn)(FILE *, const struct report_input *),
                             const struct report_input *in);
char *testlib_capture_text(const struct report_input *in, bool color);

#ifdef __cplusplus
}
#endif

#endif
