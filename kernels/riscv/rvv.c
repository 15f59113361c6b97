/* riscv/rvv.c: RISC-V V 1.0 primitives for vla_template.h: chunks of 4, 8 or 16 lanes (LMUL 1), the same bits at every VLEN. */
#include <riscv_vector.h>

#if !defined(__riscv_vector)
#error "riscv/rvv.c needs the V extension (-march=rv64gcv)"
#endif

/* 32-bit lanes in one register (LMUL 1), so that a chunk is V = min(VLEN / 32, 16) lanes as on
 * SVE; 16-bit values in half a register and doubles in two (the same element count, so one mask
 * type and one vl serve every dtype). */
typedef vuint32m1_t vu32;
typedef vfloat32m1_t vf32;
typedef vbool32_t vmask;
typedef uint32_t vbits;    /* the keep word itself: compares take a scalar operand */
typedef vuint16mf2_t vh16;
typedef vfloat64m2_t vf64;
typedef vbool32_t vmask64;
typedef size_t vctl;       /* vl */
typedef uint32_t vthresh;  /* likewise */

/* vl for 16 lanes is min(VLMAX, 16) on every VLEN (a power of two), so it is the chunk's V; every
 * primitive asks for it the same way and the compiler keeps one vsetvli per element width. */
#define RVV_VL __riscv_vsetvl_e32m1(16)
#define V_LANES() ((unsigned)RVV_VL)
#define V_CTL_ALL() RVV_VL
#define V_CTL(n) __riscv_vsetvl_e32m1(n)

#define V_LOAD(k, p) __riscv_vle32_v_u32m1(p, k)
#define V_STORE(k, p, v) __riscv_vse32_v_u32m1(p, v, k)
#define V_SET1(u) __riscv_vmv_v_x_u32m1(u, RVV_VL)
#define V_ADD(a, b) __riscv_vadd_vv_u32m1(a, b, RVV_VL)
#define V_SUB(a, b) __riscv_vsub_vv_u32m1(a, b, RVV_VL)
#define V_AND(a, b) __riscv_vand_vv_u32m1(a, b, RVV_VL)
#define V_OR(a, b) __riscv_vor_vv_u32m1(a, b, RVV_VL)
#define V_XOR(a, b) __riscv_vxor_vv_u32m1(a, b, RVV_VL)
#define V_SHL(v, k) __riscv_vsll_vx_u32m1(v, k, RVV_VL)
#define V_SHR(v, k) __riscv_vsrl_vx_u32m1(v, k, RVV_VL)
#define V_ROTL(v, k) V_OR(V_SHL(v, k), V_SHR(v, 32 - (k))) /* vrol is Zvbb's, not V's */
#define V_GT(a, b) __riscv_vmsgtu_vv_u32m1_b32(a, b, RVV_VL)
#define V_BLEND(m, a, b) __riscv_vmerge_vvm_u32m1(b, a, m, RVV_VL)

#define V_THRESHOLD(t) (t)
#define V_CMP_LO(v, t) __riscv_vmsgeu_vx_u32m1_b32(__riscv_vand_vx_u32m1(v, 0xffffu, RVV_VL), t, RVV_VL)
#define V_CMP_HI(v, t) __riscv_vmsgeu_vx_u32m1_b32(__riscv_vsrl_vx_u32m1(v, 16, RVV_VL), t, RVV_VL)

/* The chunk's bits: masked OR-reductions of the lanes' weights (1 << j, then 1 << (16 + j)), the
 * second starting from the first's result. clang 16 has no intrinsic that reads a mask register
 * as an integer (vreinterpret of vbool types came with the 0.12 intrinsics). */
static inline __attribute__((always_inline)) uint32_t rvv_word_part(vbool32_t lo, vbool32_t hi)
{
    const vuint32m1_t weight = __riscv_vsll_vv_u32m1(V_SET1(1), __riscv_vid_v_u32m1(RVV_VL), RVV_VL);
    vuint32m1_t w = __riscv_vredor_vs_u32m1_u32m1_m(lo, weight, V_SET1(0), RVV_VL);
    w = __riscv_vredor_vs_u32m1_u32m1_m(hi, V_SHL(weight, 16), w, RVV_VL);
    return __riscv_vmv_x_s_u32m1_u32(w);
}
#define V_WORD_PART(lo, hi) rvv_word_part(lo, hi)
#define V_BITS_PREP(w) (w)
#define V_BITS(b, lanebits) __riscv_vmsne_vx_u32m1_b32(__riscv_vand_vx_u32m1(lanebits, b, RVV_VL), 0, RVV_VL)

#define VF_LOAD(k, p) __riscv_vle32_v_f32m1(p, k)
#define VF_STORE(k, p, v) __riscv_vse32_v_f32m1(p, v, k)
#define VF_SET1(f) __riscv_vfmv_v_f_f32m1(f, RVV_VL)
#define VF_ADD(a, b) __riscv_vfadd_vv_f32m1(a, b, RVV_VL)
#define VF_SUB(a, b) __riscv_vfsub_vv_f32m1(a, b, RVV_VL)
#define VF_MUL(a, b) __riscv_vfmul_vv_f32m1(a, b, RVV_VL)
#define VF_AS_U(v) __riscv_vreinterpret_v_f32m1_u32m1(v)
#define VU_AS_F(u) __riscv_vreinterpret_v_u32m1_f32m1(u)
/* vmerge builds the factor (s or +0.0f); a masked multiply would leave 0 for a dropped NaN. */
#define VF_KEEP(m, s) __riscv_vmerge_vvm_f32m1(VF_SET1(0.0f), s, m, RVV_VL)
#define VF_SELECT(m, a, b) __riscv_vmerge_vvm_f32m1(b, a, m, RVV_VL)
#define VF_ISNAN(v) __riscv_vmfne_vv_f32m1_b32(v, v, RVV_VL)

/* No binary16 conversions: they are Zvfh's (Zvfhmin's), which neither qemu 7.2 nor this path
 * assumes; vector_rules.h's exact integer versions run instead. */
#define VH_LOAD(k, p) __riscv_vle16_v_u16mf2(p, k)
#define VH_STORE(k, p, h) __riscv_vse16_v_u16mf2(p, h, k)
#define VH_WIDEN(h) __riscv_vzext_vf2_u32m1(h, RVV_VL)
#define VH_NARROW(u) __riscv_vncvt_x_x_w_u16mf2(u, RVV_VL)

/* V doubles fill a register group of two (LMUL 2), masked by the 32-bit lanes' mask as it is. */
#define VD_PARTS 1
#define VD_LANES() V_LANES()
#define M64(m, h) (m)
#define VD_LOAD(k, p) __riscv_vle64_v_f64m2(p, k)
#define VD_STORE(k, p, v) __riscv_vse64_v_f64m2(p, v, k)
#define VD_SET1(d) __riscv_vfmv_v_f_f64m2(d, RVV_VL)
#define VD_ADD(a, b) __riscv_vfadd_vv_f64m2(a, b, RVV_VL)
#define VD_MUL(a, b) __riscv_vfmul_vv_f64m2(a, b, RVV_VL)
#define VD_KEEP(m, s) __riscv_vmerge_vvm_f64m2(VD_SET1(0.0), s, m, RVV_VL)
#define VD_SELECT(m, a, b) __riscv_vmerge_vvm_f64m2(b, a, m, RVV_VL)
#define VD_ISNAN(v) __riscv_vmfne_vv_f64m2_b32(v, v, RVV_VL)

#include "template/vla_template.h"
