//go:build amd64 && !purego

#include "textflag.h"

// Constants of the Cephes expf algorithm (see fastmath.go), one float32 each.
DATA expc<>+0(SB)/4, $0xc2aeac50   // -87.33654 lower bound of the fast path
DATA expc<>+4(SB)/4, $0x42b00000   // 88.0 upper bound of the fast path
DATA expc<>+8(SB)/4, $0x3fb8aa3b   // log2(e)
DATA expc<>+12(SB)/4, $0x4b400000  // 1.5·2²³ rounding shifter
DATA expc<>+16(SB)/4, $0x3f318000  // ln2 high part 0.693359375
DATA expc<>+20(SB)/4, $0xb95e8083  // ln2 low part -2.12194440e-4
DATA expc<>+24(SB)/4, $0x0000007f  // exponent bias 127 (integer)
DATA expc<>+28(SB)/4, $0x3f800000  // 1.0
DATA expc<>+32(SB)/4, $0x39506967  // 1.9875691500e-4
DATA expc<>+36(SB)/4, $0x3ab743ce  // 1.3981999507e-3
DATA expc<>+40(SB)/4, $0x3c088908  // 8.3334519073e-3
DATA expc<>+44(SB)/4, $0x3d2aa9c1  // 4.1665795894e-2
DATA expc<>+48(SB)/4, $0x3e2aaaaa  // 1.6666665459e-1
DATA expc<>+52(SB)/4, $0x3f000000  // 5.0000001201e-1
DATA expc<>+56(SB)/4, $0x7fffffff  // |x| mask
DATA expc<>+60(SB)/4, $0x3f3504f3  // 1/√2
DATA expc<>+64(SB)/4, $0x3f000000  // 0.5
DATA expc<>+68(SB)/4, $0xc0000000  // -2.0
DATA expc<>+72(SB)/4, $0x80000000  // sign mask
DATA expc<>+76(SB)/4, $0x3f200000  // 0.625 tanh polynomial bound
GLOBL expc<>(SB), RODATA|NOPTR, $80

// Numerical Recipes erfc polynomial in t, lowest degree first.
DATA cdfc<>+0(SB)/4, $0xbfa1fc4e
DATA cdfc<>+4(SB)/4, $0x3f8000c7
DATA cdfc<>+8(SB)/4, $0x3ebf88fb
DATA cdfc<>+12(SB)/4, $0x3dc636c9
DATA cdfc<>+16(SB)/4, $0xbe3ec24c
DATA cdfc<>+20(SB)/4, $0x3e8ec7cc
DATA cdfc<>+24(SB)/4, $0xbf914e5d
DATA cdfc<>+28(SB)/4, $0x3fbe87b0
DATA cdfc<>+32(SB)/4, $0xbf527892
DATA cdfc<>+36(SB)/4, $0x3e2ef945
GLOBL cdfc<>(SB), RODATA|NOPTR, $40

// Cephes tanhf polynomial in z = x², lowest degree first.
DATA tanhc<>+0(SB)/4, $0xbeaaaa99
DATA tanhc<>+4(SB)/4, $0x3e088393
DATA tanhc<>+8(SB)/4, $0xbd5c1e2d
DATA tanhc<>+12(SB)/4, $0x3ca9134e
DATA tanhc<>+16(SB)/4, $0xbbbaf0ea
GLOBL tanhc<>(SB), RODATA|NOPTR, $20

// EXPY0 replaces Y0 (within [-87.33654, 88]) by exp(Y0); clobbers Y1–Y5.
#define EXPY0 \
	VBROADCASTSS expc<>+12(SB), Y5 \
	VBROADCASTSS expc<>+8(SB), Y1 \
	VFMADD213PS  Y5, Y0, Y1 \
	VSUBPS       Y5, Y1, Y2 \
	VPSUBD       Y5, Y1, Y3 \
	VPBROADCASTD expc<>+24(SB), Y4 \
	VPADDD       Y4, Y3, Y3 \
	VPSLLD       $23, Y3, Y3 \
	VBROADCASTSS expc<>+16(SB), Y4 \
	VFNMADD231PS Y4, Y2, Y0 \
	VBROADCASTSS expc<>+20(SB), Y4 \
	VFNMADD231PS Y4, Y2, Y0 \
	VMULPS       Y0, Y0, Y4 \
	VBROADCASTSS expc<>+32(SB), Y1 \
	VBROADCASTSS expc<>+36(SB), Y2 \
	VFMADD213PS  Y2, Y0, Y1 \
	VBROADCASTSS expc<>+40(SB), Y2 \
	VFMADD213PS  Y2, Y0, Y1 \
	VBROADCASTSS expc<>+44(SB), Y2 \
	VFMADD213PS  Y2, Y0, Y1 \
	VBROADCASTSS expc<>+48(SB), Y2 \
	VFMADD213PS  Y2, Y0, Y1 \
	VBROADCASTSS expc<>+52(SB), Y2 \
	VFMADD213PS  Y2, Y0, Y1 \
	VFMADD213PS  Y0, Y4, Y1 \
	VBROADCASTSS expc<>+28(SB), Y2 \
	VADDPS       Y2, Y1, Y1 \
	VMULPS       Y3, Y1, Y0

// NANFIX puts x (Y6) back into the lanes of result R where x is NaN; clobbers Y2.
#define NANFIX(R) \
	VCMPPS    $3, Y6, Y6, Y2 \
	VBLENDVPS Y2, Y6, R, R

// func expAVX2(dst, src *float32, n int) (done int)
// Computes dst[i] = exp(src[i]) eight lanes at a time with AVX2+FMA for
// i < n (n a multiple of 8). It stops before the first block of eight that
// holds an input outside [-87.33654, 88] or a NaN, leaving that block
// unwritten, and returns the number of elements done (n when none).
TEXT ·expAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	XORQ DX, DX
	VBROADCASTSS expc<>+0(SB), Y8
	VBROADCASTSS expc<>+4(SB), Y9
	VBROADCASTSS expc<>+8(SB), Y10
	VBROADCASTSS expc<>+12(SB), Y11
	VBROADCASTSS expc<>+16(SB), Y12
	VBROADCASTSS expc<>+20(SB), Y13
	VPBROADCASTD expc<>+24(SB), Y14
	VBROADCASTSS expc<>+28(SB), Y15

loop:
	TESTQ CX, CX
	JZ    done
	VMOVUPS   (SI), Y0
	VCMPPS    $0x19, Y8, Y0, Y6 // NGE_UQ: x < lo or NaN
	VCMPPS    $0x1e, Y9, Y0, Y7 // GT_OQ: x > hi
	VORPS     Y6, Y7, Y7
	VMOVMSKPS Y7, AX
	TESTL     AX, AX
	JNZ       done

	VMOVAPS     Y11, Y1
	VFMADD231PS Y10, Y0, Y1 // y = x·log2e + shifter
	VSUBPS      Y11, Y1, Y2 // fn = y − shifter (round(x·log2e))
	VPSUBD      Y11, Y1, Y3 // n = bits(y) − bits(shifter)
	VPADDD      Y14, Y3, Y3
	VPSLLD      $23, Y3, Y3 // 2ⁿ as float bits

	VFNMADD231PS Y12, Y2, Y0 // r = x − fn·ln2hi
	VFNMADD231PS Y13, Y2, Y0 // r −= fn·ln2lo
	VMULPS       Y0, Y0, Y4  // z = r²

	VBROADCASTSS expc<>+32(SB), Y5
	VBROADCASTSS expc<>+36(SB), Y6
	VFMADD213PS  Y6, Y0, Y5
	VBROADCASTSS expc<>+40(SB), Y6
	VFMADD213PS  Y6, Y0, Y5
	VBROADCASTSS expc<>+44(SB), Y6
	VFMADD213PS  Y6, Y0, Y5
	VBROADCASTSS expc<>+48(SB), Y6
	VFMADD213PS  Y6, Y0, Y5
	VBROADCASTSS expc<>+52(SB), Y6
	VFMADD213PS  Y6, Y0, Y5
	VFMADD213PS  Y0, Y4, Y5 // p = p·z + r
	VADDPS       Y15, Y5, Y5 // p += 1
	VMULPS       Y3, Y5, Y5  // p·2ⁿ

	VMOVUPS Y5, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $8, DX
	DECQ    CX
	JMP     loop

done:
	MOVQ DX, done+24(FP)
	VZEROUPPER
	RET

// func sigmoidAVX2(dst, src *float32, n int)
// dst[i] = 1/(1+exp(−src[i])) for i < n (n a multiple of 8).
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX

sloop:
	TESTQ        CX, CX
	JZ           sdone
	VMOVUPS      (SI), Y6
	VBROADCASTSS expc<>+72(SB), Y0
	VXORPS       Y6, Y0, Y0 // −x
	VBROADCASTSS expc<>+0(SB), Y1
	VMAXPS       Y1, Y0, Y0
	VBROADCASTSS expc<>+4(SB), Y1
	VMINPS       Y1, Y0, Y0
	EXPY0
	VBROADCASTSS expc<>+28(SB), Y1
	VADDPS       Y1, Y0, Y0 // 1 + e
	VDIVPS       Y0, Y1, Y0 // 1 / (1 + e)
	NANFIX(Y0)
	VMOVUPS      Y0, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	DECQ         CX
	JMP          sloop

sdone:
	VZEROUPPER
	RET

// func tanhAVX2(dst, src *float32, n int)
// dst[i] = tanh(src[i]) for i < n (n a multiple of 8): the odd polynomial
// for |x| < 0.625, sign(x)·(1−e)/(1+e) with e = exp(−2|x|) otherwise.
TEXT ·tanhAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX

tloop:
	TESTQ        CX, CX
	JZ           tdone
	VMOVUPS      (SI), Y6
	VBROADCASTSS expc<>+56(SB), Y7
	VANDPS       Y6, Y7, Y7 // |x|
	VBROADCASTSS expc<>+68(SB), Y0
	VMULPS       Y7, Y0, Y0 // −2|x|
	VBROADCASTSS expc<>+0(SB), Y1
	VMAXPS       Y1, Y0, Y0
	EXPY0
	VBROADCASTSS expc<>+28(SB), Y2
	VSUBPS       Y0, Y2, Y1 // 1 − e
	VADDPS       Y0, Y2, Y2 // 1 + e
	VDIVPS       Y2, Y1, Y1
	VBROADCASTSS expc<>+72(SB), Y2
	VANDPS       Y6, Y2, Y2
	VORPS        Y2, Y1, Y1 // big, with the sign of x
	VMULPS       Y6, Y6, Y2 // z = x²
	VBROADCASTSS tanhc<>+16(SB), Y3
	VBROADCASTSS tanhc<>+12(SB), Y4
	VFMADD213PS  Y4, Y2, Y3
	VBROADCASTSS tanhc<>+8(SB), Y4
	VFMADD213PS  Y4, Y2, Y3
	VBROADCASTSS tanhc<>+4(SB), Y4
	VFMADD213PS  Y4, Y2, Y3
	VBROADCASTSS tanhc<>+0(SB), Y4
	VFMADD213PS  Y4, Y2, Y3
	VMULPS       Y2, Y3, Y3
	VFMADD213PS  Y6, Y6, Y3 // small = x·z·P(z) + x
	VBROADCASTSS expc<>+76(SB), Y4
	VCMPPS       $1, Y4, Y7, Y5 // |x| < 0.625
	VBLENDVPS    Y5, Y3, Y1, Y1
	NANFIX(Y1)
	VMOVUPS      Y1, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	DECQ         CX
	JMP          tloop

tdone:
	VZEROUPPER
	RET

// func normCDFAVX2(dst, src *float32, n int)
// dst[i] = Φ(src[i]) for i < n (n a multiple of 8) via the Numerical
// Recipes erfc: ½erfc(|x|/√2) = ½·t·exp(−x²/2 + P(t)), t = 1/(1+|x|/(2√2)).
TEXT ·normCDFAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX

cloop:
	TESTQ        CX, CX
	JZ           cdone
	VMOVUPS      (SI), Y6
	VBROADCASTSS expc<>+56(SB), Y7
	VANDPS       Y6, Y7, Y7
	VBROADCASTSS expc<>+60(SB), Y1
	VMULPS       Y1, Y7, Y7 // z = |x|/√2
	VBROADCASTSS expc<>+64(SB), Y8
	VBROADCASTSS expc<>+28(SB), Y9
	VFMADD213PS  Y9, Y7, Y8 // 1 + z/2
	VDIVPS       Y8, Y9, Y8 // t
	VBROADCASTSS cdfc<>+36(SB), Y0
	VBROADCASTSS cdfc<>+32(SB), Y1
	VFMADD213PS  Y1, Y8, Y0
	VBROADCASTSS cdfc<>+28(SB), Y1
	VFMADD213PS  Y1, Y8, Y0
	VBROADCASTSS cdfc<>+24(SB), Y1
	VFMADD213PS  Y1, Y8, Y0
	VBROADCASTSS cdfc<>+20(SB), Y1
	VFMADD213PS  Y1, Y8, Y0
	VBROADCASTSS cdfc<>+16(SB), Y1
	VFMADD213PS  Y1, Y8, Y0
	VBROADCASTSS cdfc<>+12(SB), Y1
	VFMADD213PS  Y1, Y8, Y0
	VBROADCASTSS cdfc<>+8(SB), Y1
	VFMADD213PS  Y1, Y8, Y0
	VBROADCASTSS cdfc<>+4(SB), Y1
	VFMADD213PS  Y1, Y8, Y0
	VBROADCASTSS cdfc<>+0(SB), Y1
	VFMADD213PS  Y1, Y8, Y0
	VMULPS       Y6, Y6, Y1
	VBROADCASTSS expc<>+64(SB), Y2
	VFNMADD231PS Y2, Y1, Y0 // P(t) − x²/2
	VBROADCASTSS expc<>+0(SB), Y1
	VMAXPS       Y1, Y0, Y0
	EXPY0
	VMULPS       Y8, Y0, Y0
	VBROADCASTSS expc<>+64(SB), Y1
	VMULPS       Y1, Y0, Y0 // h = ½erfc(|x|/√2)
	VBROADCASTSS expc<>+28(SB), Y1
	VSUBPS       Y0, Y1, Y1 // 1 − h
	VBLENDVPS    Y6, Y0, Y1, Y1 // x < 0 (sign set): h
	NANFIX(Y1)
	VMOVUPS      Y1, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	DECQ         CX
	JMP          cloop

cdone:
	VZEROUPPER
	RET

// expm1 Taylor coefficients 1/2!, …, 1/8! and the bound below which ELU
// uses them (eˣ − 1 cancels for small |x|).
DATA eluc<>+0(SB)/4, $0x3f000000
DATA eluc<>+4(SB)/4, $0x3e2aaaab
DATA eluc<>+8(SB)/4, $0x3d2aaaab
DATA eluc<>+12(SB)/4, $0x3c088889
DATA eluc<>+16(SB)/4, $0x3ab60b61
DATA eluc<>+20(SB)/4, $0x39500d01
DATA eluc<>+24(SB)/4, $0x37d00d01
DATA eluc<>+28(SB)/4, $0xbeb33333 // -0.35
GLOBL eluc<>(SB), RODATA|NOPTR, $32

// func eluAVX2(dst, src *float32, n int, alpha float32)
// dst[i] = max(x, 0) + α·expm1(min(x, 0)) for i < n (n a multiple of 8),
// expm1(m) by its Taylor series for m > −0.35 and eᵐ − 1 otherwise.
TEXT ·eluAVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS alpha+24(FP), Y9
	VXORPS       Y8, Y8, Y8
	SHRQ         $3, CX

eloop:
	TESTQ        CX, CX
	JZ           edone
	VMOVUPS      (SI), Y6
	VMINPS       Y8, Y6, Y0 // m = min(x, 0)
	VMOVAPS      Y0, Y10
	VBROADCASTSS expc<>+0(SB), Y1
	VMAXPS       Y1, Y0, Y0
	EXPY0
	VBROADCASTSS expc<>+28(SB), Y1
	VSUBPS       Y1, Y0, Y0 // eᵐ − 1
	VBROADCASTSS eluc<>+24(SB), Y11
	VBROADCASTSS eluc<>+20(SB), Y12
	VFMADD213PS  Y12, Y10, Y11
	VBROADCASTSS eluc<>+16(SB), Y12
	VFMADD213PS  Y12, Y10, Y11
	VBROADCASTSS eluc<>+12(SB), Y12
	VFMADD213PS  Y12, Y10, Y11
	VBROADCASTSS eluc<>+8(SB), Y12
	VFMADD213PS  Y12, Y10, Y11
	VBROADCASTSS eluc<>+4(SB), Y12
	VFMADD213PS  Y12, Y10, Y11
	VBROADCASTSS eluc<>+0(SB), Y12
	VFMADD213PS  Y12, Y10, Y11
	VMULPS       Y10, Y10, Y12
	VFMADD213PS  Y10, Y12, Y11 // m + m²·P(m)
	VBROADCASTSS eluc<>+28(SB), Y12
	VCMPPS       $0x1e, Y12, Y10, Y12 // m > −0.35
	VBLENDVPS    Y12, Y11, Y0, Y0
	VMAXPS       Y8, Y6, Y7 // max(x, 0)
	VFMADD231PS  Y9, Y0, Y7
	NANFIX(Y7)
	VMOVUPS      Y7, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	DECQ         CX
	JMP          eloop

edone:
	VZEROUPPER
	RET

// func normCDF2AVX2(dst, src *float32, n int)
// normCDFAVX2 on two independent blocks of eight per iteration, their
// instructions interleaved so the long dependency chains overlap
// (n a multiple of 16).
TEXT ·normCDF2AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX

c2loop:
	TESTQ CX, CX
	JZ    c2done
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y7
	VBROADCASTSS expc<>+56(SB), Y14
	VANDPS Y0, Y14, Y3
	VANDPS Y7, Y14, Y10
	VBROADCASTSS expc<>+60(SB), Y14
	VMULPS Y14, Y3, Y3
	VMULPS Y14, Y10, Y10
	VBROADCASTSS expc<>+64(SB), Y14
	VBROADCASTSS expc<>+28(SB), Y15
	VMOVAPS Y14, Y1
	VFMADD213PS Y15, Y3, Y1
	VDIVPS Y1, Y15, Y1
	VMOVAPS Y14, Y8
	VFMADD213PS Y15, Y10, Y8
	VDIVPS Y8, Y15, Y8
	VBROADCASTSS cdfc<>+36(SB), Y14
	VMOVAPS Y14, Y2
	VMOVAPS Y14, Y9
	VBROADCASTSS cdfc<>+32(SB), Y14
	VFMADD213PS Y14, Y1, Y2
	VFMADD213PS Y14, Y8, Y9
	VBROADCASTSS cdfc<>+28(SB), Y14
	VFMADD213PS Y14, Y1, Y2
	VFMADD213PS Y14, Y8, Y9
	VBROADCASTSS cdfc<>+24(SB), Y14
	VFMADD213PS Y14, Y1, Y2
	VFMADD213PS Y14, Y8, Y9
	VBROADCASTSS cdfc<>+20(SB), Y14
	VFMADD213PS Y14, Y1, Y2
	VFMADD213PS Y14, Y8, Y9
	VBROADCASTSS cdfc<>+16(SB), Y14
	VFMADD213PS Y14, Y1, Y2
	VFMADD213PS Y14, Y8, Y9
	VBROADCASTSS cdfc<>+12(SB), Y14
	VFMADD213PS Y14, Y1, Y2
	VFMADD213PS Y14, Y8, Y9
	VBROADCASTSS cdfc<>+8(SB), Y14
	VFMADD213PS Y14, Y1, Y2
	VFMADD213PS Y14, Y8, Y9
	VBROADCASTSS cdfc<>+4(SB), Y14
	VFMADD213PS Y14, Y1, Y2
	VFMADD213PS Y14, Y8, Y9
	VBROADCASTSS cdfc<>+0(SB), Y14
	VFMADD213PS Y14, Y1, Y2
	VFMADD213PS Y14, Y8, Y9
	VMULPS Y0, Y0, Y3
	VMULPS Y7, Y7, Y10
	VBROADCASTSS expc<>+64(SB), Y14
	VFNMADD231PS Y14, Y3, Y2
	VFNMADD231PS Y14, Y10, Y9
	VBROADCASTSS expc<>+0(SB), Y14
	VMAXPS Y14, Y2, Y2
	VMAXPS Y14, Y9, Y9
	VBROADCASTSS expc<>+12(SB), Y15
	VBROADCASTSS expc<>+8(SB), Y14
	VMOVAPS Y15, Y3
	VFMADD231PS Y14, Y2, Y3
	VSUBPS Y15, Y3, Y4
	VPSUBD Y15, Y3, Y5
	VMOVAPS Y15, Y10
	VFMADD231PS Y14, Y9, Y10
	VSUBPS Y15, Y10, Y11
	VPSUBD Y15, Y10, Y12
	VPBROADCASTD expc<>+24(SB), Y14
	VPADDD Y14, Y5, Y5
	VPSLLD $23, Y5, Y5
	VPADDD Y14, Y12, Y12
	VPSLLD $23, Y12, Y12
	VBROADCASTSS expc<>+16(SB), Y14
	VFNMADD231PS Y14, Y4, Y2
	VFNMADD231PS Y14, Y11, Y9
	VBROADCASTSS expc<>+20(SB), Y14
	VFNMADD231PS Y14, Y4, Y2
	VFNMADD231PS Y14, Y11, Y9
	VMULPS Y2, Y2, Y6
	VMULPS Y9, Y9, Y13
	VBROADCASTSS expc<>+32(SB), Y14
	VMOVAPS Y14, Y3
	VMOVAPS Y14, Y10
	VBROADCASTSS expc<>+36(SB), Y14
	VFMADD213PS Y14, Y2, Y3
	VFMADD213PS Y14, Y9, Y10
	VBROADCASTSS expc<>+40(SB), Y14
	VFMADD213PS Y14, Y2, Y3
	VFMADD213PS Y14, Y9, Y10
	VBROADCASTSS expc<>+44(SB), Y14
	VFMADD213PS Y14, Y2, Y3
	VFMADD213PS Y14, Y9, Y10
	VBROADCASTSS expc<>+48(SB), Y14
	VFMADD213PS Y14, Y2, Y3
	VFMADD213PS Y14, Y9, Y10
	VBROADCASTSS expc<>+52(SB), Y14
	VFMADD213PS Y14, Y2, Y3
	VFMADD213PS Y14, Y9, Y10
	VFMADD213PS Y2, Y6, Y3
	VFMADD213PS Y9, Y13, Y10
	VBROADCASTSS expc<>+28(SB), Y14
	VADDPS Y14, Y3, Y3
	VMULPS Y5, Y3, Y2
	VMULPS Y1, Y2, Y2
	VADDPS Y14, Y10, Y10
	VMULPS Y12, Y10, Y9
	VMULPS Y8, Y9, Y9
	VBROADCASTSS expc<>+64(SB), Y14
	VMULPS Y14, Y2, Y2
	VMULPS Y14, Y9, Y9
	VBROADCASTSS expc<>+28(SB), Y14
	VSUBPS Y2, Y14, Y3
	VBLENDVPS Y0, Y2, Y3, Y3
	VCMPPS $3, Y0, Y0, Y4
	VBLENDVPS Y4, Y0, Y3, Y3
	VMOVUPS Y3, 0(DI)
	VSUBPS Y9, Y14, Y10
	VBLENDVPS Y7, Y9, Y10, Y10
	VCMPPS $3, Y7, Y7, Y11
	VBLENDVPS Y11, Y7, Y10, Y10
	VMOVUPS Y10, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JMP  c2loop

c2done:
	VZEROUPPER
	RET

// ln(1+e) = s·Q(s²), s = e/(2+e): Q's coefficients 2/(2k+1), lowest first.
DATA lp1c<>+0(SB)/4, $0x40000000
DATA lp1c<>+4(SB)/4, $0x3f2aaaab
DATA lp1c<>+8(SB)/4, $0x3ecccccd
DATA lp1c<>+12(SB)/4, $0x3e924925
DATA lp1c<>+16(SB)/4, $0x3e638e39
DATA lp1c<>+20(SB)/4, $0x3e3a2e8c
DATA lp1c<>+24(SB)/4, $0x3e1d89d9
DATA lp1c<>+28(SB)/4, $0x3e088889
DATA lp1c<>+32(SB)/4, $0x3df0f0f1
GLOBL lp1c<>(SB), RODATA|NOPTR, $36

// func softplusAVX2(dst, src *float32, n int, beta, threshold float32)
// dst[i] = x for βx > threshold, else (max(βx, 0) + ln(1 + e^{−|βx|}))/β,
// for i < n (n a multiple of 8).
TEXT ·softplusAVX2(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS beta+24(FP), Y8
	VBROADCASTSS threshold+28(FP), Y9
	VBROADCASTSS expc<>+28(SB), Y10
	VDIVPS       Y8, Y10, Y10 // 1/β
	VXORPS       Y11, Y11, Y11
	SHRQ         $3, CX

ploop:
	TESTQ        CX, CX
	JZ           pdone
	VMOVUPS      (SI), Y6
	VMULPS       Y8, Y6, Y7 // βx
	VBROADCASTSS expc<>+72(SB), Y0
	VORPS        Y7, Y0, Y0 // −|βx|
	VBROADCASTSS expc<>+0(SB), Y1
	VMAXPS       Y1, Y0, Y0
	EXPY0                   // e = e^{−|βx|} ∈ (0, 1]
	VBROADCASTSS lp1c<>+0(SB), Y1
	VADDPS       Y1, Y0, Y1 // 2 + e
	VDIVPS       Y1, Y0, Y12 // s = e/(2+e)
	VMULPS       Y12, Y12, Y13 // s²
	VBROADCASTSS lp1c<>+32(SB), Y14
	VBROADCASTSS lp1c<>+28(SB), Y1
	VFMADD213PS  Y1, Y13, Y14
	VBROADCASTSS lp1c<>+24(SB), Y1
	VFMADD213PS  Y1, Y13, Y14
	VBROADCASTSS lp1c<>+20(SB), Y1
	VFMADD213PS  Y1, Y13, Y14
	VBROADCASTSS lp1c<>+16(SB), Y1
	VFMADD213PS  Y1, Y13, Y14
	VBROADCASTSS lp1c<>+12(SB), Y1
	VFMADD213PS  Y1, Y13, Y14
	VBROADCASTSS lp1c<>+8(SB), Y1
	VFMADD213PS  Y1, Y13, Y14
	VBROADCASTSS lp1c<>+4(SB), Y1
	VFMADD213PS  Y1, Y13, Y14
	VBROADCASTSS lp1c<>+0(SB), Y1
	VFMADD213PS  Y1, Y13, Y14
	VMAXPS       Y11, Y7, Y1 // max(βx, 0)
	VFMADD231PS  Y14, Y12, Y1 // + s·Q(s²)
	VMULPS       Y10, Y1, Y1 // / β
	VCMPPS       $0x1e, Y9, Y7, Y2 // βx > threshold
	VBLENDVPS    Y2, Y6, Y1, Y1
	NANFIX(Y1)
	VMOVUPS      Y1, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	DECQ         CX
	JMP          ploop

pdone:
	VZEROUPPER
	RET
