/* Keys: one table per context (the timeline, each list, the prompt),
 * each entry a key and the function it runs; the help screen is written
 * next to the table so the two cannot drift apart.
 */
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

#define KEY_ESC 27
#define KEY_CTRL(c) ((c)&0x1f)

struct key_action {
    int key;
    void (*fn)(struct ui *ui);
};

static const char *const keys_help_text[] = {
    "Left/Right  move the cursor a column   Shift-Left/Right, < >  pan",
    "+ / -       zoom in / out (down to single events)   z  whole trace",
    "Home / End  start / end of the trace (End follows a live trace)",
    "Up / Down   select a thread            PgUp / PgDn  a page of rows",
    "Enter       the selected thread's events at the cursor: stacks, and",
    "            who holds and who waits for their objects",
    "f           findings and exception groups; Enter goes there, marks",
    "            its threads (*) and highlights its lock",
    "l           locks by contention; Enter highlights one lock:",
    "            W = waiting for it, H = holding it       c  clear",
    "/           search thread names, functions, locks   n / N  next/prev",
    "q           quit (a followed program keeps running)  ?  this help",
    "Cells: what the thread mostly did in that column of time:",
    "  - running  # holding a lock  w waiting for a lock  c condition",
    "  s semaphore  b barrier  j join  p child process  X crashed",
    "  . ended  (blank) not started.   Markers: ! finding  E exception  |"
    " tick",
    NULL,
};

const char *keys_help_line(size_t i)
{
    return i < sizeof keys_help_text / sizeof keys_help_text[0]
               ? keys_help_text[i]
               : NULL;
}

/* ---- moving in time ---- */

static uint64_t keys_align(const struct ui *ui, uint64_t t)
{
    return t & ~(ui_col_ns(ui) - 1);
}

static void keys_stop_following(struct ui *ui) { ui->follow = ui->fit = false; }

static void keys_left(struct ui *ui)
{
    keys_stop_following(ui);
    if (ui->cursor >= ui_col_ns(ui))
        ui->cursor -= ui_col_ns(ui);
    ui_scroll_to_cursor(ui);
}

static void keys_right(struct ui *ui)
{
    keys_stop_following(ui);
    if (ui->cursor + ui_col_ns(ui) <= ui->m->end_ns)
        ui->cursor += ui_col_ns(ui);
    ui_scroll_to_cursor(ui);
}

static void keys_pan(struct ui *ui, int dir)
{
    keys_stop_following(ui);
    uint64_t d = (uint64_t)(ui->tl_w / 2) * ui_col_ns(ui);
    if (dir < 0) {
        ui->t0 = ui->t0 > d ? ui->t0 - d : 0;
        ui->cursor = ui->cursor > d ? ui->cursor - d : 0;
    } else if (ui->t0 + d <= ui->m->end_ns) {
        ui->t0 += d;
        ui->cursor += d;
    }
}

static void keys_pan_left(struct ui *ui) { keys_pan(ui, -1); }

static void keys_pan_right(struct ui *ui) { keys_pan(ui, 1); }

/* Zoom by one power of two, the cursor staying in its screen column. */
static void keys_zoom(struct ui *ui, int dir)
{
    unsigned max = ui->m->base_shift + ui->m->levels - 1;
    if ((dir < 0 && ui->shift == 0) || (dir > 0 && ui->shift >= max))
        return;
    ui->fit = false;
    uint64_t col = (ui->cursor - ui->t0) >> ui->shift;
    ui->shift = dir < 0 ? ui->shift - 1 : ui->shift + 1;
    ui->cursor = keys_align(ui, ui->cursor);
    uint64_t back = col << ui->shift;
    ui->t0 = ui->cursor > back ? keys_align(ui, ui->cursor - back) : 0;
    ui_scroll_to_cursor(ui);
}

static void keys_zoom_in(struct ui *ui) { keys_zoom(ui, -1); }

static void keys_zoom_out(struct ui *ui) { keys_zoom(ui, 1); }

static void keys_fit(struct ui *ui) { ui_zoom_fit(ui); }

static void keys_home(struct ui *ui)
{
    keys_stop_following(ui);
    ui->cursor = 0;
    ui->t0 = 0;
}

static void keys_end(struct ui *ui)
{
    ui->cursor = keys_align(ui, ui->m->end_ns);
    ui_scroll_to_cursor(ui);
    ui->follow = ui->live;
}

/* ---- rows ---- */

static void keys_select_step(struct ui *ui, int dir, size_t steps)
{
    size_t r = ui_row_of_thread(ui, ui->sel_thread);
    if (r == SIZE_MAX) {
        r = 0;
        steps = 1;
        dir = 1;
    }
    size_t best = r;
    for (size_t i = r; steps > 0;) {
        if (dir < 0 ? i == 0 : i + 1 >= ui->m->nrows)
            break;
        i = dir < 0 ? i - 1 : i + 1;
        if (ui->m->rows[i].kind == ROW_THREAD) {
            best = i;
            steps--;
        }
    }
    ui_select_row(ui, best);
    if (dir < 0 && best == r && ui->top > 0)
        ui->top = 0; /* show the process row above the first thread */
}

static void keys_up(struct ui *ui) { keys_select_step(ui, -1, 1); }

static void keys_down(struct ui *ui) { keys_select_step(ui, 1, 1); }

static void keys_page_up(struct ui *ui)
{
    keys_select_step(ui, -1, ui->tl_h > 2 ? (size_t)ui->tl_h - 1 : 1);
}

static void keys_page_down(struct ui *ui)
{
    keys_select_step(ui, 1, ui->tl_h > 2 ? (size_t)ui->tl_h - 1 : 1);
}

/* ---- lists ---- */

static void keys_open(struct ui *ui, enum ui_popup p)
{
    ui->popup = p;
    ui->psel = ui->ptop = 0;
}

static void keys_events(struct ui *ui)
{
    details_load_events(ui);
    ui->frame.ev_valid = false;
    keys_open(ui, POPUP_EVENTS);
}

static void keys_findings(struct ui *ui) { keys_open(ui, POPUP_FINDINGS); }

static const struct model *keys_sort_model;

static int keys_lock_cmp(const void *a, const void *b)
{
    const struct model_lock *x = &keys_sort_model->locks[*(const long *)a];
    const struct model_lock *y = &keys_sort_model->locks[*(const long *)b];
    if (x->wait_ns != y->wait_ns)
        return x->wait_ns > y->wait_ns ? -1 : 1;
    if (x->contended != y->contended)
        return x->contended > y->contended ? -1 : 1;
    if (x->acquisitions != y->acquisitions)
        return x->acquisitions > y->acquisitions ? -1 : 1;
    return x->first_ns < y->first_ns ? -1 : x->first_ns > y->first_ns;
}

static void keys_locks(struct ui *ui)
{
    free(ui->lock_order);
    ui->nlock_order = ui->m->nlocks;
    ui->lock_order =
        calloc(ui->nlock_order ? ui->nlock_order : 1, sizeof *ui->lock_order);
    if (!ui->lock_order) {
        ui->nlock_order = 0;
        return;
    }
    for (size_t i = 0; i < ui->nlock_order; i++)
        ui->lock_order[i] = (long)i;
    keys_sort_model = ui->m;
    qsort(ui->lock_order, ui->nlock_order, sizeof *ui->lock_order,
          keys_lock_cmp);
    for (size_t i = 0; i < ui->nlock_order; i++) /* names before drawing */
        model_lock_name(ui->m, ui->lock_order[i]);
    keys_open(ui, POPUP_LOCKS);
}

static void keys_help(struct ui *ui) { keys_open(ui, POPUP_HELP); }

static void keys_search(struct ui *ui)
{
    ui->prompt = true;
    ui->input_len = 0;
    ui->input[0] = '\0';
}

static void keys_next(struct ui *ui)
{
    keys_stop_following(ui);
    search_step(ui, 1);
}

static void keys_prev(struct ui *ui)
{
    keys_stop_following(ui);
    search_step(ui, -1);
}

static void keys_clear(struct ui *ui)
{
    if (ui->m->hl_lock >= 0)
        model_highlight_lock(ui->m, -1);
    if (ui->marked)
        memset(ui->marked, 0, ui->nmarked);
    ui->status[0] = '\0';
}

static void keys_redraw(struct ui *ui)
{
    (void)ui;
    clearok(curscr, TRUE);
}

static void keys_quit(struct ui *ui)
{
    if (ui->child > 0 && ui_child_running(ui))
        keys_open(ui, POPUP_QUIT);
    else
        ui->quit = true;
}

static const struct key_action keys_main[] = {
    {KEY_LEFT, keys_left},
    {KEY_RIGHT, keys_right},
    {KEY_SLEFT, keys_pan_left},
    {KEY_SRIGHT, keys_pan_right},
    {'<', keys_pan_left},
    {'>', keys_pan_right},
    {'+', keys_zoom_in},
    {'=', keys_zoom_in},
    {'-', keys_zoom_out},
    {'_', keys_zoom_out},
    {'z', keys_fit},
    {KEY_HOME, keys_home},
    {'g', keys_home},
    {KEY_END, keys_end},
    {'G', keys_end},
    {KEY_UP, keys_up},
    {'k', keys_up},
    {KEY_DOWN, keys_down},
    {'j', keys_down},
    {KEY_PPAGE, keys_page_up},
    {KEY_NPAGE, keys_page_down},
    {'\n', keys_events},
    {'\r', keys_events},
    {KEY_ENTER, keys_events},
    {'f', keys_findings},
    {'l', keys_locks},
    {'/', keys_search},
    {'n', keys_next},
    {'N', keys_prev},
    {'?', keys_help},
    {'h', keys_help},
    {'c', keys_clear},
    {KEY_ESC, keys_clear},
    {KEY_CTRL('l'), keys_redraw},
    {'q', keys_quit},
    {KEY_CTRL('c'), keys_quit},
    {0, NULL},
};

/* ---- in a list ---- */

static size_t keys_list_count(const struct ui *ui)
{
    switch (ui->popup) {
    case POPUP_FINDINGS:
        return ui->mon ? ui->mon->nitems : 0;
    case POPUP_LOCKS:
        return ui->nlock_order;
    case POPUP_EVENTS:
        return ui->nevents;
    default:
        return 0;
    }
}

static void keys_list_move(struct ui *ui, long d)
{
    size_t n = keys_list_count(ui);
    if (!n)
        return;
    long s = (long)ui->psel + d;
    if (s < 0)
        s = 0;
    if ((size_t)s >= n)
        s = (long)n - 1;
    ui->psel = (size_t)s;
    size_t rows = (size_t)ui_list_rows(ui);
    if (ui->psel < ui->ptop)
        ui->ptop = ui->psel;
    else if (ui->psel >= ui->ptop + rows)
        ui->ptop = ui->psel - rows + 1;
}

static void keys_mark_threads(struct ui *ui, const uint32_t *threads, size_t n)
{
    if (ui->nmarked < ui->m->nth) {
        free(ui->marked);
        ui->marked = calloc(ui->m->nth, 1);
        ui->nmarked = ui->marked ? ui->m->nth : 0;
    }
    if (ui->marked)
        memset(ui->marked, 0, ui->nmarked);
    for (size_t i = 0; i < n; i++)
        if (threads[i] < ui->nmarked)
            ui->marked[threads[i]] = 1;
}

/* Enter in the findings list: go there, mark its threads and highlight
 * its first lock. */
static void keys_finding_jump(struct ui *ui)
{
    if (!ui->mon || ui->psel >= ui->mon->nitems)
        return;
    const struct monitor_item *it = &ui->mon->items[ui->psel];
    keys_stop_following(ui);
    ui_jump(ui, it->ts_ns);
    keys_mark_threads(ui, it->threads, it->nthreads);
    if (it->nthreads) {
        size_t r = ui_row_of_thread(ui, it->threads[0]);
        if (r != SIZE_MAX)
            ui_select_row(ui, r);
    }
    long lock = -1;
    for (size_t i = 0; i < it->nobjects && lock < 0; i++)
        lock = model_lock_find(ui->m, it->objects[i].proc, it->objects[i].addr);
    if (lock != ui->m->hl_lock)
        model_highlight_lock(ui->m, lock);
    ui_set_status(ui, "%s: %s", it->kind, it->message);
    ui->popup = POPUP_NONE;
}

static void keys_lock_highlight(struct ui *ui)
{
    if (ui->psel >= ui->nlock_order)
        return;
    long lock = ui->lock_order[ui->psel];
    model_highlight_lock(ui->m, lock);
    ui_set_status(ui, "lock %s: W = waiting for it, H = holding it (c clears)",
                  model_lock_name(ui->m, lock));
    ui->popup = POPUP_NONE;
}

static void keys_list_key(struct ui *ui, int key)
{
    long page = ui_list_rows(ui) > 1 ? ui_list_rows(ui) - 1 : 1;
    switch (key) {
    case KEY_UP:
    case 'k':
        keys_list_move(ui, -1);
        return;
    case KEY_DOWN:
    case 'j':
        keys_list_move(ui, 1);
        return;
    case KEY_PPAGE:
        keys_list_move(ui, -page);
        return;
    case KEY_NPAGE:
        keys_list_move(ui, page);
        return;
    case '\n':
    case '\r':
    case KEY_ENTER:
        if (ui->popup == POPUP_FINDINGS)
            keys_finding_jump(ui);
        else if (ui->popup == POPUP_LOCKS)
            keys_lock_highlight(ui);
        else
            ui->popup = POPUP_NONE;
        return;
    case KEY_ESC:
    case 'q':
    case 'f':
    case 'l':
        ui->popup = POPUP_NONE;
        return;
    default:
        return;
    }
}

/* ---- the quit question and the search prompt ---- */

static void keys_quit_key(struct ui *ui, int key)
{
    if (key == 'y' || key == 'Y') {
        ui->kill_child = true;
        ui->quit = true;
    } else if (key == 'n' || key == 'N' || key == '\n' || key == '\r' ||
               key == KEY_ENTER || key == 'q') {
        ui->quit = true;
    } else if (key == KEY_ESC) {
        ui->popup = POPUP_NONE;
    }
}

static void keys_prompt_key(struct ui *ui, int key)
{
    if (key == '\n' || key == '\r' || key == KEY_ENTER) {
        ui->prompt = false;
        if (ui->input_len) {
            keys_stop_following(ui);
            search_run(ui, ui->input);
        }
    } else if (key == KEY_ESC) {
        ui->prompt = false;
    } else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
        if (ui->input_len)
            ui->input[--ui->input_len] = '\0';
    } else if (key >= 32 && key < 256 && key != 127 &&
               ui->input_len + 1 < sizeof ui->input) {
        ui->input[ui->input_len++] = (char)key;
        ui->input[ui->input_len] = '\0';
    }
}

void keys_handle(struct ui *ui, int key)
{
    if (ui->prompt) {
        keys_prompt_key(ui, key);
        return;
    }
    switch (ui->popup) {
    case POPUP_HELP:
        ui->popup = POPUP_NONE;
        return;
    case POPUP_QUIT:
        keys_quit_key(ui, key);
        return;
    case POPUP_FINDINGS:
    case POPUP_LOCKS:
    case POPUP_EVENTS:
        keys_list_key(ui, key);
        return;
    case POPUP_NONE:
        break;
    }
    for (const struct key_action *k = keys_main; k->fn; k++)
        if (k->key == key) {
            k->fn(ui);
            return;
        }
}
