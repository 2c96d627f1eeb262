/* The viewer's screen state, shared by its files (view.c runs the loop,
 * prepare.c computes what a frame shows, draw.c draws it, keys.c changes
 * the state, search.c finds matches, details.c fills the events list).
 *
 * The rule, as in tmux: drawing only reads.  Everything a frame needs
 * that costs work (the cells of the visible rows, the details pane's
 * lines) is computed by ui_prepare() into `frame` first; draw_screen()
 * then only reads the model, the monitor and this struct.
 *
 * Time on screen: a column is 2^shift ns; the timeline's first column
 * starts at t0 and the cursor at `cursor`, both multiples of 2^shift.
 */
#ifndef CTRACE_TUI_UI_H
#define CTRACE_TUI_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model.h"
#include "monitor.h"

struct symbolizer;

enum ui_popup {
    POPUP_NONE,
    POPUP_HELP,
    POPUP_FINDINGS,
    POPUP_LOCKS,
    POPUP_EVENTS,
    POPUP_QUIT, /* --live: kill the program? */
};

#define UI_EVENT_PCS 16
#define UI_EVENTS_MAX 2000
#define UI_DETAIL_LINES 16
#define UI_LINE 320

/* One event of the events list, copied out of the reader. */
struct ui_event {
    char text[UI_LINE]; /* its line in the list */
    uint64_t ts_ns;
    uint32_t type, arg;
    uint64_t obj;
    uint32_t proc;
    uint32_t depth; /* pcs: the site, then its deeper stack */
    uint64_t pcs[UI_EVENT_PCS];
    struct activity before;
};

/* A search match: a moment on a thread, maybe about a lock. */
struct ui_match {
    uint64_t ts;
    uint32_t thread;
    long lock; /* -1 */
    char what[96];
};

/* What one frame shows, computed by ui_prepare(). */
struct ui_frame {
    /* key of what the cells were computed for */
    uint64_t t0, version, hl_version;
    unsigned shift;
    size_t top, ncols, nrows;
    bool valid;
    /* cells of the visible rows: nrows x ncols (process rows empty) */
    struct cell *cells;
    uint8_t *hl;
    size_t cap;
    /* row labels ("6886 [worker]", "pid 6885 ./prog"), one per model row */
    char (*labels)[96];
    size_t nlabels;
    uint64_t labels_version;
    char program[256]; /* the header's program */
    /* the details pane */
    char details[UI_DETAIL_LINES][UI_LINE];
    int ndetails;
    uint64_t det_cursor, det_version;
    unsigned det_shift;
    size_t det_thread;
    bool det_valid;
    /* the events list's lower part: about the selected event */
    char ev_lines[UI_DETAIL_LINES][UI_LINE];
    int nev_lines, ev_max;
    size_t ev_for;
    bool ev_valid;
};

struct ui {
    struct model *m;
    struct monitor *mon;
    struct symbolizer *sym;
    bool live;
    bool follow_dir; /* --follow: the program runs elsewhere */
    pid_t child;     /* --live: the program (0 otherwise) */
    /* layout (ui_layout) */
    int lines, cols;
    int label_w;    /* row labels */
    int tl_x, tl_w; /* timeline columns */
    int tl_y, tl_h; /* timeline rows on screen */
    int det_y, det_h;
    bool color;
    /* time */
    unsigned shift;
    uint64_t t0, cursor;
    bool follow; /* live: keep the end in view */
    bool fit;    /* live: zoom so the whole trace fits */
    /* rows */
    size_t sel_thread; /* the selected thread (reader index) */
    size_t top;        /* first row shown (index into m->rows) */
    uint8_t *marked;   /* per thread: involved in the finding jumped to */
    size_t nmarked;
    /* popups */
    enum ui_popup popup;
    size_t psel, ptop;
    long *lock_order; /* locks by contention, for the locks list */
    size_t nlock_order;
    struct ui_event *events; /* the events list */
    size_t nevents;
    bool events_more;
    uint64_t events_t0, events_t1;
    size_t events_thread;
    /* search */
    bool prompt;
    char input[128];
    size_t input_len;
    char query[128];
    struct ui_match *matches;
    size_t nmatches, match;
    /* one line of news for the status line */
    char status[UI_LINE];
    struct ui_frame frame;
    bool quit;
    bool kill_child; /* --live: the user chose to kill it */
};

/* ---- view.c ---- */
void ui_layout(struct ui *ui);
/* Keep the cursor on screen by panning. */
void ui_scroll_to_cursor(struct ui *ui);
/* Centre the view on time ts (the cursor goes there). */
void ui_jump(struct ui *ui, uint64_t ts);
/* Make row r (a thread row) the selected one and show it. */
void ui_select_row(struct ui *ui, size_t r);
/* The row of reader thread t, or SIZE_MAX. */
size_t ui_row_of_thread(const struct ui *ui, size_t t);
/* The thread of the selected row, or SIZE_MAX. */
size_t ui_selected_thread(const struct ui *ui);
uint64_t ui_col_ns(const struct ui *ui);
/* Zoom so the whole trace fits the timeline. */
void ui_zoom_fit(struct ui *ui);
void ui_set_status(struct ui *ui, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The box lists are drawn in, and how many list rows it holds (a title,
 * a column header and a footer take three; the events list shares its
 * box with the details of the selected event). */
void ui_popup_box(const struct ui *ui, int *y, int *x, int *h, int *w);
int ui_list_rows(const struct ui *ui);
int ui_event_detail_rows(const struct ui *ui);
/* --live: whether the program still runs. */
bool ui_child_running(const struct ui *ui);

/* ---- prepare.c ---- */
void ui_prepare(struct ui *ui);
/* "12.345ms": a time with as many decimals as `step` needs. */
void ui_format_time(uint64_t ns, uint64_t step, char *buf, size_t len);
/* "func (file.c:42)" for a pc of process proc (a return address when
 * ret). */
void ui_format_pc(struct ui *ui, uint32_t proc, uint64_t pc, bool ret,
                  char *buf, size_t len);
/* "6886 [worker]" */
void ui_format_thread(struct ui *ui, size_t thread, char *buf, size_t len);

/* ---- draw.c ---- */
void draw_screen(const struct ui *ui);

/* ---- keys.c ---- */
void keys_handle(struct ui *ui, int key);
/* Line i of the help (NULL past the end). */
const char *keys_help_line(size_t i);

/* ---- search.c ---- */
/* Find the query in thread names, lock names and functions; fills
 * ui->matches (sorted by time). */
void search_run(struct ui *ui, const char *query);
/* Go to the next (dir 1) or previous (dir -1) match from the cursor. */
void search_step(struct ui *ui, int dir);

/* ---- details.c ---- */
/* Fill ui->events with the selected thread's events in the cursor's
 * column (or, when it has none, the last one before it). */
void details_load_events(struct ui *ui);
/* Lines about event i of the events list: its stack, and for a lock who
 * holds it and who waits for it at that moment. */
int details_event_lines(struct ui *ui, size_t i, char (*out)[UI_LINE], int max);
/* The details pane for the cursor. */
void details_pane(struct ui *ui);

#endif
