/* A small builder of synthetic traces for the analyzer's unit tests:
 * declare processes and threads, then emit events (struct trace_event,
 * as the reader would give them) straight into an analyzer, with a
 * clock that advances by itself.  Helpers emit the event sequences the
 * shim records for common calls (a contended lock is a wait then an
 * acquire, a thread is a create then a start, ...). */
#ifndef CTRACE_TESTS_ANALYZER_BUILDER_H
#define CTRACE_TESTS_ANALYZER_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer.h"

#define TB_MAX_THREADS 32768
#define TB_MAX_PROCS 64

struct tb {
    struct analyzer *a;
    uint64_t now;  /* ts of the next event */
    uint64_t step; /* clock advance after each event (default 10 ns) */
    uint32_t thread_proc[TB_MAX_THREADS];
    uint32_t thread_serial[TB_MAX_THREADS];
    uint32_t proc_pid[TB_MAX_PROCS];
    const uint64_t *stack; /* site stack given to the next event */
    uint32_t depth;
    uint64_t nevents;
};

void tb_init(struct tb *b, const struct analyzer_options *opt);
/* Finish the analysis and free the analyzer. */
void tb_finish(struct tb *b, struct analysis_result *res);

void tb_process(struct tb *b, uint32_t proc, uint32_t pid, uint32_t ppid,
                int parent);
void tb_thread(struct tb *b, uint32_t thread, uint32_t proc, uint32_t serial);

/* One event at the current time. */
void tb_ev(struct tb *b, uint32_t thread, uint32_t type, uint64_t obj,
           uint32_t arg, uint64_t site);
void tb_ev_payload(struct tb *b, uint32_t thread, uint32_t type, uint64_t obj,
                   uint32_t arg, uint64_t site, const void *payload,
                   uint32_t len);

/* The shim's sequences. */
void tb_lock(struct tb *b, uint32_t t, uint64_t m, uint64_t site);
void tb_lock_wait(struct tb *b, uint32_t t, uint64_t m, uint64_t site);
void tb_lock_contended(struct tb *b, uint32_t t, uint64_t m, uint64_t site);
void tb_trylock(struct tb *b, uint32_t t, uint64_t m, uint64_t site);
void tb_unlock(struct tb *b, uint32_t t, uint64_t m, uint64_t site);
/* A root process image with its main thread (process-start, start). */
void tb_main(struct tb *b, uint32_t proc, uint32_t thread, uint32_t pid);
/* `parent` creates `child` (serial from tb_thread), which starts with
 * pthread_self `self`. */
void tb_create(struct tb *b, uint32_t parent, uint32_t child, uint64_t self,
               uint64_t start_routine);
void tb_exit(struct tb *b, uint32_t t, uint64_t self);
void tb_join(struct tb *b, uint32_t t, uint64_t self, uint64_t site);

/* Looking at results. */
size_t tb_count(const struct analysis_result *r, enum finding_kind k);
const struct finding *tb_find(const struct analysis_result *r,
                              enum finding_kind k, size_t nth);
bool tb_has_thread(const struct finding *f, uint32_t thread);
bool tb_has_object(const struct finding *f, uint64_t addr);
/* Some stack of the finding has `pc` as its first frame. */
bool tb_has_site(const struct finding *f, uint64_t pc);
/* The finding's message with placeholders expanded by default names. */
const char *tb_message(const struct finding *f);
/* Print every finding (for test failure diagnosis). */
void tb_dump(const struct analysis_result *r);

#endif
