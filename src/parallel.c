/* parallel.c: runs a job on the caller or split across threads: the built-in pool or the engine's. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "simdrop.h"
#include "parallel.h"
#include "platform.h"

#define MAX_THREADS 1024
#define MAX_TASKS MAX_THREADS

/* A task must move at least this many bytes (read plus written) to be worth a thread: waking a
 * parked worker and waiting for it costs what streaming a couple of MiB does. Measured on the
 * 2-vCPU Intel VM, f32 forward with mask split over 2 threads against 1 (wall clock, best of 7):
 * 0.51x at 64K elements (512 KiB moved), 0.73x at 256K (2 MiB), 1.05x at 512K (4 MiB, 2 MiB a
 * task), 1.25x at 1M. Bare metal wakes workers faster, so this errs on the side of the caller;
 * an engine that knows its machine tunes it (simdrop_set_min_task_bytes, or per thread). */
#define MIN_TASK_BYTES ((size_t)2 << 20)

/* ---- settings ---------------------------------------------------------------------------- */

static atomic_int num_threads = 1; /* a kernel library starts no thread nobody asked for */
static atomic_size_t min_task_bytes = MIN_TASK_BYTES;
static atomic_int env_status = SIMDROP_OK;
static simdrop_once_t env_once = SIMDROP_ONCE_INIT;

/* SIMDROP_NUM_THREADS, read once: a count from 1 to 1024 in plain decimal digits; anything else
 * fails every call (like a bad SIMDROP_ISA) until simdrop_set_num_threads sets a good one. Empty
 * means unset. Parsed by hand: strtol would also take " 4", "+4" and "04". */
static void read_env(void)
{
    const char *v = getenv("SIMDROP_NUM_THREADS");
    if (!v || !*v)
        return;
    long n = 0;
    const char *c = v;
    for (; *c >= '0' && *c <= '9' && n <= MAX_THREADS; c++) /* (stops before n can overflow) */
        n = n * 10 + (*c - '0');
    if (*c || *v == '0' || n > MAX_THREADS)
        atomic_store(&env_status, SIMDROP_ETHREADS);
    else
        atomic_store(&num_threads, (int)n);
}

int simdrop_parallel_status(void)
{
    simdrop_once(&env_once, read_env);
    return atomic_load(&env_status);
}

int simdrop_set_num_threads(int n)
{
    simdrop_once(&env_once, read_env);
    if (n < 1 || n > MAX_THREADS)
        return SIMDROP_ETHREADS;
    atomic_store(&num_threads, n);
    atomic_store(&env_status, SIMDROP_OK);
    return SIMDROP_OK;
}

int simdrop_get_num_threads(void)
{
    const int status = simdrop_parallel_status();
    return status ? status : atomic_load(&num_threads);
}

int simdrop_set_min_task_bytes(size_t bytes)
{
    atomic_store(&min_task_bytes, bytes ? bytes : MIN_TASK_BYTES);
    return SIMDROP_OK;
}

/* The engine's pool, if it gave one; both fields change together under the lock. */
static simdrop_mutex_t engine_lock = SIMDROP_MUTEX_INIT;
static simdrop_parallel_fn engine_run;
static void *engine_ctx;

int simdrop_set_parallel(simdrop_parallel_fn run, void *ctx)
{
    simdrop_mutex_lock(&engine_lock);
    engine_run = run;
    engine_ctx = run ? ctx : NULL;
    simdrop_mutex_unlock(&engine_lock);
    return SIMDROP_OK;
}

/* What the calling thread is: inside a parallel call or not (a call made inside one runs on the
 * thread itself, so no pool, the engine's or ours, is ever entered again from within itself),
 * and whether it has threading of its own (simdrop_set_local_threading). Thread-local: an
 * engine's scope is the threads it calls from, which needs no context argument on every
 * function, and is how OpenMP's thread count and MKL's local one are scoped too. */
typedef struct thread_state {
    int inside;
    int has_local;
    simdrop_threading local;
} thread_state;
static SIMDROP_THREAD_LOCAL thread_state this_thread;

int simdrop_set_local_threading(const simdrop_threading *t)
{
    if (t && (t->num_threads < 1 || t->num_threads > MAX_THREADS))
        return SIMDROP_ETHREADS;
    thread_state *ts = &this_thread;
    ts->has_local = t != NULL;
    if (t)
        ts->local = *t;
    return SIMDROP_OK;
}

/* The settings a call on this thread uses: its own, or the process-wide ones, whose engine pool
 * (behind a lock, which a call that does not split can skip) engine_pool() adds. Returns
 * whether they are the thread's own. */
static int current_threading(simdrop_threading *t)
{
    const thread_state *ts = &this_thread;
    if (ts->has_local) {
        *t = ts->local;
    } else {
        t->num_threads = atomic_load(&num_threads);
        t->min_task_bytes = atomic_load(&min_task_bytes);
        t->run = NULL;
        t->ctx = NULL;
    }
    if (!t->min_task_bytes)
        t->min_task_bytes = MIN_TASK_BYTES;
    return ts->has_local;
}

static void engine_pool(simdrop_threading *t)
{
    simdrop_mutex_lock(&engine_lock);
    t->run = engine_run;
    t->ctx = engine_ctx;
    simdrop_mutex_unlock(&engine_lock);
}

int simdrop_get_local_threading(simdrop_threading *t)
{
    if (!t)
        return SIMDROP_ENULL;
    simdrop_once(&env_once, read_env);
    const int local = current_threading(t);
    if (!local)
        engine_pool(t);
    return local;
}

/* ---- the built-in pool ---------------------------------------------------------------------- */

/* One parallel call: its tasks are claimed from `next`. It lives on the caller's stack, so no
 * worker may touch it once the caller returns: the caller waits until every worker that joined
 * it has left (`active` drops to 0) and then unpublishes it. A worker only ever claims from the
 * job it joined under the lock, so a claim can never mix two calls. */
typedef struct pool_job {
    void (*task)(void *, size_t);
    void *arg;
    size_t ntasks;
    atomic_size_t next;
} pool_job;

/* Workers park on `wake` between jobs. One job runs at a time (`busy`); a caller that finds the
 * pool busy runs its own job on its own thread, which gives the same bits and never waits. */
typedef struct pool {
    simdrop_mutex_t lock;
    simdrop_cond_t wake, done;
    simdrop_thread_t threads[MAX_THREADS];
    int nthreads;             /* workers started (the caller is the extra one) */
    unsigned long generation; /* bumped for every job, so parked workers see a new one */
    int shutdown, busy;
    pool_job *job;            /* the published job, or NULL */
    int active;               /* workers inside the published job */
} pool;

static pool the_pool = {.lock = SIMDROP_MUTEX_INIT, .wake = SIMDROP_COND_INIT, .done = SIMDROP_COND_INIT};

static void run_tasks(pool_job *job)
{
    for (size_t i; (i = atomic_fetch_add(&job->next, 1)) < job->ntasks;)
        job->task(job->arg, i);
}

static void worker(void *arg)
{
    pool *p = arg;
    unsigned long seen = 0;
    simdrop_mutex_lock(&p->lock);
    for (;;) {
        while (!p->shutdown && p->generation == seen)
            simdrop_cond_wait(&p->wake, &p->lock);
        if (p->shutdown)
            break;
        seen = p->generation;
        pool_job *job = p->job;
        if (!job) /* woke after the job was over */
            continue;
        p->active++;
        simdrop_mutex_unlock(&p->lock);
        run_tasks(job);
        simdrop_mutex_lock(&p->lock);
        if (--p->active == 0)
            simdrop_cond_broadcast(&p->done);
    }
    simdrop_mutex_unlock(&p->lock);
}

/* Starts workers up to `want` (called with the lock held and the pool ours). */
static int grow(pool *p, int want)
{
    while (p->nthreads < want) {
        if (simdrop_thread_start(&p->threads[p->nthreads], worker, p) != 0)
            return SIMDROP_ETHREADS;
        p->nthreads++;
    }
    return SIMDROP_OK;
}

/* Runs task(arg, i) for i < ntasks on the caller and up to ntasks - 1 workers. Returns 1 if it
 * ran them, 0 if the pool was busy (the caller then runs them itself), or an error before any
 * task ran. */
static int pool_run(size_t ntasks, void (*task)(void *, size_t), void *arg)
{
    pool *p = &the_pool;
    pool_job job;
    job.task = task;
    job.arg = arg;
    job.ntasks = ntasks;
    atomic_init(&job.next, 0);
    simdrop_mutex_lock(&p->lock);
    if (p->busy || p->shutdown) {
        simdrop_mutex_unlock(&p->lock);
        return 0;
    }
    const int status = grow(p, (int)ntasks - 1);
    if (status) {
        simdrop_mutex_unlock(&p->lock);
        return status;
    }
    p->busy = 1;
    p->job = &job;
    p->generation++;
    simdrop_cond_broadcast(&p->wake);
    simdrop_mutex_unlock(&p->lock);

    run_tasks(&job); /* returns once every task is claimed; workers may still be running some */

    simdrop_mutex_lock(&p->lock);
    while (p->active)
        simdrop_cond_wait(&p->done, &p->lock);
    p->job = NULL;
    p->busy = 0;
    simdrop_mutex_unlock(&p->lock);
    return 1;
}

#ifndef _WIN32
/* fork(): the child has none of the workers, so it starts with an empty pool. The forking thread
 * takes both locks across the fork (the engine hook's first: simdrop_run takes it before the
 * pool's), so the child's copies are consistent and held by the one thread the child has, which
 * then releases them; the condition variables get fresh copies, since their waiters are gone. */
static void before_fork(void)
{
    simdrop_mutex_lock(&engine_lock);
    simdrop_mutex_lock(&the_pool.lock);
}

static void after_fork_parent(void)
{
    simdrop_mutex_unlock(&the_pool.lock);
    simdrop_mutex_unlock(&engine_lock);
}

static void after_fork_child(void)
{
    pool *p = &the_pool;
    p->nthreads = 0;
    p->busy = 0;
    p->shutdown = 0;
    p->job = NULL;
    p->active = 0;
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    simdrop_mutex_unlock(&p->lock);
    simdrop_mutex_unlock(&engine_lock);
}

__attribute__((constructor)) static void install_fork_handlers(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}
#endif

#ifndef _WIN32
/* At exit or dlclose the parked workers are told to stop and joined, so nothing is left
 * running code that is about to be unmapped. */
__attribute__((destructor)) static void stop_pool(void)
{
    pool *p = &the_pool;
    simdrop_mutex_lock(&p->lock);
    p->shutdown = 1;
    simdrop_cond_broadcast(&p->wake);
    simdrop_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        simdrop_thread_join(p->threads[i]);
    p->nthreads = 0;
}
#else
/* Windows needs no stop_pool, and must not have one. Once the pool has started a thread its
 * module is pinned (platform.c), so it is unmapped only when the process ends, and Windows ends
 * the threads itself. A DLL's destructors run at DLL_PROCESS_DETACH, after ExitProcess has
 * killed every other thread wherever it was: taking the pool's lock there hung the exit forever
 * whenever a killed thread had held it (a caller or worker between two tasks), and a DLL cannot
 * wait for threads under the loader lock anyway. */
#endif

/* ---- splitting a job -------------------------------------------------------------------------- */

/* One parallel call as its tasks see it: the job, where each task starts, the caller's
 * floating-point environment, and the count of what ran, which holds an engine's pool to its
 * contract (each index below ntasks exactly once). */
typedef struct split {
    const simdrop_job *job;
    size_t ntasks;
    simdrop_fpenv env;
    atomic_int misrun;            /* an index out of range or repeated was called */
    atomic_size_t started, finished;
    atomic_uchar claimed[MAX_TASKS];
    size_t bounds[MAX_TASKS + 1];
} split;

/* Task i, in the caller's floating-point environment: a thread keeps the environment it was
 * started in (the built-in pool's workers that of the first caller that needed them, an
 * engine's threads their own), and results must not depend on which thread ran what. */
static void run_split_task(void *arg, size_t i)
{
    split *s = arg;
    /* Counted before anything else is read: split_status waits for every call counted here, and
     * *s lives on the caller's stack, so a call the count missed could run on after the caller
     * returned (a pool that returned early), and a repeat could miss setting misrun in time. */
    atomic_fetch_add(&s->started, 1);
    if (i >= s->ntasks || atomic_exchange(&s->claimed[i], 1)) { /* never out of bounds or twice */
        atomic_store(&s->misrun, 1);
        atomic_fetch_add(&s->finished, 1);
        return;
    }
    thread_state *ts = &this_thread;
    ts->inside++;
    const simdrop_fpenv own = simdrop_fpenv_get();
    const int switched = own.bits != s->env.bits;
    if (switched)
        simdrop_fpenv_set(s->env);
    simdrop_job_run(s->job, s->bounds[i], s->bounds[i + 1]);
    if (switched)
        simdrop_fpenv_set(own);
    ts->inside--;
    atomic_fetch_add(&s->finished, 1);
}

/* After the pool returned: SIMDROP_OK if every task ran exactly once, else SIMDROP_EPARALLEL
 * (without a misrun, every finished call ran its own task). A pool that returned early has
 * calls still running on *s, which lives on the caller's stack: those are waited for. */
static int split_status(split *s)
{
    while (atomic_load(&s->finished) != atomic_load(&s->started))
        simdrop_yield();
    return atomic_load(&s->misrun) || atomic_load(&s->finished) != s->ntasks ? SIMDROP_EPARALLEL
                                                                               : SIMDROP_OK;
}

/* Bytes a unit of the job moves (read and written), for the cut-off. */
static size_t unit_bytes(const simdrop_job *j)
{
    const size_t es = simdrop_dtype_size(j->dt);
    switch (j->kind) {
    case JOB_GROUPS: return 2 * es * j->group_len;
    case JOB_NHWC: return 2 * es * j->spatial * j->channels;
    case JOB_DBIAS: return 2 * es * (j->rows / SIMDROP_DBIAS_CHUNKS + 1) * j->cols;
    case JOB_ROWS: return 2 * es * j->cols;
    case JOB_PARTIALS: return 2 * es * j->granule * j->cols;
    case JOB_REDUCE: return es * j->rows; /* a column's partial sums */
    default: return j->rule == RULE_NONE ? 1 : 2 * es;
    }
}

static size_t task_count(const simdrop_job *j, const simdrop_threading *t)
{
    const size_t bytes = j->units * unit_bytes(j);
    size_t n = bytes / t->min_task_bytes;
    if (n > (size_t)t->num_threads)
        n = (size_t)t->num_threads;
    if (n > j->units)
        n = j->units;
    return n ? n : 1;
}

/* Task boundaries: equal shares, moved to the nearest block start of the job's global indices
 * (so two tasks never seed the same block) and to a multiple of the job's grain (so they never
 * share a mask byte). */
static void make_bounds(const simdrop_job *j, size_t ntasks, size_t *b)
{
    const size_t grain = simdrop_job_grain(j);
    const int seeded = j->kind == JOB_GEN || (j->kind == JOB_GROUPS && !j->from_bits);
    const size_t phase = seeded ? (size_t)((SIMDROP_BLOCK - j->offset % SIMDROP_BLOCK) % SIMDROP_BLOCK) : 0;
    b[0] = 0;
    for (size_t i = 1; i < ntasks; i++) {
        size_t at = j->units / ntasks * i + j->units % ntasks * i / ntasks;
        if (seeded && at > phase)
            at = phase + (at - phase + SIMDROP_BLOCK / 2) / SIMDROP_BLOCK * SIMDROP_BLOCK;
        at = (at + grain - 1) / grain * grain;
        if (at < b[i - 1])
            at = b[i - 1];
        b[i] = at < j->units ? at : j->units;
    }
    b[ntasks] = j->units;
}

/* Runs the tasks of s on the engine's pool or ours (or, ours being busy, on the caller). */
static int run_split(split *s, const simdrop_threading *t)
{
    if (t->run) {
        t->run(t->ctx, s->ntasks, run_split_task, s);
        return split_status(s);
    }
    const int status = pool_run(s->ntasks, run_split_task, s);
    if (status < 0)
        return status;
    if (status == 0) /* the pool is busy with another caller's job */
        for (size_t i = 0; i < s->ntasks; i++)
            run_split_task(s, i);
    return split_status(s);
}

int simdrop_run(simdrop_job *j)
{
    simdrop_threading t;
    const int local = current_threading(&t);
    thread_state *ts = &this_thread;
    const size_t ntasks = t.num_threads > 1 && !ts->inside ? task_count(j, &t) : 1;
    unsigned char one_slot[4096];
    void *slots = NULL;
    if (j->kind == JOB_DBIAS && j->dbias) {
        /* One range folds each chunk at once through one slot; tasks need one slot a chunk. */
        const size_t as = j->dt == DT_F64 ? sizeof(double) : sizeof(float);
        j->progressive = ntasks == 1;
        const size_t bytes = (j->progressive ? 1 : SIMDROP_DBIAS_CHUNKS - 1) * j->cols * as;
        slots = bytes <= sizeof one_slot ? one_slot : malloc(bytes);
        if (!slots)
            return SIMDROP_ENOMEM;
        j->slots = slots;
    }
    int status = SIMDROP_OK;
    if (ntasks == 1) {
        simdrop_job_run(j, 0, j->units);
    } else {
        split s;
        s.job = j;
        s.ntasks = ntasks;
        s.env = simdrop_fpenv_get();
        atomic_init(&s.misrun, 0);
        atomic_init(&s.started, 0);
        atomic_init(&s.finished, 0);
        for (size_t i = 0; i < ntasks; i++)
            atomic_init(&s.claimed[i], 0);
        make_bounds(j, ntasks, s.bounds);
        if (!local)
            engine_pool(&t);
        ts->inside++;
        status = run_split(&s, &t);
        ts->inside--;
    }
    if (!status)
        simdrop_job_finish(j);
    if (slots != one_slot)
        free(slots);
    return status;
}
