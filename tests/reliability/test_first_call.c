/* test_first_call.c: many threads make the library's very first call at once, in fresh processes. */
#define _POSIX_C_SOURCE 200809L
#include "portable.h" /* pthreads, fork (POSIX), test_spawn_self (Windows) */

#include "rel_common.h"

#define THREADS 8
#define N 5000

/* What each racing thread did, checked by the child's main thread after the join. */
typedef struct racer {
    int action, status;
    const char *name;
    size_t list_len;
    float y[N], x[N];
    uint8_t mask[N / 8 + 1], mask0[N / 8 + 1]; /* mask0: the mask as it was before the call */
    pthread_t tid;
} racer;

static pthread_barrier_t start_line;
static int expect_kernel_status; /* what kernel calls must return: OK or the SIMDROP_ISA error */

enum { ACT_FORWARD, ACT_MASK, ACT_REGEN, ACT_BACKWARD, ACT_ISA, ACT_LIST, ACT_SUPPORTED,
       ACT_COUNT };

static void *race(void *arg)
{
    racer *r = arg;
    pthread_barrier_wait(&start_line); /* every thread leaves together: this is the first call */
    switch (r->action) {
    case ACT_FORWARD: r->status = simdrop_forward_f32(r->y, r->mask, r->x, N, 0.3, 42, 4000); break;
    case ACT_MASK: r->status = simdrop_mask(r->mask, N, 0.3, 42, 4000); break;
    case ACT_REGEN: r->status = simdrop_backward_regen_f32(r->y, r->x, N, 0.3, 42, 4000); break;
    case ACT_BACKWARD: r->status = simdrop_backward_f32(r->y, r->x, r->mask, N, 0.3); break;
    case ACT_ISA: r->name = simdrop_isa(); break;
    case ACT_LIST:
        for (const char *const *l = simdrop_isa_list(); *l; l++)
            r->list_len++;
        break;
    case ACT_SUPPORTED: r->status = simdrop_isa_supported("scalar"); break;
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
        r[t].action = t % ACT_COUNT;
        rel_fill_floats(r[t].x, N);
        rel_fill_bytes(r[t].mask, sizeof r[t].mask);
        memcpy(r[t].mask0, r[t].mask, sizeof r[t].mask);
        memset(r[t].y, 0xa5, sizeof r[t].y);
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
        /* The oracle's result from a copy of the inputs (backward reads the mask it was given). */
        static float want_y[N];
        static uint8_t want_mask[N / 8 + 1];
        void *out[3] = {want_y, NULL, NULL};
        const void *in[3] = {NULL, rt->x, rt->x};
        switch (rt->action) {
        case ACT_FORWARD:
            out[1] = want_mask;
            rel_reference(OP_FORWARD, out, in, N, 0.3, 42, 4000);
            break;
        case ACT_MASK:
            out[0] = want_mask;
            rel_reference(OP_MASK, out, in, N, 0.3, 42, 4000);
            break;
        case ACT_REGEN: rel_reference(OP_REGEN, out, in, N, 0.3, 42, 4000); break;
        case ACT_BACKWARD:
            in[2] = rt->mask0;
            rel_reference(OP_BACKWARD, out, in, N, 0.3, 0, 0);
            break;
        }
        switch (rt->action) {
        case ACT_FORWARD:
        case ACT_MASK:
        case ACT_REGEN:
        case ACT_BACKWARD:
            CHECK(rt->status == expect_kernel_status, "thread %d: status %d", t, rt->status);
            if (rt->status == SIMDROP_OK && rt->action != ACT_MASK)
                CHECK(!memcmp(rt->y, want_y, sizeof want_y), "thread %d: output differs", t);
            if (rt->status == SIMDROP_OK && (rt->action == ACT_FORWARD || rt->action == ACT_MASK))
                CHECK(!memcmp(rt->mask, want_mask, rel_bytes(REL_MASK, N)), "thread %d: mask differs",
                      t);
            if (rt->status != SIMDROP_OK)
                CHECK(bytes_all(rt->y, sizeof rt->y, 0xa5) &&
                      !memcmp(rt->mask, rt->mask0, sizeof rt->mask), "thread %d: failed call wrote",
                      t);
            break;
        case ACT_ISA:
            CHECK(rt->name && !strcmp(rt->name, isa), "thread %d saw path %s, now %s", t,
                  rt->name ? rt->name : "(null)", isa);
            break;
        case ACT_LIST:
            CHECK(rt->list_len == list_len && list_len > 0, "thread %d saw %zu paths, now %zu", t,
                  rt->list_len, list_len);
            break;
        case ACT_SUPPORTED: CHECK(rt->status == 1, "thread %d: scalar unsupported", t); break;
        }
    }
    return test_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
#ifdef _WIN32
    /* No fork() on Windows: each fresh process is this program again, with --child SEED last. */
    if (argc >= 3 && !strcmp(argv[argc - 2], "--child")) {
        for (int i = 1; i + 1 < argc; i++)
            if (!strcmp(argv[i], "--expect") && !strcmp(argv[i + 1], "unknown"))
                expect_kernel_status = SIMDROP_EISA_UNKNOWN;
        return child(strtoull(argv[argc - 1], NULL, 0));
    }
#endif
    /* The parent must not call the library: each child has to start uninitialised. */
    const uint64_t seed = test_seed_init(argc, argv, "test_first_call");
    size_t rounds = rel_small() ? 4 : 24;
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--expect") && !strcmp(argv[i + 1], "unknown"))
            expect_kernel_status = SIMDROP_EISA_UNKNOWN; /* SIMDROP_ISA holds a bad name */
        if (!strcmp(argv[i], "--rounds"))
            rounds = strtoul(argv[i + 1], NULL, 0);
    }
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
    return test_finish("test_first_call");
}
