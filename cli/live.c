/* The live monitor of `ctrace run` (see live.h).
 *
 * The trace directory fills while we watch: process files appear, chunks
 * grow.  Each tick polls the reader for what is new, feeds it to the
 * analyzer (and module maps to the symbolizer), then asks the analyzer
 * for deadlocks and hangs as of "now" on the trace's own clock.  The
 * analyzer reports each one once.  Only errors stop the program: a hang
 * that something outside could still end is printed and left running. */
#include "live.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "report.h"
#include "symbols.h"

struct live_monitor {
    char *dir;
    pid_t program;
    struct live_options opt;
    struct trace_reader *reader;
    struct analyzer *analyzer;
    struct symbolizer *sym;
    unsigned reported;
    bool acted;
};

int live_action_from_name(const char *name)
{
    static const char *const names[] = {"kill", "abort", "wait"};
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

struct live_monitor *live_monitor_new(const char *trace_dir, pid_t program,
                                      const struct live_options *opt)
{
    struct live_monitor *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->dir = strdup(trace_dir);
    m->program = program;
    m->opt = *opt;
    if (!m->opt.out)
        m->opt.out = stderr;
    return m;
}

void live_monitor_free(struct live_monitor *m)
{
    if (!m)
        return;
    analyzer_free(m->analyzer);
    sym_free(m->sym);
    trace_reader_close(m->reader);
    free(m->dir);
    free(m);
}

unsigned live_monitor_reported(const struct live_monitor *m)
{
    return m->reported;
}

/* The first tick after the program wrote its first file opens the trace. */
static bool live_open(struct live_monitor *m)
{
    if (m->reader)
        return true;
    struct trace_error err;
    m->reader = trace_reader_open(m->dir, &err);
    if (!m->reader)
        return false; /* not there yet */
    struct analyzer_options ao;
    analyzer_options_default(&ao);
    ao.no_races = true; /* races are the report's, after the run */
    if (m->opt.hang_timeout_ns)
        ao.hang_timeout_ns = m->opt.hang_timeout_ns;
    m->analyzer = analyzer_new(&ao, m->reader);
    m->sym = sym_new();
    return m->analyzer && m->sym;
}

static void live_feed(struct live_monitor *m)
{
    struct trace_error err;
    struct trace_event ev;
    int rc;
    if (trace_reader_poll(m->reader, &err) < 0)
        return;
    while ((rc = trace_reader_next(m->reader, &ev, &err)) != 0) {
        if (rc < 0)
            continue; /* the final report names corrupt spots */
        if (ev.type == TRACE_EV_MODULE_LOAD) {
            const struct trace_process *p =
                trace_reader_process(m->reader, ev.proc);
            sym_add_event(m->sym, &ev, p ? p->exe : NULL);
        }
        analyzer_feed(m->analyzer, &ev);
    }
}

/* The new findings, as the text report shows them. */
static void live_print(struct live_monitor *m,
                       const struct analysis_result *res)
{
    struct trace_process *procs;
    struct trace_thread *threads;
    struct report_input in = {.res = res, .sym = m->sym};
    report_input_lists(m->reader, &in, &procs, &threads);
    fprintf(m->opt.out, "ctrace: detected while the program runs:\n");
    report_write_text(
        m->opt.out, &in,
        report_color_enabled((enum report_color)m->opt.color, m->opt.out));
    fflush(m->opt.out);
    free(procs);
    free(threads);
}

/* Stop the stuck process (and the program, if that is another one). */
static void live_act(struct live_monitor *m, const struct finding *f)
{
    pid_t stuck = (pid_t)f->pid;
    const char *what;
    switch (m->opt.on_deadlock) {
    case LIVE_WAIT:
        fprintf(m->opt.out, "ctrace: --on-deadlock=wait: the program keeps "
                            "running; stop it yourself\n");
        return;
    case LIVE_ABORT:
        what = "sent SIGABRT to";
        kill(stuck > 0 ? stuck : m->program, SIGABRT);
        break;
    case LIVE_KILL:
    default:
        what = "killed";
        /* The program first: a parent waiting for the stuck child would
         * otherwise see it die and exit on its own in between. */
        kill(m->program, SIGKILL);
        if (stuck > 0 && stuck != m->program)
            kill(stuck, SIGKILL);
        break;
    }
    fprintf(m->opt.out, "ctrace: %s process %d (--on-deadlock=%s)\n", what,
            stuck > 0 ? (int)stuck : (int)m->program,
            m->opt.on_deadlock == LIVE_ABORT ? "abort" : "kill");
    m->acted = true;
}

/* The first finding that proves the program stuck: a deadlock, or a
 * hang nothing can end.  A hang that a timer, a signal or another
 * process could still end is a warning (analyzer/wakeup.h): correct
 * programs wait like that, so they are never stopped for it. */
static const struct finding *live_first_error(const struct analysis_result *r)
{
    for (size_t i = 0; i < r->nfindings; i++)
        if (r->findings[i].severity == SEV_ERROR)
            return &r->findings[i];
    return NULL;
}

void live_tick(void *arg)
{
    struct live_monitor *m = arg;
    if (m->acted || !live_open(m))
        return;
    live_feed(m);
    uint64_t now = trace_reader_now_ns(m->reader); /* on the trace's clock */
    struct analysis_result found;
    memset(&found, 0, sizeof found);
    int n = analyzer_check_live(m->analyzer, now, &found);
    if (n > 0) {
        m->reported += (unsigned)n;
        live_print(m, &found);
        const struct finding *stuck = live_first_error(&found);
        if (stuck)
            live_act(m, stuck);
        else
            fprintf(m->opt.out, "ctrace: the program keeps running: "
                                "something outside may still wake it\n");
    }
    analysis_result_free(&found);
}
