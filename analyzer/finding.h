/* What the analyzer produces: findings, exception groups, contention
 * figures and per-process facts, as plain data.  The analysis modules
 * fill these; the report writers (text, JSON, SARIF), the live monitor and
 * the viewer only read them.  Frames are symbolized lazily by the report
 * writers (analyzer/symbols.h); here a stack is raw pcs plus the process
 * image they belong to. */
#ifndef CTRACE_ANALYZER_FINDING_H
#define CTRACE_ANALYZER_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum finding_severity { SEV_ERROR = 0, SEV_WARNING = 1, SEV_NOTE = 2 };
enum finding_category {
    CAT_DEADLOCK,
    CAT_RACE,
    CAT_LOCK_ORDER,
    CAT_MISUSE,
    CAT_FORK,
};

enum finding_kind {
#define FINDING(id, name, sev, cat, why) FINDING_##id,
#include "findings.def"
#undef FINDING
    FINDING_KIND_COUNT
};

const char *finding_kind_name(enum finding_kind k);
enum finding_severity finding_kind_severity(enum finding_kind k);
enum finding_category finding_kind_category(enum finding_kind k);
const char *finding_kind_why(enum finding_kind k);
int finding_kind_from_name(const char *name); /* -1 if unknown */
const char *finding_severity_name(enum finding_severity s); /* "error" */

#define STACK_MAX_FRAMES 64

/* A stack as recorded: pcs, innermost first, in process image `proc`
 * (reader process index).  `label` says what the stack shows ("lock B
 * taken while holding A", "blocked in pthread_mutex_lock"). */
struct finding_stack {
    uint32_t proc;
    uint32_t thread;      /* reader thread index */
    uint32_t depth;
    uint64_t pcs[STACK_MAX_FRAMES];
    char label[160];
};

/* An object a finding is about. */
struct finding_object {
    uint64_t addr;
    uint32_t proc;
    uint32_t generation; /* init/destroy count: address + generation = id */
    char kind[16];       /* "mutex", "rwlock", "cond", "sem", ... */
    char name[128];      /* how a person would call it ("table_lock",
                            "mutex created at db.c:88"); filled by the
                            report layer when empty */
    uint64_t create_pc;  /* where it was initialised or first used */
};

/* Messages and stack labels name threads and objects by placeholders,
 * because names are the report layer's business: "{thread:N}" is reader
 * thread index N, "{object:J}" is f->objects[J].  Print them through
 * finding_message_format() (below). */
struct finding {
    enum finding_kind kind;
    enum finding_severity severity;
    char message[512];   /* one line, specific: names threads and locks */
    uint32_t pid;        /* the main process concerned */
    uint32_t proc;       /* its reader process index */
    uint64_t ts_ns;      /* when it happened or was detected */
    uint32_t count;      /* occurrences merged into this finding */
    size_t nthreads;
    uint32_t threads[16]; /* reader thread indexes */
    size_t nobjects;
    struct finding_object objects[32];
    size_t nstacks;
    struct finding_stack *stacks; /* owned */
};

/* Per lock contention figures (not findings). */
struct contention_site {
    uint64_t pc;
    uint64_t acquisitions;
    uint64_t wait_ns;
};

struct contention_entry {
    struct finding_object lock;
    uint64_t acquisitions;
    uint64_t contended;
    uint64_t wait_total_ns, wait_max_ns;
    uint64_t hold_total_ns, hold_max_ns;
    size_t nsites;
    struct contention_site sites[8]; /* top call sites, busiest first */
};

/* Everything one analysis produced; the report writers' whole input
 * (with the reader's process and thread lists for names and exit
 * statuses).  Exception groups join with issue 4. */
struct analysis_result {
    struct finding *findings; /* sorted: most severe first, then by kind */
    size_t nfindings;
    struct contention_entry *contention; /* hottest first */
    size_t ncontention;
    uint64_t events;
    uint64_t lost_events;
    uint64_t duration_ns;
    /* Remarks for the end of the report (a search that was capped, events
     * lost): plain sentences, owned. */
    char **notes;
    size_t nnotes;
};

void analysis_result_free(struct analysis_result *res);

/* Expand the placeholders of `text` (a finding's message or one of its
 * stack labels) into `out`.  `name` (may be NULL) writes the name of
 * thread `index` (is_thread) or of object f->objects[index]; without it
 * threads read "thread N" and objects their `name`, else
 * "mutex 0x55d0c0de". Returns the length written (truncated to len-1). */
typedef void (*finding_name_fn)(void *ctx, const struct finding *f,
                                bool is_thread, uint32_t index, char *buf,
                                size_t len);
size_t finding_message_format(const struct finding *f, const char *text,
                              finding_name_fn name, void *ctx, char *out,
                              size_t len);

#endif
