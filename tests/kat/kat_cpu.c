/* kat_cpu.c: the CPU executor of the known-answer vectors: each call is one simdrop_* function, each variant a kernel path. */
#include "kat_main.h"

/* Built twice: kat_cpu, and with KAT_NHWC kat_nhwc, which runs every group and alpha record
 * through the channels-last functions on the transposed tensor (samples x channels = groups,
 * spatial = group_len) and transposes the result back: the same answers, by MASK_SPEC 4.3. */

/* One function per dtype: the call's family and op pick the simdrop_* function. An alias passes
 * the output buffer, which holds that input, as the input too. */
#define KAT_CPU_DTYPE(S, T, DB)                                                                    \
    static int run_##S(const kat_call *c, kat_outputs *o)                                          \
    {                                                                                              \
        T *y = (T *)o->y;                                                                          \
        const T *x = c->alias == KAT_OUT_IS_X ? y : (const T *)c->x;                               \
        const T *r = c->alias == KAT_OUT_IS_RESIDUAL ? y : (const T *)c->residual;                 \
        const uint8_t *m = c->mask_in;                                                             \
        const simdrop_block all = {c->a, c->b, 0, 0, c->b, c->b, c->b}; /* KAT_GRANULES */         \
        switch (c->family * 3 + c->op) {                                                           \
        case KAT_DROPOUT * 3 + KAT_FORWARD:                                                        \
            return simdrop_forward_##S(y, o->mask, x, c->a, c->p, c->seed, c->offset);             \
        case KAT_DROPOUT * 3 + KAT_BACKWARD: return simdrop_backward_##S(y, x, m, c->a, c->p);    \
        case KAT_DROPOUT * 3 + KAT_REGEN:                                                          \
            return simdrop_backward_regen_##S(y, x, c->a, c->p, c->seed, c->offset);               \
        case KAT_GROUPS * 3 + KAT_FORWARD:                                                         \
            return simdrop_forward_groups_##S(y, o->mask, x, c->a, c->b, c->p, c->seed, c->offset);\
        case KAT_GROUPS * 3 + KAT_BACKWARD:                                                        \
            return simdrop_backward_groups_##S(y, x, m, c->a, c->b, c->p);                        \
        case KAT_GROUPS * 3 + KAT_REGEN:                                                           \
            return simdrop_backward_groups_regen_##S(y, x, c->a, c->b, c->p, c->seed, c->offset);  \
        case KAT_ALPHA * 3 + KAT_FORWARD:                                                          \
            return simdrop_alpha_forward_##S(y, o->mask, x, c->a, c->b, c->p, c->seed, c->offset); \
        case KAT_ALPHA * 3 + KAT_BACKWARD:                                                         \
            return simdrop_alpha_backward_##S(y, x, m, c->a, c->b, c->p);                         \
        case KAT_ALPHA * 3 + KAT_REGEN:                                                            \
            return simdrop_alpha_backward_regen_##S(y, x, c->a, c->b, c->p, c->seed, c->offset);   \
        case KAT_UNSCALED * 3 + KAT_FORWARD:                                                       \
            return simdrop_unscaled_forward_##S(y, o->mask, x, c->a, c->b, c->p, c->seed,          \
                                                c->offset);                                        \
        case KAT_UNSCALED * 3 + KAT_BACKWARD: /* takes no p */                                     \
            return simdrop_unscaled_backward_##S(y, x, m, c->a, c->b);                             \
        case KAT_UNSCALED * 3 + KAT_REGEN:                                                         \
            return simdrop_unscaled_backward_regen_##S(y, x, c->a, c->b, c->p, c->seed,            \
                                                       c->offset);                                 \
        case KAT_BDA * 3 + KAT_FORWARD:                                                            \
            return simdrop_bias_dropout_add_##S(y, o->mask, x, (const T *)c->bias, r, c->a, c->b,  \
                                                c->p, c->seed, c->offset);                         \
        case KAT_BDA * 3 + KAT_BACKWARD:                                                           \
            return simdrop_bias_dropout_add_backward_##S(y, (DB *)o->dbias, x, m, c->a, c->b,      \
                                                         c->p);                                    \
        case KAT_BDA * 3 + KAT_REGEN:                                                              \
            return simdrop_bias_dropout_add_backward_regen_##S(y, (DB *)o->dbias, x, c->a, c->b,   \
                                                               c->p, c->seed, c->offset);          \
        case KAT_GRANULES * 3 + KAT_BACKWARD:                                                      \
            return simdrop_bias_dropout_add_backward_block_##S(y, (DB *)o->dbias, x, m, &all,      \
                                                               c->granule, c->p);                  \
        case KAT_GRANULES * 3 + KAT_REGEN:                                                         \
            return simdrop_bias_dropout_add_backward_regen_block_##S(                              \
                y, (DB *)o->dbias, x, &all, c->granule, c->p, c->seed, c->offset);                 \
        default: return -100; /* no such call */                                                   \
        }                                                                                          \
    }

KAT_CPU_DTYPE(f32, float, float)
KAT_CPU_DTYPE(f64, double, double)
KAT_CPU_DTYPE(bf16, uint16_t, float)
KAT_CPU_DTYPE(f16, uint16_t, float)

static int cpu_run(const kat_call *c, kat_outputs *o)
{
    static int (*const by_dtype[KAT_DTYPES])(const kat_call *, kat_outputs *) = {
        run_f32, run_f64, run_bf16, run_f16};
    if (c->op == KAT_MASK_ONLY)
        return simdrop_mask(o->mask, c->a, c->p, c->seed, c->offset);
    if (c->op == KAT_SITE_SEED) {
        const uint64_t answers[2] = {simdrop_site_key(c->site),
                                     simdrop_site_seed(c->seed, simdrop_site_key(c->site), c->offset)};
        memcpy(o->y, answers, sizeof answers);
        return 0;
    }
    if (c->op == KAT_REDUCE) {
        const size_t granules = (c->a + c->granule - 1) / c->granule;
        return c->dtype == KAT_F64
                   ? simdrop_dbias_reduce_f64((double *)o->dbias, (const double *)c->x, granules, c->b)
                   : simdrop_dbias_reduce_f32((float *)o->dbias, (const float *)c->x, granules, c->b);
    }
    return by_dtype[c->dtype](c, o);
}

#ifdef KAT_NHWC
/* The channels-last function of a group or alpha call, on NHWC buffers x and y. */
#define KAT_NHWC_DTYPE(S, T)                                                                       \
    static int nhwc_##S(const kat_call *c, void *yv, uint8_t *mask, const void *xv, size_t n_s,   \
                        size_t ch)                                                                 \
    {                                                                                              \
        T *y = (T *)yv;                                                                            \
        const T *x = (const T *)xv;                                                                \
        const int alpha = c->family == KAT_ALPHA;                                                  \
        switch (c->op) {                                                                           \
        case KAT_FORWARD:                                                                          \
            return (alpha ? simdrop_alpha_forward_nhwc_##S : simdrop_forward_groups_nhwc_##S)(     \
                y, mask, x, n_s, c->b, ch, c->p, c->seed, c->offset);                              \
        case KAT_BACKWARD:                                                                         \
            return (alpha ? simdrop_alpha_backward_nhwc_##S : simdrop_backward_groups_nhwc_##S)(   \
                y, x, c->mask_in, n_s, c->b, ch, c->p);                                            \
        default:                                                                                   \
            return (alpha ? simdrop_alpha_backward_nhwc_regen_##S                                  \
                          : simdrop_backward_groups_nhwc_regen_##S)(y, x, n_s, c->b, ch, c->p,     \
                                                                    c->seed, c->offset);           \
        }                                                                                          \
    }

KAT_NHWC_DTYPE(f32, float)
KAT_NHWC_DTYPE(f64, double)
KAT_NHWC_DTYPE(bf16, uint16_t)
KAT_NHWC_DTYPE(f16, uint16_t)

/* Element (s, c, i) of the NCHW tensor to element (s, i, c) of the NHWC one, or back. */
static void transpose(unsigned char *dst, const unsigned char *src, size_t samples, size_t ch,
                      size_t spatial, size_t es, int to_nhwc)
{
    for (size_t s = 0; s < samples; s++)
        for (size_t c = 0; c < ch; c++)
            for (size_t i = 0; i < spatial; i++) {
                const size_t nchw = ((s * ch + c) * spatial + i) * es;
                const size_t nhwc = ((s * spatial + i) * ch + c) * es;
                memcpy(dst + (to_nhwc ? nhwc : nchw), src + (to_nhwc ? nchw : nhwc), es);
            }
}

static int nhwc_run(const kat_call *c, kat_outputs *o)
{
    static int (*const by_dtype[KAT_DTYPES])(const kat_call *, void *, uint8_t *, const void *,
                                             size_t, size_t) = {nhwc_f32, nhwc_f64, nhwc_bf16,
                                                                nhwc_f16};
    if ((c->family != KAT_GROUPS && c->family != KAT_ALPHA) || c->op == KAT_MASK_ONLY)
        return cpu_run(c, o);
    /* groups = samples x channels: samples the smallest factor above 1 (1 for a prime) */
    size_t samples = 1;
    for (size_t d = 2; d * d <= c->a && samples == 1; d++)
        if (c->a % d == 0)
            samples = d;
    const size_t ch = samples ? c->a / samples : 0, es = kat_dtype_size(c->dtype);
    const size_t n = c->a * c->b;
    unsigned char *x = malloc(n * es + 1), *y = malloc(n * es + 1);
    if (!x || !y) {
        free(x), free(y);
        return -101;
    }
    transpose(x, c->alias == KAT_OUT_IS_X ? (const unsigned char *)o->y : c->x, samples, ch, c->b,
              es, 1);
    if (c->alias == KAT_OUT_IS_X) /* in place, on the transposed tensor */
        memcpy(y, x, n * es);
    const int status = by_dtype[c->dtype](c, y, o->mask, c->alias == KAT_OUT_IS_X ? y : x,
                                          samples, ch);
    transpose(o->y, y, samples, ch, c->b, es, 0);
    free(x), free(y);
    return status;
}
#define KAT_RUN nhwc_run
#else
#define KAT_RUN cpu_run
#endif

/* Every kernel path this build and CPU can run. */
static size_t cpu_variants(const char **names, size_t max)
{
    size_t count = 0;
    for (const char *const *name = simdrop_isa_list(); *name; name++)
        if (simdrop_isa_supported(*name) == 1) {
            if (count < max)
                names[count] = *name;
            count++;
        }
    return count;
}

static int cpu_select(size_t variant)
{
    const char *names[KAT_MAX_VARIANTS];
    const size_t count = cpu_variants(names, KAT_MAX_VARIANTS);
    return variant < count ? simdrop_set_isa(names[variant]) : -1;
}

static int cpu_finish(void)
{
    return simdrop_set_isa("auto");
}

static const kat_backend cpu_backend = {
#ifdef KAT_NHWC
    "cpu-nhwc",
#else
    "cpu",
#endif
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
    KAT_NAN_NEGATIVE, /* x86's default NaN has the sign bit set */
#elif defined(__aarch64__) || defined(_M_ARM64)
    KAT_NAN_POSITIVE,
#elif defined(__riscv)
    KAT_NAN_CANONICAL, /* every operation, scalar or vector, returns the canonical NaN */
#else
    KAT_NAN_ANY,
#endif
    cpu_variants, cpu_select, KAT_RUN, cpu_finish};

int main(int argc, char **argv)
{
    return kat_main(argc, argv, &cpu_backend);
}
