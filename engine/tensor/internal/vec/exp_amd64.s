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
GLOBL expc<>(SB), RODATA|NOPTR, $56

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
