/* test_first_call.c: many threads make the library's very first call at once, in fresh processes.
 *
 *   test_first_call [--seed N] [--rounds N] [--expect unknown|threads]
 * --expect: SIMDROP_ISA (unknown) or SIMDROP_NUM_THREADS (threads) holds a bad value, so every
 * kernel call must fail with that error, whichever thread read the variable first. */
#define _POSIX_C_SOURCE 200809L
#include "portable.h" /* pthreads, fork (POSIX), test_spawn_self (Windows) */

#include "rel_common.h"

/* The kernel calls the threads race with, then the queries. */
static const struct {
    const char *entry;
    ent_shape s;
} calls[] = {
    {"forward_f32", {.a = 5000}},                  {"mask", {.a = 5000}},
    {"backward_regen_f32", {.a = 5000}},           {"backward_f32", {.a = 5000}},
    {"bias_dropout_add_bf16", {.a = 50, .b = 99}}, {"alpha_forward_f64", {.a = 500, .b = 9}},
    {"backward_groups_f16", {.a = 700, .b = 7}},
    {"bias_dropout_add_backward_regen_f64", {.a = 40, .b = 120}},
    {"forward_block_f32", {.a = 40, .b = 100, .row0 = 3, .col0 = 7, .global_cols = 300,
                           .ldx = 100, .ldy = 130}},
    {"bias_dropout_add_backward_regen_block_bf16", {.a = 30, .b = 64, .row0 = 8, .col0 = 64,
                                                    .global_cols = 256, .ldx = 70, .ldy = 70,
                                                    .granule = 4}},
};
#define NCALLS (sizeof calls / sizeof calls[0])
enum { ACT_ISA = NCALLS, ACT_LIST, ACT_SUPPORTED, ACT_THREADS, ACT_COUNT };
#define THREADS ACT_COUNT

/* What each racing thread did, checked by the child's main thread after the join. */
typedef struct racer {
    int action, status;
    rel_call c;
    void *in[5], *ptr[5];
    guarded g[5];
    const char *name;
    size_t list_len;
    pthread_t tid;
} racer;

static pthread_barrier_t start_line;
static int expect_kernel_status; /* what kernel calls must return: OK or the setting's error */

static void *race(void *arg)
{
    racer *r = arg;
    pthread_barrier_wait(&start_line); /* every thread leaves together: this is the first call */
    switch (r->action) {
    case ACT_ISA: r->name = simdrop_isa(); break;
    case ACT_LIST:
        for (const char *const *l = simdrop_isa_list(); *l; l++)
            r->list_len++;
        break;
    case ACT_SUPPORTED: r->status = simdrop_isa_supported("scalar"); break;
    case ACT_THREADS: r->status = simdrop_get_num_threads(); break;
    default: r->status = r->c.e->call(r->ptr, r->c.s, r->c.p, r->c.seed, r->c.offset); break;
    }
    return NULL;
}

/* One fresh process: nothing in it has touched the library before the barrier opens. */
static int child(uint64_t seed)
{
    static racer r[THREADS];
    test_rng_state = seed;
    pthread_barrier_init(&start_line, NULL, THREADS);
    for (int t = 0; t < THREADS; t++) {
        r[t].action = t;
        if (t < (int)NCALLS) {
            rel_call *c = &r[t].c;
            c->e = rel_entry(calls[t].entry);
            c->s = calls[t].s;
            c->p = 0.3, c->seed = 42, c->offset = 4000;
            rel_inputs_new(c, r[t].in);
            for (int i = 0; i < c->e->nargs; i++) { /* what rel_run does, before the barrier */
                r[t].g[i] = guarded_new(ent_bytes(c->e, i, c->s), 0, 0xa5);
                if (!c->e->arg[i].is_out)
                    memcpy(r[t].g[i].data, r[t].in[i], ent_bytes(c->e, i, c->s));
                r[t].ptr[i] = r[t].g[i].data;
            }
        }
        if (pthread_create(&r[t].tid, NULL, race, &r[t]))
            return 2;
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(r[t].tid, NULL);

    const char *isa = simdrop_isa();
    size_t list_len = 0;
    for (const char *const *l = simdrop_isa_list(); *l; l++)
        list_len++;
    for (int t = 0; t < THREADS; t++) {
        racer *rt = &r[t];
        if (t < (int)NCALLS) {
            const entry *e = rt->c.e;
            CHECK(rt->status == expect_kernel_status, "thread %d (%s): status %d", t, e->name,
                  rt->status);
            void *want[5];
            rel_expected(&rt->c, rt->in, want);
            for (int i = 0; i < e->nargs; i++) {
                const size_t bytes = ent_bytes(e, i, rt->c.s);
                if (e->arg[i].is_out && rt->status == SIMDROP_OK)
                    CHECK(!memcmp(rt->g[i].data, want[i], bytes), "thread %d: %s %s differs", t,
                          e->name, e->arg[i].name);
                if (e->arg[i].is_out && rt->status != SIMDROP_OK)
                    CHECK(bytes_all(rt->g[i].data, bytes, 0xa5), "thread %d: failed %s wrote", t,
                          e->name);
                CHECK(guarded_ok(&rt->g[i]), "thread %d: %s guards", t, e->name);
                guarded_free(&rt->g[i]);
            }
            rel_free5(want);
            rel_free5(rt->in);
            continue;
        }
        switch (rt->action) {
        case ACT_ISA:
            CHECK(rt->name && !strcmp(rt->name, isa), "thread %d saw path %s, now %s", t,
                  rt->name ? rt->name : "(null)", isa);
            break;
        case ACT_LIST:
            CHECK(rt->list_len == list_len && list_len > 0, "thread %d saw %zu paths, now %zu", t,
                  rt->list_len, list_len);
            break;
        case ACT_SUPPORTED: CHECK(rt->status == 1, "thread %d: scalar unsupported", t); break;
        case ACT_THREADS:
            CHECK(rt->status == (expect_kernel_status == SIMDROP_ETHREADS ? SIMDROP_ETHREADS : 1),
                  "thread %d: get_num_threads() = %d", t, rt->status);
            break;
        }
    }
    return test_failures ? 1 : 0;
}

/* --expect unknown|threads: the status every kernel call must return (the bad-environment runs). */
static void parse_expect(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--expect"))
            expect_kernel_status = !strcmp(argv[i + 1], "unknown")   ? SIMDROP_EISA_UNKNOWN
                                   : !strcmp(argv[i + 1], "threads") ? SIMDROP_ETHREADS
                                                                     : SIMDROP_OK;
}

int main(int argc, char **argv)
{
    parse_expect(argc, argv);
#ifdef _WIN32
    /* No fork() on Windows: each fresh process is this program again, with --child SEED last. */
    if (argc >= 3 && !strcmp(argv[argc - 2], "--child"))
        return child(strtoull(argv[argc - 1], NULL, 0));
#endif
    /* The parent must not call the library: each child has to start uninitialised. */
    const uint64_t seed = test_seed_init(argc, argv, "test_first_call");
    size_t rounds = rel_small() ? 4 : 24;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--rounds"))
            rounds = strtoul(argv[i + 1], NULL, 0);
    fflush(stdout); /* or each child would print the parent's buffered lines again */
    for (size_t k = 0; k < rounds; k++) {
#ifdef _WIN32
        char child_seed[24];
        snprintf(child_seed, sizeof child_seed, "%" PRIu64, seed + k);
        const char *const extra[] = {"--child", child_seed, NULL};
        const int status = test_spawn_self(argc, argv, extra, INFINITE);
        CHECK(status == 0, "process %zu (child seed %" PRIu64 "): exit status %d", k, seed + k,
              status);
#else
        const pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0)
            _exit(child(seed + k));
        int wstatus = 0;
        waitpid(pid, &wstatus, 0);
        CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0,
              "process %zu (child seed %" PRIu64 "): wait status 0x%x", k, seed + k, wstatus);
#endif
    }
    printf("test_first_call: %zu processes, %d threads each, %zu kernel entry points\n", rounds,
           THREADS, (size_t)NCALLS);
    return test_finish("test_first_call");
}
