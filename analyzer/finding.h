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
int finding_kind_from_name(const char *name);               /* -1 if unknown */
const char *finding_severity_name(enum finding_severity s); /* "error" */

#define STACK_MAX_FRAMES 64
/* As many threads as objects: a lock-order cycle through N locks has up
 * to N threads, and the finding must name them all. */
#define FINDING_MAX_THREADS 32

/* A stack as recorded: pcs, innermost first, in process image `proc`
 * (reader process index).  `label` says what the stack shows ("lock B
 * taken while holding A", "blocked in pthread_mutex_lock"). */
struct finding_stack {
    uint32_t proc;
    uint32_t thread; /* reader thread index */
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
    char message[512]; /* one line, specific: names threads and locks */
    uint32_t pid;      /* the main process concerned */
    uint32_t proc;     /* its reader process index */
    uint64_t ts_ns;    /* when it happened or was detected */
    uint32_t count;    /* occurrences merged into this finding */
    size_t nthreads;
    uint32_t threads[FINDING_MAX_THREADS]; /* reader thread indexes */
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

/* ---- exception groups (analyzer/excgroup.c, docs/exception-groups.md) ----
 * Every failure of a run (fatal signal, abort, failed assert, C++ throw,
 * non-zero exit, Python exception), grouped by signature: kind + detail +
 * the top symbolized frames of the program. */

enum exception_kind {
    EXC_SIGNAL, /* fatal signal, or death by a signal with no stack */
    EXC_ASSERT, /* failed assert() */
    EXC_ABORT,  /* abort() */
    EXC_CXX,    /* C++ throw ending in std::terminate (or caught, with
                   --exceptions=all) */
    EXC_EXIT,   /* non-zero exit status */
    EXC_PYTHON, /* Python exception (ctrace_record_exception) */
};

#define EXC_MAX_IDS 256     /* distinct pids/tids kept per group */
#define EXC_MAX_MEMBERS 16  /* occurrences kept with details per group */
#define EXC_MAX_OTHERS 32   /* other threads listed per crashed process */
#define EXC_MAX_PYFRAMES 32 /* frames parsed from a Python traceback */

/* What another thread of a crashed process was doing when it died. */
struct exception_thread {
    uint32_t thread;           /* reader thread index */
    uint32_t blocked_event;    /* TF_BLOCK event type it was in; 0: running */
    uint64_t since_ns;         /* when it began to block */
    struct finding_object obj; /* what it waited on (addr 0: nothing) */
    uint64_t target;           /* join: reader thread index joined (or
                                  UINT64_MAX); process-wait: pid argument */
    uint32_t depth;            /* pcs of its blocking call, innermost first */
    uint64_t pcs[8];
};

/* One occurrence; the first EXC_MAX_MEMBERS of a group keep these. */
struct exception_member {
    uint32_t pid, tid;
    uint32_t proc;   /* reader process index, UINT32_MAX when not traced */
    uint32_t thread; /* reader thread index, UINT32_MAX when unknown */
    uint64_t ts_ns;
    uint64_t addr; /* signal: faulting address (si_addr) */
    int32_t code;  /* signal: si_code */
    size_t nothers;
    struct exception_thread *others; /* owned: the process's other threads */
};

/* One frame of a Python traceback. */
struct exception_pyframe {
    char function[128];
    char file[256];
    int line;
};

struct exception_group {
    enum exception_kind kind;
    char signature[512]; /* "signal:SIGSEGV:parse_record;worker_main;main" */
    char title[256];     /* "SIGSEGV", "assert `n > 0` failed", "exit
                            status 1": the headline without its place */
    char message[1024];  /* one line with the details (address, what()) */
    int32_t signo;       /* EXC_SIGNAL: signal number (0: unknown death) */
    int32_t status;      /* EXC_EXIT: exit status */
    char type[256];      /* EXC_CXX / EXC_PYTHON: exception type */
    char detail[256];    /* EXC_ASSERT: the expression */
    bool caught;         /* EXC_CXX: the throw was caught */
    uint32_t count;
    uint64_t first_ns, last_ns;
    size_t npids, ntids; /* distinct, ascending, capped */
    uint32_t pids[EXC_MAX_IDS];
    uint32_t tids[EXC_MAX_IDS];
    bool ids_truncated;         /* more distinct pids or tids than kept */
    struct finding_stack stack; /* the first occurrence's (depth 0: none) */
    uint32_t exact_frame;       /* stack.pcs[i] is an exact pc (the fault), not
                                   a return address; UINT32_MAX: none is */
    size_t npyframes;           /* EXC_PYTHON: innermost first */
    struct exception_pyframe *pyframes; /* owned */
    char *traceback; /* EXC_PYTHON: the text, owned, may be NULL */
    size_t nmembers;
    struct exception_member *members; /* owned */
};

/* ---- the GIL (analyzer/gil.c, docs/python.md) ----
 * How long each thread of a Python process waited for CPython's global
 * interpreter lock. */
struct gil_thread_stats {
    uint32_t thread, proc; /* reader thread and process indexes */
    uint64_t wait_ns;      /* waiting for the GIL, in all */
    uint64_t max_wait_ns;  /* the longest single wait */
    uint64_t waits;        /* how many times it had to wait */
    uint64_t life_ns;      /* from its first event to its end */
};

/* How a process image ended, as far as the trace tells. */
struct process_outcome {
    bool known;
    int32_t exit_status; /* -1 when it did not exit (signal, unknown) */
    int32_t signal;      /* 0 when it did not die by a signal */
};

/* Everything one analysis produced; the report writers' whole input
 * (with the reader's process and thread lists for names and exit
 * statuses). */
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
    /* Exception groups (docs/exception-groups.md): crash groups in order of
     * appearance, then exit-status groups; outcomes indexed like the reader's
     * process list. */
    struct exception_group *exc_groups;
    size_t nexc_groups;
    uint64_t exc_failures;  /* sum of the groups' counts */
    uint64_t exc_processes; /* distinct pids among them */
    struct process_outcome *outcomes;
    size_t noutcomes;
    /* GIL waits per thread of Python processes (docs/python.md): by process,
     * most waiting first; empty without Python. */
    struct gil_thread_stats *gil;
    size_t ngil;
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
