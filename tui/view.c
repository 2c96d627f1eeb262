/* The viewer's entry points, its loop and the screen geometry (see
 * view.h and ui.h).
 *
 * The loop: prepare and draw when something changed, wait up to 100 ms
 * for a key, handle it; a live trace is polled every LIVE_POLL_MS (so
 * the timeline grows at least 4 times a second).  Ctrl-C, SIGTERM and
 * SIGHUP only set a flag (the wait for a key is interrupted), so the
 * terminal is always restored by the same endwin() as a normal quit.
 */
#include "view.h"

#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "symbols.h"
#include "ui.h"

#define LIVE_POLL_MS 200
#define LIVE_REPAINT_MS 1000 /* --live: the program may write over us */
#define OPEN_WAIT_MS 10000   /* a live trace may not exist yet */

/* ---- geometry and moving around ---- */

uint64_t ui_col_ns(const struct ui *ui) { return 1ull << ui->shift; }

static uint64_t ui_align(const struct ui *ui, uint64_t t)
{
    return t & ~(ui_col_ns(ui) - 1);
}

static unsigned ui_max_shift(const struct ui *ui)
{
    return ui->m->base_shift + ui->m->levels - 1;
}

void ui_set_status(struct ui *ui, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ui->status, sizeof ui->status, fmt, ap);
    va_end(ap);
}

static int ui_label_width(const struct ui *ui)
{
    int want = 12;
    for (size_t r = 0; r < ui->m->nrows; r++) {
        const struct model_row *row = &ui->m->rows[r];
        if (row->kind != ROW_THREAD)
            continue;
        char label[80];
        model_thread_label(ui->m, row->index, label, sizeof label);
        int w = 2 + 2 * (int)row->depth + 8 + (int)strlen(label);
        if (w > want)
            want = w;
    }
    int cap = ui->cols / 3 > 34 ? 34 : ui->cols / 3;
    if (cap < 14)
        cap = 14;
    return want < cap ? want : cap;
}

void ui_layout(struct ui *ui)
{
    ui->lines = LINES;
    ui->cols = COLS;
    ui->det_h = ui->lines >= 40 ? 10 : ui->lines >= 30 ? 8 : 6;
    ui->tl_y = 4;
    ui->det_y = ui->lines - 1 - ui->det_h;
    if (ui->det_y - ui->tl_y < 3) { /* tiny terminal: rows first */
        ui->det_h = ui->lines - 1 - ui->tl_y - 3;
        if (ui->det_h < 0)
            ui->det_h = 0;
        ui->det_y = ui->lines - 1 - ui->det_h;
    }
    ui->tl_h = ui->det_y - ui->tl_y;
    if (ui->tl_h < 0)
        ui->tl_h = 0;
    ui->label_w = ui_label_width(ui);
    ui->tl_x = ui->label_w + 1;
    ui->tl_w = ui->cols - ui->tl_x;
    if (ui->tl_w < 1)
        ui->tl_w = 1;
}

void ui_scroll_to_cursor(struct ui *ui)
{
    uint64_t col = ui_col_ns(ui), w = (uint64_t)ui->tl_w;
    if (ui->cursor < ui->t0) {
        uint64_t back = (w / 4) * col;
        ui->t0 = ui->cursor > back ? ui_align(ui, ui->cursor - back) : 0;
    } else if ((ui->cursor - ui->t0) / col >= w) {
        uint64_t back = (w * 3 / 4) * col;
        ui->t0 = ui->cursor > back ? ui_align(ui, ui->cursor - back) : 0;
    }
}

void ui_jump(struct ui *ui, uint64_t ts)
{
    ui->cursor = ui_align(ui, ts);
    uint64_t half = (uint64_t)(ui->tl_w / 2) * ui_col_ns(ui);
    ui->t0 = ui->cursor > half ? ui_align(ui, ui->cursor - half) : 0;
}

void ui_zoom_fit(struct ui *ui)
{
    unsigned s = 0, max = ui_max_shift(ui);
    while (s < max && ((uint64_t)ui->tl_w << s) <= ui->m->end_ns)
        s++;
    ui->shift = s;
    ui->t0 = 0;
    ui->cursor = ui_align(ui, ui->cursor);
}

size_t ui_row_of_thread(const struct ui *ui, size_t t)
{
    for (size_t r = 0; r < ui->m->nrows; r++)
        if (ui->m->rows[r].kind == ROW_THREAD && ui->m->rows[r].index == t)
            return r;
    return SIZE_MAX;
}

size_t ui_selected_thread(const struct ui *ui)
{
    return ui->sel_thread < ui->m->nth ? ui->sel_thread : SIZE_MAX;
}

void ui_select_row(struct ui *ui, size_t r)
{
    if (r >= ui->m->nrows || ui->m->rows[r].kind != ROW_THREAD)
        return;
    ui->sel_thread = ui->m->rows[r].index;
    size_t h = ui->tl_h > 0 ? (size_t)ui->tl_h : 1;
    if (r < ui->top)
        ui->top = r > 0 && ui->m->rows[r - 1].kind == ROW_PROCESS ? r - 1 : r;
    else if (r >= ui->top + h)
        ui->top = r - h + 1;
}

void ui_popup_box(const struct ui *ui, int *y, int *x, int *h, int *w)
{
    *y = 1;
    *x = ui->cols > 84 ? 2 : 0;
    *h = ui->lines - 2 > 4 ? ui->lines - 2 : 4;
    *w = ui->cols - 2 * *x;
}

int ui_event_detail_rows(const struct ui *ui)
{
    int y, x, h, w;
    ui_popup_box(ui, &y, &x, &h, &w);
    int d = (h - 3) / 2;
    return d > UI_DETAIL_LINES ? UI_DETAIL_LINES : d;
}

int ui_list_rows(const struct ui *ui)
{
    int y, x, h, w;
    ui_popup_box(ui, &y, &x, &h, &w);
    int rows = h - 3;
    if (ui->popup == POPUP_EVENTS)
        rows -= ui_event_detail_rows(ui);
    return rows > 1 ? rows : 1;
}

/* ---- signals ---- */

static const int view_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define VIEW_NSIGNALS (sizeof view_signals / sizeof view_signals[0])
static struct sigaction view_saved[VIEW_NSIGNALS];
static volatile sig_atomic_t view_signalled;

/* Note the signal and pass it on to what was there before (ctrace run's
 * forwarding to the program, under --live). */
static void view_on_signal(int sig, siginfo_t *info, void *ctx)
{
    view_signalled = sig;
    for (size_t i = 0; i < VIEW_NSIGNALS; i++)
        if (view_signals[i] == sig && (view_saved[i].sa_flags & SA_SIGINFO) &&
            view_saved[i].sa_sigaction)
            view_saved[i].sa_sigaction(sig, info, ctx);
}

static void view_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = view_on_signal;
    sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: the key wait returns */
    sigemptyset(&sa.sa_mask);
    view_signalled = 0;
    for (size_t i = 0; i < VIEW_NSIGNALS; i++) {
        sigaction(view_signals[i], NULL, &view_saved[i]);
        if (view_saved[i].sa_handler != SIG_IGN)
            sigaction(view_signals[i], &sa, NULL);
    }
}

static void view_signals_restore(void)
{
    for (size_t i = 0; i < VIEW_NSIGNALS; i++)
        sigaction(view_signals[i], &view_saved[i], NULL);
}

/* ---- the loop ---- */

static uint64_t view_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Whether the --live program still runs (it is not reaped here: ctrace
 * run waits for it after the viewer). */
static bool view_child_running(pid_t child)
{
    if (child <= 0)
        return false;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)child, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        return false;
    return si.si_pid != child;
}

static void view_poll_live(struct ui *ui)
{
    model_update(ui->m);
    if (ui->mon)
        monitor_poll(ui->mon, ui->m);
    if (ui->follow) {
        if (ui->fit)
            ui_zoom_fit(ui);
        ui->cursor = ui_align(ui, ui->m->end_ns);
        ui_scroll_to_cursor(ui);
    }
}

static void view_loop(struct ui *ui)
{
    uint64_t last_poll = view_now_ms(), last_repaint = last_poll;
    bool dirty = true;
    while (!ui->quit && !view_signalled) {
        if (dirty) {
            ui_layout(ui);
            ui_prepare(ui);
            draw_screen(ui);
            dirty = false;
        }
        int key = getch();
        if (view_signalled)
            break;
        if (key == KEY_RESIZE) {
            dirty = true;
        } else if (key != ERR) {
            keys_handle(ui, key);
            dirty = true;
        }
        if (ui->live && view_now_ms() - last_poll >= LIVE_POLL_MS) {
            view_poll_live(ui);
            last_poll = view_now_ms();
            dirty = true;
            /* The program shares the terminal: what it prints (and the
             * scrolling it causes) is wiped by a full repaint. */
            if (ui->child > 0 && last_poll - last_repaint >= LIVE_REPAINT_MS) {
                clearok(curscr, TRUE);
                last_repaint = last_poll;
            }
        } else if (!ui->live && ui->mon && monitor_poll(ui->mon, ui->m)) {
            dirty = true;
        }
    }
}

static void view_curses_start(struct ui *ui)
{
    setlocale(LC_ALL, "");
    initscr();
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    timeout(100);
    const char *nc = getenv("NO_COLOR");
    ui->color = has_colors() && !(nc && nc[0]);
    if (ui->color) {
        start_color();
        use_default_colors();
        init_pair(1, COLOR_GREEN, -1);        /* running */
        init_pair(2, COLOR_YELLOW, -1);       /* holding */
        init_pair(3, COLOR_RED, -1);          /* lock wait */
        init_pair(4, COLOR_BLUE, -1);         /* cond */
        init_pair(5, COLOR_MAGENTA, -1);      /* sem */
        init_pair(6, COLOR_CYAN, -1);         /* barrier, join, wait */
        init_pair(7, COLOR_WHITE, COLOR_RED); /* crash, alerts */
        init_pair(8, COLOR_WHITE, -1);        /* ended (dim) */
    }
}

/* ---- entry points ---- */

/* Open the trace; a live one may not exist yet: wait for it a while. */
static struct model *view_open(const char *dir, bool live, pid_t child,
                               struct symbolizer *sym)
{
    struct trace_error err;
    uint64_t until = view_now_ms() + OPEN_WAIT_MS;
    for (;;) {
        struct model *m = model_open(dir, live, sym, &err);
        if (m)
            return m;
        bool retry = live && view_now_ms() < until &&
                     (child <= 0 || view_child_running(child));
        if (!retry)
            break;
        usleep(50 * 1000);
    }
    fprintf(stderr, "ctrace view: %s\n", err.msg);
    return NULL;
}

static int view_run(const char *dir, bool live, pid_t child)
{
    struct ui ui;
    memset(&ui, 0, sizeof ui);
    ui.sym = sym_new();
    ui.m = view_open(dir, live, child, ui.sym); /* a bad trace first */
    if (!ui.m || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        if (ui.m)
            fprintf(stderr, "ctrace view: needs a terminal (stdin and stdout); "
                            "use 'ctrace report' or 'ctrace dump' for text\n");
        model_free(ui.m);
        sym_free(ui.sym);
        return 1;
    }
    ui.live = live;
    ui.child = child;
    ui.follow_dir = live && child <= 0;
    ui.mon = live ? monitor_start_live(ui.m) : monitor_start(dir);
    ui.follow = ui.fit = live;
    view_signals_install();
    view_curses_start(&ui);
    ui_layout(&ui);
    ui_zoom_fit(&ui);
    for (size_t r = 0; r < ui.m->nrows; r++)
        if (ui.m->rows[r].kind == ROW_THREAD) {
            ui.sel_thread = ui.m->rows[r].index;
            break;
        }
    view_loop(&ui);
    endwin();
    view_signals_restore();
    if (ui.kill_child && child > 0 && view_child_running(child))
        kill(child, SIGKILL);
    free(ui.frame.cells);
    free(ui.frame.hl);
    free(ui.frame.labels);
    free(ui.events);
    free(ui.matches);
    free(ui.lock_order);
    free(ui.marked);
    monitor_free(ui.mon);
    model_free(ui.m);
    sym_free(ui.sym);
    return 0;
}

int tui_view_main(const char *dir, bool follow)
{
    return view_run(dir, follow, 0);
}

int tui_live_main(const char *dir, pid_t child)
{
    return view_run(dir, true, child);
}

bool ui_child_running(const struct ui *ui)
{
    return view_child_running(ui->child);
}
