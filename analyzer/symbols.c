/* Symbolization with elfutils' libdwfl, offline, from recorded module maps.
 *
 * Two ideas to read this file:
 *  - A module file (path + build id) is opened once, in its own Dwfl
 *    session, reported at bias 0: an address inside it is `pc - base`,
 *    where base is the load bias recorded in that process image.  So a
 *    library shared by a hundred forked children is read once.
 *  - Answers are cached per (file, address looked up): the frames of an
 *    address are symbolic only (function, file, line, inline chain); the
 *    pc-dependent parts (pc, offset) are filled in on the way out.
 */
#include "symbols.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pystack.h"
#include "reader.h"

/* No module file is bigger: a path over this names something else. */
#define SYM_MODULE_MAX (4ull << 30)
/* Where distributions install files by build id (.build-id/xx/yyyy). */
#define SYM_DEBUG_DIR "/usr/lib/debug"

/* libstdc++'s demangler (linked in; see analyzer/meson.build). */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len,
                            int *status);

/* One distinct module file. */
struct sym_file {
    const char *path;       /* interned */
    const char *short_name; /* interned basename */
    const char *lib;        /* interned label for system/ctrace modules */
    uint8_t build_id[32];
    uint16_t build_id_len;
    bool system, ctrace;
    bool opened;  /* open attempted */
    bool changed; /* build id differs from the recorded one */
    Dwfl *dwfl;   /* NULL when the file cannot be read */
    Dwfl_Module *mod;
};

/* A module as mapped in one process image. */
struct sym_map {
    uint32_t proc;
    uint64_t base, lo, hi;
    size_t file;
};

/* A module mapping already added (dedup: every forked child reports
 * the same modules again). */
struct sym_map_key {
    uint64_t base;
    uint32_t proc;
    uint32_t file_plus1; /* 0 = empty slot */
};

/* Cached answer for (file, addr): frames[first .. first+n). */
struct sym_cache_slot {
    uint64_t addr;
    uint32_t file_plus1; /* 0 = empty */
    uint32_t n;
    size_t first;
};

struct sym_strings {
    char **slots;
    size_t cap, count;
};

struct symbolizer {
    struct sym_strings strings;
    struct sym_file *files;
    size_t nfiles, capfiles;
    struct sym_map *maps;
    size_t nmaps, capmaps;
    bool maps_sorted;
    struct sym_map_key *map_keys; /* set of (proc, base, file) added */
    size_t map_keys_cap;
    struct sym_cache_slot *cache;
    size_t cache_cap, cache_count;
    struct sym_frame *frames; /* storage for cached frames */
    size_t nframes, capframes;
    char *debuginfo_path;
};

/* ---- small helpers ---- */

static void *sym_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "ctrace: out of memory while symbolizing\n");
        abort();
    }
    return q;
}

#define SYM_GROW(arr, n, cap)                                                  \
    do {                                                                       \
        if ((n) == (cap)) {                                                    \
            (cap) = (cap) ? 2 * (cap) : 16;                                    \
            (arr) = sym_xrealloc((arr), (cap) * sizeof(*(arr)));               \
        }                                                                      \
    } while (0)

static uint64_t sym_hash_bytes(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static uint64_t sym_hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* Intern a string: equal strings share one copy, freed by sym_free. */
static const char *sym_intern(struct symbolizer *s, const char *str)
{
    struct sym_strings *t = &s->strings;
    if (!str)
        return NULL;
    if (2 * (t->count + 1) > t->cap) {
        size_t ncap = t->cap ? 2 * t->cap : 256;
        char **ns = calloc(ncap, sizeof(*ns));
        if (!ns)
            abort();
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->slots[i])
                continue;
            size_t j = sym_hash_bytes(t->slots[i]) & (ncap - 1);
            while (ns[j])
                j = (j + 1) & (ncap - 1);
            ns[j] = t->slots[i];
        }
        free(t->slots);
        t->slots = ns;
        t->cap = ncap;
    }
    size_t j = sym_hash_bytes(str) & (t->cap - 1);
    while (t->slots[j]) {
        if (strcmp(t->slots[j], str) == 0)
            return t->slots[j];
        j = (j + 1) & (t->cap - 1);
    }
    t->slots[j] = strdup(str);
    if (!t->slots[j])
        abort();
    t->count++;
    return t->slots[j];
}

const char *sym_demangle(struct symbolizer *s, const char *name)
{
    if (!name)
        return NULL;
    if (strncmp(name, "_Z", 2) != 0)
        return sym_intern(s, name);
    int status = -1;
    char *d = __cxa_demangle(name, NULL, NULL, &status);
    const char *r = sym_intern(s, status == 0 && d ? d : name);
    free(d);
    return r;
}

/* ---- module classification ---- */

static const char *sym_basename(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* System libraries whose frames are marked (not hidden), by basename
 * prefix, with the label the reports show. */
static const struct {
    const char *prefix, *label;
} sym_system_libs[] = {
    {"libc.so", "libc"},
    {"libc-", "libc"},
    {"libpthread", "libpthread"},
    {"ld-linux", "ld.so"},
    {"ld.so", "ld.so"},
    {"ld64.so", "ld.so"},
    {"libdl.so", "libdl"},
    {"librt.so", "librt"},
    {"libm.so", "libm"},
    {"libstdc++.so", "libstdc++"},
    {"libgcc_s.so", "libgcc_s"},
    {"libc++.so", "libc++"},
    {"libc++abi.so", "libc++abi"},
    {"linux-vdso", "vdso"},
    {"linux-gate", "vdso"},
    {"libasan.so", "libasan"},
    {"libtsan.so", "libtsan"},
    {"libubsan.so", "libubsan"},
    {"liblsan.so", "liblsan"},
};

static void sym_classify(struct symbolizer *s, struct sym_file *f)
{
    const char *b = f->short_name;
    if (strncmp(b, "libctrace", 9) == 0 &&
        (b[9] == '.' || b[9] == '-' || b[9] == '\0')) {
        f->ctrace = true;
        f->lib = sym_intern(s, "ctrace");
        return;
    }
    for (size_t i = 0; i < sizeof(sym_system_libs) / sizeof(sym_system_libs[0]);
         i++) {
        const char *p = sym_system_libs[i].prefix;
        if (strncmp(b, p, strlen(p)) == 0) {
            f->system = true;
            f->lib = sym_intern(s, sym_system_libs[i].label);
            return;
        }
    }
}

/* ---- modules ---- */

static size_t sym_file_get(struct symbolizer *s, const char *path,
                           const uint8_t *build_id, uint16_t build_id_len)
{
    const char *ipath = sym_intern(s, path);
    if (build_id_len > sizeof(((struct sym_file *)0)->build_id))
        build_id_len = sizeof(((struct sym_file *)0)->build_id);
    for (size_t i = 0; i < s->nfiles; i++) {
        struct sym_file *f = &s->files[i];
        if (f->path == ipath && f->build_id_len == build_id_len &&
            memcmp(f->build_id, build_id, build_id_len) == 0)
            return i;
    }
    SYM_GROW(s->files, s->nfiles, s->capfiles);
    struct sym_file *f = &s->files[s->nfiles];
    memset(f, 0, sizeof(*f));
    f->path = ipath;
    f->short_name = sym_intern(s, sym_basename(path));
    memcpy(f->build_id, build_id, build_id_len);
    f->build_id_len = build_id_len;
    sym_classify(s, f);
    return s->nfiles++;
}

static size_t sym_map_key_slot(const struct sym_map_key *t, size_t cap,
                               uint32_t proc, uint64_t base, size_t file)
{
    size_t j =
        sym_hash_u64(base ^ ((uint64_t)proc << 32) ^ (file * 31)) & (cap - 1);
    while (t[j].file_plus1 && !(t[j].proc == proc && t[j].base == base &&
                                t[j].file_plus1 == file + 1))
        j = (j + 1) & (cap - 1);
    return j;
}

/* Add (proc, base, file) to the set; false when it was there. */
static bool sym_map_key_insert(struct symbolizer *s, uint32_t proc,
                               uint64_t base, size_t file)
{
    if (2 * (s->nmaps + 1) > s->map_keys_cap) {
        size_t ncap = s->map_keys_cap ? 2 * s->map_keys_cap : 256;
        struct sym_map_key *nt = calloc(ncap, sizeof(*nt));
        if (!nt)
            abort();
        for (size_t i = 0; i < s->map_keys_cap; i++) {
            const struct sym_map_key *k = &s->map_keys[i];
            if (k->file_plus1)
                nt[sym_map_key_slot(nt, ncap, k->proc, k->base,
                                    k->file_plus1 - 1)] = *k;
        }
        free(s->map_keys);
        s->map_keys = nt;
        s->map_keys_cap = ncap;
    }
    size_t j = sym_map_key_slot(s->map_keys, s->map_keys_cap, proc, base, file);
    if (s->map_keys[j].file_plus1)
        return false;
    s->map_keys[j] = (struct sym_map_key){base, proc, (uint32_t)file + 1};
    return true;
}

void sym_add_module(struct symbolizer *s, uint32_t proc,
                    const struct trace_module_info *m, const char *path)
{
    if (!path)
        path = (const char *)(m + 1);
    size_t fi = sym_file_get(s, path, m->build_id, m->build_id_len);
    if (!sym_map_key_insert(s, proc, m->base, fi))
        return;
    SYM_GROW(s->maps, s->nmaps, s->capmaps);
    s->maps[s->nmaps++] = (struct sym_map){
        .proc = proc, .base = m->base, .lo = m->lo, .hi = m->hi, .file = fi};
    s->maps_sorted = false;
}

void sym_add_event(struct symbolizer *s, const struct trace_event *ev,
                   const char *exe)
{
    if (ev->type != TRACE_EV_MODULE_LOAD || !ev->payload ||
        ev->payload_len < sizeof(struct trace_module_info))
        return;
    const struct trace_module_info *m = ev->payload;
    size_t room = ev->payload_len - sizeof(*m);
    const char *p = (const char *)(m + 1);
    char path[4096];
    size_t n = m->path_len < room ? m->path_len : room;
    if (n >= sizeof(path))
        n = sizeof(path) - 1;
    memcpy(path, p, n);
    path[n] = '\0';
    if (path[0] == '\0' && exe)
        snprintf(path, sizeof(path), "%s", exe);
    sym_add_module(s, ev->proc, m, path);
}

int sym_load_trace(struct symbolizer *s, const char *dir, char *err,
                   size_t errlen)
{
    struct trace_error terr;
    struct trace_reader *r = trace_reader_open(dir, &terr);
    if (!r) {
        snprintf(err, errlen, "%s", terr.msg);
        return -1;
    }
    struct trace_event ev;
    int rc;
    for (;;) {
        rc = trace_reader_next(r, &ev, &terr);
        if (rc == 0)
            break;
        if (rc < 0)
            continue; /* corrupt file: the reader goes on with the rest */
        if (ev.type == TRACE_EV_MODULE_LOAD) {
            const struct trace_process *p = trace_reader_process(r, ev.proc);
            sym_add_event(s, &ev, p ? p->exe : NULL);
        }
    }
    trace_reader_close(r);
    return 0;
}

static int sym_map_cmp(const void *a, const void *b)
{
    const struct sym_map *x = a, *y = b;
    if (x->proc != y->proc)
        return x->proc < y->proc ? -1 : 1;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return 0;
}

/* The map of `proc` covering `pc`, or NULL. */
static const struct sym_map *sym_map_find(struct symbolizer *s, uint32_t proc,
                                          uint64_t pc)
{
    if (!s->maps_sorted) {
        if (s->nmaps > 1) /* maps is NULL before the first module */
            qsort(s->maps, s->nmaps, sizeof(*s->maps), sym_map_cmp);
        s->maps_sorted = true;
    }
    /* last map with (proc, lo) <= (proc, pc) */
    size_t lo = 0, hi = s->nmaps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct sym_map *m = &s->maps[mid];
        if (m->proc < proc || (m->proc == proc && m->lo <= pc))
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i-- > 0;) {
        const struct sym_map *m = &s->maps[i];
        if (m->proc != proc)
            break;
        if (pc >= m->lo && pc < m->hi)
            return m;
    }
    return NULL;
}

static const Dwfl_Callbacks *sym_callbacks(struct symbolizer *s)
{
    static Dwfl_Callbacks cb;
    cb.find_elf = dwfl_build_id_find_elf;
    cb.find_debuginfo = dwfl_standard_find_debuginfo;
    cb.section_address = dwfl_offline_section_address;
    cb.debuginfo_path = &s->debuginfo_path;
    return &cb;
}

/* Whether the file libdwfl read is the build the trace recorded. */
static bool sym_build_id_matches(const struct sym_file *f, Dwfl_Module *mod)
{
    if (f->build_id_len > 0) {
        const unsigned char *bits;
        GElf_Addr vaddr;
        int n = dwfl_module_build_id(mod, &bits, &vaddr);
        return n == (int)f->build_id_len &&
               memcmp(bits, f->build_id, f->build_id_len) == 0;
    }
    return true;
}

/* Open a module file named by a trace for reading, or -1.  The path
 * comes from the trace, which may be hostile: a FIFO would block the
 * open or the reads forever, a device may act on being opened, so
 * anything but a regular file of a sane size is refused before it is
 * opened (stat) and again after (fstat: it may have been swapped). */
static int sym_module_fd(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > SYM_MODULE_MAX)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > SYM_MODULE_MAX) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Where a module with f's build id may be found under the standard
 * debuginfo directory: the file itself, then its separate debug file
 * (which has the symbols and DWARF at the same addresses).  false when
 * there is no such place. */
static bool sym_build_id_path(const struct sym_file *f, bool debug, char *buf,
                              size_t len)
{
    if (f->build_id_len < 2)
        return false;
    int n =
        snprintf(buf, len, SYM_DEBUG_DIR "/.build-id/%02x/", f->build_id[0]);
    for (uint16_t i = 1; i < f->build_id_len && n > 0 && (size_t)n < len; i++)
        n += snprintf(buf + n, len - (size_t)n, "%02x", f->build_id[i]);
    if (debug && n > 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, ".debug");
    return n > 0 && (size_t)n < len;
}

/* A fresh session with one module read from `path`, or NULL. */
static Dwfl *sym_session(struct symbolizer *s, const struct sym_file *f,
                         const char *path, Dwfl_Module **mod)
{
    int fd = sym_module_fd(path);
    if (fd < 0)
        return NULL;
    Dwfl *d = dwfl_begin(sym_callbacks(s));
    if (!d) {
        close(fd);
        return NULL;
    }
    *mod = dwfl_report_elf(d, f->short_name, path, fd, 0, true);
    if (!*mod)
        close(fd); /* consumed only on success */
    dwfl_report_end(d, NULL, NULL);
    if (!*mod) {
        dwfl_end(d);
        return NULL;
    }
    return d;
}

/* The module by its recorded build id alone: for modules whose path is
 * gone, holds another build, or is refused (sym_module_fd). */
static Dwfl *sym_session_by_build_id(struct symbolizer *s,
                                     const struct sym_file *f,
                                     Dwfl_Module **mod)
{
    char path[256];
    for (int debug = 0; debug <= 1; debug++) {
        if (!sym_build_id_path(f, debug, path, sizeof path))
            return NULL;
        Dwfl *d = sym_session(s, f, path, mod);
        if (d && sym_build_id_matches(f, *mod))
            return d;
        if (d)
            dwfl_end(d);
    }
    return NULL;
}

/* Open a module file once; leaves f->dwfl NULL when it cannot be used.
 * The recorded path first; by build id when the path is unusable or
 * holds another build. */
static void sym_file_open(struct symbolizer *s, struct sym_file *f)
{
    if (f->opened)
        return;
    f->opened = true;
    Dwfl_Module *mod = NULL;
    Dwfl *d = sym_session(s, f, f->path, &mod);
    if (d && !sym_build_id_matches(f, mod)) {
        f->changed = true;
        dwfl_end(d);
        d = NULL;
    }
    if (!d && (d = sym_session_by_build_id(s, f, &mod)) != NULL)
        f->changed = false;
    if (!d)
        return;
    f->dwfl = d;
    f->mod = mod;
}

/* ---- DWARF: the inline chain at one address ---- */

static bool sym_is_function_tag(int tag)
{
    return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
           tag == DW_TAG_entry_point;
}

static const char *sym_die_name(struct symbolizer *s, Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *name = NULL;
    if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
        dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
        name = dwarf_formstring(&attr);
    if (!name)
        name = dwarf_diename(die);
    if (!name && dwarf_attr_integrate(die, DW_AT_name, &attr))
        name = dwarf_formstring(&attr);
    return name ? sym_demangle(s, name) : NULL;
}

static int sym_die_udata(Dwarf_Die *die, int at)
{
    Dwarf_Attribute attr;
    Dwarf_Word w;
    if (!dwarf_attr(die, at, &attr) || dwarf_formudata(&attr, &w) != 0)
        return 0;
    return (int)w;
}

/* Whether buf[0..o) ends with a ".." component (kept: nothing to drop). */
static bool sym_path_ends_dotdot(const char *buf, size_t o)
{
    return o >= 2 && buf[o - 1] == '.' && buf[o - 2] == '.' &&
           (o == 2 || buf[o - 3] == '/');
}

/* Intern a source path, made absolute against the CU's compilation
 * directory when it is relative (DWARF 5 line tables name files
 * relative to it: "../src/x.c"), with "." and "dir/.." components
 * removed lexically. */
static const char *sym_intern_path(struct symbolizer *s, Dwarf_Die *cu,
                                   const char *file)
{
    char buf[4096], joined[4096];
    size_t o = 0;
    const char *path = file;
    const char *comp_dir = NULL;
    Dwarf_Attribute attr;
    if (file && file[0] != '/' && cu && dwarf_attr(cu, DW_AT_comp_dir, &attr))
        comp_dir = dwarf_formstring(&attr);
    if (comp_dir && comp_dir[0] == '/' &&
        (size_t)snprintf(joined, sizeof(joined), "%s/%s", comp_dir, file) <
            sizeof(joined))
        path = joined;
    if (!path || strlen(path) >= sizeof(buf))
        return sym_intern(s, path);
    bool abs = path[0] == '/';
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        bool dot = n == 1 && p[0] == '.';
        bool dotdot = n == 2 && p[0] == '.' && p[1] == '.';
        if (n == 0 || dot) {
            /* nothing */
        } else if (dotdot && o == 0 && abs) {
            /* "/.." is "/" */
        } else if (dotdot && o > 0 && !sym_path_ends_dotdot(buf, o)) {
            while (o > 0 && buf[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else {
            if (o > 0 || abs)
                buf[o++] = '/';
            memcpy(buf + o, p, n);
            o += n;
        }
        p += n;
    }
    if (o == 0 && abs)
        buf[o++] = '/';
    buf[o] = '\0';
    return sym_intern(s, o ? buf : path);
}

static const char *sym_call_file(struct symbolizer *s, Dwarf_Die *cu,
                                 Dwarf_Die *inl)
{
    Dwarf_Files *files;
    size_t nfiles;
    int idx = sym_die_udata(inl, DW_AT_call_file);
    if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0 || (size_t)idx >= nfiles)
        return NULL;
    return sym_intern_path(s, cu,
                           dwarf_filesrc(files, (size_t)idx, NULL, NULL));
}

/* The scopes at `pc`, innermost first, through the concrete DIE tree:
 * inlined instance, its lexical blocks, the function it was inlined
 * into, and so on up to the CU.  (dwarf_getscopes alone continues an
 * inlined instance through its abstract origin, which loses the caller.)
 * Returns the count, *scopes malloc'ed. */
static int sym_concrete_scopes(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die **scopes)
{
    Dwarf_Die *first = NULL;
    int n = dwarf_getscopes(cu, pc, &first);
    if (n <= 0)
        return n;
    Dwarf_Die innermost = first[0];
    free(first);
    return dwarf_getscopes_die(&innermost, scopes);
}

/* Where the innermost frame is: the line table's answer at addr. */
struct sym_pos {
    const char *file;
    int line, column;
};

static struct sym_pos sym_line_at(struct symbolizer *s, Dwfl_Module *mod,
                                  Dwarf_Die *cu, Dwarf_Addr addr)
{
    struct sym_pos pos = {0};
    Dwfl_Line *ln = dwfl_module_getsrc(mod, addr);
    if (ln) {
        const char *file =
            dwfl_lineinfo(ln, NULL, &pos.line, &pos.column, NULL, NULL);
        pos.file = sym_intern_path(s, cu, file);
    }
    return pos;
}

static struct sym_frame *sym_frame_push(struct symbolizer *s)
{
    SYM_GROW(s->frames, s->nframes, s->capframes);
    struct sym_frame *f = &s->frames[s->nframes++];
    memset(f, 0, sizeof(*f));
    return f;
}

/* Append the frames of in-file address `addr` to s->frames; returns how
 * many (>= 1). */
static uint32_t sym_resolve(struct symbolizer *s, struct sym_file *file,
                            Dwarf_Addr addr)
{
    GElf_Off off;
    GElf_Sym elfsym;
    const char *elfname =
        dwfl_module_addrinfo(file->mod, addr, &off, &elfsym, NULL, NULL, NULL);
    Dwarf_Addr bias = 0;
    Dwarf_Die *cu = dwfl_module_addrdie(file->mod, addr, &bias);
    struct sym_pos pos = sym_line_at(s, file->mod, cu, addr);
    uint32_t n = 0;
    Dwarf_Die *scopes = NULL;
    int nscopes = cu ? sym_concrete_scopes(cu, addr - bias, &scopes) : 0;
    for (int i = 0; i < nscopes && n < SYM_MAX_INLINE; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (!sym_is_function_tag(tag))
            continue;
        struct sym_frame *f = sym_frame_push(s);
        f->function = sym_die_name(s, &scopes[i]);
        f->file = pos.file;
        f->line = pos.line;
        f->column = pos.column;
        n++;
        if (tag != DW_TAG_inlined_subroutine) {
            /* DWARF names the function even in its .cold part; the
               ELF symbol is the fallback */
            if (!f->function && elfname)
                f->function = sym_demangle(s, elfname);
            break;
        }
        f->inlined = true;
        pos.file = sym_call_file(s, cu, &scopes[i]);
        pos.line = sym_die_udata(&scopes[i], DW_AT_call_line);
        pos.column = sym_die_udata(&scopes[i], DW_AT_call_column);
    }
    free(scopes);
    if (n > 0 && s->frames[s->nframes - 1].inlined) {
        /* chain cut short (depth limit or no subprogram scope): the
         * last frame stands for the function itself */
        s->frames[s->nframes - 1].inlined = false;
    }
    if (n == 0) {
        struct sym_frame *f = sym_frame_push(s);
        f->function = elfname ? sym_demangle(s, elfname) : NULL;
        f->file = pos.file;
        f->line = pos.line;
        f->column = pos.column;
        n = 1;
    }
    return n;
}

/* ---- cache ---- */

static struct sym_cache_slot *sym_cache_slot(struct symbolizer *s,
                                             uint32_t file, uint64_t addr)
{
    if (2 * (s->cache_count + 1) > s->cache_cap) {
        size_t ncap = s->cache_cap ? 2 * s->cache_cap : 1024;
        struct sym_cache_slot *nc = calloc(ncap, sizeof(*nc));
        if (!nc)
            abort();
        for (size_t i = 0; i < s->cache_cap; i++) {
            struct sym_cache_slot *o = &s->cache[i];
            if (!o->file_plus1)
                continue;
            size_t j = sym_hash_u64(o->addr * 31 + o->file_plus1) & (ncap - 1);
            while (nc[j].file_plus1)
                j = (j + 1) & (ncap - 1);
            nc[j] = *o;
        }
        free(s->cache);
        s->cache = nc;
        s->cache_cap = ncap;
    }
    size_t j = sym_hash_u64(addr * 31 + file + 1) & (s->cache_cap - 1);
    while (s->cache[j].file_plus1) {
        if (s->cache[j].file_plus1 == file + 1 && s->cache[j].addr == addr)
            return &s->cache[j];
        j = (j + 1) & (s->cache_cap - 1);
    }
    return &s->cache[j]; /* empty: the caller fills it */
}

/* ---- lookups ---- */

static void sym_fill_module(struct sym_frame *f, const struct sym_file *file,
                            uint64_t pc, uint64_t base)
{
    f->pc = pc;
    f->module = file->path;
    f->module_short = file->short_name;
    f->lib = file->lib;
    f->offset = pc - base;
    f->in_system = file->system;
    f->in_ctrace = file->ctrace;
    f->binary_changed = file->changed;
}

/* A Python frame (a pystack.h token): function, file and line
 * as Python named them; the standard library's count as system code. */
static bool sym_python_frame(uint64_t pc, struct sym_frame *f)
{
    uint32_t line;
    if (!pystack_lookup(pc, &f->function, &f->file, &line))
        return false;
    f->line = (int)line;
    f->in_system = pystack_file_is_stdlib(f->file);
    f->lib = f->in_system ? "python" : NULL;
    return true;
}

int sym_lookup(struct symbolizer *s, uint32_t proc, uint64_t pc,
               bool is_return_address, struct sym_frame *out, int max)
{
    if (max < 1)
        return 0;
    memset(&out[0], 0, sizeof(out[0]));
    out[0].pc = pc;
    if (pystack_is_token(pc))
        return sym_python_frame(pc, &out[0]), 1;
    const struct sym_map *m = sym_map_find(s, proc, pc);
    if (!m)
        return 1;
    struct sym_file *file = &s->files[m->file];
    sym_file_open(s, file);
    sym_fill_module(&out[0], file, pc, m->base);
    if (!file->dwfl)
        return 1;

    uint64_t addr = pc - m->base;
    if (is_return_address && addr > 0)
        addr--;
    struct sym_cache_slot *slot = sym_cache_slot(s, (uint32_t)m->file, addr);
    if (!slot->file_plus1) {
        size_t first = s->nframes;
        uint32_t n = sym_resolve(s, file, addr);
        slot->file_plus1 = (uint32_t)m->file + 1;
        slot->addr = addr;
        slot->first = first;
        slot->n = n;
        s->cache_count++;
    }
    int n = (int)slot->n < max ? (int)slot->n : max;
    for (int i = 0; i < n; i++) {
        out[i] = s->frames[slot->first + (size_t)i];
        sym_fill_module(&out[i], file, pc, m->base);
    }
    if (n < (int)slot->n)
        out[n - 1].inlined = false; /* truncated: last shown is the caller */
    return n;
}

bool sym_lookup_data(struct symbolizer *s, uint32_t proc, uint64_t addr,
                     char *buf, size_t len)
{
    const struct sym_map *m = sym_map_find(s, proc, addr);
    if (!m)
        return false;
    struct sym_file *file = &s->files[m->file];
    sym_file_open(s, file);
    if (!file->dwfl)
        return false;
    GElf_Off off;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(file->mod, addr - m->base, &off,
                                            &sym, NULL, NULL, NULL);
    if (!name || GELF_ST_TYPE(sym.st_info) == STT_FUNC)
        return false;
    if (sym.st_size > 0 && off >= sym.st_size)
        return false;
    const char *d = sym_demangle(s, name);
    if (off)
        snprintf(buf, len, "%s+%llu", d, (unsigned long long)off);
    else
        snprintf(buf, len, "%s", d);
    return true;
}

/* ---- formatting ---- */

void sym_frame_format(const struct sym_frame *f, bool short_file, char *buf,
                      size_t len)
{
    char where[512];
    if (f->file && f->line > 0) {
        const char *file = short_file ? sym_basename(f->file) : f->file;
        snprintf(where, sizeof(where), "%s:%d", file, f->line);
    } else if (f->module) {
        snprintf(where, sizeof(where), "%s+0x%llx", f->module_short,
                 (unsigned long long)f->offset);
    } else {
        snprintf(where, sizeof(where), "0x%llx", (unsigned long long)f->pc);
    }
    const char *changed =
        f->binary_changed ? " (binary changed since recording)" : "";
    if (f->function)
        snprintf(buf, len, "%s (%s)%s", f->function, where, changed);
    else
        snprintf(buf, len, "%s%s", where, changed);
}

/* ---- lifetime ---- */

struct symbolizer *sym_new(void)
{
    /* Symbolization is offline: with DEBUGINFOD_URLS set, elfutils would
     * try the network for every module without local debug info.  Only
     * ctrace's own environment changes (a traced program was spawned
     * before any symbolizer exists). */
    unsetenv("DEBUGINFOD_URLS");
    struct symbolizer *s = calloc(1, sizeof(*s));
    if (!s)
        abort();
    return s;
}

void sym_free(struct symbolizer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nfiles; i++)
        if (s->files[i].dwfl)
            dwfl_end(s->files[i].dwfl);
    for (size_t i = 0; i < s->strings.cap; i++)
        free(s->strings.slots[i]);
    free(s->strings.slots);
    free(s->files);
    free(s->maps);
    free(s->map_keys);
    free(s->cache);
    free(s->frames);
    free(s->debuginfo_path);
    free(s);
}
