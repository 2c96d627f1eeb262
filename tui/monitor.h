/* The analyzer beside the viewer: findings and exception groups as the
 * screen lists and marks them.
 *
 * A recorded trace is analysed once, in a background thread with its
 * own reader, so the timeline opens at once and the findings arrive when
 * the analysis is done (monitor_poll() picks them up).  A live trace is
 * analysed on the model's own reader: every poll feeds the new events in
 * merged order to the analyzer and asks it for deadlocks and hangs
 * (analyzer_check_live); when every traced process has ended, the final
 * analysis replaces the live list.
 *
 * Items are plain data with their text already written (thread names as
 * the timeline labels them, locks as the model names them), so drawing
 * never formats findings.
 */
#ifndef CTRACE_TUI_MONITOR_H
#define CTRACE_TUI_MONITOR_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "model.h"

#define MONITOR_ITEM_THREADS 16
#define MONITOR_ITEM_OBJECTS 8
#define MONITOR_ITEM_TIMES 64

struct monitor_item {
    bool exception; /* an exception group, not a finding */
    bool live;      /* found while the program ran */
    enum finding_severity severity;
    char kind[32]; /* "deadlock", "exception" */
    char message[512];
    uint64_t ts_ns; /* when (the first occurrence) */
    size_t ntimes;  /* every occurrence's time (markers), capped */
    uint64_t times[MONITOR_ITEM_TIMES];
    size_t nthreads; /* reader thread indexes */
    uint32_t threads[MONITOR_ITEM_THREADS];
    size_t nobjects;
    struct {
        uint32_t proc;
        uint64_t addr;
    } objects[MONITOR_ITEM_OBJECTS];
};

enum monitor_state {
    MONITOR_RUNNING, /* analysing (static) or following (live) */
    MONITOR_DONE,    /* the list is final */
    MONITOR_FAILED,  /* the analysis could not run: `error` says why */
};

struct analyzer;

struct monitor {
    enum monitor_state state;
    char error[512];
    struct monitor_item *items;
    size_t nitems;
    uint64_t version; /* bumped when items change */
    /* static: the background analysis */
    char *dir;
    pthread_t thread;
    bool thread_started;
    int done; /* set by the thread (atomic) */
    int rc;
    struct analysis_result res;
    /* live */
    struct analyzer *a;
    uint64_t fed;
};

/* Analyse the recorded trace in dir in the background (NULL: out of
 * memory). */
struct monitor *monitor_start(const char *dir);
/* Follow the model's live reader. */
struct monitor *monitor_start_live(struct model *m);
/* Pick up what is new (static: the finished analysis; live: feed the
 * new events and check for deadlocks and hangs).  Returns true when the
 * items changed. */
bool monitor_poll(struct monitor *mon, struct model *m);
/* Free it; an analysis still running is left to end with the process. */
void monitor_free(struct monitor *mon);

/* The newest live error item (a deadlock or hang that just fired), or
 * NULL. */
const struct monitor_item *monitor_alert(const struct monitor *mon);

#endif
