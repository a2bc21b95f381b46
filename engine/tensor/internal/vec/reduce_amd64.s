//go:build amd64 && !purego

#include "textflag.h"

// Horizontal sum of Y0..Y3 into X0.
#define HSUM4 \
	VADDPS       Y1, Y0, Y0 \
	VADDPS       Y3, Y2, Y2 \
	VADDPS       Y2, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS       X1, X0, X0 \
	VHADDPS      X0, X0, X0 \
	VHADDPS      X0, X0, X0

#define ZERO4 \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3

// func sumAVX2(x *float32, n int) float32
// Σ x[i] for i < n (n a multiple of 8), four accumulators.
TEXT ·sumAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	SHRQ $3, CX
	ZERO4

loop32:
	CMPQ   CX, $4
	JL     loop8
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	ADDQ   $128, SI
	SUBQ   $4, CX
	JMP    loop32

loop8:
	TESTQ  CX, CX
	JZ     reduce
	VADDPS (SI), Y0, Y0
	ADDQ   $32, SI
	DECQ   CX
	JMP    loop8

reduce:
	HSUM4
	VZEROUPPER
	MOVSS X0, ret+16(FP)
	RET

// func dotAVX2(a, b *float32, n int) float32
// Σ a[i]·b[i] for i < n (n a multiple of 8), four accumulators.
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DX
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	ZERO4

loop32:
	CMPQ        CX, $4
	JL          loop8
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (DX), Y4, Y0
	VFMADD231PS 32(DX), Y5, Y1
	VFMADD231PS 64(DX), Y6, Y2
	VFMADD231PS 96(DX), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DX
	SUBQ        $4, CX
	JMP         loop32

loop8:
	TESTQ       CX, CX
	JZ          reduce
	VMOVUPS     (SI), Y4
	VFMADD231PS (DX), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DX
	DECQ        CX
	JMP         loop8

reduce:
	HSUM4
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func sumSqDevAVX2(x *float32, n int, m float32) float32
// Σ (x[i] − m)² for i < n (n a multiple of 8), four accumulators.
TEXT ·sumSqDevAVX2(SB), NOSPLIT, $0-28
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS m+16(FP), Y8
	SHRQ         $3, CX
	ZERO4

loop32:
	CMPQ        CX, $4
	JL          loop8
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VSUBPS      Y8, Y4, Y4
	VSUBPS      Y8, Y5, Y5
	VSUBPS      Y8, Y6, Y6
	VSUBPS      Y8, Y7, Y7
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	ADDQ        $128, SI
	SUBQ        $4, CX
	JMP         loop32

loop8:
	TESTQ       CX, CX
	JZ          reduce
	VMOVUPS     (SI), Y4
	VSUBPS      Y8, Y4, Y4
	VFMADD231PS Y4, Y4, Y0
	ADDQ        $32, SI
	DECQ        CX
	JMP         loop8

reduce:
	HSUM4
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func scaleShiftAVX2(dst, x *float32, n int, a, b float32)
// dst[i] = x[i]·a + b for i < n (n a multiple of 8).
TEXT ·scaleShiftAVX2(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS a+24(FP), Y8
	VBROADCASTSS b+28(FP), Y9
	SHRQ         $3, CX

loop:
	TESTQ       CX, CX
	JZ          done
	VMOVUPS     (SI), Y0
	VFMADD213PS Y9, Y8, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	DECQ        CX
	JMP         loop

done:
	VZEROUPPER
	RET

// func axpyAVX2(dst, x *float32, n int, alpha float32)
// dst[i] += alpha·x[i] for i < n (n a multiple of 8).
TEXT ·axpyAVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS alpha+24(FP), Y8
	SHRQ         $3, CX

loop:
	TESTQ       CX, CX
	JZ          done
	VMOVUPS     (DI), Y0
	VFMADD231PS (SI), Y8, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	DECQ        CX
	JMP         loop

done:
	VZEROUPPER
	RET

// func reluAVX2(dst, x *float32, n int)
// dst[i] = max(x[i], 0) for i < n (n a multiple of 8); NaN stays NaN.
TEXT ·reluAVX2(SB), NOSPLIT, $0-24
	MOVQ   dst+0(FP), DI
	MOVQ   x+8(FP), SI
	MOVQ   n+16(FP), CX
	VXORPS Y8, Y8, Y8
	SHRQ   $3, CX

loop:
	TESTQ   CX, CX
	JZ      done
	VMOVUPS (SI), Y0
	VMAXPS  Y0, Y8, Y0 // (0 > x) ? 0 : x
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JMP     loop

done:
	VZEROUPPER
	RET

// func reluGradAVX2(dst, grad, x *float32, n int)
// dst[i] += g[i] where x[i] > 0, for i < n (n a multiple of 8).
TEXT ·reluGradAVX2(SB), NOSPLIT, $0-32
	MOVQ   dst+0(FP), DI
	MOVQ   grad+8(FP), SI
	MOVQ   x+16(FP), DX
	MOVQ   n+24(FP), CX
	VXORPS Y8, Y8, Y8
	SHRQ   $3, CX

loop:
	TESTQ   CX, CX
	JZ      done
	VMOVUPS (DX), Y1
	VCMPPS  $0x1e, Y8, Y1, Y2 // x > 0
	VANDPS  (SI), Y2, Y2
	VADDPS  (DI), Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JMP     loop

done:
	VZEROUPPER
	RET

DATA negInf<>+0(SB)/4, $0xff800000
GLOBL negInf<>(SB), RODATA|NOPTR, $4

// func maxAVX2(x *float32, n int) float32
// max x[i] for i < n (n a positive multiple of 8), four accumulators.
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	SHRQ         $3, CX
	VBROADCASTSS negInf<>(SB), Y0
	VMOVAPS      Y0, Y1
	VMOVAPS      Y0, Y2
	VMOVAPS      Y0, Y3

// VMAXPS acc, x, acc computes (x > acc) ? x : acc, so a NaN x leaves the
// accumulator unchanged.
loop32:
	CMPQ    CX, $4
	JL      loop8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VMAXPS  Y0, Y4, Y0
	VMAXPS  Y1, Y5, Y1
	VMAXPS  Y2, Y6, Y2
	VMAXPS  Y3, Y7, Y3
	ADDQ    $128, SI
	SUBQ    $4, CX
	JMP     loop32

loop8:
	TESTQ   CX, CX
	JZ      reduce
	VMOVUPS (SI), Y4
	VMAXPS  Y0, Y4, Y0
	ADDQ    $32, SI
	DECQ    CX
	JMP     loop8

reduce:
	VMAXPS       Y1, Y0, Y0
	VMAXPS       Y3, Y2, Y2
	VMAXPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VMAXPS       X1, X0, X0
	VZEROUPPER
	MOVSS        X0, ret+16(FP)
	RET
