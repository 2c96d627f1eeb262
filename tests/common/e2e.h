/* Helpers for end-to-end tests: run the real `ctrace` binary (or a program
 * without it) with a safety-net timeout, capture its output, and load the
 * trace it wrote through the one trace reader.
 *
 * Environment (set by tests/meson.build): CTRACE_BIN, CTRACE_SAMPLES,
 * CTRACE_SOURCE_ROOT. */
#ifndef CTRACE_TESTS_E2E_H
#define CTRACE_TESTS_E2E_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader.h"

/* Safety-net timeout for a whole traced run (never a pass criterion). */
#define E2E_TIMEOUT_S 120

struct e2e_result {
    int status;     /* exit code, or 128+signo when killed by a signal */
    bool timed_out; /* killed by the safety net */
    char *out;      /* stdout, NUL-terminated */
    char *err;      /* stderr, NUL-terminated */
    size_t out_len, err_len;
};

/* Run argv (NULL-terminated).  argv[0] "ctrace" means the built ctrace.
 * `input` (may be NULL) is written to the child's stdin.  `env` (may be
 * NULL) is a NULL-terminated list of "NAME=value" added to the
 * environment.  Returns 0, or -1 if the program could not be started. */
int e2e_run_env(struct e2e_result *res, const char *const argv[],
                const char *const env[], const char *input, int timeout_s);
int e2e_run(struct e2e_result *res, const char *const argv[]);
void e2e_result_free(struct e2e_result *res);

/* Path of a built sample ("c/mutex_basic"); static buffer per call site
 * is not needed: the string is malloc'ed and lives until exit. */
const char *e2e_sample(const char *name);
/* Path of the ctrace binary. */
const char *e2e_ctrace(void);
/* A fresh empty directory under $TMPDIR; the returned trace directory
 * path (DIR/ctrace.data) does not exist yet. */
const char *e2e_tmpdir(void);
const char *e2e_trace_dir(void);

/* A whole trace in memory, events in the reader's merged order.  Payload
 * bytes are copied (ev[i].payload points into the copy). */
struct e2e_trace {
    struct trace_event *ev;
    size_t n;
    struct trace_process *procs;
    size_t nprocs;
    struct trace_thread *threads;
    size_t nthreads;
    uint64_t lost;
};

/* Load DIR; fails the current test with the reader's message if it
 * cannot. */
void e2e_load_trace(struct e2e_trace *t, const char *dir);
void e2e_trace_free(struct e2e_trace *t);

/* Count events of a type (any process when pid == 0). */
size_t e2e_count(const struct e2e_trace *t, uint32_t type, uint32_t pid);
/* Count events of a type on one object. */
size_t e2e_count_obj(const struct e2e_trace *t, uint32_t type, uint64_t obj);
/* Index of the n-th (0-based) event of a type, or -1. */
long e2e_find(const struct e2e_trace *t, uint32_t type, size_t nth);
/* The process image with this pid and image number, or NULL. */
const struct trace_process *e2e_process(const struct e2e_trace *t, uint32_t pid,
                                        uint32_t image);
/* Events of one thread (reader thread index), in order: fills idx[] with
 * up to cap event indexes, returns how many there are. */
size_t e2e_thread_events(const struct e2e_trace *t, uint32_t thread,
                         size_t *idx, size_t cap);

#endif
