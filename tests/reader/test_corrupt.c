/* The trace reader on broken input: a clear error naming the file and
 * offset, the other threads still read, and never a crash -- on crafted
 * breakage, on real traces truncated at many offsets, and on real traces
 * with random bytes changed (run this under ASan: it is in suite unit). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt.h"

static char *path_in(const char *dir, const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, name) < 0)
        abort();
    return p;
}

static bool has(const char *msg, const char *what)
{
    return strstr(msg, what) != NULL;
}

/* ---- trace directories that cannot be opened ---- */

static void expect_open_error(const char *dir, const char *what1,
                              const char *what2)
{
    struct trace_error err = {{0}};
    struct trace_reader *r = trace_reader_open(dir, &err);
    cr_assert_null(r, "opened %s", dir);
    cr_assert(has(err.msg, what1), "message: %s", err.msg);
    cr_assert(has(err.msg, what2), "message: %s", err.msg);
}

Test(corrupt, missing_directory)
{
    char *dir = rt_dir();
    char *missing = path_in(dir, "nope");
    expect_open_error(missing, missing, "no such trace directory");
    free(missing);
}

Test(corrupt, not_a_directory)
{
    char *dir = rt_dir();
    char *file = path_in(dir, "plain");
    rt_spit(file, "x", 1);
    expect_open_error(file, file, "not a directory");
    free(file);
}

Test(corrupt, no_process_files)
{
    char *dir = rt_dir();
    char *other = path_in(dir, "notes.txt");
    rt_spit(other, "hello", 5);
    expect_open_error(dir, dir, "no process files");
    free(other);
}

Test(corrupt, bad_magic)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 1, 0, 0, 0, TRACE_CLOCK_MONOTONIC, 1);
    memcpy(craft_hdr(&f)->magic, "NOTATRCE", 8);
    craft_write(&f, dir, "p1.0.ctrace");
    craft_free(&f);
    expect_open_error(dir, "p1.0.ctrace: offset 0", "bad magic");
}

Test(corrupt, unknown_version)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 1, 0, 0, 0, TRACE_CLOCK_MONOTONIC, 1);
    craft_hdr(&f)->version = 99;
    craft_write(&f, dir, "p1.0.ctrace");
    craft_free(&f);
    expect_open_error(dir, "p1.0.ctrace: offset 8", "version 99");
}

Test(corrupt, truncated_header)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 1, 0, 0, 0, TRACE_CLOCK_MONOTONIC, 1);
    char *p = path_in(dir, "p1.0.ctrace");
    rt_spit(p, f.buf, 100);
    craft_free(&f);
    expect_open_error(dir, "p1.0.ctrace: offset 100", "truncated header");
    free(p);
}

Test(corrupt, header_never_written)
{
    char *dir = rt_dir();
    char *p = path_in(dir, "p1.0.ctrace");
    void *zero = calloc(1, TRACE_HEADER_SIZE);
    rt_spit(p, zero, TRACE_HEADER_SIZE);
    expect_open_error(dir, "p1.0.ctrace: offset 0", "never written");
    free(zero);
    free(p);
}

/* One good file and one bad one: the good one is read, the bad one is
 * reported once. */
Test(corrupt, one_bad_file_among_good)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 5, 1, 0, 0, TRACE_CLOCK_MONOTONIC, 1);
    struct craft_chunk c;
    craft_chunk(&f, &c, TRACE_CHUNK_MIN, 5, 0, 0, 2);
    craft_event(&c, TRACE_EV_MUTEX_FAIL, 0, 0, 0, 9, 3);
    craft_write(&f, dir, "p5.0.ctrace");
    memcpy(craft_hdr(&f)->magic, "garbage!", 8);
    craft_write(&f, dir, "p6.0.ctrace");
    craft_free(&f);

    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    cr_assert_eq(t.n, 1);
    cr_assert_eq(t.nerr, 1);
    cr_assert(has(t.err[0], "p6.0.ctrace: offset 0: bad magic"), "%s",
              t.err[0]);
    rt_free(&t);
}

/* ---- crafted corruption inside chunks ---- */

/* Builds p7.0.ctrace: thread 0 gets `bad` from the callback after two
 * good events, thread 1 has three good events. */
typedef void (*breaker)(struct craft_file *f, struct craft_chunk *c);

static struct rt_trace load_broken(breaker bad)
{
    char *dir = rt_dir();
    struct craft_file f;
    craft_header(&f, 7, 1, 0, 0, TRACE_CLOCK_MONOTONIC, 1);
    struct craft_chunk a, b;
    craft_chunk(&f, &b, TRACE_CHUNK_MIN, 71, 1, 0, 5);
    for (uint32_t i = 0; i < 3; i++)
        craft_event(&b, TRACE_EV_SEM_FAIL, 0, 0, 0, i, 10 + i);
    craft_chunk(&f, &a, TRACE_CHUNK_MIN, 70, 0, 0, 5);
    craft_event(&a, TRACE_EV_MUTEX_FAIL, 0, 0, 0, 1, 6);
    craft_event(&a, TRACE_EV_MUTEX_FAIL, 0, 0, 0, 2, 7);
    bad(&f, &a);
    craft_write(&f, dir, "p7.0.ctrace");
    craft_free(&f);
    struct rt_trace t;
    rt_load(&t, dir);
    cr_assert(t.opened, "%s", t.open_err);
    rt_check_sane(&t);
    int other = rt_find_thread(&t, 7, 1);
    cr_assert_geq(other, 0);
    cr_assert_eq(rt_thread_count(&t, (uint32_t)other), 3,
                 "the other thread goes on");
    return t;
}

static void expect_one_error(struct rt_trace *t, size_t good, const char *what)
{
    int bad = rt_find_thread(t, 7, 0);
    cr_assert_geq(bad, 0);
    cr_assert_eq(rt_thread_count(t, (uint32_t)bad), good);
    cr_assert_eq(t->nerr, 1, "errors: %zu (%s)", t->nerr,
                 t->nerr ? t->err[0] : "");
    cr_assert(has(t->err[0], "p7.0.ctrace: offset "), "%s", t->err[0]);
    cr_assert(has(t->err[0], what), "%s", t->err[0]);
    rt_free(t);
}

static void break_unknown_type(struct craft_file *f, struct craft_chunk *c)
{
    (void)f;
    craft_event(c, 190, 0, 0, 0, 0, 8);
    craft_event(c, TRACE_EV_MUTEX_FAIL, 0, 0, 0, 3, 9);
}

Test(corrupt, unknown_event_type)
{
    struct rt_trace t = load_broken(break_unknown_type);
    expect_one_error(&t, 2, "unknown event type 190");
}

static void break_unknown_short(struct craft_file *f, struct craft_chunk *c)
{
    (void)f;
    craft_word(c, TRACE_SW(60, 0, 0, 8));
    craft_event(c, TRACE_EV_MUTEX_FAIL, 0, 0, 0, 3, 9);
}

Test(corrupt, unknown_short_code)
{
    struct rt_trace t = load_broken(break_unknown_short);
    expect_one_error(&t, 2, "unknown short record code 60");
}

/* A full record whose second word lies past `used`. */
static void break_cut_record(struct craft_file *f, struct craft_chunk *c)
{
    (void)f;
    craft_event(c, TRACE_EV_MUTEX_FAIL, 0, 0, 0, 3, 9);
    craft_chunk_hdr(c)->used = c->n - 1;
}

Test(corrupt, full_record_cut_by_used)
{
    struct rt_trace t = load_broken(break_cut_record);
    expect_one_error(&t, 2, "mutex-fail record cut by the end of the chunk");
}

static void break_undefined_site(struct craft_file *f, struct craft_chunk *c)
{
    (void)f;
    craft_event(c, TRACE_EV_MUTEX_FAIL, 0, 33, 0, 3, 9);
}

Test(corrupt, site_slot_before_definition)
{
    struct rt_trace t = load_broken(break_undefined_site);
    expect_one_error(&t, 2, "call-site slot 33 used before its definition");
}

static void break_payload_overrun(struct craft_file *f, struct craft_chunk *c)
{
    (void)f;
    craft_event(c, TRACE_EV_EXEC, 0, 0, 0, 100, 9); /* 13 words promised */
    craft_raw(c, 0x6e69622f, 0);
}

Test(corrupt, payload_past_used)
{
    struct rt_trace t = load_broken(break_payload_overrun);
    expect_one_error(&t, 2, "runs past the chunk");
}

static void break_payload_too_big(struct craft_file *f, struct craft_chunk *c)
{
    (void)f;
    craft_event(c, TRACE_EV_EXEC, 0, 0, 0, TRACE_PAYLOAD_MAX + 16, 9);
    for (int i = 0; i < 300; i++)
        craft_raw(c, 0x41414141, 0x41414141);
}

Test(corrupt, payload_too_big)
{
    struct rt_trace t = load_broken(break_payload_too_big);
    expect_one_error(&t, 2, "at most 4096");
}

static void break_used(struct craft_file *f, struct craft_chunk *c)
{
    (void)f;
    craft_chunk_hdr(c)->used = 1000000;
}

Test(corrupt, used_beyond_capacity)
{
    struct rt_trace t = load_broken(break_used);
    expect_one_error(&t, 0, "words are used, it holds");
}

static void break_missing_chunk(struct craft_file *f, struct craft_chunk *c)
{
    struct craft_chunk next;
    craft_chunk(f, &next, 2 * TRACE_CHUNK_MIN, 70, 0, 2, 20); /* no chunk 1 */
    craft_event(&next, TRACE_EV_MUTEX_FAIL, 0, 0, 0, 3, 21);
    (void)c;
}

Test(corrupt, missing_chunk)
{
    struct rt_trace t = load_broken(break_missing_chunk);
    expect_one_error(&t, 2, "chunk 1 is missing");
}

static void break_garbage_between(struct craft_file *f, struct craft_chunk *c)
{
    craft_fill(f, 8192, 0xab);
    struct craft_chunk next;
    craft_chunk(f, &next, 2 * TRACE_CHUNK_MIN, 70, 0, 1, 20);
    craft_event(&next, TRACE_EV_MUTEX_FAIL, 0, 0, 0, 3, 21);
    (void)c;
}

/* Garbage where a chunk header should be: reported, then the walk finds
 * the next chunk and nothing is lost. */
Test(corrupt, garbage_between_chunks)
{
    struct rt_trace t = load_broken(break_garbage_between);
    expect_one_error(&t, 3, "bad chunk magic 0xabababab");
}

static void break_chunk_size(struct craft_file *f, struct craft_chunk *c)
{
    struct craft_chunk next;
    craft_chunk(f, &next, 2 * TRACE_CHUNK_MIN, 70, 0, 1, 20);
    craft_event(&next, TRACE_EV_MUTEX_FAIL, 0, 0, 0, 3, 21);
    craft_chunk_hdr(&next)->size = 12345;
    (void)c;
}

Test(corrupt, bad_chunk_size)
{
    struct rt_trace t = load_broken(break_chunk_size);
    expect_one_error(&t, 2, "chunk size 12345 is invalid");
}

/* ---- real traces, truncated and corrupted ---- */

struct ref_event {
    uint32_t tid, type, arg;
    uint64_t obj, clock;
};

/* A real trace with three threads over several chunks, payloads and
 * site stacks; returns the file's path. */
static char *build_real_trace(uint32_t events_per_thread)
{
    char *dir = rt_dir();
    uint32_t kind = rt_kind_best();
    struct trace_proc_writer pw;
    rt_proc_open(&pw, dir, 900, 1, 0, kind);
    struct trace_thread_writer *w[3];
    for (int i = 0; i < 3; i++)
        w[i] = rt_thread(&pw, 900 + (uint32_t)i);
    uint64_t pcs[6] = {1, 2, 3, 4, 5, 6};
    for (uint32_t i = 0; i < events_per_thread; i++) {
        for (int k = 0; k < 3; k++) {
            uint64_t obj =
                0x7000 + 64 * (uint64_t)((i * 7 + (uint32_t)k) % 300);
            if (i % 50 == (uint32_t)k) {
                char name[40];
                int n = snprintf(name, sizeof name, "thread %d step %u", k, i);
                trace_emit_payload(w[k], TRACE_EV_THREAD_NAME, 0xabc0, 0, name,
                                   (uint32_t)n + 1);
            } else if (i % 97 == 1) {
                trace_emit_site_stack(w[k], 0x400000 + i, pcs, 6);
                trace_emit(w[k], TRACE_EV_MUTEX_INIT, obj, 0x400000 + i, i);
            } else {
                trace_emit_ordered(w[k],
                                   i % 2 ? TRACE_EV_MUTEX_RELEASE
                                         : TRACE_EV_MUTEX_ACQUIRE,
                                   obj, 0x500000 + i % 31, i, TRACE_FENCE_BOTH);
            }
        }
    }
    for (int i = 0; i < 3; i++)
        trace_writer_thread_free(w[i]);
    trace_writer_close_process(&pw, 0);
    trace_writer_drop_process(&pw);
    char *p = path_in(dir, "p900.0.ctrace");
    return p;
}

static void load_dir_of(const char *file, struct rt_trace *t)
{
    char *dir = strdup(file);
    *strrchr(dir, '/') = '\0';
    rt_load(t, dir);
    free(dir);
}

/* Positions of each thread's events, in order. */
static size_t **thread_index(const struct rt_trace *t)
{
    size_t **idx = calloc(t->nthreads + 1, sizeof *idx);
    size_t *fill = calloc(t->nthreads + 1, sizeof *fill);
    for (size_t th = 0; th < t->nthreads; th++)
        idx[th] = malloc((t->threads[th].events + 1) * sizeof **idx);
    for (size_t i = 0; i < t->n; i++) {
        uint32_t th = t->ev[i].thread;
        cr_assert_lt(fill[th], t->threads[th].events + 1);
        idx[th][fill[th]++] = i;
    }
    free(fill);
    return idx;
}

static void index_free(size_t **idx, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(idx[i]);
    free(idx);
}

/* Every thread's events must be a prefix of what it had. */
static void expect_prefix(const struct rt_trace *ref, size_t **ref_idx,
                          const struct rt_trace *t, size_t cut)
{
    size_t **idx = thread_index(t);
    for (uint32_t th = 0; th < t->nthreads; th++) {
        int rth = rt_find_thread(ref, 900, t->threads[th].serial);
        cr_assert_geq(rth, 0);
        size_t n = t->threads[th].events;
        cr_assert_leq(n, ref->threads[rth].events);
        for (size_t i = 0; i < n; i++) {
            const struct trace_event *a = &t->ev[idx[th][i]];
            const struct trace_event *b = &ref->ev[ref_idx[rth][i]];
            cr_assert(a->type == b->type && a->arg == b->arg &&
                          a->obj == b->obj && a->clock == b->clock &&
                          a->site == b->site &&
                          a->payload_len == b->payload_len &&
                          (!a->payload_len ||
                           memcmp(a->payload, b->payload, a->payload_len) == 0),
                      "cut at %zu: thread %u event %zu differs", cut, th, i);
        }
    }
    index_free(idx, t->nthreads);
}

Test(corrupt, truncated_at_many_offsets)
{
    char *file = build_real_trace(20000);
    struct rt_trace ref;
    load_dir_of(file, &ref);
    cr_assert(ref.opened, "%s", ref.open_err);
    cr_assert_eq(ref.nerr, 0, "%s", ref.nerr ? ref.err[0] : "");
    cr_assert_eq(ref.n, 60000);
    size_t **ref_idx = thread_index(&ref);
    size_t len;
    uint8_t *all = rt_slurp(file, &len);
    cr_assert_gt(len, 8 * TRACE_CHUNK_MIN);
    free(all);

    size_t cuts[400], ncuts = 0;
    static const size_t fixed[] = {0,         1,         8,           100,
                                   4095,      4096,      4097,        4096 + 63,
                                   4096 + 64, 4096 + 80, 4096 + 65536};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        cuts[ncuts++] = fixed[i];
    srand(12345);
    while (ncuts < 150)
        cuts[ncuts++] = (size_t)rand() % len;
    size_t truncated_errors = 0, clean = 0, refused = 0;
    for (size_t i = 0; i < ncuts; i++) {
        char *dir = rt_dir();
        char *to = path_in(dir, "p900.0.ctrace");
        rt_copy_file(file, to, cuts[i]);
        struct rt_trace t;
        rt_load(&t, dir);
        if (!t.opened) {
            cr_assert(has(t.open_err, "p900.0.ctrace: offset "), "cut %zu: %s",
                      cuts[i], t.open_err);
            cr_assert_lt(cuts[i], TRACE_HEADER_SIZE, "cut %zu refused: %s",
                         cuts[i], t.open_err);
            refused++;
        } else {
            rt_check_sane(&t);
            expect_prefix(&ref, ref_idx, &t, cuts[i]);
            for (size_t e = 0; e < t.nerr; e++)
                cr_assert(has(t.err[e], "p900.0.ctrace: offset "), "%s",
                          t.err[e]);
            if (t.nerr)
                truncated_errors++;
            else
                clean++;
        }
        rt_free(&t);
        free(to);
    }
    cr_assert_gt(refused, 0);
    cr_assert_gt(truncated_errors, 50, "a cut file says so (%zu)",
                 truncated_errors);
    index_free(ref_idx, ref.nthreads);
    rt_free(&ref);
    free(file);
}

/* Random bytes changed anywhere: whatever comes out is well formed, and
 * every payload and stack byte it points to can be read. */
Test(corrupt, random_bytes_never_crash)
{
    char *file = build_real_trace(3000);
    size_t len;
    uint8_t *orig = rt_slurp(file, &len);
    size_t errors = 0, opened = 0;
    for (unsigned seed = 1; seed <= 400; seed++) {
        srand(seed);
        uint8_t *buf = malloc(len);
        memcpy(buf, orig, len);
        int flips = 1 + rand() % 24;
        for (int i = 0; i < flips; i++) {
            size_t at;
            switch (rand() % 4) {
            case 0: /* the header page */
                at = (size_t)rand() % TRACE_HEADER_SIZE;
                break;
            case 1: /* a chunk header, 4 KiB aligned */
                at = ((size_t)rand() % (len / 4096)) * 4096 +
                     (size_t)rand() % 64;
                break;
            default:
                at = (size_t)rand() % len;
            }
            buf[at] = (uint8_t)(rand() % 3 ? rand() : buf[at] ^ 0x80);
        }
        char *dir = rt_dir();
        char *to = path_in(dir, "p900.0.ctrace");
        rt_spit(to, buf, len);
        struct rt_trace t;
        rt_load(&t, dir);
        if (t.opened) {
            opened++;
            rt_check_sane(&t);
            uint64_t sum = 0;
            for (size_t e = 0; e < t.n; e++) {
                const uint8_t *p = t.ev[e].payload;
                for (uint32_t k = 0; k < t.ev[e].payload_len; k++)
                    sum += p[k];
                for (uint32_t k = 0; k < t.ev[e].site_depth; k++)
                    sum += t.ev[e].site_stack[k];
            }
            (void)sum;
            errors += t.nerr;
        } else {
            cr_assert(has(t.open_err, "p900.0.ctrace: offset "), "%s",
                      t.open_err);
        }
        rt_free(&t);
        free(to);
        free(buf);
    }
    cr_assert_gt(opened, 200);
    cr_assert_gt(errors, 100, "corruption is noticed (%zu errors)", errors);
    free(orig);
    free(file);
}
