/* Drawing: the screen from the model, the monitor and the prepared frame
 * (ui.h).  Nothing here changes state or reads the trace.
 *
 *   row 0        header: program, duration, processes, threads, events,
 *                lost events, findings
 *   row 1        an alert (a live deadlock), else the latest news
 *   row 2        time axis labels
 *   row 3        markers: | tick, ! finding, E exception, v cursor
 *   rows 4..     one row per process and per thread; cells show glyphs
 *                always, colours where the terminal has them
 *   details      the selected thread at the cursor
 *   last row     legend, or the search prompt
 *
 * Every glyph is ASCII so the screen reads the same in monochrome and
 * through `tmux capture-pane`.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "ui.h"

#define DRAW_TICK_MIN_COLS 12

static void draw_text(int y, int x, int w, const char *s)
{
    if (w <= 0 || y < 0 || y >= LINES)
        return;
    mvaddnstr(y, x, s, w);
}

static void draw_fill(int y, int x, int w, chtype ch)
{
    for (int i = 0; i < w; i++)
        mvaddch(y, x + i, ch);
}

static void draw_count(uint64_t n, char *buf, size_t len)
{
    if (n >= 10000000ull)
        snprintf(buf, len, "%.1fM", (double)n / 1e6);
    else if (n >= 100000ull)
        snprintf(buf, len, "%.0fk", (double)n / 1e3);
    else
        snprintf(buf, len, "%llu", (unsigned long long)n);
}

/* ---- header and status ---- */

static void draw_findings_summary(const struct ui *ui, char *buf, size_t len)
{
    const struct monitor *mon = ui->mon;
    if (!mon) {
        snprintf(buf, len, "no analysis");
        return;
    }
    size_t nf = 0, ne = 0;
    for (size_t i = 0; i < mon->nitems; i++)
        mon->items[i].exception ? ne++ : nf++;
    const char *state = mon->state == MONITOR_FAILED ? " (analysis failed)"
                        : mon->state == MONITOR_RUNNING && !ui->live
                            ? " (analysing...)"
                            : "";
    if (ne)
        snprintf(buf, len, "%zu finding%s, %zu exception group%s%s", nf,
                 nf == 1 ? "" : "s", ne, ne == 1 ? "" : "s", state);
    else
        snprintf(buf, len, "%zu finding%s%s", nf, nf == 1 ? "" : "s", state);
}

static void draw_header(const struct ui *ui)
{
    const struct model *m = ui->m;
    char right[256], dur[32], ev[32], lost[32], fnd[96];
    ui_format_time(m->end_ns, m->end_ns / 1000 + 1, dur, sizeof dur);
    draw_count(m->events, ev, sizeof ev);
    draw_count(m->lost_events, lost, sizeof lost);
    draw_findings_summary(ui, fnd, sizeof fnd);
    size_t nthreads = 0;
    for (size_t i = 0; i < m->nth; i++)
        nthreads += m->th[i].started;
    snprintf(right, sizeof right,
             "  %s  %zu process%s  %zu threads  %s events  %s lost  %s", dur,
             m->nprocs, m->nprocs == 1 ? "" : "es", nthreads, ev, lost, fnd);
    int rw = (int)strlen(right);
    int lw = ui->cols - rw > 16 ? ui->cols - rw : 16;
    attron(A_BOLD);
    draw_fill(0, 0, ui->cols, ' ');
    draw_text(0, 0, lw, ui->frame.program);
    int at = (int)strlen(ui->frame.program);
    at = at < lw ? at : lw;
    draw_text(0, at, ui->cols - at, right);
    attroff(A_BOLD);
}

static void draw_status(const struct ui *ui)
{
    const struct monitor_item *alert = ui->mon ? monitor_alert(ui->mon) : NULL;
    char line[UI_LINE + 64];
    if (alert) {
        char kind[32];
        snprintf(kind, sizeof kind, "%s", alert->kind);
        for (char *p = kind; *p; p++)
            *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        const char *msg = alert->message;
        size_t kl = strlen(alert->kind); /* "deadlock: ..." says it twice */
        if (strncmp(msg, alert->kind, kl) == 0 && msg[kl] == ':')
            msg += kl + (msg[kl + 1] == ' ' ? 2 : 1);
        snprintf(line, sizeof line, "%s: %.300s   (f: list)", kind, msg);
        attron(A_BOLD | (ui->color ? COLOR_PAIR(7) : A_REVERSE));
        draw_fill(1, 0, ui->cols, ' ');
        draw_text(1, 0, ui->cols, line);
        attroff(A_BOLD | (ui->color ? COLOR_PAIR(7) : A_REVERSE));
        return;
    }
    if (ui->status[0])
        snprintf(line, sizeof line, "%s", ui->status);
    else if (ui->m->error[0])
        snprintf(line, sizeof line, "trace damaged: %.300s", ui->m->error);
    else if (ui->live)
        snprintf(line, sizeof line, "live: %s",
                 !model_running(ui->m) ? "the program has ended"
                 : ui->child > 0
                     ? "following the program (q asks whether to stop it)"
                     : "following the program (q leaves it running)");
    else
        line[0] = '\0';
    draw_text(1, 0, ui->cols, line);
}

/* ---- axis and markers ---- */

/* A tick step of 1, 2 or 5 times a power of ten, at least
 * DRAW_TICK_MIN_COLS columns apart. */
static uint64_t draw_tick_step(uint64_t col_ns)
{
    uint64_t min = col_ns * DRAW_TICK_MIN_COLS;
    for (uint64_t p = 1;; p *= 10) {
        if (p >= min)
            return p;
        if (2 * p >= min)
            return 2 * p;
        if (5 * p >= min)
            return 5 * p;
        if (p > UINT64_MAX / 100)
            return p;
    }
}

static int draw_col_of(const struct ui *ui, uint64_t ts)
{
    if (ts < ui->t0)
        return -1;
    uint64_t c = (ts - ui->t0) >> ui->shift;
    return c < (uint64_t)ui->tl_w ? (int)c : -1;
}

static void draw_axis(const struct ui *ui)
{
    uint64_t col = ui_col_ns(ui), step = draw_tick_step(col);
    char width[32], head[48];
    ui_format_time(col, col, width, sizeof width);
    snprintf(head, sizeof head, "time (col %s)", width);
    draw_text(2, 0, ui->label_w, head);
    draw_text(3, 0, ui->label_w, "markers");
    mvaddch(2, ui->label_w, '|');
    mvaddch(3, ui->label_w, '|');
    uint64_t end = ui->t0 + (uint64_t)ui->tl_w * col;
    int free_from = 0;
    for (uint64_t t = (ui->t0 + step - 1) / step * step; t < end; t += step) {
        int c = draw_col_of(ui, t);
        if (c < 0)
            continue;
        mvaddch(3, ui->tl_x + c, '|');
        char label[32];
        ui_format_time(t, step, label, sizeof label);
        int len = (int)strlen(label);
        if (c >= free_from && c + len <= ui->tl_w) {
            draw_text(2, ui->tl_x + c, len, label);
            free_from = c + len + 1;
        }
    }
}

static void draw_markers(const struct ui *ui)
{
    const struct model *m = ui->m;
    for (size_t i = 0; i < m->nexc; i++) {
        int c = draw_col_of(ui, m->exc[i].ts);
        if (c >= 0)
            mvaddch(3, ui->tl_x + c, 'E');
    }
    for (size_t i = 0; ui->mon && i < ui->mon->nitems; i++) {
        const struct monitor_item *it = &ui->mon->items[i];
        for (size_t k = 0; k < it->ntimes; k++) {
            int c = draw_col_of(ui, it->times[k]);
            if (c >= 0)
                mvaddch(3, ui->tl_x + c, it->exception ? 'E' : '!');
        }
    }
    int cc = draw_col_of(ui, ui->cursor);
    if (cc >= 0) {
        chtype under = mvinch(3, ui->tl_x + cc) & A_CHARTEXT;
        mvaddch(3, ui->tl_x + cc,
                (under == ' ' || under == '|' ? 'v' : under) | A_REVERSE);
    }
}

/* ---- rows ---- */

static int draw_color_of(enum act a)
{
    switch (a) {
    case ACT_RUN:
        return 1;
    case ACT_HOLD:
        return 2;
    case ACT_LOCK:
        return 3;
    case ACT_COND:
        return 4;
    case ACT_SEM:
        return 5;
    case ACT_END:
        return 8;
    default:
        return 6;
    }
}

static void draw_cell(const struct ui *ui, int y, int x, const struct cell *c,
                      uint8_t hl, bool cursor)
{
    enum act a = cell_activity(c);
    chtype ch = (chtype)(unsigned char)activity_glyph(a);
    attr_t attr = 0;
    if (ui->color && a != ACT_DEAD)
        attr |= COLOR_PAIR(draw_color_of(a));
    if (a == ACT_END) /* recedes behind the living, in monochrome too */
        attr |= A_DIM;
    if (c->flags & CELL_CRASH) {
        ch = 'X';
        attr = A_BOLD | (ui->color ? COLOR_PAIR(7) : 0);
    } else if (hl & HL_WAIT) {
        ch = 'W';
        attr |= A_BOLD | A_REVERSE;
    } else if (hl & HL_HOLD) {
        ch = 'H';
        attr |= A_BOLD | A_REVERSE;
    }
    if (cursor)
        attr ^= A_REVERSE;
    mvaddch(y, x, ch | attr);
}

static void draw_row_label(const struct ui *ui, int y, size_t r)
{
    const struct model_row *row = &ui->m->rows[r];
    const char *label = r < ui->frame.nlabels ? ui->frame.labels[r] : "";
    int indent = 2 + 2 * (int)row->depth;
    if (indent > ui->label_w / 2)
        indent = ui->label_w / 2;
    if (row->kind == ROW_PROCESS) {
        attron(A_BOLD);
        draw_text(y, indent - 2 > 0 ? indent - 2 : 0, ui->label_w - indent + 2,
                  label);
        attroff(A_BOLD);
        return;
    }
    bool sel = row->index == ui->sel_thread;
    bool marked = row->index < ui->nmarked && ui->marked[row->index];
    mvaddch(y, 0, sel ? '>' : ' ');
    mvaddch(y, 1, marked ? '*' : ' ');
    if (sel)
        attron(A_REVERSE);
    draw_text(y, indent, ui->label_w - indent, label);
    if (sel)
        attroff(A_REVERSE);
}

static void draw_rows(const struct ui *ui)
{
    const struct ui_frame *f = &ui->frame;
    int cc = draw_col_of(ui, ui->cursor);
    for (int i = 0; i < ui->tl_h; i++) {
        size_t r = ui->top + (size_t)i;
        int y = ui->tl_y + i;
        if (r >= ui->m->nrows)
            break;
        draw_row_label(ui, y, r);
        mvaddch(y, ui->label_w, '|');
        if (ui->m->rows[r].kind != ROW_THREAD || !f->valid ||
            (size_t)i >= f->nrows)
            continue;
        const struct cell *cells = f->cells + (size_t)i * f->ncols;
        const uint8_t *hl = f->hl + (size_t)i * f->ncols;
        for (int c = 0; c < ui->tl_w && (size_t)c < f->ncols; c++)
            draw_cell(ui, y, ui->tl_x + c, &cells[c], hl[c], c == cc);
    }
}

/* ---- details and the last line ---- */

static void draw_details(const struct ui *ui)
{
    if (ui->det_h <= 0)
        return;
    const struct ui_frame *f = &ui->frame;
    attron(A_REVERSE);
    draw_fill(ui->det_y, 0, ui->cols, ' ');
    draw_text(ui->det_y, 1, ui->cols - 1,
              f->ndetails ? f->details[0] : "no thread selected");
    attroff(A_REVERSE);
    for (int i = 1; i < f->ndetails && i < ui->det_h; i++)
        draw_text(ui->det_y + i, 1, ui->cols - 1, f->details[i]);
}

static void draw_bottom(const struct ui *ui)
{
    int y = ui->lines - 1;
    if (ui->prompt) {
        char line[200];
        snprintf(line, sizeof line,
                 "/%s_   (thread, function or lock; "
                 "Enter: search, Esc: cancel)",
                 ui->input);
        draw_text(y, 0, ui->cols, line);
        return;
    }
    const char *legend =
        ui->cols >= 110
            ? "- run  # hold  w lock wait  c cond  s sem  b barrier  j join  "
              "p child  . ended  X crash  ! finding  E exception  ? help  "
              "q quit"
            : "-run #hold wlock ccond ssem bbarr jjoin pchild .end Xcrash "
              "!find Eexc ?help q";
    attron(A_DIM);
    draw_text(y, 0, ui->cols, legend);
    attroff(A_DIM);
}

/* ---- lists ---- */

static void draw_box(const struct ui *ui, int y, int x, int h, int w,
                     const char *title)
{
    (void)ui;
    for (int i = 0; i < h; i++)
        draw_fill(y + i, x, w, ' ');
    mvaddch(y, x, '+');
    draw_fill(y, x + 1, w - 2, '-');
    mvaddch(y, x + w - 1, '+');
    mvaddch(y + h - 1, x, '+');
    draw_fill(y + h - 1, x + 1, w - 2, '-');
    mvaddch(y + h - 1, x + w - 1, '+');
    for (int i = 1; i < h - 1; i++) {
        mvaddch(y + i, x, '|');
        mvaddch(y + i, x + w - 1, '|');
    }
    attron(A_BOLD);
    draw_text(y, x + 2, w - 4, title);
    attroff(A_BOLD);
}

static void draw_list_line(int y, int x, int w, bool sel, const char *text)
{
    if (sel)
        attron(A_REVERSE);
    draw_fill(y, x, w, ' ');
    mvaddch(y, x, sel ? '>' : ' ');
    draw_text(y, x + 1, w - 1, text);
    if (sel)
        attroff(A_REVERSE);
}

static void draw_findings(const struct ui *ui, int y, int x, int h, int w)
{
    draw_box(ui, y, x, h, w,
             " Findings and exception groups - Enter: go there, Esc: close ");
    draw_text(y + 1, x + 2, w - 4,
              "severity kind                   time       "
              "message");
    const struct monitor *mon = ui->mon;
    int rows = ui_list_rows(ui);
    if (!mon || !mon->nitems) {
        const char *msg =
            !mon || mon->state == MONITOR_FAILED
                ? (mon && mon->error[0] ? mon->error : "the analysis failed")
            : mon->state == MONITOR_RUNNING ? "analysing the trace..."
                                            : "no findings";
        draw_text(y + 2, x + 2, w - 4, msg);
        return;
    }
    for (int i = 0; i < rows && ui->ptop + (size_t)i < mon->nitems; i++) {
        size_t k = ui->ptop + (size_t)i;
        const struct monitor_item *it = &mon->items[k];
        char when[32], line[700];
        ui_format_time(it->ts_ns, 1000, when, sizeof when);
        snprintf(line, sizeof line, "%-8s %-22s %-10s %s",
                 finding_severity_name(it->severity), it->kind, when,
                 it->message);
        draw_list_line(y + 2 + i, x + 1, w - 2, k == ui->psel, line);
    }
}

static void draw_locks(const struct ui *ui, int y, int x, int h, int w)
{
    draw_box(ui, y, x, h, w,
             " Locks by contention - Enter: highlight its waits (W) and holds "
             "(H), Esc: close ");
    draw_text(y + 1, x + 2, w - 4,
              "lock                       kind   acquired contended  wait "
              "total  wait max hold total");
    int rows = ui_list_rows(ui);
    if (!ui->nlock_order)
        draw_text(y + 2, x + 2, w - 4, "no locks in this trace");
    for (int i = 0; i < rows && ui->ptop + (size_t)i < ui->nlock_order; i++) {
        size_t k = ui->ptop + (size_t)i;
        const struct model_lock *l = &ui->m->locks[ui->lock_order[k]];
        char wt[32], wm[32], ht[32], acq[32], con[32], line[400];
        ui_format_time(l->wait_ns, 1000, wt, sizeof wt);
        ui_format_time(l->wait_max_ns, 1000, wm, sizeof wm);
        ui_format_time(l->hold_ns, 1000, ht, sizeof ht);
        draw_count(l->acquisitions, acq, sizeof acq);
        draw_count(l->contended, con, sizeof con);
        static const char *const kinds[] = {"mutex", "rwlock", "spin"};
        snprintf(line, sizeof line, "%-26.26s %-6s %8s %9s %11s %9s %10s",
                 l->name[0] ? l->name : "?", kinds[l->kind], acq, con, wt, wm,
                 ht);
        draw_list_line(y + 2 + i, x + 1, w - 2, k == ui->psel, line);
    }
}

static void draw_events(const struct ui *ui, int y, int x, int h, int w)
{
    char title[200], who[96] = "", a[32], b[32];
    size_t r = ui_row_of_thread(ui, ui->events_thread);
    if (r != SIZE_MAX && r < ui->frame.nlabels)
        snprintf(who, sizeof who, "%s", ui->frame.labels[r]);
    ui_format_time(ui->events_t0, 1, a, sizeof a);
    ui_format_time(ui->events_t1, 1, b, sizeof b);
    snprintf(title, sizeof title, " Events of %s in [%s, %s) - Esc: close ",
             who, a, b);
    draw_box(ui, y, x, h, w, title);
    int rows = ui_list_rows(ui);
    if (!ui->nevents)
        draw_text(y + 2, x + 2, w - 4, "no events of this thread up to here");
    else if (ui->nevents && ui->events[0].ts_ns < ui->events_t0)
        draw_text(y + 1, x + 2, w - 4,
                  "none in this column; the last one before it:");
    else
        draw_text(y + 1, x + 2, w - 4,
                  ui->events_more ? "(the first ones only; zoom in)" : "");
    for (int i = 0; i < rows && ui->ptop + (size_t)i < ui->nevents; i++) {
        size_t k = ui->ptop + (size_t)i;
        draw_list_line(y + 2 + i, x + 1, w - 2, k == ui->psel,
                       ui->events[k].text);
    }
    int dy = y + 2 + rows;
    for (int i = 0; i < ui->frame.nev_lines && dy + i < y + h - 1; i++)
        draw_text(dy + i, x + 2, w - 4, ui->frame.ev_lines[i]);
}

static void draw_help(const struct ui *ui, int y, int x, int h, int w)
{
    draw_box(ui, y, x, h, w, " Help - any key closes ");
    const char *line;
    for (size_t i = 0; (line = keys_help_line(i)) && (int)i < h - 2; i++)
        draw_text(y + 1 + (int)i, x + 2, w - 4, line);
}

static void draw_quit(const struct ui *ui)
{
    int w = ui->cols < 64 ? ui->cols : 64, h = 6;
    int y = (ui->lines - h) / 2, x = (ui->cols - w) / 2;
    draw_box(ui, y, x, h, w, " Quit ");
    draw_text(y + 1, x + 2, w - 4, "The program is still running.");
    draw_text(y + 2, x + 2, w - 4, "Kill it?  y: kill it and quit");
    draw_text(y + 3, x + 2, w - 4, "          n: quit, leave it running");
    draw_text(y + 4, x + 2, w - 4, "          Esc: back to the viewer");
}

static void draw_popup(const struct ui *ui)
{
    int y, x, h, w;
    ui_popup_box(ui, &y, &x, &h, &w);
    switch (ui->popup) {
    case POPUP_HELP:
        draw_help(ui, y, x, h, w);
        break;
    case POPUP_FINDINGS:
        draw_findings(ui, y, x, h, w);
        break;
    case POPUP_LOCKS:
        draw_locks(ui, y, x, h, w);
        break;
    case POPUP_EVENTS:
        draw_events(ui, y, x, h, w);
        break;
    case POPUP_QUIT:
        draw_quit(ui);
        break;
    case POPUP_NONE:
        break;
    }
}

void draw_screen(const struct ui *ui)
{
    erase();
    draw_header(ui);
    draw_status(ui);
    draw_axis(ui);
    draw_markers(ui);
    draw_rows(ui);
    draw_details(ui);
    draw_bottom(ui);
    draw_popup(ui);
    refresh();
}
