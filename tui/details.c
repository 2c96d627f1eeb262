/* The details of the selected moment: the pane under the timeline and
 * the events list (Enter), with stacks and, for an object, who holds it
 * and who waits for it at that moment.
 *
 * Everything here re-reads a few events through the model's checkpoints
 * (model_fetch, model_activity_at); nothing scans the whole trace.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyframes.h"
#include "pystack.h"
#include "symbols.h"
#include "ui.h"

#define DETAILS_COUNT_MAX 100000 /* events counted in one column */

/* "locks+560" for a lock of the model, else "cond 0x55d0...". */
static void details_object(struct ui *ui, uint32_t proc, uint32_t type,
                           uint64_t obj, char *buf, size_t len)
{
    long l = model_lock_find(ui->m, proc, obj);
    if (l >= 0) {
        snprintf(buf, len, "%s", model_lock_name(ui->m, l));
        return;
    }
    char sym[64];
    const char *name = trace_event_name(type);
    const char *dash = name ? strchr(name, '-') : NULL;
    int fam = dash ? (int)(dash - name) : 3;
    if (sym_lookup_data(ui->sym, proc, obj, sym, sizeof sym))
        snprintf(buf, len, "%s", sym);
    else
        snprintf(buf, len, "%.*s 0x%llx", fam, name ? name : "obj",
                 (unsigned long long)obj);
}

/* "12.345ms mutex-acquire locks+560 at worker (w.c:45)" */
static void details_event_text(struct ui *ui, uint32_t proc,
                               const struct trace_event *ev, char *buf,
                               size_t len)
{
    char when[32], obj[112] = "", at[160] = "";
    ui_format_time(ev->ts_ns, 1, when, sizeof when);
    if (ev->obj) {
        details_object(ui, proc, ev->type, ev->obj, obj + 1, sizeof obj - 1);
        obj[0] = ' ';
    }
    if (ev->site) {
        memcpy(at, " at ", 4);
        ui_format_pc(ui, proc, ev->site, true, at + 4, sizeof at - 4);
    }
    const char *name = trace_event_name(ev->type);
    snprintf(buf, len, "%s %s%s%s", when, name ? name : "?", obj, at);
}

/* ---- the pane ---- */

struct details_ctx {
    struct ui *ui;
    uint32_t proc;
    int line, max;
    size_t count;
};

static bool details_pane_event(void *arg, const struct trace_event *ev,
                               const struct activity *before)
{
    (void)before;
    struct details_ctx *c = arg;
    if (ev->type == TRACE_EV_PY_FRAMES) /* shown in the events' stacks */
        return true;
    if (c->line < c->max) {
        char *out = c->ui->frame.details[c->line++];
        out[0] = out[1] = ' ';
        details_event_text(c->ui, c->proc, ev, out + 2, UI_LINE - 2);
    }
    return ++c->count < DETAILS_COUNT_MAX;
}

/* "waiting for a lock locks+560 (for 1.2ms); holding locks+40" */
static void details_activity(struct ui *ui, size_t t, const struct activity *a,
                             uint64_t at, char *buf, size_t len)
{
    uint32_t proc = ui->m->th[t].proc;
    enum act now = activity_now(a);
    int n = snprintf(buf, len, "%s", activity_name(now));
    if (now >= ACT_PWAIT && now <= ACT_LOCK && a->wait_obj) {
        char obj[112], dur[32];
        uint32_t type = now == ACT_LOCK      ? TRACE_EV_MUTEX_WAIT
                        : now == ACT_COND    ? TRACE_EV_COND_WAIT
                        : now == ACT_SEM     ? TRACE_EV_SEM_WAIT
                        : now == ACT_BARRIER ? TRACE_EV_BARRIER_WAIT
                                             : TRACE_EV_THREAD_JOIN_WAIT;
        details_object(ui, proc, type, a->wait_obj, obj, sizeof obj);
        ui_format_time(at > a->wait_since ? at - a->wait_since : 0, 1000, dur,
                       sizeof dur);
        n += snprintf(buf + n, len > (size_t)n ? len - n : 0, " %s (for %s)",
                      obj, dur);
    }
    uint32_t named = a->nheld < ACTIVITY_HELD ? a->nheld : ACTIVITY_HELD;
    for (uint32_t i = 0; i < named && (size_t)n < len; i++) {
        char obj[112];
        details_object(ui, proc, TRACE_EV_MUTEX_ACQUIRE, a->held[i].obj, obj,
                       sizeof obj);
        n += snprintf(buf + n, len - n, "%s%s", i ? ", " : "; holds ", obj);
    }
}

/* "this column: 62% holding a lock, 38% running" */
static void details_mix(const struct cell *c, char *buf, size_t len)
{
    int n = snprintf(buf, len, "this column:");
    bool any = false;
    for (int pass = 255; pass >= 0 && (size_t)n < len; pass--)
        for (int a = 0; a < ACT_COUNT && (size_t)n < len; a++)
            if (c->frac[a] == pass && c->frac[a] > 0) {
                n += snprintf(buf + n, len - n, "%s %d%% %s", any ? "," : "",
                              (c->frac[a] * 100 + 127) / 255,
                              activity_name((enum act)a));
                any = true;
            }
    if (!any)
        snprintf(buf + n, len > (size_t)n ? len - n : 0, " %s",
                 (c->flags & CELL_ALIVE) ? "running" : "not running");
}

void details_pane(struct ui *ui)
{
    struct ui_frame *f = &ui->frame;
    f->ndetails = 0;
    size_t t = ui_selected_thread(ui);
    int max = ui->det_h - 1 < UI_DETAIL_LINES ? ui->det_h - 1 : UI_DETAIL_LINES;
    if (t == SIZE_MAX || max <= 0)
        return;
    uint64_t col = ui_col_ns(ui), t1 = ui->cursor + col;
    char who[96], when[32], width[32];
    ui_format_thread(ui, t, who, sizeof who);
    ui_format_time(ui->cursor, col > 16 ? col / 16 : 1, when, sizeof when);
    ui_format_time(col, col, width, sizeof width);
    snprintf(f->details[f->ndetails++], UI_LINE, "%s at %s (+%s) pid %u", who,
             when, width,
             trace_reader_process(ui->m->r, ui->m->th[t].proc)->pid);
    if (f->ndetails >= max)
        return;
    struct activity a;
    model_activity_at(ui->m, t, ui->cursor, &a);
    char act[UI_LINE - 8];
    details_activity(ui, t, &a, ui->cursor, act, sizeof act);
    snprintf(f->details[f->ndetails++], UI_LINE, "now: %s", act);
    if (f->ndetails >= max)
        return;
    struct cell c;
    uint8_t hl;
    model_window_cell(ui->m, t, ui->cursor, ui->shift, &c, &hl);
    int mix_line = f->ndetails++;
    struct details_ctx ctx = {ui, ui->m->th[t].proc, f->ndetails, max - 1, 0};
    model_fetch(ui->m, t, ui->cursor, t1, details_pane_event, &ctx);
    f->ndetails = ctx.line;
    char mix[200];
    details_mix(&c, mix, sizeof mix);
    snprintf(f->details[mix_line], UI_LINE, "%s; %s%zu event%s%s", mix,
             ctx.count >= DETAILS_COUNT_MAX ? "over " : "", ctx.count,
             ctx.count == 1 ? "" : "s",
             ctx.count ? " (Enter: list with stacks)" : "");
    if (ctx.count > (size_t)(ctx.line - mix_line - 1) && f->ndetails < max)
        snprintf(f->details[f->ndetails++], UI_LINE, "  ... %zu more",
                 ctx.count - (size_t)(ctx.line - mix_line - 1));
}

/* ---- the events list ---- */

/* Python frames (py-frames events, docs/python.md) describe the thread's
 * next events on their object (object 0: its next fork or
 * thread-create) until the operation is over; they lead those events'
 * stacks, as tokens the symbolizer turns into Python frames.  Events come
 * in one thread's order within a load. */
static struct {
    uint64_t obj;
    uint32_t n;
    uint64_t tokens[UI_EVENT_PCS];
} details_py;

static void details_py_note(const struct trace_event *ev)
{
    struct trace_pyframe_view fr[UI_EVENT_PCS];
    size_t n =
        trace_pyframes_decode(ev->payload, ev->payload_len, fr, UI_EVENT_PCS);
    details_py.n = 0;
    details_py.obj = ev->obj;
    for (size_t i = 0; i < n; i++) {
        uint64_t t = pystack_intern(fr[i].func, fr[i].file, fr[i].line);
        if (t)
            details_py.tokens[details_py.n++] = t;
    }
}

/* Put the Python frames that lead this event's stack in e->pcs. */
static void details_py_apply(const struct trace_event *ev, struct ui_event *e)
{
    if (!details_py.n)
        return;
    bool applies = details_py.obj ? ev->obj == details_py.obj &&
                                        (trace_event_flags(ev->type) & TF_OBJ)
                                  : ev->type == TRACE_EV_FORK ||
                                        ev->type == TRACE_EV_THREAD_CREATE;
    if (!applies)
        return;
    for (uint32_t i = 0; i < details_py.n && e->depth < UI_EVENT_PCS; i++)
        e->pcs[e->depth++] = details_py.tokens[i];
    bool goes_on = (trace_event_flags(ev->type) & TF_BLOCK) ||
                   (ev->type == TRACE_EV_SEM_FAIL && ev->arg == EAGAIN);
    if (!goes_on)
        details_py.n = 0;
}

static bool details_keep_event(void *arg, const struct trace_event *ev,
                               const struct activity *before)
{
    struct ui *ui = arg;
    if (ev->type == TRACE_EV_PY_FRAMES) {
        details_py_note(ev);
        return true;
    }
    if (ui->nevents >= UI_EVENTS_MAX) {
        ui->events_more = true;
        return false;
    }
    struct ui_event *e = &ui->events[ui->nevents++];
    memset(e, 0, sizeof *e);
    e->ts_ns = ev->ts_ns;
    e->type = ev->type;
    e->arg = ev->arg;
    e->obj = ev->obj;
    e->proc = ev->proc;
    e->before = *before;
    details_event_text(ui, ev->proc, ev, e->text, sizeof e->text);
    details_py_apply(ev, e);
    if (ev->site && e->depth < UI_EVENT_PCS)
        e->pcs[e->depth++] = ev->site;
    for (uint32_t i = 0; i < ev->site_depth && e->depth < UI_EVENT_PCS; i++)
        if (ev->site_stack[i] != ev->site || i > 0)
            e->pcs[e->depth++] = ev->site_stack[i];
    return true;
}

void details_load_events(struct ui *ui)
{
    ui->nevents = 0;
    ui->events_more = false;
    details_py.n = 0;
    size_t t = ui_selected_thread(ui);
    if (t == SIZE_MAX)
        return;
    if (!ui->events)
        ui->events = calloc(UI_EVENTS_MAX, sizeof *ui->events);
    if (!ui->events)
        return;
    ui->events_thread = t;
    ui->events_t0 = ui->cursor;
    ui->events_t1 = ui->cursor + ui_col_ns(ui);
    model_fetch(ui->m, t, ui->events_t0, ui->events_t1, details_keep_event, ui);
    if (ui->nevents == 0) /* what the thread did last, before the cursor */
        model_fetch_last(ui->m, t, ui->cursor, details_keep_event, ui);
}

/* Who holds obj and who waits on it at time ts, over every thread of
 * process proc. */
static int details_who(struct ui *ui, uint32_t proc, uint64_t obj, uint64_t ts,
                       char (*out)[UI_LINE], int max)
{
    char holders[UI_LINE] = "", waiters[UI_LINE] = "";
    size_t nh = 0, nw = 0, lh = 0, lw = 0;
    for (size_t t = 0; t < ui->m->nth; t++) {
        if (ui->m->th[t].proc != proc || !ui->m->th[t].started)
            continue;
        struct activity a;
        model_activity_at(ui->m, t, ts, &a);
        if (!a.alive)
            continue;
        char who[96];
        ui_format_thread(ui, t, who, sizeof who);
        if (activity_holds(&a, obj) && lh < sizeof holders)
            lh += (size_t)snprintf(holders + lh, sizeof holders - lh, "%s%s",
                                   nh++ ? ", " : "", who);
        if (a.wait != ACT_RUN && a.wait_obj == obj && lw < sizeof waiters)
            lw += (size_t)snprintf(waiters + lw, sizeof waiters - lw, "%s%s",
                                   nw++ ? ", " : "", who);
    }
    int n = 0;
    if (n < max)
        snprintf(out[n++], UI_LINE, "  held by: %s", nh ? holders : "nobody");
    if (n < max)
        snprintf(out[n++], UI_LINE, "  waiting: %s", nw ? waiters : "nobody");
    return n;
}

int details_event_lines(struct ui *ui, size_t i, char (*out)[UI_LINE], int max)
{
    if (i >= ui->nevents || max <= 0)
        return 0;
    const struct ui_event *e = &ui->events[i];
    int n = 0;
    char obj[112] = "", when[32];
    ui_format_time(e->ts_ns, 1, when, sizeof when);
    if (e->obj)
        details_object(ui, e->proc, e->type, e->obj, obj, sizeof obj);
    snprintf(out[n++], UI_LINE, "%s %s%s%s, arg %u", when,
             trace_event_name(e->type) ? trace_event_name(e->type) : "?",
             e->obj ? " on " : "", obj, e->arg);
    for (uint32_t k = 0; k < e->depth && n < max - (e->obj ? 3 : 0); k++) {
        struct sym_frame f[SYM_MAX_INLINE];
        int nf =
            sym_lookup(ui->sym, e->proc, e->pcs[k], true, f, SYM_MAX_INLINE);
        for (int j = 0; j < nf && n < max - (e->obj ? 3 : 0); j++) {
            char frame[200];
            sym_frame_format(&f[j], false, frame, sizeof frame);
            snprintf(out[n++], UI_LINE, "  #%u %s%s", k, frame,
                     f[j].inlined ? " (inlined)" : "");
        }
    }
    if (e->obj && n < max) {
        char whos[2][UI_LINE];
        snprintf(out[n++], UI_LINE, "%s at this moment:", obj);
        int k = details_who(ui, e->proc, e->obj, e->ts_ns, whos, 2);
        for (int j = 0; j < k && n < max; j++)
            memcpy(out[n++], whos[j], UI_LINE);
    }
    return n;
}
