/* kernel_list.h: every kernel of gpu/kernels.h by name, kind, rule and dtype: one list for the kernels and for the hosts that launch them. */
#ifndef SIMDROP_GPU_KERNEL_LIST_H
#define SIMDROP_GPU_KERNEL_LIST_H

/* X(name, kind, rule, dtype): the kernel simdrop_k_<name> runs the body simdrop_dev_<kind>
 * with a constant rule (values.h's, or SIMDROP_DEV_RULE_COPY) and dtype, so each kernel is
 * specialised by the compiler. The kinds:
 *   gen       keep bits from the generator: elements by `rule` and/or the bitmask (RULE_NONE:
 *             the bitmask alone); one thread per lane, a warp per two blocks
 *   bits      keep bits from a bitmask: one per group_len elements (backward, groups), per
 *             (sample, channel) (channels-last), or a block's from its global index range
 *   gather    a block's mask from the bits of its global index range
 *   colsum    the bias gradient's partial sums: one per (row chunk or granule, column)
 *   fold      the partial sums of each column folded in chunk order into dbias
 *   to_bytes, from_bytes   the mask conversions
 * The hosts number the kernels in this order (gpu/launch.h), the OpenCL host looks them up by
 * name, the CUDA host takes their addresses. */
#define SIMDROP_DEV_RULE_COPY RULE_COUNT /* bits: y = x, no arithmetic (alpha dropout, p = 0) */

#define SIMDROP_GPU_DTYPE_KERNELS(X, kind, rule, RULE)                                            \
    X(kind##_##rule##_f32, kind, RULE, DT_F32)                                                    \
    X(kind##_##rule##_f64, kind, RULE, DT_F64)                                                    \
    X(kind##_##rule##_bf16, kind, RULE, DT_BF16)                                                  \
    X(kind##_##rule##_f16, kind, RULE, DT_F16)

#define SIMDROP_GPU_KERNELS(X)                                                                    \
    X(gen_mask, gen, RULE_NONE, DT_F32)                                                           \
    SIMDROP_GPU_DTYPE_KERNELS(X, gen, scale, RULE_SCALE)                                          \
    SIMDROP_GPU_DTYPE_KERNELS(X, gen, affine, RULE_AFFINE)                                        \
    SIMDROP_GPU_DTYPE_KERNELS(X, gen, bias, RULE_BIAS)                                            \
    SIMDROP_GPU_DTYPE_KERNELS(X, gen, resid, RULE_RESID)                                          \
    SIMDROP_GPU_DTYPE_KERNELS(X, gen, bias_resid, RULE_BIAS_RESID)                                \
    SIMDROP_GPU_DTYPE_KERNELS(X, bits, scale, RULE_SCALE)                                         \
    SIMDROP_GPU_DTYPE_KERNELS(X, bits, affine, RULE_AFFINE)                                       \
    SIMDROP_GPU_DTYPE_KERNELS(X, bits, copy, SIMDROP_DEV_RULE_COPY)                               \
    SIMDROP_GPU_DTYPE_KERNELS(X, bits, bias, RULE_BIAS)                                           \
    SIMDROP_GPU_DTYPE_KERNELS(X, bits, resid, RULE_RESID)                                         \
    SIMDROP_GPU_DTYPE_KERNELS(X, bits, bias_resid, RULE_BIAS_RESID)                               \
    X(gather, gather, RULE_NONE, DT_F32)                                                          \
    X(colsum_f32, colsum, RULE_NONE, DT_F32)                                                      \
    X(colsum_f64, colsum, RULE_NONE, DT_F64)                                                      \
    X(colsum_bf16, colsum, RULE_NONE, DT_BF16)                                                    \
    X(colsum_f16, colsum, RULE_NONE, DT_F16)                                                      \
    X(fold_f32, fold, RULE_NONE, DT_F32)                                                          \
    X(fold_f64, fold, RULE_NONE, DT_F64)                                                          \
    X(to_bytes, to_bytes, RULE_NONE, DT_F32)                                                      \
    X(from_bytes, from_bytes, RULE_NONE, DT_F32)

#endif /* SIMDROP_GPU_KERNEL_LIST_H */
