/* Driving a terminal program under tmux for end-to-end tests: a private
 * tmux server per screen (its own socket), a fixed size, keys sent with
 * send-keys, the screen read back with capture-pane.
 *
 * Waiting is always "poll the screen until the expected text is there",
 * with a generous safety-net timeout that fails the test and shows the
 * last screen; never a fixed sleep as the pass criterion.
 */
#ifndef CTRACE_TESTS_VIEWER_TMUX_H
#define CTRACE_TESTS_VIEWER_TMUX_H

#include <stdbool.h>

/* Safety net for one wait (never the pass criterion). */
#define TMUX_WAIT_S 60

struct tmux {
    char socket[64];
    bool running;
};

/* Start `command` (run by sh) in a new detached session of a private
 * server, width x height.  The command is wrapped so that the pane
 * stays after it ends and shows "[exit N]". */
void tmux_start(struct tmux *t, int width, int height, const char *command);
/* Send keys, as tmux names them ("Down", "Enter", "C-c", "q"). */
void tmux_keys(struct tmux *t, const char *const keys[]);
#define TMUX_KEYS(t, ...)                                                      \
    tmux_keys((t), (const char *const[]){__VA_ARGS__, NULL})
/* The screen now (malloc'ed, one line per row). */
char *tmux_screen(struct tmux *t);
/* Wait until the screen contains `text`; returns that screen (free it).
 * Fails the test with the last screen after TMUX_WAIT_S. */
char *tmux_wait_text(struct tmux *t, const char *text);
/* Wait until pred(screen, arg) holds; same contract. */
char *tmux_wait(struct tmux *t, bool (*pred)(const char *screen, void *arg),
                void *arg, const char *what);
/* Line n (0-based) of a screen, in buf. */
const char *tmux_line(const char *screen, int n, char *buf, int len);
/* Whether the pane is in the alternate screen (a curses program runs). */
bool tmux_alternate_on(struct tmux *t);
void tmux_resize(struct tmux *t, int width, int height);
/* Kill the server (and what runs in it). */
void tmux_stop(struct tmux *t);

#endif
