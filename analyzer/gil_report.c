/* The GIL section of the text and JSON reports (see gil_report.h). */
#include "gil_report.h"

#include <inttypes.h>
#include <string.h>

#include "report_internal.h"

#define GIL_TEXT_MAX 16 /* threads shown per process */

static double gil_share(const struct gil_thread_stats *s)
{
    return s->life_ns ? 100.0 * (double)s->wait_ns / (double)s->life_ns : 0.0;
}

static void gil_text_thread(FILE *out, const struct report_input *in,
                            const struct gil_thread_stats *s)
{
    char who[192], wait[32], life[32], longest[32];
    report_thread_short(in, s->thread, who, sizeof who);
    report_format_duration(s->wait_ns, wait, sizeof wait);
    report_format_duration(s->life_ns, life, sizeof life);
    report_format_duration(s->max_wait_ns, longest, sizeof longest);
    fprintf(out, "    %-32s waited %9s  %5.1f%% of its %s", who, wait,
            gil_share(s), life);
    if (s->waits)
        fprintf(out, "  (%" PRIu64 " wait%s, longest %s)", s->waits,
                s->waits == 1 ? "" : "s", longest);
    fputc('\n', out);
}

void gil_write_text(FILE *out, const struct report_input *in, const char *bold,
                    const char *reset)
{
    const struct analysis_result *res = in->res;
    if (!res->ngil)
        return;
    fprintf(out, "%s== GIL: time each Python thread waited for it ==%s\n", bold,
            reset);
    for (size_t i = 0; i < res->ngil;) {
        uint32_t proc = res->gil[i].proc;
        const struct trace_process *p = report_process(in, proc);
        fprintf(out, "  pid %" PRIu32 "%s%s%s:\n", report_pid(in, proc),
                p && p->cmdline ? " (" : "", p && p->cmdline ? p->cmdline : "",
                p && p->cmdline ? ")" : "");
        size_t k = 0;
        for (; i < res->ngil && res->gil[i].proc == proc; i++, k++)
            if (k < GIL_TEXT_MAX)
                gil_text_thread(out, in, &res->gil[i]);
        if (k > GIL_TEXT_MAX)
            fprintf(out,
                    "    ... and %zu more threads (all in --format=json)\n",
                    k - GIL_TEXT_MAX);
    }
    fputc('\n', out);
}

void gil_write_json(struct jsonw *w, const struct report_input *in,
                    const char *key)
{
    const struct analysis_result *res = in->res;
    if (!res->ngil)
        return;
    jsonw_begin_array(w, key);
    for (size_t i = 0; i < res->ngil; i++) {
        const struct gil_thread_stats *s = &res->gil[i];
        jsonw_begin_object(w, NULL);
        json_thread_ref(w, in, "thread", s->thread);
        jsonw_uint(w, "pid", report_pid(in, s->proc));
        jsonw_uint(w, "wait_ns", s->wait_ns);
        jsonw_uint(w, "max_wait_ns", s->max_wait_ns);
        jsonw_uint(w, "waits", s->waits);
        jsonw_uint(w, "life_ns", s->life_ns);
        jsonw_double(w, "wait_pct", gil_share(s));
        jsonw_end_object(w);
    }
    jsonw_end_array(w);
}
