/* The on-disk trace format: what the shim writes and the reader reads.
 *
 * docs/trace-format.md is the prose spec; this header is its only code
 * form.  A trace is a directory: one file per process image
 * (`p<pid>.<k>.ctrace`, k counting exec'd images of one pid) plus the
 * shared sequence file (`seq.map`).  A process file is a header page
 * followed by chunks; each chunk belongs to one thread and holds records
 * of one or two 8-byte words.  Everything is little-endian x86-64/aarch64
 * native layout.
 *
 * Invariants the reader relies on:
 *  - a chunk's words [0, used) are complete records; `used` is stored
 *    with release order after the records it covers;
 *  - a chunk never depends on an earlier chunk: object and call-site
 *    slots are defined again in every chunk (OBJDEF/SITEDEF records)
 *    before their first use, and the first record's time is relative to
 *    the chunk header's base clock;
 *  - per thread, chunk_index counts 0, 1, 2, ... without gaps except
 *    where chunks were lost, which chunk->lost_before says.
 */
#ifndef CTRACE_TRACE_FORMAT_H
#define CTRACE_TRACE_FORMAT_H

#include <stdint.h>

#define TRACE_FORMAT_VERSION 2
#define TRACE_FILE_MAGIC "CTRACE\0F"  /* 8 bytes, process file */
#define TRACE_SEQ_MAGIC "CTRACE\0S"   /* 8 bytes, seq.map */
#define TRACE_CHUNK_MAGIC 0x4b4e4843u /* "CHNK" */
#define TRACE_HEADER_SIZE 4096u       /* file header page */
#define TRACE_CHUNK_HEADER_SIZE 64u
#define TRACE_WORD_SIZE 8u            /* the unit of records and `used` */
#define TRACE_RECORD_SIZE 16u         /* a full record: two words */
#define TRACE_CHUNK_MIN (64u * 1024u) /* first chunk of a thread */
#define TRACE_CHUNK_MAX (2u * 1024u * 1024u) /* chunks double up to this */
#define TRACE_SEQ_STRIPES 16384u             /* sequence counters in seq.map */
#define TRACE_SEQ_STRIDE 64u                 /* one counter per cache line */
#define TRACE_SLOT_BITS 12u                  /* obj/site slot field width */
#define TRACE_SLOTS (1u << TRACE_SLOT_BITS)
#define TRACE_PAYLOAD_MAX 4096u    /* largest payload, bytes */
#define TRACE_DIR_ENV "CTRACE_DIR" /* where the shim writes */
#define TRACE_OPTIONS_ENV "CTRACE_OPTIONS"
/* Every CTRACE_OPTIONS key something reads: the commands' tables (run,
 * report) and libctrace.so (preload/init.c, preload/python.c).  One
 * CTRACE_OPTIONS serves every command and the shim, so a key one of them
 * does not take is not a typo if another one does. */
#define TRACE_OPTIONS_KEYS                                                     \
    "clock", "color", "debug", "error_exitcode", "exceptions", "hang_timeout", \
        "no_report", "on_deadlock", "output", "py_frames", "stack_depth",      \
        "suppressions"
/* Marks a directory `ctrace run` created (text: TRACE_DIR_MARKER_TEXT,
 * then "format <version>").  ctrace rotates and empties only marked
 * directories (docs/security.md). */
#define TRACE_DIR_MARKER "ctrace.dir"
#define TRACE_DIR_MARKER_TEXT "ctrace trace directory\n"

/* Event flags used by events.def. */
enum trace_event_flags {
    TF_OBJ = 1u << 0,
    TF_SEQ = 1u << 1,
    TF_PAYLOAD = 1u << 2,
    TF_BLOCK = 1u << 3,
    TF_META = 1u << 4,
};

/* Event families (the FAMILY column of events.def). */
enum trace_family {
    TRACE_FAM_META,    /* bookkeeping records, never events */
    TRACE_FAM_PROCESS, /* processes, signals, failures, modules, Python */
    TRACE_FAM_THREAD,
    TRACE_FAM_MUTEX,
    TRACE_FAM_RWLOCK,
    TRACE_FAM_SPIN,
    TRACE_FAM_COND,
    TRACE_FAM_SEM,
    TRACE_FAM_BARRIER,
    TRACE_FAM_ONCE,
    TRACE_FAM_MEMORY, /* accesses of instrumented builds */
    TRACE_FAM_COUNT
};

enum trace_event_type {
    TRACE_EV_NONE = 0,
#define EV(id, num, name, fam, flags, doc) TRACE_EV_##id = num,
#include "events.def"
#undef EV
    TRACE_EV_LIMIT = 256
};

/* How an acquisition happened (arg of *-acquire): one of LOCK, TRY,
 * TIMED in the low bits (TRACE_ACQ_HOW_MASK), plus the CONTENDED bit. */
enum trace_acquire_how {
    TRACE_ACQ_LOCK = 0,     /* blocking call, uncontended */
    TRACE_ACQ_TRY = 1,      /* trylock succeeded */
    TRACE_ACQ_TIMED = 2,    /* timedlock/clocklock succeeded */
    TRACE_ACQ_CONTENDED = 4 /* bit: a *-wait event precedes it */
};
#define TRACE_ACQ_HOW_MASK 3u

/* arg of the *-wait events (mutex, rwlock, cond, sem): 1 when the call
 * that waits has a timeout. */
#define TRACE_WAIT_TIMED 1u

/* arg of mutex-release. */
#define TRACE_REL_COND 1u /* released by pthread_cond_*wait */

/* arg of mutex-init: the PTHREAD_MUTEX_* type in the low 4 bits. */
#define TRACE_MUTEX_TYPE_MASK 0xfu
#define TRACE_MUTEX_PSHARED (1u << 4)
#define TRACE_MUTEX_ROBUST (1u << 5)
#define TRACE_MUTEX_STATIC (1u << 6) /* first seen without init */

/* signal-action: the signal and what the program installed for it. */
enum trace_sigact_disp {
    TRACE_SIGACT_DEFAULT = 0,
    TRACE_SIGACT_IGNORE = 1,
    TRACE_SIGACT_HANDLER = 2
};
#define TRACE_SIGACT_ARG(sig, disp) ((uint32_t)(sig) | ((uint32_t)(disp) << 8))
#define TRACE_SIGACT_SIG(arg) ((int)((arg)&0xffu))
#define TRACE_SIGACT_DISP(arg) (((uint32_t)(arg) >> 8) & 0xffu)

/* timer-create: how a timer notifies (sigevent's sigev_notify). */
enum trace_timer_notify {
    TRACE_TIMER_SIGNAL = 0, /* sends the signal */
    TRACE_TIMER_NONE = 1,   /* SIGEV_NONE: nothing happens */
    TRACE_TIMER_THREAD = 2  /* SIGEV_THREAD: runs a function in a new thread */
};
#define TRACE_TIMER_NOTIFY_ARG(sig, how)                                       \
    ((uint32_t)(sig) | ((uint32_t)(how) << 8))
#define TRACE_TIMER_SIG(arg) ((int)((arg)&0xffu))
#define TRACE_TIMER_HOW(arg) (((uint32_t)(arg) >> 8) & 0xffu)
/* or'ed in: the timer counts CPU time, which a blocked process does not
 * use, so it cannot fire while every thread waits */
#define TRACE_TIMER_CPU (1u << 16)

/* timer-arm: obj of the three interval timers (setitimer's `which`;
 * alarm and ualarm are ITIMER_REAL), never a timer_t's value.  Only
 * ITIMER_REAL counts real time (the others count CPU time). */
#define TRACE_TIMER_ITIMER(which) ((1ull << 63) | (uint64_t)(which))
/* arg: ms until the first expiry (saturated), whether it repeats, and
 * whether alarm() armed it (so that a message can say "alarm(15)"). */
#define TRACE_TIMER_MS_MAX ((1u << 30) - 1)
#define TRACE_TIMER_ARM_ARG(ms, repeats, by_alarm)                             \
    ((uint32_t)(ms) | ((repeats) ? 1u << 30 : 0u) |                            \
     ((by_alarm) ? 1u << 31 : 0u))
#define TRACE_TIMER_MS(arg) ((uint32_t)(arg)&TRACE_TIMER_MS_MAX)
#define TRACE_TIMER_REPEATS(arg) (((uint32_t)(arg) >> 30) & 1u)
#define TRACE_TIMER_BY_ALARM(arg) (((uint32_t)(arg) >> 31) & 1u)

/* arg of thread-exit. */
enum trace_thread_exit_how {
    TRACE_EXIT_RETURN = 0,
    TRACE_EXIT_PTHREAD_EXIT = 1,
    TRACE_EXIT_CANCEL = 2,
    TRACE_EXIT_PROCESS = 3
};

/* Clock kinds (file header clock_kind). */
enum trace_clock_kind {
    TRACE_CLOCK_TSC = 0,      /* rdtsc ticks; converted with the pairs */
    TRACE_CLOCK_MONOTONIC = 1 /* CLOCK_MONOTONIC nanoseconds */
};

/*
 * A chunk's records are 8-byte words: a record is one word (short) or two
 * (full), told apart by the low byte of the first word.
 *
 * A full record:
 *   w0 bits 0-7    type (enum trace_event_type, 1..TRACE_SHORT_BASE-1)
 *          8-19   object slot (TF_OBJ events)
 *          20-31  call-site slot (the caller's return address)
 *          32-63  sequence number, low 32 bits (TF_SEQ events)
 *   w1 bits 0-31   arg
 *          32-63  low 32 bits of the clock; the reader unwraps them against
 *                 the previous record of the chunk (the chunk header's
 *                 base_clock before the first).  The writer emits a TIME
 *                 record before any record more than 2^30 ticks after the
 *                 previous one, so consecutive records are always
 *                 within 2^31 of each other and unwrapping is exact even
 *                 when a signal handler's record lands between two others.
 * OBJDEF/SITEDEF/TIME records keep type and slot in w0 and a full 64-bit
 * value in w1 (TIME: absolute clock).  Payload words follow their event
 * raw, ceil(arg / 8) of them, no type byte.
 *
 * A short record, one word, is an event whose arg and sequence number are
 * 0 (most lock and unlock events):
 *   bits 0-7    TRACE_SHORT_BASE + the event's short code (below)
 *        8-31   object and call-site slots, as in a full record
 *        32-63  low 32 bits of the clock, as in a full record
 *
 * A zero word is a NOP, skipped: it fills words a writer reserved and
 * then could not use.
 */
struct trace_record {
    uint64_t w0;
    uint64_t w1;
};

#define TRACE_W0(type, obj_slot, site_slot, seq)                               \
    ((uint64_t)(type) | ((uint64_t)(obj_slot) << 8) |                          \
     ((uint64_t)(site_slot) << 20) | ((uint64_t)(uint32_t)(seq) << 32))
#define TRACE_W0_TYPE(w) ((unsigned)((w)&0xffu))
#define TRACE_W0_OBJ(w) ((unsigned)(((w) >> 8) & 0xfffu))
#define TRACE_W0_SITE(w) ((unsigned)(((w) >> 20) & 0xfffu))
#define TRACE_W0_SEQ(w) ((uint32_t)((w) >> 32))
/* w0 without its type byte: the obj and site slots (and, in a short
 * word, nothing else below the clock). */
#define TRACE_W0_SLOTS_MASK 0xffffff00u
#define TRACE_W1(arg, clock)                                                   \
    ((uint64_t)(uint32_t)(arg) | ((uint64_t)(clock) << 32))
#define TRACE_W1_ARG(w) ((uint32_t)(w))
#define TRACE_W1_CLOCKLO(w) ((uint32_t)((w) >> 32))
/* The clock half of w1, where a short word keeps its clock too. */
#define TRACE_W1_CLOCK_MASK 0xffffffff00000000ull
#define TRACE_CLOCK_REFRESH (1ull << 30) /* see above */

/* Short records: the events that may be written as one word, in code
 * order (code = position; append only, the codes are in traces). */
#define TRACE_SHORT_BASE 192u
// clang-format off
#define TRACE_SHORT_EVENTS(X) \
    X(MUTEX_WAIT) \
    X(MUTEX_ACQUIRE) \
    X(MUTEX_RELEASE) \
    X(RWLOCK_RDWAIT) \
    X(RWLOCK_WRWAIT) \
    X(RWLOCK_RDACQUIRE) \
    X(RWLOCK_WRACQUIRE) \
    X(RWLOCK_RELEASE) \
    X(SPIN_WAIT) \
    X(SPIN_ACQUIRE) \
    X(SPIN_RELEASE) \
    X(COND_SIGNAL) \
    X(COND_BROADCAST) \
    X(COND_WAIT) \
    X(COND_WAKE) \
    X(SEM_WAIT) \
    X(SEM_ACQUIRE) \
    X(SEM_POST) \
    X(BARRIER_WAIT) \
    X(BARRIER_LEAVE) \
    X(ONCE_ENTER) \
    X(ONCE_RUN) \
    X(ONCE_DONE) \
    X(THREAD_JOIN_WAIT) \
    X(THREAD_JOIN)
// clang-format on

enum trace_short_code {
#define X(id) TRACE_SHORT_##id,
    TRACE_SHORT_EVENTS(X)
#undef X
        TRACE_SHORT_COUNT
};
#ifndef __cplusplus
_Static_assert(TRACE_SHORT_BASE + TRACE_SHORT_COUNT <= 256,
               "short codes fit in the type byte");
#define EV(id, num, name, fam, flags, doc)                                     \
    _Static_assert((num) < TRACE_SHORT_BASE, "event numbers stay below "       \
                                             "the short codes");
#include "events.def"
#undef EV
#endif

/* An event's short code, or -1 when it is always written full.  With a
 * constant type this folds to a constant. */
static inline int trace_short_code(uint32_t type)
{
    switch (type) {
#define X(id)                                                                  \
    case TRACE_EV_##id:                                                        \
        return TRACE_SHORT_##id;
        TRACE_SHORT_EVENTS(X)
#undef X
    default:
        return -1;
    }
}

#define TRACE_SW(code, obj_slot, site_slot, clock)                             \
    ((uint64_t)(TRACE_SHORT_BASE + (code)) | ((uint64_t)(obj_slot) << 8) |     \
     ((uint64_t)(site_slot) << 20) | ((uint64_t)(uint32_t)(clock) << 32))
/* A short word's type byte, slots and clock: those of TRACE_W0/W1. */
#define TRACE_SW_CLOCKLO(w) TRACE_W1_CLOCKLO(w)

/* The header page of a process file.  Fields after `version` may be
 * appended to in later versions; readers check `version` first. */
struct trace_file_header {
    char magic[8];
    uint32_t version;
    uint32_t header_size;
    uint32_t pid;
    uint32_t ppid;
    uint32_t image;         /* k of p<pid>.<k>: 0 at fork/start, +1 per exec */
    uint32_t clock_kind;    /* enum trace_clock_kind */
    uint64_t start_clock;   /* clock at process (image) start */
    uint64_t start_mono_ns; /* CLOCK_MONOTONIC at the same moment */
    uint64_t start_real_ns; /* CLOCK_REALTIME at the same moment */
    uint64_t file_end;      /* atomic: next free byte for a chunk */
    uint64_t lost_events;   /* atomic: events that found no chunk */
    uint32_t next_thread_serial; /* atomic */
    uint32_t stack_depth;        /* --stack-depth in force */
    uint64_t end_clock;          /* clock at a clean exit, 0 if none */
    uint64_t end_mono_ns;        /* CLOCK_MONOTONIC at the same moment */
    uint32_t exit_status;        /* valid when flags has TRACE_FILE_EXITED */
    uint32_t flags;              /* TRACE_FILE_* */
    char exe[512];               /* /proc/self/exe, NUL-terminated, truncated */
    char cmdline[2048];          /* argv, NUL-separated, truncated */
    uint32_t cmdline_len;
};

#define TRACE_FILE_EXITED (1u << 0) /* exit status recorded */
#define TRACE_FILE_FORKED (1u << 1) /* image began by fork() */
#define TRACE_FILE_EXECED (1u << 2) /* image began by exec of a traced one */
/* TF_SEQ records carry per-object sequence numbers from seq.map.  Without
 * this flag the clock is the TSC, read with LFENCE on both sides, and
 * clock order is happens-before order for one object's events. */
#define TRACE_FILE_SEQ (1u << 3)

/* The head of a chunk. */
struct trace_chunk_header {
    uint32_t magic;         /* TRACE_CHUNK_MAGIC */
    uint32_t size;          /* bytes including this header */
    uint32_t tid;           /* kernel thread id */
    uint32_t thread_serial; /* 0 = first thread of the image, then 1, ... */
    uint32_t chunk_index;   /* per thread: 0, 1, 2, ... */
    uint32_t used;          /* atomic: records committed */
    uint32_t lost_before;   /* events of this thread lost before it */
    uint32_t flags;         /* TRACE_CHUNK_* */
    uint64_t base_clock;    /* clock when the chunk was opened */
    uint64_t base_mono_ns;  /* CLOCK_MONOTONIC at the same moment */
    /* A summary the writer leaves when it is done with the chunk (valid
     * with TRACE_CHUNK_CLOSED), so that a reader can count a chunk's
     * events without walking it: */
    uint64_t end_clock; /* the clock of its last record */
    uint32_t events;    /* the events in its `used` words */
    uint32_t reserved;
};

#define TRACE_CHUNK_CLOSED (1u << 0) /* end_clock and events hold */
#define TRACE_CHUNK_KEEPS                                                      \
    (1u << 1) /* holds an event that describes its                             \
                 thread (trace_event_describes_thread) */

/* thread-start, thread-name, thread-exit and lost: the events a reader's
 * thread list is made of, besides counts and times (a macro for constant
 * tables, and a function). */
#define TRACE_DESCRIBES_THREAD(type)                                           \
    ((type) == TRACE_EV_THREAD_START || (type) == TRACE_EV_THREAD_NAME ||      \
     (type) == TRACE_EV_THREAD_EXIT || (type) == TRACE_EV_LOST)
static inline int trace_event_describes_thread(uint32_t type)
{
    return TRACE_DESCRIBES_THREAD(type);
}
#ifndef __cplusplus
_Static_assert(sizeof(struct trace_chunk_header) == TRACE_CHUNK_HEADER_SIZE,
               "records start right after the chunk header");
#endif

/* The shared sequence file: counters striped by object address. */
struct trace_seq_header {
    char magic[8];
    uint32_t version;
    uint32_t stripes;
};
#define TRACE_SEQ_FILE_SIZE                                                    \
    (4096u + (uint64_t)TRACE_SEQ_STRIPES * TRACE_SEQ_STRIDE)

static inline uint32_t trace_seq_stripe(uint64_t obj)
{
    return (uint32_t)(((obj >> 3) * 0x9e3779b97f4a7c15ull) >> 50) &
           (TRACE_SEQ_STRIPES - 1);
}

/* ---- payloads ---- */

/* process-start: who this image is. */
struct trace_process_info {
    uint32_t pid;
    uint32_t ppid;
    uint32_t parent_serial; /* forked: the forking thread's serial */
    uint32_t flags;         /* TRACE_FILE_FORKED / TRACE_FILE_EXECED */
};

/* spawn: posix_spawn*. */
struct trace_spawn_info {
    uint32_t child_pid; /* 0 when the call failed */
    uint32_t result;
    char path[]; /* NUL-terminated */
};

/* process-reap: what wait* returned. */
struct trace_reap_info {
    int32_t pid;    /* returned pid; <= 0 when nothing was reaped */
    int32_t status; /* wait status, as for WIFEXITED() */
    int32_t err;    /* errno when pid < 0 */
    int32_t how;    /* 0 wait, 1 waitpid, 2 waitid, 3 wait3, 4 wait4,
                       5 system, 6 pclose (pid 0: the child is unknown) */
};

/* signal: a fatal signal arrived; u64 pcs follow the struct. */
struct trace_signal_info {
    int32_t signo;
    int32_t code;  /* si_code */
    uint64_t addr; /* si_addr where the kernel gives one */
    uint32_t nframes;
    uint32_t reserved;
};

/* assert: __assert_fail; strings then pcs follow. */
struct trace_assert_info {
    uint32_t line;
    uint16_t expr_len; /* each length includes the NUL */
    uint16_t file_len;
    uint16_t func_len;
    uint16_t nframes;
    uint32_t reserved;
    /* char expr[expr_len], file[file_len], func[func_len];
       then padding to 8 and uint64_t pcs[nframes] */
};

/* cxx-throw: __cxa_throw; type name then pcs follow. */
struct trace_throw_info {
    uint16_t type_len; /* includes the NUL */
    uint16_t what_len; /* 0 when unknown; includes the NUL */
    uint16_t nframes;
    uint16_t reserved;
    /* char type[type_len], what[what_len]; pad to 8; uint64_t pcs[] */
};

/* python-exception: ctrace_record_exception() (preload/pyhook.c); the
 * four strings follow, each NUL-terminated, truncated so that the whole
 * payload fits in TRACE_PAYLOAD_MAX. */
struct trace_pyexc_info {
    uint16_t kind_len; /* each length includes the NUL */
    uint16_t type_len;
    uint16_t message_len;
    uint16_t traceback_len;
    /* char kind[kind_len], type[type_len], message[message_len],
       traceback[traceback_len]; */
};

/* py-frames (preload/python.c): the innermost Python frames of the
 * calling thread, innermost first; `nframes` of these follow the info,
 * each a struct trace_pyframe then its function and file names
 * (NUL-terminated, lengths include the NUL; a long file name keeps its
 * end).  Read them with memcpy: frames are not aligned. */
struct trace_pyframes_info {
    uint16_t nframes;
    uint16_t reserved;
    uint32_t reserved2;
};

struct trace_pyframe {
    uint32_t line;     /* 0 when unknown */
    uint16_t func_len; /* includes the NUL */
    uint16_t file_len; /* includes the NUL */
    /* char func[func_len], file[file_len]; */
};

/* python-runtime: the module holding CPython's code (the python
 * executable, or libpython) spans [lo, hi). */
struct trace_pyruntime_info {
    uint64_t lo, hi;
    uint32_t version; /* Py_Version: 0x030b02f0 is 3.11.2 final */
    uint32_t flags;   /* TRACE_PYRT_* */
};

#define TRACE_PYRT_FRAMES (1u << 0) /* py-frames are recorded */

/* signal-send: kill(pid, signo) (preload/kill.c). */
struct trace_kill_info {
    int32_t pid; /* as kill() takes it: <= 0 names a process group */
    int32_t signo;
};

/* module-load: one loaded ELF object. */
struct trace_module_info {
    uint64_t base;   /* load bias (dlpi_addr) */
    uint64_t lo, hi; /* lowest and highest mapped address of PT_LOADs */
    uint16_t build_id_len;
    uint16_t path_len; /* includes the NUL */
    uint32_t reserved;
    uint8_t build_id[32];
    /* char path[path_len]; */
};

/* ---- memory accesses of instrumented builds (docs/races.md) ---- */

/* mem-read, mem-write, mem-atomic-read, mem-atomic-write: obj is the
 * 1 MiB region holding the first byte; arg packs the offset in it, the
 * log2 of the access size (0..4: 1 to 16 bytes) and a repeat count
 * (1..512 accesses of that size at consecutive addresses). */
#define TRACE_MEM_REGION_BITS 20u
#define TRACE_MEM_REGION(addr)                                                 \
    ((uint64_t)(addr) & ~((1ull << TRACE_MEM_REGION_BITS) - 1))
#define TRACE_MEM_COUNT_MAX 512u
#define TRACE_MEM_ARG(off, size_log, count)                                    \
    ((uint32_t)(off) | ((uint32_t)(size_log) << 20) |                          \
     ((uint32_t)((count)-1) << 23))
#define TRACE_MEM_OFF(arg) ((uint32_t)(arg)&0xfffffu)
#define TRACE_MEM_SIZE_LOG(arg) (((uint32_t)(arg) >> 20) & 7u)
#define TRACE_MEM_COUNT(arg) (((uint32_t)(arg) >> 23) + 1u)

/* mem-range-read, mem-range-write: offset in the region and a length of
 * 1..4096 bytes. */
#define TRACE_MEM_RANGE_MAX 4096u
#define TRACE_MEM_RANGE_ARG(off, len)                                          \
    ((uint32_t)(off) | ((uint32_t)((len)-1) << 20))
#define TRACE_MEM_RANGE_LEN(arg) (((uint32_t)(arg) >> 20) + 1u)

/* atomic-acquire / atomic-release: what the operation was. */
enum trace_atomic_op {
    TRACE_ATOMIC_LOAD = 0,
    TRACE_ATOMIC_STORE = 1,
    TRACE_ATOMIC_RMW = 2,      /* exchange, fetch-op, successful CAS */
    TRACE_ATOMIC_CAS_FAIL = 3, /* failed compare-exchange: a load */
    TRACE_ATOMIC_FENCED = 4,   /* relaxed store after a release fence */
    TRACE_ATOMIC_ANNOTATE = 5  /* __tsan_acquire/__tsan_release: no access */
};
/* order: the C11 memory order (0 relaxed .. 5 seq_cst, as __ATOMIC_*). */
#define TRACE_ATOMIC_ARG(op, order, size_log)                                  \
    ((uint32_t)(op) | ((uint32_t)(order) << 4) | ((uint32_t)(size_log) << 8))
#define TRACE_ATOMIC_OP(arg) ((uint32_t)(arg)&0xfu)
#define TRACE_ATOMIC_ORDER(arg) (((uint32_t)(arg) >> 4) & 0xfu)
#define TRACE_ATOMIC_SIZE_LOG(arg) (((uint32_t)(arg) >> 8) & 7u)

/* mem-alloc, mem-free, mem-stack: a block of memory. */
struct trace_mem_block {
    uint64_t addr;
    uint64_t size;
};

/* mem-stats: a thread's instrumented accesses (counters since its start). */
struct trace_mem_stats {
    uint64_t accesses; /* __tsan_read*, __tsan_write*, atomics, ranges */
    uint64_t filtered; /* not recorded: already seen in the same epoch */
    uint64_t merged;   /* recorded by raising an earlier record's count */
    uint64_t records;  /* mem-* records written */
    uint64_t dropped;  /* lost: a signal handler's access inside ours */
    uint64_t reserved;
};
#endif
