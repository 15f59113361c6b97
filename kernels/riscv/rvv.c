/* riscv/rvv.c: RISC-V V 1.0 primitives for vla_template.h: chunks of 8 or 16 lanes (LMUL 2), the same bits at every VLEN. */
#include <riscv_vector.h>

#if !defined(__riscv_vector)
#error "riscv/rvv.c needs the V extension (-march=rv64gcv)"
#endif

/* 32-bit lanes in register pairs (LMUL 2): a chunk is V = min(VLEN / 16, 16) lanes, 8 on the
 * smallest V machines (VLEN = 128), all 16 from VLEN = 256 on. Why 2: a V core issues one
 * instruction per register group, so the loop's scalar work (address increments, vsetvli, the
 * loop itself) and its instruction count per element halve against LMUL 1, while the vector
 * work, register by register, stays the same; 16 register pairs hold the generator state and a
 * value stage without spilling (doubles take four: LMUL 4). 16-bit values in one register and
 * doubles in four hold the same element count, so one mask type and one vl serve every dtype. */
typedef vuint32m2_t vu32;
typedef vfloat32m2_t vf32;
typedef vbool16_t vmask; /* the COMPLEMENT of the decisions: see "Masks" below */
typedef uint32_t vbits;   /* the keep word itself: the bit tests take a scalar operand */
typedef vuint16m1_t vh16;
typedef vfloat64m4_t vf64;
typedef vbool16_t vmask64;
typedef size_t vctl;      /* the AVL of a load or store */
typedef uint32_t vthresh; /* likewise scalar */

/* An AVL of 16 gives vl = min(VLMAX, 16) on every VLEN (a power of two; AVL >= 2 VLMAX gives
 * VLMAX), which is the chunk's V. Every intrinsic gets that constant rather than the result of
 * a vsetvl call: clang 16 re-emits a vsetvli before each intrinsic whose vl comes from a call,
 * and keeps one per element width for a constant. */
#define RVV_AVL 16
#define V_LANES() ((unsigned)__riscv_vsetvl_e32m2(RVV_AVL))
#define V_CTL_ALL() ((size_t)RVV_AVL)
#define V_CTL(n) ((size_t)(n))

#define V_LOAD(k, p) __riscv_vle32_v_u32m2(p, k)
#define V_STORE(k, p, v) __riscv_vse32_v_u32m2(p, v, k)
#define V_SET1(u) __riscv_vmv_v_x_u32m2(u, RVV_AVL)
#define V_ADD(a, b) __riscv_vadd_vv_u32m2(a, b, RVV_AVL)
#define V_SUB(a, b) __riscv_vsub_vv_u32m2(a, b, RVV_AVL)
#define V_AND(a, b) __riscv_vand_vv_u32m2(a, b, RVV_AVL)
#define V_OR(a, b) __riscv_vor_vv_u32m2(a, b, RVV_AVL)
#define V_XOR(a, b) __riscv_vxor_vv_u32m2(a, b, RVV_AVL)
#define V_SHL(v, k) __riscv_vsll_vx_u32m2(v, k, RVV_AVL)
#define V_SHR(v, k) __riscv_vsrl_vx_u32m2(v, k, RVV_AVL)
#define V_ROTL(v, k) V_OR(V_SHL(v, k), V_SHR(v, 32 - (k))) /* vrol is Zvbb's, not V's */

/* Masks. V compares a vector with a scalar by vmsltu.vx and vmsleu.vx, but has no vmsgeu.vx: the
 * keep decision "half >= T" would cost a vmnot.m after every compare. So a vmask register holds
 * the complement, set where the decision is false (a dropped element, a lane not greater, a
 * number that is not NaN), and every primitive that reads one reads it that way: a select
 * m ? a : b is vmerge(a, b, ~m), the kept factor is a merge of 0 into the dropped lanes. */
#define V_GT(a, b) __riscv_vmsleu_vv_u32m2_b16(a, b, RVV_AVL)
#define V_BLEND(m, a, b) __riscv_vmerge_vvm_u32m2(a, b, m, RVV_AVL)
#define V_THRESHOLD(t) (t)
#define V_CMP_LO(v, t) __riscv_vmsltu_vx_u32m2_b16(__riscv_vand_vx_u32m2(v, 0xffffu, RVV_AVL), t, RVV_AVL)
#define V_CMP_HI(v, t) __riscv_vmsltu_vx_u32m2_b16(__riscv_vsrl_vx_u32m2(v, 16, RVV_AVL), t, RVV_AVL)

/* 1 << j in lane j. */
#define RVV_LANE_BIT __riscv_vsll_vv_u32m2(V_SET1(1), __riscv_vid_v_u32m2(RVV_AVL), RVV_AVL)

/* The chunk's bits: masked OR-reductions of the lanes' weights over the dropped lanes (1 << j,
 * then 1 << (16 + j), the second starting from the first's result), complemented within the
 * chunk's lanes and moved to its place. clang 16 has no intrinsic that reads a mask register
 * as an integer (vreinterpret of vbool types came with the 0.12 intrinsics). */
static inline __attribute__((always_inline)) uint32_t rvv_word_part(unsigned c, vbool16_t lo, vbool16_t hi)
{
    const vuint32m2_t weight = RVV_LANE_BIT;
    const vuint32m1_t none = __riscv_vmv_v_x_u32m1(0, RVV_AVL);
    vuint32m1_t d = __riscv_vredor_vs_u32m2_u32m1_m(lo, weight, none, RVV_AVL);
    d = __riscv_vredor_vs_u32m2_u32m1_m(hi, V_SHL(weight, 16), d, RVV_AVL);
    const uint32_t lanes = (1u << V_LANES()) - 1u; /* V = 16: the shift is by 16, within range */
    return (~__riscv_vmv_x_s_u32m1_u32(d) & lanes * 0x10001u) << c;
}
#define V_WORD_PART(k, c, lo, hi) rvv_word_part(c, lo, hi)
#define V_BITS_PREP(w) (w)
#define V_BITS_LO(b, c) __riscv_vmseq_vx_u32m2_b16(__riscv_vand_vx_u32m2(RVV_LANE_BIT, (b) >> (c), RVV_AVL), 0, RVV_AVL)
#define V_BITS_HI(b, c) V_BITS_LO(b, 16 + (c))

#define VF_LOAD(k, p) __riscv_vle32_v_f32m2(p, k)
#define VF_STORE(k, p, v) __riscv_vse32_v_f32m2(p, v, k)
#define VF_SET1(f) __riscv_vfmv_v_f_f32m2(f, RVV_AVL)
#define VF_ADD(a, b) __riscv_vfadd_vv_f32m2(a, b, RVV_AVL)
#define VF_SUB(a, b) __riscv_vfsub_vv_f32m2(a, b, RVV_AVL)
#define VF_MUL(a, b) __riscv_vfmul_vv_f32m2(a, b, RVV_AVL)
#define VF_AS_U(v) __riscv_vreinterpret_v_f32m2_u32m2(v)
#define VU_AS_F(u) __riscv_vreinterpret_v_u32m2_f32m2(u)
/* The factor s or +0.0f (a masked multiply would leave 0 for a dropped NaN): +0.0f's bits merged
 * into the dropped lanes, an immediate operand. */
#define VF_KEEP(m, s) VU_AS_F(__riscv_vmerge_vxm_u32m2(VF_AS_U(s), 0, m, RVV_AVL))
#define VF_SELECT(m, a, b) __riscv_vmerge_vvm_f32m2(a, b, m, RVV_AVL)
#define VF_ISNAN(v) __riscv_vmfeq_vv_f32m2_b16(v, v, RVV_AVL)

/* No binary16 conversions: they are Zvfh's (Zvfhmin's), which neither qemu 7.2 nor this path
 * assumes; vector_rules.h's exact integer versions run instead. */
#define VH_LOAD(k, p) __riscv_vle16_v_u16m1(p, k)
#define VH_STORE(k, p, h) __riscv_vse16_v_u16m1(p, h, k)
#define VH_WIDEN(h) __riscv_vzext_vf2_u32m2(h, RVV_AVL)
#define VH_NARROW(u) __riscv_vncvt_x_x_w_u16m1(u, RVV_AVL)

/* V doubles fill a group of four registers, masked by the 32-bit lanes' mask as it is. */
#define VD_PARTS 1
#define VD_LANES() V_LANES()
#define M64(m, h) (m)
#define VD_LOAD(k, p) __riscv_vle64_v_f64m4(p, k)
#define VD_STORE(k, p, v) __riscv_vse64_v_f64m4(p, v, k)
#define VD_SET1(d) __riscv_vfmv_v_f_f64m4(d, RVV_AVL)
#define VD_ADD(a, b) __riscv_vfadd_vv_f64m4(a, b, RVV_AVL)
#define VD_MUL(a, b) __riscv_vfmul_vv_f64m4(a, b, RVV_AVL)
#define VD_KEEP(m, s)                                                                      \
    __riscv_vreinterpret_v_u64m4_f64m4(                                                    \
        __riscv_vmerge_vxm_u64m4(__riscv_vreinterpret_v_f64m4_u64m4(s), 0, m, RVV_AVL))
#define VD_SELECT(m, a, b) __riscv_vmerge_vvm_f64m4(a, b, m, RVV_AVL)
#define VD_ISNAN(v) __riscv_vmfeq_vv_f64m4_b16(v, v, RVV_AVL)

#include "template/vla_template.h"
