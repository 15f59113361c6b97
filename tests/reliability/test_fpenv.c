/* test_fpenv.c: results of threaded calls do not depend on the floating-point environment of the threads that run them: 1 thread against 2, 3 and 7, bit for bit, for every entry point.
 *
 *   test_fpenv --case NAME [--seed N]
 *     pool-started-ftz      the built-in pool's workers start with flush-to-zero on (FTZ + DAZ;
 *                           torch.set_flush_denormal(True) around a first large call), which the
 *                           caller then turns off
 *     pool-started-upward   the workers start while the caller rounds upward, then to nearest
 *     caller-env            the workers start in the default environment, then the caller
 *                           changes its own: each rounding mode, without and with flush-to-zero
 *     hook                  an engine's pool (simdrop_set_parallel) whose threads run upward
 *                           with flush-to-zero (where the target has it), for a caller in the
 *                           default environment and rounding downward; its threads must find
 *                           their own environment again after every task
 * Each case is its own process (meson runs one test per case): a pool starts once. Every
 * threaded call must give the bits of the same call on one thread, on the caller, in the
 * caller's environment. The inputs are rich in what the environment changes: subnormals (which
 * FTZ/DAZ flush) and products that round (p such that 1/(1-p) is inexact). */
#include "portable.h"

#include <stdatomic.h>

#include "fpenv.h"
#include "rel_common.h"

static const int thread_counts[] = {2, 3, 7};
#define NCOUNTS (sizeof thread_counts / sizeof thread_counts[0])

/* Shapes large enough that the workers take part (a task is many times their wake-up time). */
static ent_shape big_shape(const entry *e)
{
    const size_t k = rel_small() ? 1 : 8;
    switch (e->family) {
    case FAM_GROUPS:
    case FAM_ALPHA:
    case FAM_UNSCALED: return ent_ab(512 * k, 256);
    case FAM_NHWC:
    case FAM_ALPHA_NHWC: return ent_abc(64 * k, 256, 8); /* samples, spatial, channels */
    case FAM_BDA: /* the forward in rows of 256: the rows route (walk.c's simdrop_job_rows_repeat_bias) */
        return e->kind == K_FORWARD ? ent_ab(512 * k, 256) : ent_ab(128 * k, 1024);
    case FAM_BLOCK:
    case FAM_BDA_BLOCK: /* a block of 1024-column rows in wider global rows */
        return ent_block(ent_ab(128 * k, 1024), test_rand(), e->kind != K_FORWARD);
    case FAM_REDUCE: return ent_ab(16, 8192 * k); /* granules, cols */
    case FAM_MASK: return ent_ab((size_t)1 << 20 << (k > 1 ? 3 : 0), 0);
    default: return ent_ab((size_t)1 << 17 << (k > 1 ? 3 : 0), 0);
    }
}

/* Values whose result depends on the environment: half of them subnormal in the dtype, the
 * rest ordinary values of either sign. */
static void fill_sensitive(void *p, int dt, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const uint64_t r = test_rand();
        const int sub = r & 1;
        const uint64_t sign = r >> 63;
        switch (dt) {
        case E_F32:
            ((uint32_t *)p)[i] = sub ? (uint32_t)(sign << 31 | (r >> 8 & 0x7fffffu) | 1u)
                                     : f2u((float)(((double)(r >> 11) * 0x1p-53 - 0.5) * 8.0));
            break;
        case E_F64:
            ((uint64_t *)p)[i] = sub ? sign << 63 | (r >> 4 & 0xfffffffffffffu) | 1u
                                     : (uint64_t)0x3ff0000000000000u + (r >> 12 & 0xfffffffffffffu);
            break;
        case E_BF16: /* bfloat16 subnormals are float subnormals */
            ((uint16_t *)p)[i] = sub ? (uint16_t)(sign << 15 | (r >> 8 & 0x7fu) | 1u)
                                     : simdrop_f32_to_bf16((float)((double)(r >> 11) * 0x1p-50 - 1024.0));
            break;
        default: /* binary16: products near the subnormal halves, and ordinary ones */
            ((uint16_t *)p)[i] = sub ? (uint16_t)(sign << 15 | (r >> 8 & 0x7ffu))
                                     : simdrop_f32_to_f16((float)((double)(r >> 11) * 0x1p-50 - 1024.0));
            break;
        }
    }
}

/* One call with its inputs and its one-thread result. */
typedef struct fcall {
    rel_call c;
    void *in[5], *want[5];
} fcall;

static void fcall_new(fcall *f, const entry *e)
{
    memset(f, 0, sizeof *f);
    f->c.e = e;
    f->c.s = big_shape(e);
    static const double ps[] = {0.1, 0.3, 0.7, 0.5 + 0x1p-20};
    f->c.p = ps[test_below(4)];
    f->c.seed = test_rand();
    f->c.offset = test_below(1u << 20);
    rel_inputs_new(&f->c, f->in);
    for (int i = 0; i < e->nargs; i++) {
        const int size = e->arg[i].size;
        if (f->in[i] && (size == SZ_ELEMS || size == SZ_BIAS || size == SZ_LDX || size == SZ_LDY))
            fill_sensitive(f->in[i], e->dt, ent_bytes(e, i, f->c.s) / ent_dtype_size(e->dt));
        if (f->in[i] && size == SZ_ACC_ALL) { /* the partial sums: float, double for f64 */
            const int acc = e->dt == E_F64 ? E_F64 : E_F32;
            fill_sensitive(f->in[i], acc, ent_bytes(e, i, f->c.s) / ent_dtype_size(acc));
        }
    }
}

/* Runs f; with record set keeps the outputs as the expected ones, else compares with them.
 * Returns the number of output bytes that differ (or 1 for a bad status). */
static size_t fcall_run(fcall *f, int record, const char *what)
{
    const entry *e = f->c.e;
    guarded g[5];
    const int status = rel_run(&f->c, f->in, g, NULL);
    CHECK(status == SIMDROP_OK, "%s: %s: status %d", what, e->name, status);
    size_t differ = status != SIMDROP_OK;
    for (int i = 0; i < e->nargs; i++) {
        if (e->arg[i].is_out && status == SIMDROP_OK) {
            const size_t bytes = ent_bytes(e, i, f->c.s);
            if (record) {
                f->want[i] = rel_malloc(bytes);
                memcpy(f->want[i], g[i].data, bytes);
            } else {
                for (size_t k = 0; k < bytes; k++)
                    differ += g[i].data[k] != ((unsigned char *)f->want[i])[k];
            }
        }
        guarded_free(&g[i]);
    }
    return differ;
}

/* Every entry point on 1 thread, then 2, 3 and 7, in the environment the caller is in: the
 * same bits. `only`: every entry whose index % 4 is it (-1: all), to share the entries out
 * among environments. */
static void compare_counts(const char *what, int only)
{
    simdrop_set_min_task_bytes(1);
    unsigned long compared = 0, bad_calls = 0;
    for (size_t k = 0; k < NENTRIES; k++) {
        if (entries[k].family == FAM_BYTES || (only >= 0 && (int)(k % 4) != only))
            continue;
        fcall f;
        fcall_new(&f, &entries[k]);
        simdrop_set_num_threads(1);
        fcall_run(&f, 1, what);
        for (size_t t = 0; t < NCOUNTS; t++) {
            simdrop_set_num_threads(thread_counts[t]);
            const size_t differ = fcall_run(&f, 0, what);
            CHECK(differ == 0, "%s: %s p=%g on %d threads: %zu bytes differ from one thread's",
                  what, entries[k].name, f.c.p, thread_counts[t], differ);
            bad_calls += differ != 0;
            compared++;
        }
        rel_free5(f.in), rel_free5(f.want);
    }
    simdrop_set_num_threads(1);
    simdrop_set_min_task_bytes(0);
    printf("  %s: %lu calls compared with one thread's, %lu differ\n", what, compared, bad_calls);
}

/* Starts the built-in pool's 6 workers in the environment the caller is in now. */
static void start_pool(void)
{
    static float x[1 << 16], y[1 << 16];
    simdrop_set_min_task_bytes(1);
    simdrop_set_num_threads(7);
    CHECK(simdrop_forward_f32(y, NULL, x, sizeof x / sizeof x[0], 0.5, 1, 0) == SIMDROP_OK,
          "the call that starts the pool");
    simdrop_set_num_threads(1);
    simdrop_set_min_task_bytes(0);
}

/* ---- an engine's pool whose threads have their own environment ------------------------------ */

static test_fpenv engine_env;       /* what the engine's threads run in */
static atomic_int engine_env_lost;  /* a thread found another environment after a task */

typedef struct engine_task {
    void (*task)(void *, size_t);
    void *arg;
    size_t i;
    pthread_t tid;
} engine_task;

static void *engine_thread(void *p)
{
    engine_task *t = p;
    test_fpenv_enter(engine_env);
    t->task(t->arg, t->i);
    if (test_ftz() != engine_env.ftz || fegetround() != test_roundings[engine_env.rounding].mode)
        atomic_store(&engine_env_lost, 1);
    return NULL;
}

/* Every task on a thread of its own, started in the engine's environment. */
static void engine_run(void *ctx, size_t ntasks, void (*task)(void *, size_t), void *arg)
{
    (void)ctx;
    engine_task t[16];
    for (size_t i = 0; i < ntasks && i < 16; i++) {
        t[i] = (engine_task){task, arg, i, 0};
        if (pthread_create(&t[i].tid, NULL, engine_thread, &t[i])) {
            fprintf(stderr, "pthread_create failed\n");
            exit(2);
        }
    }
    for (size_t i = 0; i < ntasks && i < 16; i++)
        pthread_join(t[i].tid, NULL);
}

int main(int argc, char **argv)
{
    test_seed_init(argc, argv, "test_fpenv");
    const char *name = NULL;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--case"))
            name = argv[i + 1];
    if (!name) {
        fprintf(stderr, "usage: test_fpenv --case pool-started-ftz|pool-started-upward|"
                        "caller-env|hook [--seed N]\n");
        return 2;
    }
    printf("  path %s\n", simdrop_isa());
    if (!strcmp(name, "pool-started-ftz")) {
        if (!test_ftz_settable())
            TEST_SKIP("flush-to-zero cannot be set here (no such mode, or valgrind)");
        test_set_ftz(1);
        start_pool();
        test_set_ftz(0);
        compare_counts("pool started with flush-to-zero, caller without", -1);
    } else if (!strcmp(name, "pool-started-upward")) {
#ifdef FE_UPWARD
        fesetround(FE_UPWARD);
        start_pool();
        fesetround(FE_TONEAREST);
        compare_counts("pool started rounding upward, caller to nearest", -1);
#else
        TEST_SKIP("this target has no FE_UPWARD");
#endif
    } else if (!strcmp(name, "caller-env")) {
        start_pool();
        test_fpenv envs[2 * TEST_NROUNDINGS];
        const size_t n = test_fpenvs(envs, 2 * TEST_NROUNDINGS);
        for (size_t k = 0; k < n; k++) {
            char what[96], env[64];
            test_fpenv_name(envs[k], env, sizeof env);
            snprintf(what, sizeof what, "pool started by default, caller %s", env);
            if (!test_fpenv_enter(envs[k])) {
                test_fpenv_default();
                printf("  %s: not available here: skipped\n", what);
                continue;
            }
            compare_counts(what, (int)(k % 4)); /* each entry under two environments */
            test_fpenv_default();
        }
    } else if (!strcmp(name, "hook")) {
        engine_env = (test_fpenv){TEST_NROUNDINGS > 1 ? 1 : 0, test_ftz_settable()};
        char env[64], what[128];
        test_fpenv_name(engine_env, env, sizeof env);
        simdrop_set_parallel(engine_run, NULL);
        snprintf(what, sizeof what, "engine's threads %s, caller by default", env);
        compare_counts(what, -1);
        test_fpenv caller = {TEST_NROUNDINGS > 2 ? 2 : 0, 0};
        CHECK(test_fpenv_enter(caller), "caller's environment");
        snprintf(what, sizeof what, "engine's threads %s, caller rounding %s", env,
                 test_roundings[caller.rounding].name);
        compare_counts(what, -1);
        test_fpenv_default();
        simdrop_set_parallel(NULL, NULL);
        CHECK(!atomic_load(&engine_env_lost),
              "an engine thread found another environment than its own after a task");
    } else {
        fprintf(stderr, "test_fpenv: no case %s\n", name);
        return 2;
    }
    return test_finish("test_fpenv");
}
