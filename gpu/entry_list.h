/* entry_list.h: the entry points of include/simdrop.h as a list, from which each GPU front end defines its twins (simdrop_cuda_*, simdrop_cl_*) and the tests call them.
 *
 * X(fn, ENTRY, DTYPE, SIG, T, A): the function's name without prefix, its row of check.h
 * (SIMDROP_ENTRY_<ENTRY>), its dtype (check.h's), the shape of its parameter list, the element
 * type and the bias gradient's. A shape S gives
 *   SIMDROP_GPU_SIG_<S>(T, A)   the parameters as the CPU function has them, with each buffer's
 *                               type from the front end's SIMDROP_GPU_OUT(T) / SIMDROP_GPU_IN(T)
 *                               (CUDA: T * and const T *; OpenCL: cl_mem)
 *   SIMDROP_GPU_BUFS_<S>        the buffers, in order, as an initializer
 *   SIMDROP_GPU_COUNTS_<S>      a, b, channels, block, granule, p, seed, offset for
 *                               simdrop_gpu_call_init (0 or NULL where absent)
 *   SIMDROP_GPU_FROM_<S>(T, A)  the arguments from handles h[], a test's ent_shape s, its block
 *                               blk (from s), p, seed and offset in scope: how a test calls any
 *                               entry one way
 * The front ends' headers (include/simdrop_cuda.h, include/simdrop_opencl.h) spell every
 * prototype out; the compiler holds them to the definitions made from this list. */
#ifndef SIMDROP_GPU_ENTRY_LIST_H
#define SIMDROP_GPU_ENTRY_LIST_H

#define SIMDROP_GPU_DTYPE_ENTRIES(X, dt, T, A, DTYPE)                                             \
    X(forward_##dt, FORWARD, DTYPE, FORWARD, T, A)                                                \
    X(backward_##dt, BACKWARD, DTYPE, BACKWARD, T, A)                                             \
    X(backward_regen_##dt, BACKWARD_REGEN, DTYPE, REGEN, T, A)                                    \
    X(forward_groups_##dt, FORWARD_GROUPS, DTYPE, FORWARD_GROUPS, T, A)                           \
    X(backward_groups_##dt, BACKWARD_GROUPS, DTYPE, BACKWARD_GROUPS, T, A)                        \
    X(backward_groups_regen_##dt, BACKWARD_GROUPS_REGEN, DTYPE, REGEN_GROUPS, T, A)               \
    X(alpha_forward_##dt, ALPHA_FORWARD, DTYPE, FORWARD_GROUPS, T, A)                             \
    X(alpha_backward_##dt, ALPHA_BACKWARD, DTYPE, BACKWARD_GROUPS, T, A)                          \
    X(alpha_backward_regen_##dt, ALPHA_BACKWARD_REGEN, DTYPE, REGEN_GROUPS, T, A)                 \
    X(bias_dropout_add_##dt, BDA, DTYPE, BDA, T, A)                                               \
    X(bias_dropout_add_backward_##dt, BDA_BACKWARD, DTYPE, BDA_BACKWARD, T, A)                    \
    X(bias_dropout_add_backward_regen_##dt, BDA_BACKWARD_REGEN, DTYPE, BDA_REGEN, T, A)          \
    X(unscaled_forward_##dt, UNSCALED_FORWARD, DTYPE, FORWARD_GROUPS, T, A)                       \
    X(unscaled_backward_##dt, UNSCALED_BACKWARD, DTYPE, BACKWARD_GROUPS_NO_P, T, A)               \
    X(unscaled_backward_regen_##dt, UNSCALED_BACKWARD_REGEN, DTYPE, REGEN_GROUPS, T, A)           \
    X(forward_groups_nhwc_##dt, FORWARD_GROUPS_NHWC, DTYPE, FORWARD_NHWC, T, A)                   \
    X(backward_groups_nhwc_##dt, BACKWARD_GROUPS_NHWC, DTYPE, BACKWARD_NHWC, T, A)                \
    X(backward_groups_nhwc_regen_##dt, BACKWARD_GROUPS_NHWC_REGEN, DTYPE, REGEN_NHWC, T, A)       \
    X(alpha_forward_nhwc_##dt, FORWARD_ALPHA_NHWC, DTYPE, FORWARD_NHWC, T, A)                     \
    X(alpha_backward_nhwc_##dt, BACKWARD_ALPHA_NHWC, DTYPE, BACKWARD_NHWC, T, A)                  \
    X(alpha_backward_nhwc_regen_##dt, BACKWARD_ALPHA_NHWC_REGEN, DTYPE, REGEN_NHWC, T, A)         \
    X(forward_block_##dt, FORWARD_BLOCK, DTYPE, FORWARD_BLOCK, T, A)                              \
    X(backward_block_##dt, BACKWARD_BLOCK, DTYPE, BACKWARD_BLOCK, T, A)                           \
    X(backward_regen_block_##dt, BACKWARD_REGEN_BLOCK, DTYPE, REGEN_BLOCK, T, A)                  \
    X(bias_dropout_add_block_##dt, BDA_BLOCK, DTYPE, BDA_BLOCK, T, A)                             \
    X(bias_dropout_add_backward_block_##dt, BDA_BACKWARD_BLOCK, DTYPE, BDA_BACKWARD_BLOCK, T, A)  \
    X(bias_dropout_add_backward_regen_block_##dt, BDA_BACKWARD_REGEN_BLOCK, DTYPE,                \
      BDA_REGEN_BLOCK, T, A)

#define SIMDROP_GPU_ENTRIES(X)                                                                    \
    SIMDROP_GPU_DTYPE_ENTRIES(X, f32, float, float, SIMDROP_DTYPE_F32)                            \
    SIMDROP_GPU_DTYPE_ENTRIES(X, f64, double, double, SIMDROP_DTYPE_F64)                          \
    SIMDROP_GPU_DTYPE_ENTRIES(X, bf16, uint16_t, float, SIMDROP_DTYPE_BF16)                       \
    SIMDROP_GPU_DTYPE_ENTRIES(X, f16, uint16_t, float, SIMDROP_DTYPE_F16)                         \
    X(mask, MASK, SIMDROP_DTYPE_NONE, MASK, uint8_t, float)                                       \
    X(mask_to_bytes, MASK_TO_BYTES, SIMDROP_DTYPE_NONE, TO_BYTES, uint8_t, float)                 \
    X(mask_from_bytes, MASK_FROM_BYTES, SIMDROP_DTYPE_NONE, FROM_BYTES, uint8_t, float)           \
    X(dbias_reduce_f32, DBIAS_REDUCE, SIMDROP_DTYPE_F32, REDUCE, float, float)                    \
    X(dbias_reduce_f64, DBIAS_REDUCE, SIMDROP_DTYPE_F64, REDUCE, double, double)

/* The shapes. OUT and IN are the front end's buffer types; the seeds and offsets follow p. */
#define SIMDROP_GPU_OUT_(T) SIMDROP_GPU_OUT(T)
#define SIMDROP_GPU_IN_(T) SIMDROP_GPU_IN(T)
#define SIMDROP_GPU_SEEDS uint64_t seed, uint64_t offset

#define SIMDROP_GPU_SIG_FORWARD(T, A)                                                             \
    SIMDROP_GPU_OUT_(T) y, SIMDROP_GPU_OUT_(uint8_t) mask, SIMDROP_GPU_IN_(T) x, size_t n,        \
        double p, SIMDROP_GPU_SEEDS
#define SIMDROP_GPU_BUFS_FORWARD {y, mask, x}
#define SIMDROP_GPU_COUNTS_FORWARD n, 0, 0, NULL, 0, p, seed, offset
#define SIMDROP_GPU_FROM_FORWARD(T, A)                                                            \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_OUT_(uint8_t))h[1], (SIMDROP_GPU_IN_(T))h[2], s.a, p, \
        seed, offset

#define SIMDROP_GPU_SIG_BACKWARD(T, A)                                                            \
    SIMDROP_GPU_OUT_(T) dx, SIMDROP_GPU_IN_(T) dy, SIMDROP_GPU_IN_(uint8_t) mask, size_t n, double p
#define SIMDROP_GPU_BUFS_BACKWARD {dx, dy, mask}
#define SIMDROP_GPU_COUNTS_BACKWARD n, 0, 0, NULL, 0, p, 0, 0
#define SIMDROP_GPU_FROM_BACKWARD(T, A)                                                           \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_IN_(T))h[1], (SIMDROP_GPU_IN_(uint8_t))h[2], s.a, p

#define SIMDROP_GPU_SIG_REGEN(T, A)                                                               \
    SIMDROP_GPU_OUT_(T) dx, SIMDROP_GPU_IN_(T) dy, size_t n, double p, SIMDROP_GPU_SEEDS
#define SIMDROP_GPU_BUFS_REGEN {dx, dy}
#define SIMDROP_GPU_COUNTS_REGEN n, 0, 0, NULL, 0, p, seed, offset
#define SIMDROP_GPU_FROM_REGEN(T, A)                                                              \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_IN_(T))h[1], s.a, p, seed, offset

#define SIMDROP_GPU_SIG_FORWARD_GROUPS(T, A)                                                      \
    SIMDROP_GPU_OUT_(T) y, SIMDROP_GPU_OUT_(uint8_t) mask, SIMDROP_GPU_IN_(T) x, size_t groups,   \
        size_t group_len, double p, SIMDROP_GPU_SEEDS
#define SIMDROP_GPU_BUFS_FORWARD_GROUPS {y, mask, x}
#define SIMDROP_GPU_COUNTS_FORWARD_GROUPS groups, group_len, 0, NULL, 0, p, seed, offset
#define SIMDROP_GPU_FROM_FORWARD_GROUPS(T, A)                                                     \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_OUT_(uint8_t))h[1], (SIMDROP_GPU_IN_(T))h[2], s.a,    \
        s.b, p, seed, offset

#define SIMDROP_GPU_SIG_BACKWARD_GROUPS(T, A)                                                     \
    SIMDROP_GPU_OUT_(T) dx, SIMDROP_GPU_IN_(T) dy, SIMDROP_GPU_IN_(uint8_t) mask, size_t groups,  \
        size_t group_len, double p
#define SIMDROP_GPU_BUFS_BACKWARD_GROUPS {dx, dy, mask}
#define SIMDROP_GPU_COUNTS_BACKWARD_GROUPS groups, group_len, 0, NULL, 0, p, 0, 0
#define SIMDROP_GPU_FROM_BACKWARD_GROUPS(T, A)                                                    \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_IN_(T))h[1], (SIMDROP_GPU_IN_(uint8_t))h[2], s.a,     \
        s.b, p

#define SIMDROP_GPU_SIG_REGEN_GROUPS(T, A)                                                        \
    SIMDROP_GPU_OUT_(T) dx, SIMDROP_GPU_IN_(T) dy, size_t groups, size_t group_len, double p,     \
        SIMDROP_GPU_SEEDS
#define SIMDROP_GPU_BUFS_REGEN_GROUPS {dx, dy}
#define SIMDROP_GPU_COUNTS_REGEN_GROUPS groups, group_len, 0, NULL, 0, p, seed, offset
#define SIMDROP_GPU_FROM_REGEN_GROUPS(T, A)                                                       \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_IN_(T))h[1], s.a, s.b, p, seed, offset

#define SIMDROP_GPU_SIG_BDA(T, A)                                                                 \
    SIMDROP_GPU_OUT_(T) out, SIMDROP_GPU_OUT_(uint8_t) mask, SIMDROP_GPU_IN_(T) x,                \
        SIMDROP_GPU_IN_(T) bias, SIMDROP_GPU_IN_(T) residual, size_t rows, size_t cols, double p, \
        SIMDROP_GPU_SEEDS
#define SIMDROP_GPU_BUFS_BDA {out, mask, x, bias, residual}
#define SIMDROP_GPU_COUNTS_BDA rows, cols, 0, NULL, 0, p, seed, offset
#define SIMDROP_GPU_FROM_BDA(T, A)                                                                \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_OUT_(uint8_t))h[1], (SIMDROP_GPU_IN_(T))h[2],         \
        (SIMDROP_GPU_IN_(T))h[3], (SIMDROP_GPU_IN_(T))h[4], s.a, s.b, p, seed, offset

#define SIMDROP_GPU_SIG_BDA_BACKWARD(T, A)                                                        \
    SIMDROP_GPU_OUT_(T) dx, SIMDROP_GPU_OUT_(A) dbias, SIMDROP_GPU_IN_(T) dout,                   \
        SIMDROP_GPU_IN_(uint8_t) mask, size_t rows, size_t cols, double p
#define SIMDROP_GPU_BUFS_BDA_BACKWARD {dx, dbias, dout, mask}
#define SIMDROP_GPU_COUNTS_BDA_BACKWARD rows, cols, 0, NULL, 0, p, 0, 0
#define SIMDROP_GPU_FROM_BDA_BACKWARD(T, A)                                                       \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_OUT_(A))h[1], (SIMDROP_GPU_IN_(T))h[2],               \
        (SIMDROP_GPU_IN_(uint8_t))h[3], s.a, s.b, p

#define SIMDROP_GPU_SIG_BDA_REGEN(T, A)                                                           \
    SIMDROP_GPU_OUT_(T) dx, SIMDROP_GPU_OUT_(A) dbias, SIMDROP_GPU_IN_(T) dout, size_t rows,      \
        size_t cols, double p, SIMDROP_GPU_SEEDS
#define SIMDROP_GPU_BUFS_BDA_REGEN {dx, dbias, dout}
#define SIMDROP_GPU_COUNTS_BDA_REGEN rows, cols, 0, NULL, 0, p, seed, offset
#define SIMDROP_GPU_FROM_BDA_REGEN(T, A)                                                          \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_OUT_(A))h[1], (SIMDROP_GPU_IN_(T))h[2], s.a, s.b, p,  \
        seed, offset

#define SIMDROP_GPU_SIG_MASK(T, A)                                                                \
    SIMDROP_GPU_OUT_(uint8_t) mask, size_t n, double p, SIMDROP_GPU_SEEDS
#define SIMDROP_GPU_BUFS_MASK {mask}
#define SIMDROP_GPU_COUNTS_MASK n, 0, 0, NULL, 0, p, seed, offset
#define SIMDROP_GPU_FROM_MASK(T, A) (SIMDROP_GPU_OUT_(uint8_t))h[0], s.a, p, seed, offset

#define SIMDROP_GPU_SIG_TO_BYTES(T, A)                                                            \
    SIMDROP_GPU_OUT_(uint8_t) bytes, SIMDROP_GPU_IN_(uint8_t) mask, size_t n
#define SIMDROP_GPU_BUFS_TO_BYTES {bytes, mask}
#define SIMDROP_GPU_COUNTS_TO_BYTES n, 0, 0, NULL, 0, 0.0, 0, 0
#define SIMDROP_GPU_FROM_TO_BYTES(T, A)                                                           \
    (SIMDROP_GPU_OUT_(uint8_t))h[0], (SIMDROP_GPU_IN_(uint8_t))h[1], s.a

#define SIMDROP_GPU_SIG_FROM_BYTES(T, A)                                                          \
    SIMDROP_GPU_OUT_(uint8_t) mask, SIMDROP_GPU_IN_(uint8_t) bytes, size_t n
#define SIMDROP_GPU_BUFS_FROM_BYTES {mask, bytes}
#define SIMDROP_GPU_COUNTS_FROM_BYTES n, 0, 0, NULL, 0, 0.0, 0, 0
#define SIMDROP_GPU_FROM_FROM_BYTES(T, A)                                                         \
    (SIMDROP_GPU_OUT_(uint8_t))h[0], (SIMDROP_GPU_IN_(uint8_t))h[1], s.a

#define SIMDROP_GPU_SIG_BACKWARD_GROUPS_NO_P(T, A)                                                \
    SIMDROP_GPU_OUT_(T) dx, SIMDROP_GPU_IN_(T) dy, SIMDROP_GPU_IN_(uint8_t) mask, size_t groups,  \
        size_t group_len
#define SIMDROP_GPU_BUFS_BACKWARD_GROUPS_NO_P {dx, dy, mask}
#define SIMDROP_GPU_COUNTS_BACKWARD_GROUPS_NO_P groups, group_len, 0, NULL, 0, 0.0, 0, 0
#define SIMDROP_GPU_FROM_BACKWARD_GROUPS_NO_P(T, A)                                               \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_IN_(T))h[1], (SIMDROP_GPU_IN_(uint8_t))h[2], s.a, s.b

/* channels-last: (samples, spatial, channels) */
#define SIMDROP_GPU_NHWC_COUNTS size_t samples, size_t spatial, size_t channels
#define SIMDROP_GPU_SIG_FORWARD_NHWC(T, A)                                                        \
    SIMDROP_GPU_OUT_(T) y, SIMDROP_GPU_OUT_(uint8_t) mask, SIMDROP_GPU_IN_(T) x,                  \
        SIMDROP_GPU_NHWC_COUNTS, double p, SIMDROP_GPU_SEEDS
#define SIMDROP_GPU_BUFS_FORWARD_NHWC {y, mask, x}
#define SIMDROP_GPU_COUNTS_FORWARD_NHWC samples, spatial, channels, NULL, 0, p, seed, offset
#define SIMDROP_GPU_FROM_FORWARD_NHWC(T, A)                                                       \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_OUT_(uint8_t))h[1], (SIMDROP_GPU_IN_(T))h[2], s.a,    \
        s.b, s.c, p, seed, offset

#define SIMDROP_GPU_SIG_BACKWARD_NHWC(T, A)                                                       \
    SIMDROP_GPU_OUT_(T) dx, SIMDROP_GPU_IN_(T) dy, SIMDROP_GPU_IN_(uint8_t) mask,                 \
        SIMDROP_GPU_NHWC_COUNTS, double p
#define SIMDROP_GPU_BUFS_BACKWARD_NHWC {dx, dy, mask}
#define SIMDROP_GPU_COUNTS_BACKWARD_NHWC samples, spatial, channels, NULL, 0, p, 0, 0
#define SIMDROP_GPU_FROM_BACKWARD_NHWC(T, A)                                                      \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_IN_(T))h[1], (SIMDROP_GPU_IN_(uint8_t))h[2], s.a,     \
        s.b, s.c, p

#define SIMDROP_GPU_SIG_REGEN_NHWC(T, A)                                                          \
    SIMDROP_GPU_OUT_(T) dx, SIMDROP_GPU_IN_(T) dy, SIMDROP_GPU_NHWC_COUNTS, double p,             \
        SIMDROP_GPU_SEEDS
#define SIMDROP_GPU_BUFS_REGEN_NHWC {dx, dy}
#define SIMDROP_GPU_COUNTS_REGEN_NHWC samples, spatial, channels, NULL, 0, p, seed, offset
#define SIMDROP_GPU_FROM_REGEN_NHWC(T, A)                                                         \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_IN_(T))h[1], s.a, s.b, s.c, p, seed, offset

/* blocks of a global tensor: the block b is a host struct (include/simdrop.h) */
#define SIMDROP_GPU_SIG_FORWARD_BLOCK(T, A)                                                       \
    SIMDROP_GPU_OUT_(T) y, SIMDROP_GPU_OUT_(uint8_t) mask, SIMDROP_GPU_IN_(T) x,                  \
        const simdrop_block *b, double p, SIMDROP_GPU_SEEDS
#define SIMDROP_GPU_BUFS_FORWARD_BLOCK {y, mask, x}
#define SIMDROP_GPU_COUNTS_FORWARD_BLOCK 0, 0, 0, b, 0, p, seed, offset
#define SIMDROP_GPU_FROM_FORWARD_BLOCK(T, A)                                                      \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_OUT_(uint8_t))h[1], (SIMDROP_GPU_IN_(T))h[2], &blk,   \
        p, seed, offset

#define SIMDROP_GPU_SIG_BACKWARD_BLOCK(T, A)                                                      \
    SIMDROP_GPU_OUT_(T) dx, SIMDROP_GPU_IN_(T) dy, SIMDROP_GPU_IN_(uint8_t) mask,                 \
        const simdrop_block *b, double p
#define SIMDROP_GPU_BUFS_BACKWARD_BLOCK {dx, dy, mask}
#define SIMDROP_GPU_COUNTS_BACKWARD_BLOCK 0, 0, 0, b, 0, p, 0, 0
#define SIMDROP_GPU_FROM_BACKWARD_BLOCK(T, A)                                                     \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_IN_(T))h[1], (SIMDROP_GPU_IN_(uint8_t))h[2], &blk, p

#define SIMDROP_GPU_SIG_REGEN_BLOCK(T, A)                                                         \
    SIMDROP_GPU_OUT_(T) dx, SIMDROP_GPU_IN_(T) dy, const simdrop_block *b, double p,              \
        SIMDROP_GPU_SEEDS
#define SIMDROP_GPU_BUFS_REGEN_BLOCK {dx, dy}
#define SIMDROP_GPU_COUNTS_REGEN_BLOCK 0, 0, 0, b, 0, p, seed, offset
#define SIMDROP_GPU_FROM_REGEN_BLOCK(T, A)                                                        \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_IN_(T))h[1], &blk, p, seed, offset

#define SIMDROP_GPU_SIG_BDA_BLOCK(T, A)                                                           \
    SIMDROP_GPU_OUT_(T) out, SIMDROP_GPU_OUT_(uint8_t) mask, SIMDROP_GPU_IN_(T) x,                \
        SIMDROP_GPU_IN_(T) bias, SIMDROP_GPU_IN_(T) residual, const simdrop_block *b, double p,   \
        SIMDROP_GPU_SEEDS
#define SIMDROP_GPU_BUFS_BDA_BLOCK {out, mask, x, bias, residual}
#define SIMDROP_GPU_COUNTS_BDA_BLOCK 0, 0, 0, b, 0, p, seed, offset
#define SIMDROP_GPU_FROM_BDA_BLOCK(T, A)                                                          \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_OUT_(uint8_t))h[1], (SIMDROP_GPU_IN_(T))h[2],         \
        (SIMDROP_GPU_IN_(T))h[3], (SIMDROP_GPU_IN_(T))h[4], &blk, p, seed, offset

#define SIMDROP_GPU_SIG_BDA_BACKWARD_BLOCK(T, A)                                                  \
    SIMDROP_GPU_OUT_(T) dx, SIMDROP_GPU_OUT_(A) dbias, SIMDROP_GPU_IN_(T) dout,                   \
        SIMDROP_GPU_IN_(uint8_t) mask, const simdrop_block *b, size_t granule, double p
#define SIMDROP_GPU_BUFS_BDA_BACKWARD_BLOCK {dx, dbias, dout, mask}
#define SIMDROP_GPU_COUNTS_BDA_BACKWARD_BLOCK 0, 0, 0, b, granule, p, 0, 0
#define SIMDROP_GPU_FROM_BDA_BACKWARD_BLOCK(T, A)                                                 \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_OUT_(A))h[1], (SIMDROP_GPU_IN_(T))h[2],               \
        (SIMDROP_GPU_IN_(uint8_t))h[3], &blk, s.granule, p

#define SIMDROP_GPU_SIG_BDA_REGEN_BLOCK(T, A)                                                     \
    SIMDROP_GPU_OUT_(T) dx, SIMDROP_GPU_OUT_(A) dbias, SIMDROP_GPU_IN_(T) dout,                   \
        const simdrop_block *b, size_t granule, double p, SIMDROP_GPU_SEEDS
#define SIMDROP_GPU_BUFS_BDA_REGEN_BLOCK {dx, dbias, dout}
#define SIMDROP_GPU_COUNTS_BDA_REGEN_BLOCK 0, 0, 0, b, granule, p, seed, offset
#define SIMDROP_GPU_FROM_BDA_REGEN_BLOCK(T, A)                                                    \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_OUT_(A))h[1], (SIMDROP_GPU_IN_(T))h[2], &blk,         \
        s.granule, p, seed, offset

/* the bias gradient's reduction of granule partials: (dbias, partials, granules, cols) */
#define SIMDROP_GPU_SIG_REDUCE(T, A)                                                              \
    SIMDROP_GPU_OUT_(T) dbias, SIMDROP_GPU_IN_(T) partials, size_t granules, size_t cols
#define SIMDROP_GPU_BUFS_REDUCE {dbias, partials}
#define SIMDROP_GPU_COUNTS_REDUCE granules, cols, 0, NULL, 0, 0.0, 0, 0
#define SIMDROP_GPU_FROM_REDUCE(T, A)                                                             \
    (SIMDROP_GPU_OUT_(T))h[0], (SIMDROP_GPU_IN_(T))h[1], s.a, s.b

#endif /* SIMDROP_GPU_ENTRY_LIST_H */
