/* tally: tally_apply_v4 / tally_forget_v4 (tally_v4.lua, the specification)
 * as native Redis module commands, an optional fast path for the worker.
 *
 *   TALLY.APPLY_V4 2 <layout> <log> <bucket-s> <buckets> <ahead> <prefix> <n> [12 args per record]
 *   TALLY.FORGET_V4 1 <layout> <keep-s> <prefix> [recordId base fingerprint]...
 *
 * Same KEYS/ARGV and replies as the Functions, byte for byte, for what it
 * supports. Whatever it does not (layout 3's window, argument forms the
 * worker does not send, stored values Lua would read in ways not matched
 * here) it refuses before writing anything, with an error starting
 * `TALLYLUA `: the worker then sends the batch through FCALL.
 * Apply reads and computes every record first, then writes in the Function's
 * order. Replication: effects, as a Function's, wrapped in MULTI/EXEC.
 * Built against Redis 7.0's module API (redismodule.h of 7.0.15). */
#include "redismodule.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

typedef struct { const char *p; size_t n; } str;
#define S(lit) ((str){lit, sizeof(lit) - 1})
static int streq(str a, str b) { return a.n == b.n && memcmp(a.p, b.p, a.n) == 0; }

/* ---- a per-call bump allocator ---- */
typedef struct chunk { struct chunk *next; size_t used, cap; char data[]; } chunk;
typedef struct { chunk *head; } arena;
static void *aalloc(arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->head->used + n > a->head->cap) {
        size_t cap = n > 262144 ? n : 262144;
        chunk *c = RedisModule_Alloc(sizeof(chunk) + cap);
        c->next = a->head; c->used = 0; c->cap = cap; a->head = c;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}
static str adup(arena *a, const char *p, size_t n) {
    char *d = aalloc(a, n + 1); memcpy(d, p, n); d[n] = 0; return (str){d, n};
}
static void afree(arena *a) {
    while (a->head) { chunk *c = a->head; a->head = c->next; RedisModule_Free(c); }
}

/* ---- a string -> pointer map (open addressing) ---- */
typedef struct { str k; uint64_t h; void *v; } slot;
typedef struct { slot *s; size_t cap, n; } map;
static uint64_t hash(str k) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < k.n; i++) { h ^= (unsigned char)k.p[i]; h *= 1099511628211ULL; }
    return h;
}
static void map_init(map *m, size_t cap) { m->cap = cap; m->n = 0; m->s = RedisModule_Calloc(cap, sizeof(slot)); }
static void **map_slot(map *m, str k, int add) {  /* key must outlive the map */
    if (add && 2 * (m->n + 1) > m->cap) {
        map old = *m; map_init(m, old.cap * 2);
        for (size_t i = 0; i < old.cap; i++) if (old.s[i].k.p) {
            size_t j = old.s[i].h & (m->cap - 1);
            while (m->s[j].k.p) j = (j + 1) & (m->cap - 1);
            m->s[j] = old.s[i]; m->n++;
        }
        RedisModule_Free(old.s);
    }
    uint64_t h = hash(k);
    size_t j = h & (m->cap - 1);
    while (m->s[j].k.p) {
        if (m->s[j].h == h && streq(m->s[j].k, k)) return &m->s[j].v;
        j = (j + 1) & (m->cap - 1);
    }
    if (!add) return NULL;
    m->s[j].k = k; m->s[j].h = h; m->s[j].v = NULL; m->n++;
    return &m->s[j].v;
}

/* ---- exact decimal strings (the rare path) ---- */
static int parts(str s, str *i, str *f) {
    size_t k = 0;
    while (k < s.n && s.p[k] >= '0' && s.p[k] <= '9') k++;
    if (k == 0) return -1;
    *i = (str){s.p, k};
    if (k == s.n) { *f = (str){s.p + k, 0}; return 0; }
    if (s.p[k] != '.') return -1;
    size_t j = k + 1;
    while (j < s.n && s.p[j] >= '0' && s.p[j] <= '9') j++;
    if (j != s.n) return -1;
    *f = (str){s.p + k + 1, s.n - k - 1};
    return 0;
}
static int dec_add(arena *a, str x, str y, str *out) {
    str xi, xf, yi, yf;
    if (parts(x, &xi, &xf) || parts(y, &yi, &yf)) return -1;
    size_t scale = xf.n > yf.n ? xf.n : yf.n, width = xi.n > yi.n ? xi.n : yi.n;
    size_t len = width + scale;
    char *d = aalloc(a, len + 3);   /* carry digit, point, NUL */
    int carry = 0;
    for (size_t k = 0; k < len; k++) {   /* k-th digit from the right */
        int dx = 0, dy = 0;
        if (k < scale) {
            size_t pos = scale - 1 - k;
            if (pos < xf.n) dx = xf.p[pos] - '0';
            if (pos < yf.n) dy = yf.p[pos] - '0';
        } else {
            size_t ik = k - scale;
            if (ik < xi.n) dx = xi.p[xi.n - 1 - ik] - '0';
            if (ik < yi.n) dy = yi.p[yi.n - 1 - ik] - '0';
        }
        int s = dx + dy + carry; carry = s >= 10; if (carry) s -= 10;
        d[len + 1 - k] = '0' + s;    /* digits at d[2 .. len+1] */
    }
    d[1] = '1';
    char *digits = carry ? d + 1 : d + 2;
    size_t n = carry ? len + 1 : len, intlen = n - scale;
    size_t z = 0; while (z + 1 < intlen && digits[z] == '0') z++;   /* '^0+(%d)' -> '%1' */
    char *o = aalloc(a, n + 2); size_t m = 0;
    memcpy(o, digits + z, intlen - z); m = intlen - z;
    if (scale) { o[m++] = '.'; memcpy(o + m, digits + intlen, scale); m += scale; }
    o[m] = 0; *out = (str){o, m};
    return 0;
}
/* n in decimal into buf (at least 21 bytes), without printf's cost: this
 * runs for every integer total a batch writes. Returns the length. */
static int format_int(char *buf, int64_t n) {
    char tmp[24]; int l = 0;
    uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    do { tmp[l++] = (char)('0' + u % 10); u /= 10; } while (u);
    int m = 0;
    if (n < 0) buf[m++] = '-';
    while (l) buf[m++] = tmp[--l];
    return m;
}
static str place_scaled(arena *a, int64_t n, int64_t scale) {
    char buf[64]; int l = format_int(buf, n);
    if (scale == 0) return adup(a, buf, l);
    char *o = aalloc(a, l + scale + 3); size_t m = 0;
    if (l <= scale) { for (int64_t k = 0; k < scale + 1 - l; k++) o[m++] = '0'; }
    memcpy(o + m, buf, l); m += l;
    memmove(o + m - scale + 1, o + m - scale, scale); o[m - scale] = '.'; m++;
    o[m] = 0; return (str){o, m};
}

static const int64_t LIMIT = 1000000000000000LL;   /* 10^15 */
static int ge_limit(int64_t x, int64_t exp10) {    /* x * 10^exp10 >= 10^15 */
    if (x == 0) return 0;
    if (exp10 >= 16) return 1;
    __int128 p = x; for (int64_t k = 0; k < exp10; k++) p *= 10;
    return p >= LIMIT;
}
static int64_t pow10i(int64_t e) { int64_t p = 1; while (e-- > 0) p *= 10; return p; }

static str exact_field_of(arena *a, str f) {
    char *d = aalloc(a, f.n + 1); memcpy(d, f.p, f.n); d[f.n] = 0;
    d[0] = f.p[0] == 'P' ? 'p' : 'n';
    return (str){d, f.n};
}


/* ---- Lua 5.1's table of string keys, to iterate `changed` as pairs() does ----
 * Lua's `changed = {}` gets keys only by assignment (never removed); pairs()
 * walks its node vector in index order. Emulated: the string hash of
 * Redis's deps/lua lstring.c (Redis hashes every byte: step 1, not Lua's
 * (l>>5)+1), and ltable.c's newkey / getfreepos / rehash / resize. Checked
 * against EVAL on redis-server 7.0.15 (redis-module-diff.py, hashtable check). */
typedef struct { int used; int next; unsigned h; str k; } lnode;
typedef struct { lnode *node; int size; int lastfree; int count; } ltable;   /* size 0: dummynode */
static unsigned lua_hash(str s) {
    unsigned h = (unsigned)s.n; size_t step = 1;
    for (size_t l1 = s.n; l1 >= step; l1 -= step) h = h ^ ((h << 5) + (h >> 2) + (unsigned char)s.p[l1 - 1]);
    return h;
}
static void lt_insert(arena *a, ltable *t, str k, unsigned h);
static void lt_resize(arena *a, ltable *t, int nhsize) {
    lnode *old = t->node; int oldsize = t->size;
    int size = 1; while (size < nhsize) size <<= 1;   /* twoto(ceillog2(n)) */
    t->node = aalloc(a, size * sizeof(lnode)); memset(t->node, 0, size * sizeof(lnode));
    for (int i = 0; i < size; i++) t->node[i].next = -1;
    t->size = size; t->lastfree = size; t->count = 0;
    for (int i = oldsize - 1; i >= 0; i--) if (old[i].used) lt_insert(a, t, old[i].k, old[i].h);
}
static void lt_insert(arena *a, ltable *t, str k, unsigned h) {   /* k not present */
    if (t->size == 0) { lt_resize(a, t, t->count + 1); lt_insert(a, t, k, h); return; }
    int mp = (int)(h & (unsigned)(t->size - 1));
    if (t->node[mp].used) {
        int n = -1;
        while (t->lastfree-- > 0) if (!t->node[t->lastfree].used) { n = t->lastfree; break; }
        if (n < 0) { t->lastfree = 0; lt_resize(a, t, t->count + 1); lt_insert(a, t, k, h); return; }
        int othern = (int)(t->node[mp].h & (unsigned)(t->size - 1));
        if (othern != mp) {
            while (t->node[othern].next != mp) othern = t->node[othern].next;
            t->node[othern].next = n;
            t->node[n] = t->node[mp];
            t->node[mp].next = -1; t->node[mp].used = 0;
        } else {
            t->node[n].next = t->node[mp].next;
            t->node[mp].next = n;
            mp = n;
        }
    }
    t->node[mp].used = 1; t->node[mp].k = k; t->node[mp].h = h; t->count++;
}

/* ---- summaries ---- */
typedef struct { int kind; int64_t num; str s; } val;   /* kind 0 absent, 1 integer, 2 text */
typedef struct { str name; val v; } chg;
typedef struct summary {
    str key; const char *error;
    int nflat, capflat; str *flat;          /* field, value, ... in HGETALL's order */
    int nchg, capchg; chg *chg;             /* in assignment order */
    ltable order;                           /* pairs() order of chg's names */
    int unchanged, had_count, has_raw; str raw;
    RedisModuleString *key_object;          /* kept for the HSET */
} summary;
typedef struct { int type, hit; } stats;

typedef struct {
    RedisModuleCtx *rctx; arena a;
    map summaries, claimed, stats, refs;
    summary **order; int norder, caporder;
    long long now, oldest, newest;
    int batched, log_type; str *logged; int nlogged;
    RedisModuleString *log_key;
    RedisModuleString **claim_keys; long long nclaim_keys;   /* made once: read by MGET, written by the claims */
    map names;                              /* field name -> its RedisModuleString, shared by every HSET */
    const char *tallylua;                   /* set: refuse the call */
} call;

static void flat_push(arena *a, summary *e, const char *p, size_t l, const char *q, size_t m) {
    if (e->nflat + 2 > e->capflat) {
        int cap = e->capflat ? e->capflat * 2 : 32;
        str *n = aalloc(a, cap * sizeof(str));
        if (e->nflat) memcpy(n, e->flat, e->nflat * sizeof(str));
        e->flat = n; e->capflat = cap;
    }
    e->flat[e->nflat++] = adup(a, p, l);
    e->flat[e->nflat++] = adup(a, q, m);
}
typedef struct { summary *e; arena *a; } scan_data;
static void scan_cb(RedisModuleKey *key, RedisModuleString *field, RedisModuleString *value, void *priv) {
    (void)key; scan_data *d = priv;
    size_t l, m; const char *p = RedisModule_StringPtrLen(field, &l), *q = RedisModule_StringPtrLen(value, &m);
    flat_push(d->a, d->e, p, l, q, m);
}

static const char *WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
/* The Function's per-record failure texts: error(entry.error) in summary()
 * (tally_v4.lua line 122, first read; line 115, cached), redis.call errors bare. */
static const char *FAIL_FIRST = "user_function:122: WRONGTYPE Operation against a key holding the wrong kind of value";
static const char *FAIL_CACHED = "user_function:115: WRONGTYPE Operation against a key holding the wrong kind of value";

static RedisModuleString *mkstr(call *c, str s) { return RedisModule_CreateString(c->rctx, s.p, s.n); }
/* A summary field's name as a RedisModuleString, made once per call: the
 * same few names ("count", "P:kWh", ...) are in every summary written. */
static RedisModuleString *name_object(call *c, str name) {
    void **slot = map_slot(&c->names, name, 1);
    if (!*slot) *slot = mkstr(c, name);
    return *slot;
}

/* The summary of `key` as this call keeps it: HGETALL once, in HGETALL's
 * order. RM_ScanKey walks a listpack hash in one call, in its order (what
 * HGETALL returns) and returns 0; a hashtable hash (dictScan: another order)
 * returns 1 on its first call: then its fields are read by HGETALL itself. */
static summary *summary_of(call *c, str key, const char **err) {
    void **s = map_slot(&c->summaries, key, 0);
    if (s) {
        summary *e = *s;
        if (e->error) { *err = FAIL_CACHED; return NULL; }
        return e;
    }
    summary *e = aalloc(&c->a, sizeof(summary));
    memset(e, 0, sizeof *e);
    e->key = adup(&c->a, key.p, key.n);
    e->unchanged = 1;
    *map_slot(&c->summaries, e->key, 1) = e;
    RedisModuleString *k = mkstr(c, key);
    RedisModuleKey *h = RedisModule_OpenKey(c->rctx, k, REDISMODULE_READ);
    int type = RedisModule_KeyType(h);
    if (type == REDISMODULE_KEYTYPE_HASH) {
        RedisModuleScanCursor *cur = RedisModule_ScanCursorCreate();
        scan_data d = {e, &c->a};
        int more = RedisModule_ScanKey(h, cur, scan_cb, &d);
        RedisModule_ScanCursorDestroy(cur);
        RedisModule_CloseKey(h); h = NULL;
        if (more) {   /* hashtable: HGETALL's own order */
            e->nflat = 0;
            RedisModuleCallReply *rep = RedisModule_Call(c->rctx, "HGETALL", "s", k);
            if (!rep || RedisModule_CallReplyType(rep) != REDISMODULE_REPLY_ARRAY) c->tallylua = "TALLYLUA cannot read a summary";
            else {
                size_t n = RedisModule_CallReplyLength(rep);
                for (size_t i = 0; i + 1 < n; i += 2) {
                    size_t l, m;
                    const char *p = RedisModule_CallReplyStringPtr(RedisModule_CallReplyArrayElement(rep, i), &l);
                    const char *q = RedisModule_CallReplyStringPtr(RedisModule_CallReplyArrayElement(rep, i + 1), &m);
                    flat_push(&c->a, e, p, l, q, m);
                }
            }
            if (rep) RedisModule_FreeCallReply(rep);
        }
    } else if (type != REDISMODULE_KEYTYPE_EMPTY) {
        e->error = WRONGTYPE;
    }
    if (h) RedisModule_CloseKey(h);
    if (e->error) { RedisModule_FreeString(c->rctx, k); *err = FAIL_FIRST; return NULL; }
    e->key_object = k;
    if (c->norder == c->caporder) {
        c->caporder = c->caporder ? c->caporder * 2 : 64;
        c->order = RedisModule_Realloc(c->order, c->caporder * sizeof(summary *));
    }
    c->order[c->norder++] = e;
    return e;
}

static chg *changed_of(summary *e, str f) {
    for (int i = 0; i < e->nchg; i++) if (streq(e->chg[i].name, f)) return &e->chg[i];
    return NULL;
}
static val value_of(summary *e, str f) {
    chg *c = changed_of(e, f);
    if (c) return c->v;
    for (int i = 0; i < e->nflat; i += 2) if (streq(e->flat[i], f)) return (val){2, 0, e->flat[i + 1]};
    return (val){0, 0, {0, 0}};
}
static str text_of(arena *a, val v) {
    if (v.kind == 2) return v.s;
    char buf[24]; int n = format_int(buf, v.num);
    return adup(a, buf, n);
}
static int all_digits(str s) {
    if (s.n == 0) return 0;
    for (size_t i = 0; i < s.n; i++) if (s.p[i] < '0' || s.p[i] > '9') return 0;
    return 1;
}
/* A stored count / total / scale as Lua's tonumber reads it, for the
 * forms matched exactly: plain digits, value below `limit`. Anything else
 * (which Lua reads otherwise or raises on): refuse the call. */
static int stored_digits(call *c, val v, int64_t limit, int64_t *out) {
    if (v.kind == 0) { *out = 0; return 0; }
    if (v.kind == 1) { *out = v.num; return 0; }
    if (!all_digits(v.s) || v.s.n > 16) { c->tallylua = "TALLYLUA stored summary value not plain digits"; return -1; }
    int64_t n = 0;
    for (size_t i = 0; i < v.s.n; i++) n = n * 10 + (v.s.p[i] - '0');
    if (n >= limit) { c->tallylua = "TALLYLUA stored summary value out of range"; return -1; }
    *out = n; return 0;
}
static int exact_add(call *c, val cur, str amount, str *out) {
    if (dec_add(&c->a, cur.kind ? text_of(&c->a, cur) : S("0"), amount, out)) {
        c->tallylua = "TALLYLUA stored exact total not a plain decimal"; return -1;
    }
    return 0;
}

typedef struct { int64_t count; int n; str f[3]; val v[3]; } upd;
static void upd_add(upd *u, str f, val v) { u->f[u->n] = f; u->v[u->n] = v; u->n++; }

/* updates() of tally_v4.lua: the fields a record changes, in the order
 * commit() assigns them (count first). -1: refuse the call. */
static int updates(call *c, summary *e, str field, str scale_field, str scale, str amount,
                   int64_t amount_scale, int64_t significand, upd *u) {
    arena *a = &c->a;
    val count = {0}, total_v = {0}, scale_v = {0};
    chg *ch;
    if ((ch = changed_of(e, S("count")))) count = ch->v;
    if ((ch = changed_of(e, field))) total_v = ch->v;
    if ((ch = changed_of(e, scale_field))) scale_v = ch->v;
    if (!count.kind || !total_v.kind || !scale_v.kind) {
        for (int i = 0; i < e->nflat; i += 2) {
            str f = e->flat[i];
            if (streq(f, S("count"))) { if (!count.kind) count = (val){2, 0, e->flat[i + 1]}; }
            else if (streq(f, field)) { if (!total_v.kind) total_v = (val){2, 0, e->flat[i + 1]}; }
            else if (streq(f, scale_field)) { if (!scale_v.kind) scale_v = (val){2, 0, e->flat[i + 1]}; }
            if (count.kind && total_v.kind && scale_v.kind) break;
        }
    }
    e->had_count = count.kind != 0;
    int64_t n;
    if (stored_digits(c, count, LIMIT, &n)) return -1;
    u->count = n + 1; u->n = 0;
    if (scale.n == 0) {
        str exact = exact_field_of(a, field), sum;
        if (exact_add(c, value_of(e, exact), amount, &sum)) return -1;
        upd_add(u, exact, (val){2, 0, sum});
        return 0;
    }
    int64_t total, total_scale;
    if (stored_digits(c, total_v, 1LL << 53, &total)) return -1;
    if (stored_digits(c, scale_v, 19, &total_scale)) return -1;
    str exact_field = {0, 0}, exact = {0, 0};
    int new_scale = 0;
    if (amount_scale > total_scale) {
        if (ge_limit(total, amount_scale - total_scale)) {
            exact_field = exact_field_of(a, field);
            if (exact_add(c, value_of(e, exact_field), place_scaled(a, total, total_scale), &exact)) return -1;
            total = 0;
        } else {
            total *= pow10i(amount_scale - total_scale);
        }
        new_scale = 1; total_scale = amount_scale;
    } else if (amount_scale < total_scale) {
        if (ge_limit(significand, total_scale - amount_scale)) {
            exact_field = exact_field_of(a, field);
            if (exact_add(c, value_of(e, exact_field), place_scaled(a, significand, amount_scale), &exact)) return -1;
            upd_add(u, exact_field, (val){2, 0, exact});
            return 0;
        }
        significand *= pow10i(total_scale - amount_scale);
    }
    if (total >= LIMIT) {
        if (!exact_field.p) exact_field = exact_field_of(a, field);
        val cur = exact.p ? (val){2, 0, exact} : value_of(e, exact_field);
        if (exact_add(c, cur, place_scaled(a, total, total_scale), &exact)) return -1;
        total = 0;
    }
    upd_add(u, field, (val){1, total + significand, {0, 0}});
    if (new_scale) upd_add(u, scale_field, (val){2, 0, scale});
    if (exact_field.p) upd_add(u, exact_field, (val){2, 0, exact});
    return 0;
}

static void commit(call *c, summary *e, upd *u) {
    str fs[4]; val vs[4]; int n = 0;
    fs[n] = S("count"); vs[n++] = (val){1, u->count, {0, 0}};
    for (int i = 0; i < u->n; i++) { fs[n] = u->f[i]; vs[n++] = u->v[i]; }
    for (int i = 0; i < n; i++) {
        chg *ch = changed_of(e, fs[i]);
        if (ch) { ch->v = vs[i]; continue; }
        if (e->nchg == e->capchg) {
            int cap = e->capchg ? e->capchg * 2 : 8;
            chg *nc = aalloc(&c->a, cap * sizeof(chg));
            if (e->nchg) memcpy(nc, e->chg, e->nchg * sizeof(chg));
            e->chg = nc; e->capchg = cap;
        }
        e->chg[e->nchg].name = fs[i];
        e->chg[e->nchg++].v = vs[i];
        lt_insert(&c->a, &e->order, fs[i], lua_hash(fs[i]));
    }
    e->unchanged = 0;
}

/* The changed fields in pairs() order. */
static int changed_in_order(summary *e, chg **out) {
    int n = 0;
    for (int i = 0; i < e->order.size; i++) if (e->order.node[i].used) out[n++] = changed_of(e, e->order.node[i].k);
    return n;
}

/* raw() of tally_v4.lua: fields and values, newline-separated. */
static str raw_of(call *c, summary *e) {
    if (e->unchanged && e->has_raw) return e->raw;
    int parts_n = 0;
    str *tmp = aalloc(&c->a, (e->nflat + 2 * e->nchg + 1) * sizeof(str));
    for (int i = 0; i < e->nflat; i += 2) {
        if (!e->unchanged && changed_of(e, e->flat[i])) continue;
        tmp[parts_n++] = e->flat[i]; tmp[parts_n++] = e->flat[i + 1];
    }
    if (!e->unchanged) {
        chg **ord = aalloc(&c->a, (e->nchg + 1) * sizeof(chg *));
        int m = changed_in_order(e, ord);
        for (int i = 0; i < m; i++) { tmp[parts_n++] = ord[i]->name; tmp[parts_n++] = text_of(&c->a, ord[i]->v); }
    }
    size_t len = 0;
    for (int i = 0; i < parts_n; i++) len += tmp[i].n + 1;
    char *o = aalloc(&c->a, len + 1); size_t m = 0;
    for (int i = 0; i < parts_n; i++) {
        if (i) o[m++] = '\n';
        memcpy(o + m, tmp[i].p, tmp[i].n); m += tmp[i].n;
    }
    o[m] = 0;
    str r = {o, m};
    if (e->unchanged) { e->raw = r; e->has_raw = 1; }
    return r;
}

static str arg(RedisModuleString **argv, int i) {
    size_t n; const char *p = RedisModule_StringPtrLen(argv[i], &n); return (str){p, n};
}
/* A canonical integer (what the worker sends): -?[1-9][0-9]* or 0, at most 15 digits. */
static int parse_int(str s, long long *out) {
    size_t i = 0; int neg = 0;
    if (s.n && s.p[0] == '-') { neg = 1; i = 1; }
    size_t d = s.n - i;
    if (d == 0 || d > 15) return -1;
    if (s.p[i] == '0' && (d > 1 || neg)) return -1;
    long long n = 0;
    for (; i < s.n; i++) { if (s.p[i] < '0' || s.p[i] > '9') return -1; n = n * 10 + (s.p[i] - '0'); }
    *out = neg ? -n : n; return 0;
}
static str cat(arena *a, str x, str y, str z) {
    char *d = aalloc(a, x.n + y.n + z.n + 1);
    memcpy(d, x.p, x.n); memcpy(d + x.n, y.p, y.n); memcpy(d + x.n + y.n, z.p, z.n);
    d[x.n + y.n + z.n] = 0; return (str){d, x.n + y.n + z.n};
}

enum { RECORD_ID, FINGERPRINT, BASE, REFERENCE, FIELD, SCALE_FIELD, SCALE, AMOUNT, THRESHOLD, TIME, RECORD, V3_SHARD, RECORD_ARGS };

/* effect: 0 none, 1 HINCRBY <base>:stats conflicts 1, 2 XADD <log> * record <json> */
typedef struct { const char *status; str detail; int effect; str key; } reply;
typedef struct { str claim_key, stored; RedisModuleString *key; } newclaim;
typedef struct { str refs_key, reference; } newref;

static int key_type(call *c, str key) {
    RedisModuleString *k = mkstr(c, key);
    RedisModuleKey *h = RedisModule_OpenKey(c->rctx, k, REDISMODULE_READ);
    int t = RedisModule_KeyType(h);
    RedisModule_CloseKey(h); RedisModule_FreeString(c->rctx, k);
    return t;
}

/* Whether HINCRBY <key> conflicts 1 succeeds now, given the ones before in this call. */
static int conflict_counted(call *c, str key) {
    void **s = map_slot(&c->stats, key, 0);
    stats *st;
    if (s) st = *s;
    else {
        st = aalloc(&c->a, sizeof *st); memset(st, 0, sizeof *st);
        str k = adup(&c->a, key.p, key.n);
        *map_slot(&c->stats, k, 1) = st;
        RedisModuleString *ks = mkstr(c, key);
        RedisModuleKey *h = RedisModule_OpenKey(c->rctx, ks, REDISMODULE_READ);
        st->type = RedisModule_KeyType(h);
        if (st->type == REDISMODULE_KEYTYPE_HASH) {
            RedisModuleString *v = NULL;
            RedisModule_HashGet(h, REDISMODULE_HASH_CFIELDS, "conflicts", &v, NULL);
            if (v) {
                long long n;   /* HINCRBY's to count: what it would refuse, the Function answers */
                if (parse_int(arg(&v, 0), &n)) c->tallylua = "TALLYLUA stats conflicts not a plain integer";
                RedisModule_FreeString(c->rctx, v);
            }
        }
        RedisModule_CloseKey(h); RedisModule_FreeString(c->rctx, ks);
    }
    if (st->type != REDISMODULE_KEYTYPE_EMPTY && st->type != REDISMODULE_KEYTYPE_HASH) return 0;
    st->type = REDISMODULE_KEYTYPE_HASH; st->hit = 1;
    return 1;
}

/* apply_one() of tally_v4.lua, computing only: writes are noted in `r`
 * (HINCRBY, an unbatched XADD) or the call's lists, made after every record. */
static void apply_one(call *c, RedisModuleString **argv, int at, str claim, str claim_key, RedisModuleString *claim_object,
                      newclaim *nc, int *nnc, newref *nr, int *nnr, reply *r) {
    arena *a = &c->a;
    str rid = arg(argv, at + RECORD_ID), fp = arg(argv, at + FINGERPRINT), base = arg(argv, at + BASE);
    r->effect = 0;
    void **mine = map_slot(&c->claimed, rid, 0);
    if (mine) claim = *(str *)*mine;
    if (claim.p) {
        str head = {claim.p, claim.n < 16 ? claim.n : 16};
        if (!streq(head, fp)) {
            str stats_key = cat(a, base, S(":stats"), S(""));
            if (!conflict_counted(c, stats_key)) { r->status = "failed"; r->detail = (str){WRONGTYPE, strlen(WRONGTYPE)}; return; }
            r->effect = 1; r->key = stats_key;
            r->status = "conflict"; r->detail = S(""); return;
        }
        if (claim.n > 16) { r->status = "pending"; r->detail = claim; return; }
        r->status = "duplicate"; r->detail = S(""); return;
    }
    long long t;
    parse_int(arg(argv, at + TIME), &t);   /* checked by the caller */
    if (t < c->oldest) { r->status = "outside-window"; r->detail = S("old"); return; }
    if (t > c->newest) { r->status = "outside-window"; r->detail = S("future"); return; }

    str reference = arg(argv, at + REFERENCE);
    const char *err = NULL;
    str ref_key = cat(a, base, S(":ref:"), reference);
    summary *ref = summary_of(c, ref_key, &err);
    if (!ref) { r->status = "failed"; r->detail = (str){err, strlen(err)}; return; }
    str sum_key = cat(a, base, S(":sum"), S(""));
    summary *sum = summary_of(c, sum_key, &err);
    if (!sum) { r->status = "failed"; r->detail = (str){err, strlen(err)}; return; }
    if (c->tallylua) return;

    str field = arg(argv, at + FIELD), scale_field = arg(argv, at + SCALE_FIELD);
    str scale = arg(argv, at + SCALE), amount = arg(argv, at + AMOUNT);
    long long amount_scale = 0, significand = 0;
    if (scale.n) { parse_int(scale, &amount_scale); for (size_t i = 0; i < amount.n; i++) significand = significand * 10 + (amount.p[i] - '0'); }
    upd ru, su;
    if (updates(c, ref, field, scale_field, scale, amount, amount_scale, significand, &ru) ||
        updates(c, sum, field, scale_field, scale, amount, amount_scale, significand, &su)) return;
    int first_of_reference = !ref->had_count;
    str refs_key = {0, 0};
    if (first_of_reference) {   /* SISMEMBER: only its type check matters */
        refs_key = cat(a, base, S(":refs"), S(""));
        void **seen = map_slot(&c->refs, refs_key, 1);
        if (!*seen) *seen = (void *)1;
        int type = key_type(c, refs_key);
        if (type != REDISMODULE_KEYTYPE_EMPTY && type != REDISMODULE_KEYTYPE_SET) {
            r->status = "failed"; r->detail = (str){WRONGTYPE, strlen(WRONGTYPE)}; return;
        }
    }
    str record = arg(argv, at + RECORD), threshold = arg(argv, at + THRESHOLD);
    str raw = raw_of(c, ref);
    size_t len = fp.n + 1 + threshold.n + 1 + record.n + 1 + raw.n;
    char *st = aalloc(a, len + 1), *o = st;
    memcpy(o, fp.p, fp.n); o += fp.n; *o++ = 'S';
    memcpy(o, threshold.p, threshold.n); o += threshold.n; *o++ = '\n';
    memcpy(o, record.p, record.n); o += record.n; *o++ = '\n';
    memcpy(o, raw.p, raw.n); o += raw.n; *o = 0;
    str stored = {st, len};
    if (c->batched) {
        c->logged[c->nlogged++] = record;
    } else {
        if (c->log_type != REDISMODULE_KEYTYPE_EMPTY && c->log_type != REDISMODULE_KEYTYPE_STREAM) {
            r->status = "failed"; r->detail = (str){WRONGTYPE, strlen(WRONGTYPE)}; return;
        }
        c->log_type = REDISMODULE_KEYTYPE_STREAM;
        r->effect = 2; r->key = record;
    }
    commit(c, ref, &ru);
    commit(c, sum, &su);
    if (first_of_reference) { nr[*nnr].refs_key = refs_key; nr[*nnr].reference = reference; (*nnr)++; }
    nc[*nnc].claim_key = claim_key; nc[*nnc].stored = stored; nc[*nnc].key = claim_object;
    str *sp = aalloc(a, sizeof(str)); *sp = stored;
    *map_slot(&c->claimed, rid, 1) = sp;
    (*nnc)++;
    r->status = "applied"; r->detail = stored;
}

/* XADD <log> * <field> <value>, natively, replicated with the ID it got. */
static int xadd(call *c, str field, str value) {
    RedisModuleKey *k = RedisModule_OpenKey(c->rctx, c->log_key, REDISMODULE_READ | REDISMODULE_WRITE);
    RedisModuleString *fv[2] = {mkstr(c, field), mkstr(c, value)};
    RedisModuleStreamID id;
    int ok = RedisModule_StreamAdd(k, REDISMODULE_STREAM_ADD_AUTOID, &id, fv, 1) == REDISMODULE_OK;
    RedisModule_CloseKey(k);
    if (ok) {
        char buf[48]; int l = snprintf(buf, sizeof buf, "%llu-%llu", (unsigned long long)id.ms, (unsigned long long)id.seq);
        RedisModule_Replicate(c->rctx, "XADD", "sbss", c->log_key, buf, (size_t)l, fv[0], fv[1]);
        RedisModule_NotifyKeyspaceEvent(c->rctx, REDISMODULE_NOTIFY_STREAM, "xadd", c->log_key);
    }
    RedisModule_FreeString(c->rctx, fv[0]); RedisModule_FreeString(c->rctx, fv[1]);
    return ok;
}

static void call_free(call *c) {
    for (int i = 0; i < c->norder; i++) RedisModule_FreeString(c->rctx, c->order[i]->key_object);
    for (long long i = 0; i < c->nclaim_keys; i++) RedisModule_FreeString(c->rctx, c->claim_keys[i]);
    RedisModule_Free(c->claim_keys);
    for (size_t i = 0; i < c->names.cap; i++) if (c->names.s[i].k.p) RedisModule_FreeString(c->rctx, c->names.s[i].v);
    RedisModule_Free(c->names.s);
    afree(&c->a); RedisModule_Free(c->summaries.s); RedisModule_Free(c->claimed.s);
    RedisModule_Free(c->stats.s); RedisModule_Free(c->refs.s); RedisModule_Free(c->order);
}

/* A record's arguments in the forms the worker sends (ApplyBatchCall.swift). */
static int worker_shaped(RedisModuleString **argv, int at) {
    str field = arg(argv, at + FIELD), scale_field = arg(argv, at + SCALE_FIELD);
    str scale = arg(argv, at + SCALE), amount = arg(argv, at + AMOUNT);
    long long v;
    if (field.n < 2 || (field.p[0] != 'P' && field.p[0] != 'N') || field.p[1] != ':') return 0;
    if (scale_field.n != field.n + 1 || scale_field.p[0] != field.p[0] || scale_field.p[1] != 's' ||
        memcmp(scale_field.p + 2, field.p + 1, field.n - 1) != 0) return 0;
    if (scale.n) {
        if (parse_int(scale, &v) || v < 0 || v > 18) return 0;
        if (!all_digits(amount) || amount.n > 15) return 0;
    } else {
        str i, f;
        if (parts(amount, &i, &f)) return 0;
    }
    if (parse_int(arg(argv, at + TIME), &v)) return 0;
    return 1;
}

static int refuse(RedisModuleCtx *ctx, const char *why) { return RedisModule_ReplyWithError(ctx, why); }

static int Apply(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc < 9) return refuse(ctx, "TALLYLUA arguments not in tally_apply_v4's shape");
    long long nk, bucket_seconds, buckets, ahead, count;
    if (parse_int(arg(argv, 1), &nk) || nk != 2 || parse_int(arg(argv, 4), &bucket_seconds) || bucket_seconds <= 0 ||
        parse_int(arg(argv, 5), &buckets) || buckets <= 0 || parse_int(arg(argv, 6), &ahead) || ahead < 0 ||
        parse_int(arg(argv, 8), &count) || count < 0 || count > (argc - 9) / RECORD_ARGS ||
        argc != 9 + count * RECORD_ARGS)
        return refuse(ctx, "TALLYLUA arguments not in tally_apply_v4's shape");
    for (long long i = 0; i < count; i++)
        if (!worker_shaped(argv, 9 + (int)i * RECORD_ARGS)) return refuse(ctx, "TALLYLUA a record's arguments not in the worker's forms");
    str prefix = arg(argv, 7);

    /* HMGET <layout> version v3-switched-at v3-pending log */
    RedisModuleKey *lk = RedisModule_OpenKey(ctx, argv[2], REDISMODULE_READ);
    RedisModuleString *version = NULL, *switched = NULL, *pending = NULL, *log = NULL;
    int lt = RedisModule_KeyType(lk);
    if (lt != REDISMODULE_KEYTYPE_EMPTY && lt != REDISMODULE_KEYTYPE_HASH) {   /* the Function's error names its line */
        RedisModule_CloseKey(lk); return refuse(ctx, "TALLYLUA the layout key is not a hash");
    }
    /* Lua adds integers exactly below 2^53: past that (no worker's
     * settings come near), the Function's arithmetic is its own. */
    if ((__int128)bucket_seconds * buckets + ahead + 1 > ((__int128)1 << 53)) {
        RedisModule_CloseKey(lk); return refuse(ctx, "TALLYLUA dedup settings beyond 2^53 seconds");
    }
    if (lt == REDISMODULE_KEYTYPE_HASH)
        RedisModule_HashGet(lk, REDISMODULE_HASH_CFIELDS, "version", &version, "v3-switched-at", &switched,
                            "v3-pending", &pending, "log", &log, NULL);
    int is4 = version && streq(arg(&version, 0), S("4"));
    long long now = RedisModule_Milliseconds() / 1000;
    const char *why = NULL;
    if (is4 && pending && streq(arg(&pending, 0), S("migrating"))) why = "TALLYLUA layout 3 pending outcomes still being moved; use the Function";
    if (is4 && !why && switched) {
        long long s;
        if (parse_int(arg(&switched, 0), &s) || s < 0) why = "TALLYLUA v3-switched-at not a plain integer; use the Function";
        else if (now < s + bucket_seconds * buckets + ahead + 1) why = "TALLYLUA layout 3 claim buckets still live; use the Function";
    }
    int batched = log && streq(arg(&log, 0), S("batches"));
    if (!is4) {   /* the Function's words */
        RedisModuleString *e = RedisModule_CreateString(ctx, "TRYAGAIN this Redis holds tally layout ", 39);
        if (version) RedisModule_StringAppendBuffer(ctx, e, arg(&version, 0).p, arg(&version, 0).n);
        else RedisModule_StringAppendBuffer(ctx, e, "3", 1);
        str tail = S(", not 4; the worker applies with tally_apply_v3 until `tally store upgrade`");
        RedisModule_StringAppendBuffer(ctx, e, tail.p, tail.n);
        size_t n; const char *p = RedisModule_StringPtrLen(e, &n);
        char *text = RedisModule_Alloc(n + 1); memcpy(text, p, n); text[n] = 0;
        RedisModule_ReplyWithError(ctx, text);
        RedisModule_Free(text); RedisModule_FreeString(ctx, e);
    }
    if (version) RedisModule_FreeString(ctx, version);
    if (switched) RedisModule_FreeString(ctx, switched);
    if (pending) RedisModule_FreeString(ctx, pending);
    if (log) RedisModule_FreeString(ctx, log);
    if (!is4) { RedisModule_CloseKey(lk); return REDISMODULE_OK; }   /* replied above */
    if (why) { RedisModule_CloseKey(lk); return refuse(ctx, why); }

    call c; memset(&c, 0, sizeof c);
    c.rctx = ctx; c.now = now; c.oldest = now - bucket_seconds * (buckets - 1); c.newest = now + ahead;
    c.log_key = argv[3];
    {
        RedisModuleKey *k = RedisModule_OpenKey(ctx, argv[3], REDISMODULE_READ);
        c.log_type = RedisModule_KeyType(k);
        RedisModule_CloseKey(k);
    }
    if (batched && c.log_type == REDISMODULE_KEYTYPE_STREAM) {   /* every consumer group registered as reader:<group> */
        RedisModuleCallReply *g = RedisModule_Call(ctx, "XINFO", "cs", "GROUPS", argv[3]);
        if (g && RedisModule_CallReplyType(g) == REDISMODULE_REPLY_ARRAY) {
            size_t ng = RedisModule_CallReplyLength(g);
            for (size_t i = 0; i < ng && batched; i++) {
                RedisModuleCallReply *grp = RedisModule_CallReplyArrayElement(g, i);
                size_t nf = RedisModule_CallReplyLength(grp);
                for (size_t j = 0; j + 1 < nf; j += 2) {
                    size_t l; const char *p = RedisModule_CallReplyStringPtr(RedisModule_CallReplyArrayElement(grp, j), &l);
                    if (p && l == 4 && !memcmp(p, "name", 4)) {
                        size_t gl; const char *gp = RedisModule_CallReplyStringPtr(RedisModule_CallReplyArrayElement(grp, j + 1), &gl);
                        RedisModuleString *f = RedisModule_CreateStringPrintf(ctx, "reader:");
                        RedisModule_StringAppendBuffer(ctx, f, gp, gl);
                        RedisModuleString *reg = NULL;
                        RedisModule_HashGet(lk, REDISMODULE_HASH_NONE, f, &reg, NULL);
                        if (!reg) batched = 0; else RedisModule_FreeString(ctx, reg);
                        RedisModule_FreeString(ctx, f);
                    }
                }
            }
        }
        if (g) RedisModule_FreeCallReply(g);
    }
    RedisModule_CloseKey(lk);
    c.batched = batched;
    if (!batched && c.log_type == REDISMODULE_KEYTYPE_STREAM) {
        /* An XADD that fails for want of IDs (last ID near 2^64-1 in either
         * part): the Function fails a record there (unbatched; batched, the
         * whole call fails with TRYAGAIN, as here); refused. */
        RedisModuleCallReply *info = RedisModule_Call(ctx, "XINFO", "cs", "STREAM", argv[3]);
        if (info && RedisModule_CallReplyType(info) == REDISMODULE_REPLY_ARRAY) {
            size_t n = RedisModule_CallReplyLength(info);
            for (size_t i = 0; i + 1 < n; i += 2) {
                size_t l; const char *p = RedisModule_CallReplyStringPtr(RedisModule_CallReplyArrayElement(info, i), &l);
                if (p && l == 17 && !memcmp(p, "last-generated-id", 17)) {
                    size_t m; const char *q = RedisModule_CallReplyStringPtr(RedisModule_CallReplyArrayElement(info, i + 1), &m);
                    const char *dash = q ? memchr(q, '-', m) : NULL;
                    if (!dash || dash - q >= 20 || (size_t)(q + m - dash - 1) >= 20) why = "TALLYLUA the log's IDs near their end";
                }
            }
        }
        if (info) RedisModule_FreeCallReply(info);
        if (why) return refuse(ctx, why);
    }
    map_init(&c.summaries, 1024); map_init(&c.claimed, 1024); map_init(&c.names, 64); map_init(&c.stats, 16); map_init(&c.refs, 64);
    reply *replies = aalloc(&c.a, (count + 1) * sizeof(reply));
    newclaim *nc = aalloc(&c.a, (count + 1) * sizeof(newclaim));
    newref *nr = aalloc(&c.a, (count + 1) * sizeof(newref));
    c.logged = aalloc(&c.a, (count + 1) * sizeof(str));
    str *claims = aalloc(&c.a, (count + 1) * sizeof(str)), *claim_keys = aalloc(&c.a, (count + 1) * sizeof(str));
    /* Every claim first, by MGET itself, 1000 keys a call, as the Function reads them. */
    RedisModuleString **ck = c.claim_keys = RedisModule_Alloc((count + 1) * sizeof(*ck));
    for (long long i = 0; i < count; i++) {
        claim_keys[i] = cat(&c.a, prefix, S(":c:"), arg(argv, 9 + (int)i * RECORD_ARGS + RECORD_ID));
        claims[i] = (str){0, 0};
        ck[i] = mkstr(&c, claim_keys[i]);
        c.nclaim_keys = i + 1;
    }
    for (long long from = 0; from < count && !c.tallylua; from += 1000) {
        long long upto = from + 1000 < count ? from + 1000 : count;
        RedisModuleCallReply *rep = RedisModule_Call(ctx, "MGET", "v", ck + from, (size_t)(upto - from));
        if (!rep || RedisModule_CallReplyType(rep) != REDISMODULE_REPLY_ARRAY ||
            RedisModule_CallReplyLength(rep) != (size_t)(upto - from)) c.tallylua = "TALLYLUA cannot read the claims";
        else for (long long i = from; i < upto; i++) {
            RedisModuleCallReply *e = RedisModule_CallReplyArrayElement(rep, i - from);
            if (RedisModule_CallReplyType(e) == REDISMODULE_REPLY_STRING) {
                size_t l; const char *p = RedisModule_CallReplyStringPtr(e, &l);
                claims[i] = adup(&c.a, p ? p : "", p ? l : 0);
            }
        }
        if (rep) RedisModule_FreeCallReply(rep);
    }
    int nnc = 0, nnr = 0;
    for (long long i = 0; i < count && !c.tallylua; i++)
        apply_one(&c, argv, 9 + (int)i * RECORD_ARGS, claims[i], claim_keys[i], ck[i], nc, &nnc, nr, &nnr, &replies[i]);
    /* The Function writes a conflict's count and an unbatched log entry at
     * once: a key it writes so and also reads as a summary or references set
     * (a key in two roles: names no worker makes) would be read after that
     * write there, before it here. Refused. */
    if (!c.tallylua) {
        for (size_t i = 0; i < c.stats.cap && !c.tallylua; i++) {
            slot *sl = &c.stats.s[i];
            if (sl->k.p && ((stats *)sl->v)->hit &&
                (map_slot(&c.summaries, sl->k, 0) || map_slot(&c.refs, sl->k, 0))) c.tallylua = "TALLYLUA a key in two roles";
        }
        for (size_t i = 0; i < c.refs.cap && !c.tallylua; i++)
            if (c.refs.s[i].k.p && map_slot(&c.summaries, c.refs.s[i].k, 0)) c.tallylua = "TALLYLUA a key in two roles";
        str lk = arg(argv, 3);
        if (!c.tallylua && (map_slot(&c.summaries, lk, 0) || map_slot(&c.refs, lk, 0) || map_slot(&c.stats, lk, 0)))
            c.tallylua = "TALLYLUA a key in two roles";
    }
    if (c.tallylua) { const char *w = c.tallylua; call_free(&c); return refuse(ctx, w); }

    /* The writes. A batched log's entry first: it is the one write that can
     * fail (a log of another type, its IDs used up), and then the call is
     * refused with nothing written, and the Function answers as it does
     * (its TRYAGAIN, after its conflicts' counts). The rest in the
     * Function's order: per record a conflict's count (or, unbatched, the
     * record's log entry), then summaries, references, claims. */
    if (c.batched && c.nlogged > 0) {
        int ok = c.log_type == REDISMODULE_KEYTYPE_EMPTY || c.log_type == REDISMODULE_KEYTYPE_STREAM;
        if (ok) {
            size_t len = 0;
            for (int i = 0; i < c.nlogged; i++) len += c.logged[i].n + 1;
            char *j = aalloc(&c.a, len + 1), *o = j;
            for (int i = 0; i < c.nlogged; i++) { if (i) *o++ = '\n'; memcpy(o, c.logged[i].p, c.logged[i].n); o += c.logged[i].n; }
            ok = xadd(&c, S("records"), (str){j, (size_t)(o - j)});
        }
        if (!ok) { call_free(&c); return refuse(ctx, "TALLYLUA cannot append to the log; the Function answers"); }
    }
    for (long long i = 0; i < count; i++) {
        if (replies[i].effect == 1) {
            RedisModuleCallReply *rep = RedisModule_Call(ctx, "HINCRBY", "!bcc", replies[i].key.p, replies[i].key.n, "conflicts", "1");
            if (rep) RedisModule_FreeCallReply(rep);
        } else if (replies[i].effect == 2) {
            xadd(&c, S("record"), replies[i].key);
        }
    }
    /* Each changed summary: HSET with its fields in pairs() order, 1000 pairs a call, as the Function does. */
    RedisModuleString **vec = NULL; int capvec = 0;
    for (int s = 0; s < c.norder; s++) {
        summary *e = c.order[s];
        if (e->nchg == 0) continue;
        chg **ord = aalloc(&c.a, e->nchg * sizeof(chg *));
        int m = changed_in_order(e, ord);
        if (2 * m > capvec) { capvec = 2 * m; vec = RedisModule_Realloc(vec, capvec * sizeof(*vec)); }
        RedisModuleString *k = e->key_object;
        for (int i = 0; i < m; i++) {
            vec[2 * i] = name_object(&c, ord[i]->name);
            vec[2 * i + 1] = mkstr(&c, text_of(&c.a, ord[i]->v));
        }
        for (int from = 0; from < m; from += 1000) {
            int upto = from + 1000 < m ? from + 1000 : m;
            RedisModuleCallReply *rep = RedisModule_Call(ctx, "HSET", "!sv", k, vec + 2 * from, (size_t)(2 * (upto - from)));
            if (rep) RedisModule_FreeCallReply(rep);
        }
        for (int i = 1; i < 2 * m; i += 2) RedisModule_FreeString(ctx, vec[i]);
    }
    for (int i = 0; i < nnr; i++) {
        RedisModuleCallReply *rep = RedisModule_Call(ctx, "SADD", "!bb", nr[i].refs_key.p, nr[i].refs_key.n,
                                                     nr[i].reference.p, nr[i].reference.n);
        if (rep) RedisModule_FreeCallReply(rep);
    }
    /* The claims: SET natively (MSET's effect: a string, no TTL), replicated as MSET, 1000 a command. */
    if (nnc) {
        RedisModuleString **mv = RedisModule_Alloc(2 * nnc * sizeof(*mv));
        for (int i = 0; i < nnc; i++) {
            mv[2 * i] = nc[i].key;
            mv[2 * i + 1] = mkstr(&c, nc[i].stored);
            RedisModuleKey *h = RedisModule_OpenKey(ctx, mv[2 * i], REDISMODULE_READ | REDISMODULE_WRITE);
            RedisModule_StringSet(h, mv[2 * i + 1]);
            RedisModule_CloseKey(h);
            RedisModule_NotifyKeyspaceEvent(ctx, REDISMODULE_NOTIFY_STRING, "set", mv[2 * i]);
        }
        for (int from = 0; from < nnc; from += 1000) {
            int upto = from + 1000 < nnc ? from + 1000 : nnc;
            RedisModule_Replicate(ctx, "MSET", "v", mv + 2 * from, (size_t)(2 * (upto - from)));
        }
        for (int i = 1; i < 2 * nnc; i += 2) RedisModule_FreeString(ctx, mv[i]);
        RedisModule_Free(mv);
    }
    RedisModule_ReplyWithArray(ctx, 2 * count);
    for (long long i = 0; i < count; i++) {
        RedisModule_ReplyWithStringBuffer(ctx, replies[i].status, strlen(replies[i].status));
        RedisModule_ReplyWithStringBuffer(ctx, replies[i].detail.p, replies[i].detail.n);
    }
    RedisModule_Free(vec);
    call_free(&c);
    return REDISMODULE_OK;
}

/* tally_forget_v4: SET <prefix>:c:<id> <fingerprint> XX EXAT <t> per record.
 * Layout 3 (HDEL of its pending outcomes) and a claim the Function would
 * fail on (GET of another type) are refused before anything is written. */
static int Forget(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    long long nk, keep;
    if (argc < 5 || (argc - 5) % 3 || parse_int(arg(argv, 1), &nk) || nk != 1 || parse_int(arg(argv, 3), &keep))
        return refuse(ctx, "TALLYLUA arguments not in tally_forget_v4's shape");
    RedisModuleKey *lk = RedisModule_OpenKey(ctx, argv[2], REDISMODULE_READ);
    int lt = RedisModule_KeyType(lk);
    if (lt != REDISMODULE_KEYTYPE_EMPTY && lt != REDISMODULE_KEYTYPE_HASH) {   /* the Function's error names its line */
        RedisModule_CloseKey(lk); return refuse(ctx, "TALLYLUA the layout key is not a hash");
    }
    /* SET ... EXAT <now + keep + 1> refuses a time at or before the epoch:
     * the Function fails there, its way. */
    if (RedisModule_Milliseconds() / 1000 + keep + 1 <= 0) {
        RedisModule_CloseKey(lk); return refuse(ctx, "TALLYLUA an expiry before the epoch");
    }
    RedisModuleString *version = NULL, *pending = NULL;
    if (lt == REDISMODULE_KEYTYPE_HASH)
        RedisModule_HashGet(lk, REDISMODULE_HASH_CFIELDS, "version", &version, "v3-pending", &pending, NULL);
    RedisModule_CloseKey(lk);
    int layout3 = !version || !streq(arg(&version, 0), S("4")) || (pending && streq(arg(&pending, 0), S("migrating")));
    if (version) RedisModule_FreeString(ctx, version);
    if (pending) RedisModule_FreeString(ctx, pending);
    if (layout3) return refuse(ctx, "TALLYLUA layout 3 pending outcomes may be live; use the Function");
    str prefix = arg(argv, 4);
    arena a = {0};
    int n = (argc - 5) / 3;
    RedisModuleString **keys = aalloc(&a, (n + 1) * sizeof(*keys));
    for (int i = 0; i < n; i++) {
        str k = cat(&a, prefix, S(":c:"), arg(argv, 5 + 3 * i));
        keys[i] = RedisModule_CreateString(ctx, k.p, k.n);
        if (arg(argv, 7 + 3 * i).n != 16) {
            RedisModuleKey *h = RedisModule_OpenKey(ctx, keys[i], REDISMODULE_READ);
            int t = RedisModule_KeyType(h);
            RedisModule_CloseKey(h);
            if (t != REDISMODULE_KEYTYPE_EMPTY && t != REDISMODULE_KEYTYPE_STRING) {
                for (int j = 0; j <= i; j++) RedisModule_FreeString(ctx, keys[j]);
                afree(&a);
                return refuse(ctx, "TALLYLUA a claim of another type; use the Function");
            }
        }
    }
    long long expire_ms = (RedisModule_Milliseconds() / 1000 + keep + 1) * 1000;
    char pxat[32]; int pl = format_int(pxat, expire_ms);
    /* Made once and shared by every replicated SET (Replicate's "s" takes a reference). */
    RedisModuleString *pxat_word = RedisModule_CreateString(ctx, "PXAT", 4), *pxat_at = RedisModule_CreateString(ctx, pxat, pl);
    for (int i = 0; i < n; i++) {
        str fp = arg(argv, 7 + 3 * i);
        RedisModuleKey *h = RedisModule_OpenKey(ctx, keys[i], REDISMODULE_READ | REDISMODULE_WRITE);
        RedisModuleString *f = NULL;
        if (fp.n == 16) { if (RedisModule_KeyType(h) != REDISMODULE_KEYTYPE_EMPTY) f = RedisModule_CreateString(ctx, fp.p, fp.n); }
        else if (RedisModule_KeyType(h) == REDISMODULE_KEYTYPE_STRING) {   /* GET, as the Function reads it */
            RedisModuleCallReply *rep = RedisModule_Call(ctx, "GET", "s", keys[i]);
            size_t l = 0; const char *p = rep ? RedisModule_CallReplyStringPtr(rep, &l) : NULL;
            if (p) f = RedisModule_CreateString(ctx, p, l < 16 ? l : 16);
            if (rep) RedisModule_FreeCallReply(rep);
        }
        if (f && RedisModule_KeyType(h) != REDISMODULE_KEYTYPE_EMPTY) {   /* XX */
            RedisModule_StringSet(h, f);
            RedisModule_SetAbsExpire(h, expire_ms);
            RedisModule_Replicate(ctx, "SET", "ssss", keys[i], f, pxat_word, pxat_at);
            RedisModule_NotifyKeyspaceEvent(ctx, REDISMODULE_NOTIFY_STRING, "set", keys[i]);
            RedisModule_NotifyKeyspaceEvent(ctx, REDISMODULE_NOTIFY_GENERIC, "expire", keys[i]);
        }
        RedisModule_CloseKey(h);
        if (f) RedisModule_FreeString(ctx, f);
        RedisModule_FreeString(ctx, keys[i]);
    }
    RedisModule_FreeString(ctx, pxat_word); RedisModule_FreeString(ctx, pxat_at);
    afree(&a);
    return RedisModule_ReplyWithLongLong(ctx, n);
}

int RedisModule_OnLoad(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv; (void)argc;
    if (RedisModule_Init(ctx, "tally", 1, REDISMODULE_APIVER_1) == REDISMODULE_ERR) return REDISMODULE_ERR;
    if (RedisModule_CreateCommand(ctx, "tally.apply_v4", Apply, "write deny-oom", 2, 3, 1) == REDISMODULE_ERR)
        return REDISMODULE_ERR;
    if (RedisModule_CreateCommand(ctx, "tally.forget_v4", Forget, "write deny-oom", 2, 2, 1) == REDISMODULE_ERR)
        return REDISMODULE_ERR;
    return REDISMODULE_OK;
}
