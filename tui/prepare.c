/* What a frame shows, computed before drawing (see ui.h): the cells of
 * the visible rows and the details pane, each recomputed only when what
 * it depends on changed.
 *
 * Cells come from the model's pyramid when a column is at least one base
 * cell wide (a copy, no reading); finer columns are rebuilt exactly by
 * re-reading the window from the nearest checkpoint (model_window).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols.h"
#include "ui.h"

/* ---- formatting ---- */

void ui_format_time(uint64_t ns, uint64_t step, char *buf, size_t len)
{
    static const struct {
        uint64_t ns;
        const char *name;
    } units[] = {{1000000000ull, "s"},
                 {1000000ull, "ms"},
                 {1000ull, "us"},
                 {1ull, "ns"}};
    if (ns == 0) {
        snprintf(buf, len, "0");
        return;
    }
    size_t u = 0;
    while (u + 1 < sizeof units / sizeof units[0] && ns < units[u].ns)
        u++;
    int decimals = 0;
    for (uint64_t q = units[u].ns; q > (step ? step : 1) && decimals < 9;
         q /= 10)
        decimals++;
    snprintf(buf, len, "%.*f", decimals, (double)ns / (double)units[u].ns);
    char *dot = strchr(buf, '.');
    if (dot) { /* 1.50 -> 1.5, 2.0 -> 2 */
        char *e = buf + strlen(buf);
        while (e > dot + 1 && e[-1] == '0')
            *--e = '\0';
        if (e == dot + 1)
            *dot = '\0';
    }
    size_t n = strlen(buf);
    snprintf(buf + n, len > n ? len - n : 0, "%s", units[u].name);
}

void ui_format_pc(struct ui *ui, uint32_t proc, uint64_t pc, bool ret,
                  char *buf, size_t len)
{
    if (!pc) {
        snprintf(buf, len, "?");
        return;
    }
    struct sym_frame f[SYM_MAX_INLINE];
    sym_lookup(ui->sym, proc, pc, ret, f, SYM_MAX_INLINE);
    sym_frame_format(&f[0], true, buf, len);
}

void ui_format_thread(struct ui *ui, size_t thread, char *buf, size_t len)
{
    if (thread >= ui->m->nth) {
        snprintf(buf, len, "thread %zu", thread);
        return;
    }
    char label[80];
    model_thread_label(ui->m, thread, label, sizeof label);
    snprintf(buf, len, "%u %s", ui->m->th[thread].tid, label);
}

/* ---- cells ---- */

static void prepare_cells(struct ui *ui)
{
    struct ui_frame *f = &ui->frame;
    struct model *m = ui->m;
    size_t ncols = (size_t)ui->tl_w, nrows = (size_t)ui->tl_h;
    if (f->valid && f->t0 == ui->t0 && f->shift == ui->shift &&
        f->top == ui->top && f->ncols == ncols && f->nrows == nrows &&
        f->version == m->version && f->hl_version == m->hl_version)
        return;
    size_t need = ncols * nrows;
    if (need > f->cap) {
        f->cells = realloc(f->cells, need * sizeof *f->cells);
        f->hl = realloc(f->hl, need);
        f->cap = need;
        if (!f->cells || !f->hl) {
            fprintf(stderr, "ctrace view: out of memory\n");
            abort();
        }
    }
    for (size_t i = 0; i < nrows; i++) {
        size_t r = ui->top + i;
        struct cell *row = f->cells + i * ncols;
        uint8_t *hl = f->hl + i * ncols;
        if (r < m->nrows && m->rows[r].kind == ROW_THREAD) {
            model_cells(m, m->rows[r].index, ui->t0, ui->shift, ncols, row, hl);
        } else {
            memset(row, 0, ncols * sizeof *row);
            memset(hl, 0, ncols);
        }
    }
    f->t0 = ui->t0;
    f->shift = ui->shift;
    f->top = ui->top;
    f->ncols = ncols;
    f->nrows = nrows;
    f->version = m->version;
    f->hl_version = m->hl_version;
    f->valid = true;
}

/* "order_mutex -n 3" for "/work/build/order_mutex -n 3". */
static void prepare_short_cmd(const char *cmd, char *buf, size_t len)
{
    const char *end = strchr(cmd, ' ');
    const char *base = cmd;
    for (const char *p = cmd; *p && (!end || p < end); p++)
        if (*p == '/' && p[1] && p[1] != ' ')
            base = p + 1;
    snprintf(buf, len, "%s", base);
}

/* Row labels and the header's program: names may arrive later (live). */
static void prepare_labels(struct ui *ui)
{
    struct ui_frame *f = &ui->frame;
    struct model *m = ui->m;
    if (f->labels && f->nlabels == m->nrows && f->labels_version == m->version)
        return;
    free(f->labels);
    f->labels = calloc(m->nrows ? m->nrows : 1, sizeof *f->labels);
    f->nlabels = f->labels ? m->nrows : 0;
    for (size_t r = 0; r < f->nlabels; r++) {
        const struct model_row *row = &m->rows[r];
        if (row->kind == ROW_THREAD) {
            ui_format_thread(ui, row->index, f->labels[r], sizeof f->labels[r]);
        } else {
            const struct trace_process *p =
                trace_reader_process(m->r, row->index);
            const char *cmd = p->cmdline && p->cmdline[0] ? p->cmdline : p->exe;
            char shortcmd[80];
            prepare_short_cmd(cmd ? cmd : "", shortcmd, sizeof shortcmd);
            snprintf(f->labels[r], sizeof f->labels[r], "pid %u %s%s", p->pid,
                     p->exec_from >= 0 ? "exec " : "", shortcmd);
        }
    }
    f->labels_version = m->version;
    const struct trace_process *root =
        m->nrows ? trace_reader_process(m->r, m->rows[0].index) : NULL;
    prepare_short_cmd(root && root->cmdline && root->cmdline[0] ? root->cmdline
                      : root && root->exe                       ? root->exe
                                                                : m->dir,
                      f->program, sizeof f->program);
}

void ui_prepare(struct ui *ui)
{
    prepare_labels(ui);
    prepare_cells(ui);
    struct ui_frame *f = &ui->frame;
    size_t t = ui_selected_thread(ui);
    if (!f->det_valid || f->det_cursor != ui->cursor ||
        f->det_shift != ui->shift || f->det_thread != t ||
        f->det_version != ui->m->version + ui->m->hl_version) {
        details_pane(ui);
        f->det_cursor = ui->cursor;
        f->det_shift = ui->shift;
        f->det_thread = t;
        f->det_version = ui->m->version + ui->m->hl_version;
        f->det_valid = true;
    }
    int max = ui_event_detail_rows(ui);
    if (ui->popup == POPUP_EVENTS &&
        (!f->ev_valid || f->ev_for != ui->psel || f->ev_max != max)) {
        f->nev_lines = details_event_lines(ui, ui->psel, f->ev_lines, max);
        f->ev_for = ui->psel;
        f->ev_max = max;
        f->ev_valid = true;
    }
}
