/* Helpers of the exception-group tests (tests/excgroup/): synthetic
 * events with the payloads the shim writes (preload/signal.c, failure.c,
 * process.c, pyhook.c), this process's own modules as module-load
 * events, and the report pipeline's analysis of a recorded trace. */
#ifndef CTRACE_TESTS_EGT_H
#define CTRACE_TESTS_EGT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "excgroup.h"
#include "excgroup_report.h"
#include "finding.h"
#include "reader.h"
#include "symbols.h"

/* A payload under construction (16-byte aligned, like the reader's). */
struct egt_payload {
    _Alignas(16) uint8_t bytes[TRACE_PAYLOAD_MAX];
    uint32_t len;
};

/* An event of thread `thread` (reader index) of image `proc`: pid is
 * 1000 + proc; tid is the pid for `main` threads, else 20000 + thread. */
struct trace_event egt_event(uint32_t type, uint32_t proc, uint32_t thread,
                             bool main, uint64_t ts);
/* The same with a payload attached. */
struct trace_event egt_event_p(uint32_t type, uint32_t proc, uint32_t thread,
                               bool main, uint64_t ts,
                               const struct egt_payload *p);
uint32_t egt_pid(uint32_t proc);

/* Payloads. */
void egt_signal(struct egt_payload *p, int signo, int code, uint64_t addr,
                const uint64_t *pcs, uint32_t n);
void egt_assert(struct egt_payload *p, const char *expr, const char *file,
                uint32_t line, const char *func, const uint64_t *pcs,
                uint32_t n);
/* cxx-throw and cxx-terminate; what may be NULL. */
void egt_throw(struct egt_payload *p, const char *type, const char *what,
               const uint64_t *pcs, uint32_t n);
void egt_pcs(struct egt_payload *p, const uint64_t *pcs, uint32_t n);
void egt_reap(struct egt_payload *p, int32_t pid, int32_t status);
void egt_pyexc(struct egt_payload *p, const char *kind, const char *type,
               const char *message, const char *traceback);

/* Describe image `proc` to g (pid 1000 + proc, image number, flags). */
void egt_process(struct excgroup *g, uint32_t proc, uint32_t image,
                 uint32_t flags);

/* Feed module-load events of every object loaded in this process, as
 * image `proc`, to g (may be NULL) and to sym (may be NULL). */
void egt_self_modules(struct excgroup *g, struct symbolizer *sym, uint32_t proc,
                      uint64_t ts);

/* A recorded trace analysed as `ctrace report` does it. */
struct egt_run {
    struct trace_reader *r;
    struct symbolizer *sym;
    struct analysis_result res;
    struct report_input in;
    struct trace_process *procs;
    struct trace_thread *threads;
};
void egt_analyse(struct egt_run *x, const char *dir, bool exceptions_all);
void egt_run_free(struct egt_run *x);

/* The first group of this kind (and, when not NULL, this type or assert
 * expression), or NULL. */
const struct exception_group *egt_find(const struct analysis_result *res,
                                       enum exception_kind kind,
                                       const char *detail);
/* The group's top program frame (system and ctrace frames skipped). */
struct sym_frame egt_top(struct symbolizer *sym,
                         const struct exception_group *gr);

/* Line number of the first line of source file `rel` (from the source
 * root) that contains `marker`; fails the test when there is none. */
int egt_marker_line(const char *rel, const char *marker);

#endif
