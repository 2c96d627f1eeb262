/* The analyzer beside the viewer (see monitor.h). */
#include "monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"

/* ---- items ---- */

static struct monitor_item *monitor_item_new(struct monitor *mon)
{
    struct monitor_item *items =
        realloc(mon->items, (mon->nitems + 1) * sizeof *mon->items);
    if (!items)
        return NULL;
    mon->items = items;
    struct monitor_item *it = &items[mon->nitems++];
    memset(it, 0, sizeof *it);
    mon->version++;
    return it;
}

static void monitor_name(void *ctx, const struct finding *f, bool is_thread,
                         uint32_t index, char *buf, size_t len)
{
    struct model *m = ctx;
    if (is_thread) {
        char label[80] = "";
        if (index < m->nth) {
            model_thread_label(m, index, label, sizeof label);
            snprintf(buf, len, "%u %s", m->th[index].tid, label);
        } else {
            snprintf(buf, len, "thread %u", index);
        }
        return;
    }
    const struct finding_object *o = &f->objects[index];
    long lock = model_lock_find(m, o->proc, o->addr);
    if (lock >= 0)
        snprintf(buf, len, "%s", model_lock_name(m, lock));
    else if (o->name[0])
        snprintf(buf, len, "%s", o->name);
    else
        snprintf(buf, len, "%s 0x%llx", o->kind[0] ? o->kind : "object",
                 (unsigned long long)o->addr);
}

static void monitor_add_thread(struct monitor_item *it, uint32_t thread)
{
    for (size_t i = 0; i < it->nthreads; i++)
        if (it->threads[i] == thread)
            return;
    if (it->nthreads < MONITOR_ITEM_THREADS)
        it->threads[it->nthreads++] = thread;
}

static void monitor_add_finding(struct monitor *mon, struct model *m,
                                const struct finding *f, bool live)
{
    struct monitor_item *it = monitor_item_new(mon);
    if (!it)
        return;
    it->live = live;
    it->severity = f->severity;
    snprintf(it->kind, sizeof it->kind, "%s", finding_kind_name(f->kind));
    finding_message_format(f, f->message, monitor_name, m, it->message,
                           sizeof it->message);
    it->ts_ns = f->ts_ns;
    it->times[it->ntimes++] = f->ts_ns;
    for (size_t i = 0; i < f->nthreads && i < 16; i++)
        monitor_add_thread(it, f->threads[i]);
    for (size_t i = 0; i < f->nobjects && it->nobjects < MONITOR_ITEM_OBJECTS;
         i++) {
        it->objects[it->nobjects].proc = f->objects[i].proc;
        it->objects[it->nobjects++].addr = f->objects[i].addr;
    }
}

static void monitor_add_group(struct monitor *mon,
                              const struct exception_group *g)
{
    struct monitor_item *it = monitor_item_new(mon);
    if (!it)
        return;
    it->exception = true;
    it->severity = SEV_ERROR;
    snprintf(it->kind, sizeof it->kind, "exception");
    if (g->count > 1)
        snprintf(it->message, sizeof it->message, "%.200s (x%u): %.280s",
                 g->title, g->count, g->message);
    else
        snprintf(it->message, sizeof it->message, "%.200s: %.290s", g->title,
                 g->message);
    it->ts_ns = g->first_ns;
    for (size_t i = 0; i < g->nmembers; i++) {
        const struct exception_member *mb = &g->members[i];
        if (it->ntimes < MONITOR_ITEM_TIMES)
            it->times[it->ntimes++] = mb->ts_ns;
        if (mb->thread != UINT32_MAX)
            monitor_add_thread(it, mb->thread);
    }
    if (!it->ntimes)
        it->times[it->ntimes++] = g->first_ns;
}

/* Whether item i repeats an earlier one (a live finding found again). */
static bool monitor_has_dup(const struct monitor *mon, size_t i)
{
    const struct monitor_item *it = &mon->items[i];
    for (size_t j = 0; j < i; j++)
        if (strcmp(mon->items[j].kind, it->kind) == 0 &&
            strcmp(mon->items[j].message, it->message) == 0)
            return true;
    return false;
}

/* Every finding and exception group of res, without repeating items
 * already listed (live ones found again at the end). */
static void monitor_add_result(struct monitor *mon, struct model *m,
                               const struct analysis_result *res, bool live)
{
    for (size_t i = 0; i < res->nfindings; i++) {
        size_t before = mon->nitems;
        monitor_add_finding(mon, m, &res->findings[i], live);
        if (mon->nitems > before && monitor_has_dup(mon, mon->nitems - 1))
            mon->nitems--;
    }
    for (size_t i = 0; i < res->nexc_groups; i++)
        monitor_add_group(mon, &res->exc_groups[i]);
}

/* ---- a recorded trace: the background analysis ---- */

static void *monitor_thread_main(void *arg)
{
    struct monitor *mon = arg;
    struct trace_error err;
    err.msg[0] = '\0';
    mon->rc = analyzer_run_trace(mon->dir, NULL, &mon->res, &err);
    if (mon->rc < 0)
        snprintf(mon->error, sizeof mon->error, "%s", err.msg);
    __atomic_store_n(&mon->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

struct monitor *monitor_start(const char *dir)
{
    struct monitor *mon = calloc(1, sizeof *mon);
    if (!mon)
        return NULL;
    mon->state = MONITOR_RUNNING;
    mon->dir = strdup(dir);
    if (!mon->dir ||
        pthread_create(&mon->thread, NULL, monitor_thread_main, mon) != 0) {
        mon->state = MONITOR_FAILED;
        snprintf(mon->error, sizeof mon->error,
                 "cannot start the analysis thread");
        return mon;
    }
    mon->thread_started = true;
    return mon;
}

static bool monitor_poll_static(struct monitor *mon, struct model *m)
{
    if (!mon->thread_started || !__atomic_load_n(&mon->done, __ATOMIC_ACQUIRE))
        return false;
    pthread_join(mon->thread, NULL);
    mon->thread_started = false;
    if (mon->rc < 0) {
        mon->state = MONITOR_FAILED;
    } else {
        monitor_add_result(mon, m, &mon->res, false);
        mon->state = MONITOR_DONE;
    }
    analysis_result_free(&mon->res);
    mon->version++;
    return true;
}

/* ---- a live trace ---- */

struct monitor *monitor_start_live(struct model *m)
{
    struct monitor *mon = calloc(1, sizeof *mon);
    if (!mon)
        return NULL;
    mon->state = MONITOR_RUNNING;
    mon->a = analyzer_new(NULL, m->r);
    return mon;
}

static bool monitor_poll_live(struct monitor *mon, struct model *m)
{
    struct trace_event ev;
    struct trace_error err;
    int rc;
    while ((rc = trace_reader_next(m->r, &ev, &err)) != 0)
        if (rc > 0) {
            analyzer_feed(mon->a, &ev);
            mon->fed++;
        }
    size_t before = mon->nitems;
    struct analysis_result res;
    memset(&res, 0, sizeof res);
    if (analyzer_check_live(mon->a, trace_reader_now_ns(m->r), &res) > 0)
        monitor_add_result(mon, m, &res, true);
    analysis_result_free(&res);
    if (!model_running(m)) {
        memset(&res, 0, sizeof res);
        analyzer_finish(mon->a, &res);
        monitor_add_result(mon, m, &res, false);
        analysis_result_free(&res);
        analyzer_free(mon->a);
        mon->a = NULL;
        mon->state = MONITOR_DONE;
        mon->version++;
        return true;
    }
    return mon->nitems != before;
}

bool monitor_poll(struct monitor *mon, struct model *m)
{
    if (mon->a)
        return monitor_poll_live(mon, m);
    return monitor_poll_static(mon, m);
}

const struct monitor_item *monitor_alert(const struct monitor *mon)
{
    for (size_t i = mon->nitems; i-- > 0;)
        if (mon->items[i].live && mon->items[i].severity == SEV_ERROR)
            return &mon->items[i];
    return NULL;
}

void monitor_free(struct monitor *mon)
{
    if (!mon)
        return;
    if (mon->thread_started) {
        if (!__atomic_load_n(&mon->done, __ATOMIC_ACQUIRE)) {
            /* Quitting while a long analysis runs: it is left to end with
             * the process rather than making the user wait for it. */
            pthread_detach(mon->thread);
            return;
        }
        pthread_join(mon->thread, NULL);
        analysis_result_free(&mon->res);
    }
    if (mon->a)
        analyzer_free(mon->a);
    free(mon->items);
    free(mon->dir);
    free(mon);
}
