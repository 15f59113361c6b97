/* test_threads.c: the library's own threads: bit-identity on 1, 2, 3, 7 and 16 threads for every entry point, the engine's pool hook (checked, re-entered, per thread), concurrent callers of the built-in pool, fork, exit with parked workers, SIMDROP_NUM_THREADS.
 *
 *   test_threads [--seed N]            everything below
 *   test_threads --expect-threads N    run by meson with SIMDROP_NUM_THREADS set to a good value:
 *                                      the count must be N and calls must split into N tasks
 *
 * simdrop_set_min_task_bytes(1) lets calls of a few kilobytes split across every thread; the
 * "real split" part instead uses calls of several megabytes with the measured cut-off. The reference of every comparison is the
 * same call on one thread on the same path. dlopen/dlclose is test_dlclose.c (it must not link
 * the library). */
#define _DEFAULT_SOURCE /* usleep */
#include "portable.h"

#include <stdatomic.h>
#include <time.h>
#ifdef _WIN32
#include <tlhelp32.h>
#else
#include <dirent.h>
#include <poll.h>
#endif

#include "rel_common.h"

static const int thread_counts[] = {2, 3, 7, 16};
#define NCOUNTS (sizeof thread_counts / sizeof thread_counts[0])

/* ---- jobs: one call with its inputs and its one-thread result -------------------------------- */

typedef struct tjob {
    rel_call c;
    size_t mis[5];
    void *in[5], *want[5];
} tjob;

/* Shapes that split: "big" ones cross the measured cut-off (256 KiB per task) many times over;
 * the others are a few thousand to tens of thousands of elements for the override. */
static ent_shape job_shape(const entry *e, int big)
{
    const int small = rel_small();
    switch (e->family) {
    case FAM_GROUPS:
    case FAM_ALPHA:
    case FAM_UNSCALED:
        return big ? ent_ab(1 << 14, 64) : ent_ab(small ? 300 : 1500, 1 + test_below(17));
    case FAM_NHWC: /* samples, spatial, channels: split by sample */
    case FAM_ALPHA_NHWC:
        return big ? ent_abc(1 << 10, 64, 16)
                   : ent_abc(small ? 20 : 60, 1 + test_below(17), 1 + test_below(24));
    case FAM_BDA:
        return big ? ent_ab(1024, 1024) : ent_ab(small ? 60 : 200, 1 + test_below(150));
    case FAM_BLOCK:
    case FAM_BDA_BLOCK: /* rows of a block, the walk carried across rows in each task */
        return ent_block(big ? ent_ab(2048, 512) : ent_ab(small ? 60 : 200, 1 + test_below(150)),
                         test_rand(), e->kind != K_FORWARD);
    case FAM_REDUCE: return big ? ent_ab(64, 1 << 16) : ent_ab(1 + test_below(20), 2000 + test_below(9000));
    case FAM_MASK: return ent_ab(big ? 1 << 23 : 40000 + test_below(9000), 0);
    default: return ent_ab(big ? 1 << 20 : (small ? 9000 : 30000) + test_below(5000), 0);
    }
}

static void tjob_init(tjob *j, const entry *e, ent_shape s)
{
    memset(j, 0, sizeof *j);
    rel_call *c = &j->c;
    c->e = e;
    c->s = s;
    c->p = test_below(8) ? test_unit() : (double)test_below(2);
    c->seed = test_rand();
    c->offset = test_below(2) ? test_below(1u << 20)
                              : (uint64_t)0 - ent_span(e, c->s) - test_below(100);
    for (int i = 0; i < e->nargs; i++) {
        c->null_arg[i] = e->arg[i].nullable && test_below(4) == 0;
        j->mis[i] = test_below(3) ? 0 : test_below(16);
    }
    for (int i = 1; i < e->nargs && !c->alias; i++)
        if (ent_can_alias(e, i, c->s) && !c->null_arg[i] && test_below(4) == 0)
            c->alias = i;
    rel_inputs_new(c, j->in);
}

static void tjob_new(tjob *j, const entry *e, int big)
{
    tjob_init(j, e, job_shape(e, big));
}

/* Runs j; with record set keeps its outputs as the expected result, else compares with it.
 * Returns 0, or 1 after writing why into err (thread-safe: no CHECK inside). */
static int tjob_run(tjob *j, int record, char *err, size_t len)
{
    const entry *e = j->c.e;
    guarded g[5];
    const int status = rel_run(&j->c, j->in, g, j->mis);
    int bad = status != SIMDROP_OK;
    if (bad)
        snprintf(err, len, "%s: status %d", e->name, status);
    for (int i = 0; i < e->nargs; i++) {
        if (e->arg[i].is_out && !j->c.null_arg[i] && !bad) {
            const size_t bytes = ent_bytes(e, i, j->c.s);
            if (record) {
                j->want[i] = rel_malloc(bytes);
                memcpy(j->want[i], g[i].data, bytes);
            } else if (memcmp(g[i].data, j->want[i], bytes) || !guarded_ok(&g[i])) {
                size_t at = 0;
                const unsigned char *got = g[i].data, *want = j->want[i];
                while (at < bytes && got[at] == want[at])
                    at++;
                char shape[120];
                snprintf(err, len, "%s shape %s p=%g offset=%" PRIu64 " alias=%d: %s differs "
                         "from one thread's at byte %zu of %zu (or its guards were hit)", e->name,
                         ent_shape_text(e, j->c.s, shape, sizeof shape), j->c.p, j->c.offset,
                         j->c.alias, e->arg[i].name, at, bytes);
                bad = 1;
            }
        }
        guarded_free(&g[i]);
    }
    return bad;
}

/* A new job for entry e, its result on one thread (no engine pool) recorded. */
static void tjob_recorded(tjob *j, const entry *e)
{
    tjob_new(j, e, 0);
    char err[400];
    simdrop_set_parallel(NULL, NULL);
    simdrop_set_num_threads(1);
    CHECK(!tjob_run(j, 1, err, sizeof err), "one thread: %s", err);
}

static void tjob_free(tjob *j)
{
    rel_free5(j->in), rel_free5(j->want);
}

/* Threads of this process (baseline-relative: sanitizers and emulators add their own). */
#ifdef _WIN32
static int task_count(void)
{
    const HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    if (snap == INVALID_HANDLE_VALUE)
        return -1;
    const DWORD self = GetCurrentProcessId();
    int n = 0;
    THREADENTRY32 t;
    t.dwSize = sizeof t;
    for (BOOL more = Thread32First(snap, &t); more; more = Thread32Next(snap, &t))
        n += t.th32OwnerProcessID == self;
    CloseHandle(snap);
    return n;
}

static void nap_us(unsigned us)
{
    Sleep((us + 999) / 1000);
}
#else
static int task_count(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void nap_us(unsigned us)
{
    usleep(us);
}
#endif

static int baseline_threads = -1; /* threads of this process before the pool first ran */

/* ---- toy engine pools for simdrop_set_parallel ---------------------------------------------- */

enum toy_kind {
    TOY_SERIAL, TOY_REVERSE, TOY_RANDOM, TOY_THREADS, TOY_CALLER_AND_THREADS, TOY_COUNT
};
static const char *const toy_names[TOY_COUNT] = {"in order", "reverse order", "random order",
                                                 "own threads", "caller + own threads"};

typedef struct toy {
    int kind;
    atomic_ulong calls, too_many, max_tasks, seq;
} toy;

typedef struct toy_task {
    void (*task)(void *, size_t);
    void *arg;
    size_t i;
    pthread_t tid;
} toy_task;

static void *toy_thread(void *p)
{
    toy_task *t = p;
    t->task(t->arg, t->i);
    return NULL;
}

/* *max = the largest n it was given. */
static void note_max(atomic_ulong *max, size_t n)
{
    for (unsigned long m = atomic_load(max); n > m;)
        if (atomic_compare_exchange_weak(max, &m, n))
            break;
}

/* Runs task(arg, i) exactly once for every i < ntasks, in the toy's order and on its threads,
 * and returns when all are done: the contract of simdrop_parallel_fn. Counts what it saw. */
static void toy_run(void *ctx, size_t ntasks, void (*task)(void *arg, size_t i), void *arg)
{
    toy *t = ctx;
    atomic_fetch_add(&t->calls, 1);
    const int threads = simdrop_get_num_threads();
    if (threads < 1 || ntasks > (size_t)threads || ntasks < 1)
        atomic_fetch_add(&t->too_many, 1);
    note_max(&t->max_tasks, ntasks);
    size_t order[1024];
    for (size_t i = 0; i < ntasks && i < 1024; i++)
        order[i] = t->kind == TOY_REVERSE ? ntasks - 1 - i : i;
    if (t->kind == TOY_RANDOM) { /* Fisher-Yates from a per-call splitmix64 stream */
        uint64_t x = atomic_fetch_add(&t->seq, 1) * 0x9e3779b97f4a7c15u + 12345;
        for (size_t i = ntasks; i > 1; i--) {
            uint64_t z = (x += 0x9e3779b97f4a7c15u);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
            const size_t k = (size_t)((z ^ (z >> 31)) % i), tmp = order[i - 1];
            order[i - 1] = order[k], order[k] = tmp;
        }
    }
    if (t->kind == TOY_THREADS || t->kind == TOY_CALLER_AND_THREADS) {
        toy_task tasks[1024];
        const size_t first = t->kind == TOY_CALLER_AND_THREADS; /* task 0 on the caller, last */
        for (size_t i = first; i < ntasks; i++) {
            tasks[i] = (toy_task){task, arg, ntasks - 1 - i + first, 0};
            if (pthread_create(&tasks[i].tid, NULL, toy_thread, &tasks[i])) {
                fprintf(stderr, "pthread_create failed\n");
                exit(2);
            }
        }
        if (first)
            task(arg, 0);
        for (size_t i = first; i < ntasks; i++)
            pthread_join(tasks[i].tid, NULL);
        return;
    }
    for (size_t i = 0; i < ntasks; i++)
        task(arg, order[i]);
}

/* ---- 1. bit-identity across thread counts --------------------------------------------------- */

/* Every entry point on 1 thread, then on 2, 3, 7 and 16: the same bits. big: calls of several
 * MB and the real cut-off; else small calls split by the override. */
static void identity(int big)
{
    simdrop_set_min_task_bytes(big ? 0 : 1);
    unsigned long compared = 0;
    for (size_t k = 0; k < NENTRIES; k++) {
        tjob j;
        tjob_new(&j, &entries[k], big);
        char err[400];
        simdrop_set_num_threads(1);
        CHECK(!tjob_run(&j, 1, err, sizeof err), "one thread: %s", err);
        for (size_t t = 0; t < NCOUNTS; t++) {
            simdrop_set_num_threads(thread_counts[t]);
            CHECK(!tjob_run(&j, 0, err, sizeof err), "%s, %d threads: %s",
                  big ? "big" : "split", thread_counts[t], err);
            compared++;
        }
        tjob_free(&j);
    }
    simdrop_set_num_threads(1);
    simdrop_set_min_task_bytes(0);
    printf("  identity (%s): %zu entry points x %zu thread counts = %lu comparisons\n",
           big ? "calls of several MB, measured cut-off" : "small calls split by the override",
           (size_t)NENTRIES, NCOUNTS, compared);
}

/* The big calls really split: a counting pool sees one task per thread for a call of several
 * MB, and the built-in pool has started that many workers. The cut-off is lowered to 256 KiB a
 * task (the real one, 2 MiB, would need calls of 32 MiB for 16 tasks): the split itself is
 * what is tested here. */
static void really_split(void)
{
    toy counter = {TOY_SERIAL, 0, 0, 0, 0};
    simdrop_set_min_task_bytes((size_t)256 << 10);
    const char *names[] = {"forward_f32", "bias_dropout_add_backward_regen_bf16",
                           "alpha_forward_f64", "mask"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        tjob j;
        tjob_new(&j, rel_entry(names[k]), 1);
        for (size_t t = 0; t < NCOUNTS; t++) {
            char err[400];
            atomic_store(&counter.max_tasks, 0);
            simdrop_set_parallel(toy_run, &counter);
            simdrop_set_num_threads(thread_counts[t]);
            CHECK(!tjob_run(&j, 1, err, sizeof err), "%s", err);
            simdrop_set_parallel(NULL, NULL);
            CHECK(atomic_load(&counter.max_tasks) == (unsigned long)thread_counts[t],
                  "%s shape %zu,%zu on %d threads ran as %lu tasks", names[k], j.c.s.a, j.c.s.b,
                  thread_counts[t], atomic_load(&counter.max_tasks));
            rel_free5(j.want);
        }
        tjob_free(&j);
    }
    CHECK(atomic_load(&counter.too_many) == 0, "more tasks than threads");
    /* The built-in pool: a 16-thread call leaves 15 parked workers (baseline: the threads
     * before the pool first ran). */
    const int before = baseline_threads;
    tjob j;
    tjob_new(&j, rel_entry("forward_f32"), 1);
    simdrop_set_num_threads(16);
    char err[400];
    CHECK(!tjob_run(&j, 1, err, sizeof err), "%s", err);
    const int after = task_count();
    simdrop_set_num_threads(1);
    tjob_free(&j);
    if (before > 0) /* at least: sanitizers may start a thread of their own meanwhile */
        CHECK(after - before >= 15, "threads before the pool ran %d, after a 16-thread call %d",
              before, after);
    simdrop_set_min_task_bytes(0);
    printf("  really split: one task per thread for calls of several MB; %d threads before the "
           "pool ran, %d after a 16-thread call\n", before, after);
}

/* ---- 2. the engine's pool hook --------------------------------------------------------------- */

static void hooks(void)
{
    simdrop_set_min_task_bytes(1);
    for (int kind = 0; kind < TOY_COUNT; kind++) {
        toy t = {kind, 0, 0, 0, 0};
        unsigned long compared = 0;
        for (size_t k = 0; k < NENTRIES; k++) {
            if (rel_small() && k % 3 != (size_t)kind % 3)
                continue;
            tjob j;
            tjob_recorded(&j, &entries[k]);
            char err[400];
            CHECK(simdrop_set_parallel(toy_run, &t) == SIMDROP_OK, "set_parallel");
            for (size_t c = 0; c < NCOUNTS; c++) {
                simdrop_set_num_threads(thread_counts[c]);
                CHECK(!tjob_run(&j, 0, err, sizeof err), "pool %s, %d threads: %s",
                      toy_names[kind], thread_counts[c], err);
                compared++;
            }
            tjob_free(&j);
        }
        CHECK(simdrop_set_parallel(NULL, NULL) == SIMDROP_OK, "set_parallel(NULL)");
        CHECK(atomic_load(&t.calls) > 0 && atomic_load(&t.max_tasks) == 16,
              "pool %s: %lu calls, at most %lu tasks", toy_names[kind], atomic_load(&t.calls),
              atomic_load(&t.max_tasks));
        CHECK(atomic_load(&t.too_many) == 0, "pool %s got more tasks than threads",
              toy_names[kind]);
        printf("  engine pool, %-20s %lu comparisons, %lu parallel calls\n", toy_names[kind],
               compared, atomic_load(&t.calls));
    }
    /* NULL restores the built-in pool: the toy sees nothing more. */
    toy t = {TOY_SERIAL, 0, 0, 0, 0};
    simdrop_set_parallel(toy_run, &t);
    simdrop_set_parallel(NULL, NULL);
    tjob j;
    tjob_new(&j, rel_entry("forward_f32"), 0);
    simdrop_set_num_threads(4);
    char err[400];
    CHECK(!tjob_run(&j, 1, err, sizeof err), "%s", err);
    CHECK(atomic_load(&t.calls) == 0, "set_parallel(NULL) did not restore the built-in pool");
    tjob_free(&j);
    simdrop_set_num_threads(1);
    simdrop_set_min_task_bytes(0);
}

/* ---- 2b. a pool that breaks the contract -------------------------------------------------- */

/* Pools that run the wrong tasks: one left out, one twice, an index out of range (ntasks, or
 * SIZE_MAX) besides every right one or in place of one. */
enum wrong_kind { WRONG_SKIP, WRONG_TWICE, WRONG_EXTRA_INDEX, WRONG_HUGE_INDEX, WRONG_COUNT };
static const char *const wrong_names[WRONG_COUNT] = {"skips the last task", "runs task 0 twice",
                                                      "also calls task(ntasks)",
                                                      "calls task(SIZE_MAX) for the last"};

static void wrong_run(void *ctx, size_t ntasks, void (*task)(void *, size_t), void *arg)
{
    const int kind = *(const int *)ctx;
    for (size_t i = 0; i < ntasks; i++) {
        if (i + 1 == ntasks && kind == WRONG_SKIP)
            continue;
        task(arg, i + 1 == ntasks && kind == WRONG_HUGE_INDEX ? SIZE_MAX : i);
    }
    if (kind == WRONG_TWICE)
        task(arg, 0);
    if (kind == WRONG_EXTRA_INDEX)
        task(arg, ntasks);
}

/* Each wrong pool makes every entry point return SIMDROP_EPARALLEL (its outputs are then
 * unspecified), never writes outside the buffers, and a right pool afterwards works again. An
 * in-place call whose pool repeats a task is not scaled twice: the repeat does not run. */
static void wrong_pools(void)
{
    simdrop_set_min_task_bytes(1);
    simdrop_set_num_threads(4);
    unsigned long calls = 0;
    for (int kind = 0; kind < WRONG_COUNT; kind++) {
        simdrop_set_parallel(wrong_run, &kind);
        for (size_t k = 0; k < NENTRIES; k++) {
            if (entries[k].family == FAM_BYTES) /* never parallel */
                continue;
            tjob j;
            tjob_new(&j, &entries[k], 0);
            guarded g[5];
            const int status = rel_run(&j.c, j.in, g, j.mis);
            CHECK(status == SIMDROP_EPARALLEL, "a pool that %s: %s returned %d, want "
                  "SIMDROP_EPARALLEL", wrong_names[kind], entries[k].name, status);
            for (int i = 0; i < entries[k].nargs; i++) {
                CHECK(guarded_ok(&g[i]), "a pool that %s: %s wrote outside %s",
                      wrong_names[kind], entries[k].name, entries[k].arg[i].name);
                guarded_free(&g[i]);
            }
            tjob_free(&j);
            calls++;
        }
    }
    /* In place, task 0 repeated: the elements of task 0 are scaled once. */
    int twice = WRONG_TWICE;
    simdrop_set_parallel(wrong_run, &twice);
    enum { N = 1 << 16 };
    static float x[N], y[N], want[N];
    for (size_t i = 0; i < N; i++)
        x[i] = y[i] = (float)i + 1.0f;
    simdrop_set_num_threads(1);
    CHECK(simdrop_forward_f32(want, NULL, x, N, 0.5, 3, 0) == SIMDROP_OK, "one thread");
    simdrop_set_num_threads(4);
    CHECK(simdrop_forward_f32(y, NULL, y, N, 0.5, 3, 0) == SIMDROP_EPARALLEL, "in place, task 0 twice");
    CHECK(!memcmp(y, want, sizeof y), "in place, task 0 twice: a task ran twice");
    /* A right pool afterwards. */
    toy right = {TOY_SERIAL, 0, 0, 0, 0};
    simdrop_set_parallel(toy_run, &right);
    CHECK(simdrop_forward_f32(y, NULL, x, N, 0.5, 3, 0) == SIMDROP_OK && !memcmp(y, want, sizeof y),
          "a right pool after the wrong ones");
    simdrop_set_parallel(NULL, NULL);
    simdrop_set_num_threads(1);
    simdrop_set_min_task_bytes(0);
    printf("  wrong pools: %lu calls through %d kinds returned SIMDROP_EPARALLEL\n", calls,
           WRONG_COUNT);
}

/* A pool that returns while a task still runs (docs/API.md, "Checked"): it runs tasks 1.. on the
 * caller, hands task 0 to a thread of its own and returns as soon as task 0 has written its
 * first output element (so it has begun: the promise covers a task from its first instruction
 * on), long before task 0's million elements are done. The call must wait for it: SIMDROP_OK
 * and the one-thread output. Without the wait it returned with task 0 still writing into y and
 * reading the call's state from a stack frame that the next calls reuse. */
typedef struct early {
    const volatile float *first; /* task 0's first output element, -0.0f until written */
    toy_task helper;
    unsigned long returned_early;
} early;

static void early_run(void *ctx, size_t ntasks, void (*task)(void *, size_t), void *arg)
{
    early *e = ctx;
    for (size_t i = 1; i < ntasks; i++)
        task(arg, i);
    e->helper = (toy_task){task, arg, 0, e->helper.tid};
    if (pthread_create(&e->helper.tid, NULL, toy_thread, &e->helper)) {
        fprintf(stderr, "pthread_create failed\n");
        exit(2);
    }
    for (uint32_t bits = 0x80000000u; bits == 0x80000000u;) { /* -0.0f: not written yet */
        const float f = *e->first;
        memcpy(&bits, &f, sizeof bits);
    }
    e->returned_early++;
}

static void early_return_pool(void)
{
#if defined(__SANITIZE_THREAD__)
#define SIMDROP_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SIMDROP_TEST_TSAN 1
#endif
#endif
#ifdef SIMDROP_TEST_TSAN
    /* The pool watches y while task 0 writes it, a race by design that TSan would report. */
    printf("  a pool that returned while a task ran: not under TSan (it reads y as task 0 writes)\n");
    return;
#endif
    enum { N = 1 << 21 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *want = malloc(N * sizeof *want);
    uint8_t *m = malloc(N / 8), *want_m = malloc(N / 8);
    CHECK(x && y && want && m && want_m, "out of memory");
    for (size_t i = 0; i < N; i++)
        x[i] = (float)i + 1.0f; /* never 0: every output differs from the sentinel -0.0f */
    simdrop_set_num_threads(1);
    CHECK(simdrop_forward_f32(want, want_m, x, N, 0.5, 3, 0) == SIMDROP_OK, "one thread");
    early e = {y, {0}, 0};
    simdrop_set_parallel(early_run, &e);
    simdrop_set_num_threads(2);
    simdrop_set_min_task_bytes(1);
    for (int round = 0; round < 4; round++) {
        for (size_t i = 0; i < N; i++)
            y[i] = -0.0f;
        const int status = simdrop_forward_f32(y, m, x, N, 0.5, 3, 0);
        pthread_join(e.helper.tid, NULL);
        CHECK(status == SIMDROP_OK, "a pool that returned while task 0 ran: status %d", status);
        CHECK(!memcmp(y, want, N * sizeof *y) && !memcmp(m, want_m, N / 8),
              "a pool that returned while task 0 ran: the call returned before task 0 ended");
    }
    CHECK(e.returned_early == 4, "the pool ran %lu times, want 4", e.returned_early);
    simdrop_set_parallel(NULL, NULL);
    simdrop_set_num_threads(1);
    simdrop_set_min_task_bytes(0);
    free(x), free(y), free(want), free(m), free(want_m);
    printf("  a pool that returned while a task ran: waited for, bits equal (4 calls)\n");
}

/* ---- 2c. calls from inside a parallel call -------------------------------------------------- */

/* A pool whose run() must not be entered again while it runs (as if it held a plain mutex) and
 * which, before simdrop's tasks, runs the engine work queued for it (a work-stealing pool does
 * that while it waits): here a simdrop call of its own, which must give its one-thread bits. Its
 * tasks run on threads of its own, which also make a call before each task. */
typedef struct nested_pool {
    atomic_int depth, reentered;
    atomic_ulong nested_calls, nested_wrong;
    const float *x;
    const float *want;
    size_t n;
} nested_pool;

static void nested_call(nested_pool *np)
{
    float *y = rel_malloc(np->n * sizeof(float));
    const int status = simdrop_forward_f32(y, NULL, np->x, np->n, 0.5, 9, 0);
    if (status != SIMDROP_OK || memcmp(y, np->want, np->n * sizeof(float)))
        atomic_fetch_add(&np->nested_wrong, 1);
    atomic_fetch_add(&np->nested_calls, 1);
    free(y);
}

static void nested_run(void *ctx, size_t ntasks, void (*task)(void *, size_t), void *arg)
{
    nested_pool *np = ctx;
    if (atomic_fetch_add(&np->depth, 1) > 0) /* a plain mutex would deadlock here */
        atomic_fetch_add(&np->reentered, 1);
    else
        nested_call(np); /* the queued engine work, on the caller, inside run() */
    toy_task t[16];
    for (size_t i = 1; i < ntasks && i < 16; i++) {
        t[i] = (toy_task){task, arg, i, 0};
        if (pthread_create(&t[i].tid, NULL, toy_thread, &t[i])) {
            fprintf(stderr, "pthread_create failed\n");
            exit(2);
        }
    }
    task(arg, 0);
    for (size_t i = 1; i < ntasks && i < 16; i++)
        pthread_join(t[i].tid, NULL);
    atomic_fetch_sub(&np->depth, 1);
}

static void nested_calls(void)
{
    enum { N = 40000 };
    static float x[N], want[N];
    for (size_t i = 0; i < N; i++)
        x[i] = (float)test_unit();
    simdrop_set_num_threads(1);
    CHECK(simdrop_forward_f32(want, NULL, x, N, 0.5, 9, 0) == SIMDROP_OK, "one thread");
    nested_pool np = {0, 0, 0, 0, x, want, N};
    simdrop_set_min_task_bytes(1);
    simdrop_set_num_threads(4);
    simdrop_set_parallel(nested_run, &np);
    unsigned long compared = 0;
    for (size_t k = 0; k < NENTRIES; k += 5) {
        tjob j;
        tjob_recorded(&j, &entries[k]);
        char err[400];
        simdrop_set_num_threads(4);
        simdrop_set_parallel(nested_run, &np);
        CHECK(!tjob_run(&j, 0, err, sizeof err), "a pool that calls simdrop inside run(): %s", err);
        tjob_free(&j);
        compared++;
    }
    simdrop_set_parallel(NULL, NULL);
    simdrop_set_num_threads(1);
    simdrop_set_min_task_bytes(0);
    CHECK(atomic_load(&np.reentered) == 0, "run() was entered again from within itself %d times",
          atomic_load(&np.reentered));
    CHECK(atomic_load(&np.nested_calls) > 0 && atomic_load(&np.nested_wrong) == 0,
          "%lu of %lu calls made inside run() gave other bits or an error",
          atomic_load(&np.nested_wrong), atomic_load(&np.nested_calls));
    printf("  calls inside run(): %lu outer calls, %lu nested ones ran on their thread\n",
           compared, atomic_load(&np.nested_calls));
}

/* ---- 2d. two engines, each with its own threading ------------------------------------------ */

/* A counting pool that knows the thread count its engine gave. */
typedef struct engine_pool {
    int threads;
    atomic_ulong calls, over, max_tasks;
} engine_pool;

static void engine_pool_run(void *ctx, size_t ntasks, void (*task)(void *, size_t), void *arg)
{
    engine_pool *e = ctx;
    atomic_fetch_add(&e->calls, 1);
    if (ntasks > (size_t)e->threads)
        atomic_fetch_add(&e->over, 1);
    note_max(&e->max_tasks, ntasks);
    for (size_t i = ntasks; i-- > 0;)
        task(arg, i);
}

typedef struct engine {
    const char *name;
    simdrop_threading threading;
    engine_pool pool;
    tjob *jobs;
    size_t njobs;
    unsigned long failures, calls;
    int set_status, get_own;
    simdrop_threading seen;
    char err[400];
    pthread_t tid;
} engine;

static void *engine_main(void *p)
{
    engine *e = p;
    e->set_status = simdrop_set_local_threading(&e->threading);
    e->get_own = simdrop_get_local_threading(&e->seen);
    char err[400];
    for (int rep = 0; rep < 3; rep++)
        for (size_t k = 0; k < e->njobs; k++, e->calls++)
            if (tjob_run(&e->jobs[k], 0, err, sizeof err) && !e->failures++)
                memcpy(e->err, err, sizeof err);
    simdrop_set_local_threading(NULL);
    return NULL;
}

/* Engines A and B call from threads of their own, each with its own pool, thread count and
 * task size (simdrop_set_local_threading), while the process-wide settings name a third pool and
 * another count, and change all the while. Each engine's pool sees exactly its own calls, never
 * more tasks than its count; every result is the one-thread result. Then the local settings'
 * checks: a bad count is refused, NULL returns to the process-wide ones, and a large task size
 * keeps calls on the caller. */
static void local_threading(void)
{
    engine eng[2];
    memset(eng, 0, sizeof eng);
    eng[0].name = "A";
    eng[0].pool.threads = 3;
    eng[0].threading = (simdrop_threading){3, engine_pool_run, &eng[0].pool, 1};
    eng[1].name = "B";
    eng[1].pool.threads = 7;
    eng[1].threading = (simdrop_threading){7, engine_pool_run, &eng[1].pool, 4096};
    engine_pool intruder = {16, 0, 0, 0};
    simdrop_set_num_threads(1);
    for (int k = 0; k < 2; k++) {
        eng[k].njobs = NENTRIES / (rel_small() ? 4 : 1);
        eng[k].jobs = rel_malloc(eng[k].njobs * sizeof(tjob));
        for (size_t i = 0; i < eng[k].njobs; i++) {
            char err[400];
            tjob_new(&eng[k].jobs[i], &entries[(i * (rel_small() ? 4 : 1) + (size_t)k) % NENTRIES], 0);
            CHECK(!tjob_run(&eng[k].jobs[i], 1, err, sizeof err), "recording: %s", err);
        }
    }
    simdrop_set_num_threads(16);
    simdrop_set_min_task_bytes(1);
    simdrop_set_parallel(engine_pool_run, &intruder);
    for (int k = 0; k < 2; k++)
        if (pthread_create(&eng[k].tid, NULL, engine_main, &eng[k])) {
            fprintf(stderr, "pthread_create failed\n");
            exit(2);
        }
    for (int k = 0; k < 2; k++) {
        pthread_join(eng[k].tid, NULL);
        engine *e = &eng[k];
        CHECK(e->set_status == SIMDROP_OK && e->get_own == 1 &&
              e->seen.num_threads == e->threading.num_threads && e->seen.run == engine_pool_run &&
              e->seen.ctx == &e->pool && e->seen.min_task_bytes == e->threading.min_task_bytes,
              "engine %s: set %d, get %d, %d threads", e->name, e->set_status, e->get_own,
              e->seen.num_threads);
        CHECK(e->failures == 0, "engine %s: %lu of %lu calls differ from one thread's; first: %s",
              e->name, e->failures, e->calls, e->err);
        CHECK(atomic_load(&e->pool.calls) > 0 && atomic_load(&e->pool.over) == 0 &&
              atomic_load(&e->pool.max_tasks) == (unsigned long)e->pool.threads,
              "engine %s: its pool had %lu calls, %lu with too many tasks, at most %lu tasks",
              e->name, atomic_load(&e->pool.calls), atomic_load(&e->pool.over),
              atomic_load(&e->pool.max_tasks));
        printf("  engine %s: %d threads, its own pool: %lu calls, %lu parallel, at most %lu tasks\n",
               e->name, e->pool.threads, e->calls, atomic_load(&e->pool.calls),
               atomic_load(&e->pool.max_tasks));
        for (size_t i = 0; i < e->njobs; i++)
            tjob_free(&e->jobs[i]);
        free(e->jobs);
    }
    CHECK(atomic_load(&intruder.calls) == 0, "the process-wide pool got %lu calls from the engines",
          atomic_load(&intruder.calls));

    /* On this thread: a bad count is refused and changes nothing; NULL returns to the
     * process-wide settings; a task size larger than the call keeps it on the caller. */
    simdrop_threading t = {0, NULL, NULL, 0}, seen;
    CHECK(simdrop_set_local_threading(&t) == SIMDROP_ETHREADS, "local threading with 0 threads");
    t.num_threads = 1025;
    CHECK(simdrop_set_local_threading(&t) == SIMDROP_ETHREADS, "local threading with 1025 threads");
    CHECK(simdrop_get_local_threading(&seen) == 0 && seen.num_threads == 16 &&
          seen.run == engine_pool_run && seen.ctx == &intruder && seen.min_task_bytes == 1,
          "the process-wide settings as this thread's: %d threads", seen.num_threads);
    CHECK(simdrop_get_local_threading(NULL) == SIMDROP_ENULL, "get_local_threading(NULL)");
    engine_pool mine = {5, 0, 0, 0};
    enum { N = 1 << 15 }; /* 256 KiB moved */
    static float x[N], y[N];
    t = (simdrop_threading){5, engine_pool_run, &mine, (size_t)1 << 20};
    CHECK(simdrop_set_local_threading(&t) == SIMDROP_OK, "local threading");
    CHECK(simdrop_forward_f32(y, NULL, x, N, 0.5, 1, 0) == SIMDROP_OK && atomic_load(&mine.calls) == 0,
          "a call of 256 KiB with 1 MiB a task went to the pool");
    t.min_task_bytes = (size_t)64 << 10; /* 4 tasks' worth, under 5 threads */
    CHECK(simdrop_set_local_threading(&t) == SIMDROP_OK, "local threading");
    CHECK(simdrop_forward_f32(y, NULL, x, N, 0.5, 1, 0) == SIMDROP_OK &&
          atomic_load(&mine.calls) == 1 && atomic_load(&mine.max_tasks) == 4,
          "a call of 256 KiB with 64 KiB a task: %lu pool calls, %lu tasks",
          atomic_load(&mine.calls), atomic_load(&mine.max_tasks));
    CHECK(simdrop_set_local_threading(NULL) == SIMDROP_OK && simdrop_get_local_threading(&seen) == 0,
          "back to the process-wide settings");
    CHECK(simdrop_forward_f32(y, NULL, x, N, 0.5, 1, 0) == SIMDROP_OK &&
          atomic_load(&intruder.calls) == 1 && atomic_load(&mine.calls) == 1,
          "after NULL the process-wide pool runs this thread's calls");
    /* The process-wide task size: 256 KiB with 64 KiB a task on 16 threads is 4 tasks. */
    simdrop_set_min_task_bytes((size_t)64 << 10);
    atomic_store(&intruder.max_tasks, 0);
    CHECK(simdrop_forward_f32(y, NULL, x, N, 0.5, 1, 0) == SIMDROP_OK &&
          atomic_load(&intruder.max_tasks) == 4, "process-wide 64 KiB a task: %lu tasks",
          atomic_load(&intruder.max_tasks));
    simdrop_set_parallel(NULL, NULL);
    simdrop_set_num_threads(1);
    simdrop_set_min_task_bytes(0);
}

/* ---- 3. concurrent callers ------------------------------------------------------------------- */

#define CALLERS 4

typedef struct caller {
    tjob *jobs;
    size_t njobs, reps;
    unsigned long failures, calls;
    char err[400];
    pthread_t tid;
} caller;

static atomic_int callers_done;

static void *caller_main(void *p)
{
    caller *c = p;
    char err[400];
    for (size_t r = 0; r < c->reps; r++)
        for (size_t k = 0; k < c->njobs; k++, c->calls++)
            if (tjob_run(&c->jobs[k], 0, err, sizeof err) && !c->failures++)
                memcpy(c->err, err, sizeof err);
    atomic_fetch_add(&callers_done, 1);
    return NULL;
}

/* CALLERS engine threads call every entry point at once, each call wanting 4 threads of the
 * built-in pool (one caller gets it, the others find it busy and run their own tasks); then
 * again through a toy pool on its own threads; then with the main thread changing the thread
 * count all the while. Every result equals the one-thread result. */
static void concurrent_callers(void)
{
    simdrop_set_min_task_bytes(1);
    caller c[CALLERS];
    const size_t per = rel_small() ? 1 : 2;
    for (int t = 0; t < CALLERS; t++) {
        memset(&c[t], 0, sizeof c[t]);
        c[t].njobs = NENTRIES * per;
        c[t].reps = rel_small() ? 1 : 2;
        c[t].jobs = rel_malloc(c[t].njobs * sizeof(tjob));
        simdrop_set_num_threads(1);
        for (size_t k = 0; k < c[t].njobs; k++) {
            char err[400];
            tjob_new(&c[t].jobs[k], &entries[(k + (size_t)t * 7) % NENTRIES], 0);
            CHECK(!tjob_run(&c[t].jobs[k], 1, err, sizeof err), "recording: %s", err);
        }
    }
    toy own = {TOY_THREADS, 0, 0, 0, 0};
    for (int pass = 0; pass < 3; pass++) {
        static const char *const what[] = {"built-in pool, 4 threads", "own-threads pool",
                                           "built-in pool, thread count changing"};
        simdrop_set_num_threads(4);
        if (pass == 1)
            simdrop_set_parallel(toy_run, &own);
        atomic_store(&callers_done, 0);
        for (int t = 0; t < CALLERS; t++) {
            c[t].failures = 0, c[t].calls = 0;
            if (pthread_create(&c[t].tid, NULL, caller_main, &c[t])) {
                fprintf(stderr, "pthread_create failed\n");
                exit(2);
            }
        }
        unsigned long changes = 0;
        while (pass == 2 && atomic_load(&callers_done) < CALLERS) {
            simdrop_set_num_threads(1 + (int)(changes++ % 16));
            nap_us(100);
        }
        unsigned long calls = 0;
        for (int t = 0; t < CALLERS; t++) {
            pthread_join(c[t].tid, NULL);
            CHECK(c[t].failures == 0, "%s: caller %d: %lu failures, first: %s", what[pass], t,
                  c[t].failures, c[t].err);
            calls += c[t].calls;
        }
        simdrop_set_parallel(NULL, NULL);
        printf("  concurrent callers, %s: %d callers, %lu calls", what[pass], CALLERS, calls);
        if (pass == 2)
            printf(" (%lu changes meanwhile)", changes);
        printf("\n");
    }
    for (int t = 0; t < CALLERS; t++) {
        for (size_t k = 0; k < c[t].njobs; k++)
            tjob_free(&c[t].jobs[k]);
        free(c[t].jobs);
    }
    simdrop_set_num_threads(1);
    simdrop_set_min_task_bytes(0);
}

/* ---- 4. fork and exit ------------------------------------------------------------------------ */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A generous limit: the sanitizers and valgrind are slow, a hang is forever. */
static double time_limit(void)
{
    return rel_small() ? 120.0 : 30.0;
}

#ifndef _WIN32 /* fork: Windows has none (its fresh processes are test_spawn_self's, below) */
/* Waits for pid up to `limit` seconds; kills it after that. Returns its wait status, or -1 if
 * it had to be killed; *took gets the seconds it ran. */
static int wait_limited(pid_t pid, double limit, double *took)
{
    const double start = now();
    int wstatus = 0;
    for (;;) {
        const pid_t r = waitpid(pid, &wstatus, WNOHANG);
        if (r == pid) {
            *took = now() - start;
            return wstatus;
        }
        if (r < 0 || now() - start > limit) {
            kill(pid, SIGKILL);
            waitpid(pid, &wstatus, 0);
            *took = now() - start;
            return -1;
        }
        usleep(2000);
    }
}

/* One threaded call in a forked child: exit 0 if it gives the recorded bits. The alarm turns a
 * hang into a signal the parent sees. */
static int child_call(tjob *j, int threads, unsigned limit)
{
    alarm(limit);
    simdrop_set_num_threads(threads);
    char err[400];
    const int bad = tjob_run(j, 0, err, sizeof err) || tjob_run(j, 0, err, sizeof err);
    if (bad)
        fprintf(stderr, "fork child: %s\n", err);
    return bad;
}

/* Forks a child that makes threaded calls of a on ta threads (then of b on tb, if b is not
 * NULL), reports through a pipe ('0': the recorded bits) and waits to be killed: a copy of a
 * multi-threaded process then runs no exit processing, where leak checkers would count what the
 * parent's other threads had in hand. Returns 0 if the child reported the same bits within
 * `limit` seconds, else 1 with why. */
static int forked_calls(tjob *a, int ta, tjob *b, int tb, unsigned limit, char *why, size_t len)
{
    int fd[2];
    if (pipe(fd)) {
        perror("pipe");
        exit(2);
    }
    fflush(stdout);
    fflush(stderr);
    const pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        const char r = child_call(a, ta, limit) || (b && child_call(b, tb, limit)) ? '1' : '0';
        if (write(fd[1], &r, 1) != 1)
            _exit(4);
        for (;;)
            pause();
    }
    close(fd[1]);
    const double start = now();
    struct pollfd pfd = {fd[0], POLLIN, 0};
    char r = 0;
    ssize_t got = 0;
    if (poll(&pfd, 1, (int)(limit * 1000.0)) == 1)
        got = read(fd[0], &r, 1); /* the byte, or 0 at EOF: the child died without one */
    close(fd[0]);
    const double took = now() - start;
    int wstatus = 0;
    if (got == 1 || waitpid(pid, &wstatus, WNOHANG) != pid) {
        kill(pid, SIGKILL);
        waitpid(pid, &wstatus, 0);
    }
    if (got == 1 && r == '0')
        return 0;
    snprintf(why, len, "%s (wait status 0x%x after %.1f s)",
             got == 1 ? "different bits" : took >= limit ? "hung" : "died", wstatus, took);
    return 1;
}

/* Background work in the parent while it forks: threaded calls, and set_parallel calls. */
static atomic_int stop_background;

/* Its buffers are made once and its loop allocates nothing: the ASan of Debian 12's clang 14
 * (LLVM's before 18, llvm-project#75290) takes no allocator lock across fork(), so a child forked
 * while this thread was inside malloc could hang in its own first malloc (CI saw it once): the
 * sanitizer's limit, not the library's (glibc's malloc is fork-safe; the calls allocate nothing). */
static void *background_calls(void *p)
{
    const tjob *j = p;
    guarded g[5];
    void *ptr[5];
    rel_prepare(&j->c, j->in, g, j->mis, ptr);
    while (!atomic_load(&stop_background))
        (void)j->c.e->call(ptr, j->c.s, j->c.p, j->c.seed, j->c.offset);
    for (int i = 0; i < j->c.e->nargs; i++)
        guarded_free(&g[i]);
    return NULL;
}

static void *background_set_parallel(void *p)
{
    (void)p;
    while (!atomic_load(&stop_background))
        simdrop_set_parallel(NULL, NULL);
    return NULL;
}

/* `forks` children, each forked while a background thread runs threaded calls of k (and with
 * set_parallel, another one calls simdrop_set_parallel(NULL, NULL) in a loop), each making two
 * threaded calls of j within `limit` seconds. Returns how many hung or failed. */
static int fork_storm(tjob *j, tjob *k, int forks, int set_parallel, unsigned limit)
{
    pthread_t bg[2];
    atomic_store(&stop_background, 0);
    pthread_create(&bg[0], NULL, background_calls, k);
    if (set_parallel)
        pthread_create(&bg[1], NULL, background_set_parallel, NULL);
    int bad = 0;
    for (int f = 0; f < forks; f++) {
        char why[200];
        if (forked_calls(j, 4, NULL, 0, limit, why, sizeof why) == 1 && bad++ == 0)
            printf("  fork storm: child %d of %d: %s\n", f, forks, why);
    }
    atomic_store(&stop_background, 1);
    pthread_join(bg[0], NULL);
    if (set_parallel)
        pthread_join(bg[1], NULL);
    return bad;
}

static void *noop_thread(void *p)
{
    return p;
}

/* Whether a forked copy of this multi-threaded process can start a thread at all: qemu-user 7.2
 * (the AArch64 leg of tests/run.sh) asserts in its TCG there, whatever the program does; real
 * systems and the sanitizers can. */
static int fork_can_start_threads(void)
{
    fflush(stdout);
    fflush(stderr);
    const pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, noop_thread, NULL))
            _exit(3);
        pthread_join(t, NULL);
        _exit(0);
    }
    double took = 0;
    const int wstatus = wait_limited(pid, time_limit(), &took);
    return wstatus >= 0 && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
}

/* The parent uses the pool (4 threads), forks; the child's threaded calls must give the same
 * bits without hanging (its pool starts empty), and the parent's pool keeps working. Then the
 * same with the parent's other threads busy in threaded calls and in simdrop_set_parallel at
 * the moment of each fork. */
static void fork_cases(void)
{
    simdrop_set_min_task_bytes(1);
    tjob j, k;
    tjob_new(&j, rel_entry("bias_dropout_add_backward_f32"), 0);
    tjob_new(&k, rel_entry("forward_groups_bf16"), 0);
    char err[400];
    simdrop_set_num_threads(1);
    CHECK(!tjob_run(&j, 1, err, sizeof err) && !tjob_run(&k, 1, err, sizeof err), "%s", err);
    simdrop_set_num_threads(4);
    CHECK(!tjob_run(&j, 0, err, sizeof err), "parent before fork: %s", err);
    if (!fork_can_start_threads()) {
        printf("  fork: skipped: a forked copy of a multi-threaded process cannot start threads "
               "here (an emulator's limit: qemu-user asserts); the native runs check it\n");
        tjob_free(&j), tjob_free(&k);
        simdrop_set_num_threads(1);
        simdrop_set_min_task_bytes(0);
        return;
    }
    char why[200];
    CHECK(forked_calls(&j, 4, &k, 16, (unsigned)time_limit(), why, sizeof why) != 1,
          "fork after the pool ran: the child's threaded calls: %s", why);
    CHECK(!tjob_run(&j, 0, err, sizeof err) && !tjob_run(&k, 0, err, sizeof err),
          "parent after fork: %s", err);

    /* Forks while another thread is in threaded calls: the pool's lock is held across fork()
     * by the library's fork handlers, so the child starts with a consistent, empty pool. */
    const int forks = rel_small() ? 4 : 30;
    /* (a child's limit: 5 s natively, where it takes milliseconds; under valgrind one took 11 s
     * alone, and it shares 2 cores with other tests) */
    const unsigned limit = rel_small() ? (unsigned)time_limit() : 5;
    CHECK(fork_storm(&j, &k, forks, 0, limit) == 0, "children forked while "
          "another thread was in threaded calls hung or failed");
    /* Forks while another thread is in simdrop_set_parallel: the fork handlers hold the engine
     * hook's lock too, so no child inherits it locked (it used to hang in its first threaded
     * call, which takes that lock). */
    CHECK(fork_storm(&j, &k, rel_small() ? 2 : 6, 1, limit) == 0,
          "children forked while another thread was in simdrop_set_parallel hung or failed");
    CHECK(!tjob_run(&j, 0, err, sizeof err), "parent after the forks: %s", err);
    printf("  fork: a child after the pool ran, and %d children forked during threaded calls\n",
           forks);
    tjob_free(&j), tjob_free(&k);
    simdrop_set_num_threads(1);
    simdrop_set_min_task_bytes(0);
}

#endif /* fork */

enum exit_kind { EXIT_RETURN, EXIT_FROM_THREAD, EXIT_WHILE_BUSY, EXIT_COUNT };

/* Threaded calls on static buffers (nothing in hand at exit for a leak checker to count). */
static void *background_static_calls(void *p)
{
    static float x[1 << 18], y[1 << 18];
    (void)p;
    for (;;)
        simdrop_forward_f32(y, NULL, x, sizeof x / sizeof x[0], 0.5, 1, 0);
    return NULL;
}

static void *exit_thread(void *p)
{
    (void)p;
    exit(0); /* from a thread that is not main, with the pool parked */
}

/* A fresh process uses 4 threads, then leaves: exit() as a return from main does, from
 * another thread, or while another thread is in a threaded call. It must end promptly. */
static void exit_child(int kind)
{
#ifndef _WIN32
    alarm((unsigned)time_limit()); /* on Windows the parent's wait has the limit */
#endif
    tjob j;
    tjob_new(&j, rel_entry("forward_f32"), 1);
    char err[400];
    simdrop_set_num_threads(4);
    if (tjob_run(&j, 1, err, sizeof err))
        _exit(3);
    tjob_free(&j);
    pthread_t t;
    if (kind == EXIT_FROM_THREAD) {
        pthread_create(&t, NULL, exit_thread, NULL);
        pthread_join(t, NULL);
    }
    if (kind == EXIT_WHILE_BUSY) {
        simdrop_set_min_task_bytes(1); /* every call of the background thread splits */
        pthread_create(&t, NULL, background_static_calls, NULL);
        nap_us(20000);
    }
    exit(0);
}

/* Each kind in a fresh process: this program again (--exit-child KIND), so nothing of this
 * process (its pool, its fork handlers' work) is inherited; where exec fails (an emulator
 * without binfmt), the forked copy itself. */
static void exit_cases(const char *self)
{
    static const char *const names[EXIT_COUNT] = {"return from main",
                                                  "exit() from another thread",
                                                  "exit() during a threaded call"};
    for (int kind = 0; kind < EXIT_COUNT; kind++) {
#ifdef _WIN32
        (void)self;
        char arg[16];
        snprintf(arg, sizeof arg, "%d", kind);
        const char *const extra[] = {"--exit-child", arg, NULL};
        char *no_args[] = {NULL};
        const double start = now();
        const int status = test_spawn_self(1, no_args, extra, (DWORD)(time_limit() * 1000 + 5000));
        const double took = now() - start;
        CHECK(status == 0, "exit with the pool parked (%s): %s (exit status %d after %.1f s)",
              names[kind], status == TEST_SPAWN_TIMEOUT ? "hung and was terminated" : "failed",
              status, took);
#else
        fflush(stdout);
        fflush(stderr);
        const pid_t pid = fork();
        if (pid == 0) {
            char arg[16];
            snprintf(arg, sizeof arg, "%d", kind);
            execl(self, self, "--exit-child", arg, (char *)NULL);
            exit_child(kind);
        }
        double took = 0;
        const int wstatus = wait_limited(pid, time_limit() + 5, &took);
        CHECK(wstatus >= 0 && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, "exit with the "
              "pool parked (%s): %s (wait status 0x%x after %.1f s)", names[kind],
              wstatus < 0 ? "hung and was killed" : "failed", wstatus, took);
#endif
        printf("  exit with 3 parked workers, %s: %.3f s\n", names[kind], took);
    }
}

/* ---- SIMDROP_NUM_THREADS set to a good value ------------------------------------------------- */

static void expect_threads(int n)
{
    const char *env = getenv("SIMDROP_NUM_THREADS");
    printf("  SIMDROP_NUM_THREADS=\"%s\": expecting %d\n", env ? env : "(unset)", n);
    CHECK(simdrop_get_num_threads() == n, "get_num_threads() = %d, want %d",
          simdrop_get_num_threads(), n);
    /* A call with enough units splits into exactly n tasks (the override lets a small one). */
    toy counter = {TOY_SERIAL, 0, 0, 0, 0};
    simdrop_set_parallel(toy_run, &counter);
    simdrop_set_min_task_bytes(1);
    tjob j;
    tjob_init(&j, rel_entry("forward_f32"), ent_ab(40000, 0));
    char err[400];
    CHECK(!tjob_run(&j, 1, err, sizeof err), "%s", err);
    CHECK(atomic_load(&counter.max_tasks) == (unsigned long)(n < 40000 / 32 ? n : 40000 / 32)
          || (n == 1 && atomic_load(&counter.calls) == 0),
          "a call ran as %lu tasks with %d threads", atomic_load(&counter.max_tasks), n);
    simdrop_set_parallel(NULL, NULL);
    simdrop_set_min_task_bytes(0);
    CHECK(simdrop_set_num_threads(2) == SIMDROP_OK && simdrop_get_num_threads() == 2,
          "set_num_threads(2) over the environment's count");
    tjob_free(&j);
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--exit-child"))
            exit_child(atoi(argv[i + 1]));
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--expect-threads")) {
            expect_threads(atoi(argv[i + 1])); /* before anything else touches the library */
            return test_finish("test_threads");
        }
    test_seed_init(argc, argv, "test_threads");
    exit_cases(argv[0]); /* first: before this process's pool ever ran */
    baseline_threads = task_count();
    printf("  path %s\n", simdrop_isa());
    identity(0);
    if (!rel_small()) /* calls of several MB: too slow under the sanitizers and valgrind */
        identity(1);
    really_split();
    hooks();
    wrong_pools();
    early_return_pool();
    nested_calls();
    local_threading();
    concurrent_callers();
#ifdef _WIN32
    printf("  fork: none on Windows (fresh processes above, and test_dll)\n");
#else
    fork_cases();
#endif
    return test_finish("test_threads");
}
