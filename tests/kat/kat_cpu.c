/* kat_cpu.c: the CPU executor of the known-answer vectors: each call is one simdrop_* function, each variant a kernel path. */
#include "kat_main.h"

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
    "cpu",
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
    KAT_NAN_NEGATIVE, /* x86's default NaN has the sign bit set */
#elif defined(__aarch64__) || defined(_M_ARM64)
    KAT_NAN_POSITIVE,
#else
    KAT_NAN_ANY,
#endif
    cpu_variants, cpu_select, cpu_run, cpu_finish};

int main(int argc, char **argv)
{
    return kat_main(argc, argv, &cpu_backend);
}
