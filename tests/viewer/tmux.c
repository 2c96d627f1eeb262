/* tmux driving for the viewer's tests (see tmux.h). */
#include "tmux.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

#define TMUX_POLL_US 50000
#define TMUX_CMD_TIMEOUT_S 30

static int tmux_serial;

/* Run one tmux command on t's server; returns its stdout (malloc'ed). */
static char *tmux_run(struct tmux *t, const char *const args[], bool check)
{
    const char *argv[32] = {"tmux", "-L", t->socket, "-f", "/dev/null"};
    size_t n = 5;
    for (size_t i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    struct e2e_result res;
    cr_assert_eq(e2e_run_env(&res, argv, NULL, NULL, TMUX_CMD_TIMEOUT_S), 0,
                 "cannot run tmux (is it installed? scripts/setup.sh)");
    if (check)
        cr_assert_eq(res.status, 0, "tmux %s failed (%d): %s", args[0],
                     res.status, res.err);
    char *out = strdup(res.out ? res.out : "");
    e2e_result_free(&res);
    return out;
}

void tmux_start(struct tmux *t, int width, int height, const char *command)
{
    snprintf(t->socket, sizeof t->socket, "ctrace-view-%d-%d", (int)getpid(),
             tmux_serial++);
    char w[16], h[16], *wrapped = NULL;
    snprintf(w, sizeof w, "%d", width);
    snprintf(h, sizeof h, "%d", height);
    /* The pane outlives the command so that its end can be seen. */
    if (asprintf(&wrapped, "%s; echo \"[exit $?]\"; sleep 600", command) < 0)
        abort();
    const char *args[] = {"new-session", "-d",   "-x",    w,   "-y", h,
                          "-s",          "main", wrapped, NULL};
    free(tmux_run(t, args, true));
    free(wrapped);
    t->running = true;
}

void tmux_keys(struct tmux *t, const char *const keys[])
{
    const char *args[32] = {"send-keys", "-t", "main"};
    size_t n = 3;
    for (size_t i = 0; keys[i] && n < 31; i++)
        args[n++] = keys[i];
    args[n] = NULL;
    free(tmux_run(t, args, true));
}

char *tmux_screen(struct tmux *t)
{
    const char *args[] = {"capture-pane", "-p", "-t", "main", NULL};
    return tmux_run(t, args, true);
}

static bool tmux_has_text(const char *screen, void *arg)
{
    return strstr(screen, (const char *)arg) != NULL;
}

static double tmux_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

char *tmux_wait(struct tmux *t, bool (*pred)(const char *screen, void *arg),
                void *arg, const char *what)
{
    double until = tmux_now() + TMUX_WAIT_S;
    for (;;) {
        char *s = tmux_screen(t);
        if (pred(s, arg))
            return s;
        if (tmux_now() > until) {
            cr_log_error("last screen:\n%s", s);
            free(s);
            cr_assert_fail("timed out (%d s) waiting for %s", TMUX_WAIT_S,
                           what);
        }
        free(s);
        usleep(TMUX_POLL_US);
    }
}

char *tmux_wait_text(struct tmux *t, const char *text)
{
    char what[200];
    snprintf(what, sizeof what, "'%s' on the screen", text);
    return tmux_wait(t, tmux_has_text, (void *)text, what);
}

const char *tmux_line(const char *screen, int n, char *buf, int len)
{
    const char *p = screen;
    for (int i = 0; i < n && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    buf[0] = '\0';
    if (!p)
        return buf;
    const char *e = strchr(p, '\n');
    int l = e ? (int)(e - p) : (int)strlen(p);
    if (l >= len)
        l = len - 1;
    memcpy(buf, p, (size_t)l);
    buf[l] = '\0';
    return buf;
}

bool tmux_alternate_on(struct tmux *t)
{
    const char *args[] = {"display-message", "-p", "-t", "main",
                          "#{alternate_on}", NULL};
    char *out = tmux_run(t, args, true);
    bool on = out[0] == '1';
    free(out);
    return on;
}

void tmux_resize(struct tmux *t, int width, int height)
{
    char w[16], h[16];
    snprintf(w, sizeof w, "%d", width);
    snprintf(h, sizeof h, "%d", height);
    const char *args[] = {
        "resize-window", "-t", "main", "-x", w, "-y", h, NULL};
    free(tmux_run(t, args, true));
}

void tmux_stop(struct tmux *t)
{
    if (!t->running)
        return;
    const char *args[] = {"kill-server", NULL};
    free(tmux_run(t, args, false));
    t->running = false;
}
