/* The viewer end to end: the real `ctrace view` (and `ctrace run --live`)
 * in a tmux pane of a fixed size, keys sent, the screen read back.
 *
 * Traces are recorded first with the real `ctrace run --no-report` from
 * samples/c/view_locks (named threads, lock contention, a condition, a
 * semaphore, a barrier, a lock-order inversion) and, for live mode,
 * samples/c/deadlock_after_1s (a real deadlock after a second of work).
 * Expected text comes from the trace itself (tids, names) read through
 * the reader, never from a copy of the screen.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"
#include "tmux.h"

static struct tmux screen;
static pid_t background = -1; /* a traced program running beside */

/* Stop `ctrace run` in the background: SIGTERM, which it passes on to
 * the program; SIGKILL to both only if that does not end them. */
static void viewer_stop_background(void)
{
    if (background <= 0)
        return;
    kill(background, SIGTERM);
    for (int i = 0; i < 200; i++) {
        if (waitpid(background, NULL, WNOHANG) == background) {
            background = -1;
            return;
        }
        usleep(50000);
    }
    kill(-background, SIGKILL);
    kill(background, SIGKILL);
    waitpid(background, NULL, 0);
    background = -1;
}

static void viewer_fini(void)
{
    tmux_stop(&screen);
    viewer_stop_background();
}

TestSuite(view, .fini = viewer_fini, .timeout = 300);

/* ---- helpers ---- */

static const char *viewer_record(const char *sample)
{
    const char *dir = e2e_trace_dir();
    const char *argv[] = {"ctrace",           "run", "--no-report", "-o", dir,
                          e2e_sample(sample), NULL};
    struct e2e_result res;
    cr_assert_eq(e2e_run(&res, argv), 0);
    cr_assert_eq(res.status, 0, "recording %s failed: %s", sample, res.err);
    e2e_result_free(&res);
    return dir;
}

static void viewer_start(const char *dir, int width, int height)
{
    char *cmd = NULL;
    if (asprintf(&cmd, "'%s' view '%s'", e2e_ctrace(), dir) < 0)
        abort();
    tmux_start(&screen, width, height, cmd);
    free(cmd);
}

/* The row label of a thread as the viewer writes it: "tid name". */
static void viewer_label(const struct e2e_trace *t, const char *name, char *buf,
                         size_t len)
{
    for (size_t i = 0; i < t->nthreads; i++)
        if (strcmp(t->threads[i].name, name) == 0) {
            snprintf(buf, len, "%u %s", t->threads[i].tid, name);
            return;
        }
    cr_assert_fail("no thread named %s in the trace", name);
}

/* The screen line that contains `text`, or "". */
static const char *viewer_find_line(const char *screen_text, const char *text,
                                    char *buf, int len)
{
    for (int i = 0;; i++) {
        tmux_line(screen_text, i, buf, len);
        if (!buf[0] && !strchr(screen_text, '\n'))
            break;
        if (strstr(buf, text))
            return buf;
        const char *p = screen_text;
        for (int k = 0; k <= i && p; k++) {
            p = strchr(p, '\n');
            if (p)
                p++;
        }
        if (!p || !*p)
            break;
    }
    buf[0] = '\0';
    return buf;
}

/* The timeline part of a thread's row: the line where the label is
 * followed by blanks and the '|' that starts the cells. */
static const char *viewer_row_cells(const char *screen_text, const char *label,
                                    char *buf, int len)
{
    char line[512];
    for (int i = 0; tmux_line(screen_text, i, line, sizeof line)[0] || i < 100;
         i++) {
        const char *p = strstr(line, label);
        if (!p)
            continue;
        p += strlen(label);
        while (*p == ' ')
            p++;
        if (*p == '|') {
            snprintf(buf, (size_t)len, "%s", p + 1);
            return buf;
        }
    }
    cr_assert_fail("no row for %s on the screen:\n%s", label, screen_text);
    return buf;
}

static const char *const view_locks_threads[] = {
    "worker-1", "worker-2", "worker-3", "producer",
    "consumer", "order-ab", "order-ba", NULL};

/* ---- the first screen ---- */

Test(view, first_screen_lists_every_thread)
{
    const char *dir = viewer_record("c/view_locks");
    struct e2e_trace t;
    e2e_load_trace(&t, dir);
    viewer_start(dir, 120, 40);
    char *s = tmux_wait_text(&screen, "view_locks");
    free(s);
    s = tmux_wait_text(&screen, "1 finding"); /* the analysis is in */
    char label[128];
    for (size_t i = 0; i < t.nthreads; i++) {
        snprintf(label, sizeof label, "%u %s", t.threads[i].tid,
                 t.threads[i].name);
        cr_expect(strstr(s, label), "row '%s' missing:\n%s", label, s);
    }
    for (size_t i = 0; view_locks_threads[i]; i++) /* names were recorded */
        cr_expect(strstr(s, view_locks_threads[i]), "%s missing",
                  view_locks_threads[i]);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %u view_locks", t.procs[0].pid);
    cr_expect(strstr(s, pid), "process row '%s' missing:\n%s", pid, s);
    cr_expect(strstr(s, "8 threads"), "header:\n%s", s);
    cr_expect(strstr(s, "1 finding"), "header:\n%s", s);
    cr_expect(strstr(s, "0 lost"), "header:\n%s", s);
    /* the workers wait for table_lock and hold it: both glyphs show */
    char cells[512];
    viewer_label(&t, "worker-1", label, sizeof label);
    viewer_row_cells(s, label, cells, sizeof cells);
    cr_expect(strchr(cells, 'w') && strchr(cells, '#'),
              "worker-1 should wait (w) and hold (#): %s", cells);
    viewer_label(&t, "consumer", label, sizeof label);
    viewer_row_cells(s, label, cells, sizeof cells);
    cr_expect(strchr(cells, 'c'), "consumer waits on a condition: %s", cells);
    viewer_label(&t, "order-ba", label, sizeof label);
    viewer_row_cells(s, label, cells, sizeof cells);
    cr_expect(strchr(cells, 's'), "order-ba waits on a semaphore: %s", cells);
    /* order-ab ends long before main: "ended" ('.') from its exit on,
     * nothing it did after it */
    viewer_label(&t, "order-ab", label, sizeof label);
    viewer_row_cells(s, label, cells, sizeof cells);
    const char *ended = strchr(cells, '.');
    cr_expect(ended && ended[strspn(ended, ". ")] == '\0',
              "order-ab shows '.' after its exit and only that: %s", cells);
    cr_expect(strstr(s, "- run"), "legend missing:\n%s", s);
    cr_expect(strstr(s, ". ended"), "legend without the ended glyph:\n%s", s);
    free(s);
    e2e_trace_free(&t);
}

static bool viewer_short_legend(const char *s, void *arg)
{
    (void)arg;
    return strstr(s, "-run #hold") != NULL;
}

Test(view, small_terminal_resize_and_ctrl_c)
{
    const char *dir = viewer_record("c/view_locks");
    struct e2e_trace t;
    e2e_load_trace(&t, dir);
    viewer_start(dir, 120, 40);
    free(tmux_wait_text(&screen, "- run  # hold"));
    tmux_resize(&screen, 80, 24);
    char *s = tmux_wait(&screen, viewer_short_legend, NULL,
                        "the 80-column legend after a resize");
    char label[128];
    for (size_t i = 0; view_locks_threads[i]; i++) {
        viewer_label(&t, view_locks_threads[i], label, sizeof label);
        cr_expect(strstr(s, label), "row '%s' missing at 80x24:\n%s", label, s);
    }
    free(s);
    cr_assert(tmux_alternate_on(&screen), "the viewer uses the full screen");
    TMUX_KEYS(&screen, "C-c");
    s = tmux_wait_text(&screen, "[exit 0]");
    free(s);
    cr_expect(!tmux_alternate_on(&screen),
              "the terminal is restored after Ctrl-C");
    e2e_trace_free(&t);
}

/* ---- zoom ---- */

Test(view, zoom_changes_the_axis)
{
    const char *dir = viewer_record("c/view_locks");
    viewer_start(dir, 120, 40);
    char *s = tmux_wait_text(&screen, "time (col ");
    char axis0[256], axis[256];
    tmux_line(s, 2, axis0, sizeof axis0);
    free(s);
    TMUX_KEYS(&screen, "+", "+", "+", "+");
    for (;;) { /* poll until the four steps are drawn */
        s = tmux_screen(&screen);
        tmux_line(s, 2, axis, sizeof axis);
        free(s);
        if (strcmp(axis, axis0) != 0 && strstr(axis, "us"))
            break;
        s = tmux_wait_text(&screen, "us)");
        free(s);
    }
    cr_expect(strstr(axis, "us"), "zoomed in 16x the axis is in us: %s", axis);
    TMUX_KEYS(&screen, "-", "-", "-", "-");
    s = tmux_wait_text(&screen, strstr(axis0, "time (col "));
    tmux_line(s, 2, axis, sizeof axis);
    cr_expect_str_eq(axis, axis0, "zooming back out restores the axis");
    free(s);
    /* down to single events: the deepest zoom is 1 ns per column */
    for (int i = 0; i < 40; i++)
        TMUX_KEYS(&screen, "+");
    free(tmux_wait_text(&screen, "time (col 1ns)"));
}

/* ---- selection and details ---- */

Test(view, selection_details_and_events)
{
    const char *dir = viewer_record("c/view_locks");
    struct e2e_trace t;
    e2e_load_trace(&t, dir);
    viewer_start(dir, 120, 40);
    free(tmux_wait_text(&screen, "finding"));
    char label[128], want[160];
    viewer_label(&t, "worker-1", label, sizeof label);
    TMUX_KEYS(&screen, "Down"); /* main, then worker-1 */
    snprintf(want, sizeof want, "> %s", label);
    free(tmux_wait_text(&screen, want));
    snprintf(want, sizeof want, "%s at ", label); /* the details pane */
    free(tmux_wait_text(&screen, want));
    /* a search for the lock puts the cursor on an event on it */
    TMUX_KEYS(&screen, "/", "t", "a", "b", "l", "e", "_", "l", "o", "c", "k",
              "Enter");
    free(tmux_wait_text(&screen, "for 'table_lock': lock table_lock"));
    TMUX_KEYS(&screen, "Enter");
    char *s = tmux_wait_text(&screen, "at this moment:");
    cr_expect(strstr(s, "Events of "), "events list title:\n%s", s);
    cr_expect(strstr(s, "mutex-"), "a mutex event is listed:\n%s", s);
    cr_expect(strstr(s, "table_lock"), "its object is named:\n%s", s);
    cr_expect(strstr(s, "held by: "), "who holds it:\n%s", s);
    cr_expect(strstr(s, "waiting: "), "who waits for it:\n%s", s);
    cr_expect(strstr(s, "view_locks.c:"), "a symbolized frame:\n%s", s);
    free(s);
    TMUX_KEYS(&screen, "Escape");
    free(tmux_wait_text(&screen, "- run  # hold"));
    e2e_trace_free(&t);
}

/* ---- findings and locks ---- */

static bool viewer_marked_rows(const char *s, void *arg)
{
    const struct e2e_trace *t = arg;
    char ab[128], ba[128], a[140], b[140];
    viewer_label(t, "order-ab", ab, sizeof ab);
    viewer_label(t, "order-ba", ba, sizeof ba);
    snprintf(a, sizeof a, "*%s", ab);
    snprintf(b, sizeof b, "*%s", ba);
    return strstr(s, a) && strstr(s, b);
}

Test(view, findings_list_jumps_and_highlights)
{
    const char *dir = viewer_record("c/view_locks");
    struct e2e_trace t;
    e2e_load_trace(&t, dir);
    viewer_start(dir, 120, 40);
    free(tmux_wait_text(&screen, "1 finding"));
    TMUX_KEYS(&screen, "f");
    char *s = tmux_wait_text(&screen, "lock-order-inversion");
    cr_expect(strstr(s, "lock_a") && strstr(s, "lock_b"),
              "the finding names both locks:\n%s", s);
    free(s);
    TMUX_KEYS(&screen, "Enter");
    s = tmux_wait(&screen, viewer_marked_rows, &t,
                  "the inversion's two threads marked with *");
    char label[128], cells[512];
    viewer_label(&t, "order-ab", label, sizeof label);
    viewer_row_cells(s, label, cells, sizeof cells);
    cr_expect(strchr(cells, 'H'), "order-ab's hold of lock_a highlighted: %s",
              cells);
    cr_expect(strstr(s, "lock-order-inversion: "), "status line:\n%s", s);
    char sel[140];
    snprintf(sel, sizeof sel, "%s at ", label);
    cr_expect(strstr(s, sel), "the details follow the jump:\n%s", s);
    free(s);
    e2e_trace_free(&t);
}

Test(view, locks_list_by_contention)
{
    const char *dir = viewer_record("c/view_locks");
    struct e2e_trace t;
    e2e_load_trace(&t, dir);
    viewer_start(dir, 120, 40);
    free(tmux_wait_text(&screen, "finding"));
    TMUX_KEYS(&screen, "l");
    char *s = tmux_wait_text(&screen, "Locks by contention");
    char line[512];
    viewer_find_line(s, "|>", line, sizeof line);
    cr_expect(strstr(line, "table_lock"),
              "table_lock (three threads queue for it) comes first: %s\n%s",
              line, s);
    cr_expect(strstr(s, "queue_lock") && strstr(s, "lock_a"),
              "every lock listed:\n%s", s);
    free(s);
    TMUX_KEYS(&screen, "Enter");
    s = tmux_wait_text(&screen, "lock table_lock: W = waiting");
    for (int i = 1; i <= 3; i++) {
        char name[16], label[128], cells[512];
        snprintf(name, sizeof name, "worker-%d", i);
        viewer_label(&t, name, label, sizeof label);
        viewer_row_cells(s, label, cells, sizeof cells);
        cr_expect(strchr(cells, 'W') && strchr(cells, 'H'),
                  "%s waits for and holds table_lock: %s", name, cells);
    }
    char label[128], cells[512];
    viewer_label(&t, "consumer", label, sizeof label);
    viewer_row_cells(s, label, cells, sizeof cells);
    cr_expect(!strchr(cells, 'W') && !strchr(cells, 'H'),
              "the consumer never touches table_lock: %s", cells);
    free(s);
    e2e_trace_free(&t);
}

/* ---- live ---- */

static pid_t viewer_spawn_recording(const char *dir)
{
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        setpgid(0, 0); /* the program too can be killed as a group */
        /* ctrace run's own monitor only reports: the viewer is the test */
        execl(e2e_ctrace(), "ctrace", "run", "--no-report",
              "--on-deadlock=wait", "-o", dir,
              e2e_sample("c/deadlock_after_1s"), (char *)NULL);
        _exit(127);
    }
    return pid;
}

Test(view, follow_shows_a_live_deadlock)
{
    const char *dir = e2e_trace_dir();
    background = viewer_spawn_recording(dir);
    char *cmd = NULL;
    if (asprintf(&cmd, "'%s' view --follow '%s'", e2e_ctrace(), dir) < 0)
        abort();
    tmux_start(&screen, 120, 40, cmd);
    free(cmd);
    char *s = tmux_wait_text(&screen, "transfer");
    free(s);
    s = tmux_wait_text(&screen, "DEADLOCK: ");
    cr_expect(strstr(s, "transfer") && strstr(s, "audit"), "rows:\n%s", s);
    cr_expect(strstr(s, "account_lock") || strstr(s, "journal_lock"),
              "the deadlock names its locks:\n%s", s);
    cr_expect(strstr(s, "1 finding"), "header counts it:\n%s", s);
    free(s);
    TMUX_KEYS(&screen, "q");
    free(tmux_wait_text(&screen, "[exit 0]"));
    /* quitting the viewer leaves the program running */
    cr_expect_eq(waitpid(background, NULL, WNOHANG), 0,
                 "the followed program still runs");
}

Test(view, run_live_asks_before_killing)
{
    const char *dir = e2e_trace_dir();
    char *cmd = NULL;
    if (asprintf(&cmd, "'%s' run --live --no-report -o '%s' '%s'", e2e_ctrace(),
                 dir, e2e_sample("c/deadlock_after_1s")) < 0)
        abort();
    tmux_start(&screen, 100, 30, cmd);
    free(cmd);
    free(tmux_wait_text(&screen, "DEADLOCK: "));
    TMUX_KEYS(&screen, "q");
    free(tmux_wait_text(&screen, "Kill it?"));
    TMUX_KEYS(&screen, "y");
    free(tmux_wait_text(&screen, "[exit 137]")); /* 128 + SIGKILL */
}
