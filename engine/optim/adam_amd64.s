//go:build !noasm

#include "textflag.h"

// func adamKernel(n int, w, gr, m, v *float32, c *[7]float32)
// The no-weight-decay Adam element update of adamUpdate, 8 lanes at a time
// with the same float32 operations in the same order (no FMA), so results
// are bit-identical to the Go loop. n is a multiple of 8.
// c = [b1, b2, omb1, omb2, invBc2Sqrt, eps, stepSize].
TEXT ·adamKernel(SB), NOSPLIT, $0-48
	MOVQ n+0(FP), CX
	MOVQ w+8(FP), DI
	MOVQ gr+16(FP), SI
	MOVQ m+24(FP), R8
	MOVQ v+32(FP), R9
	MOVQ c+40(FP), AX
	VBROADCASTSS 0(AX), Y8   // b1
	VBROADCASTSS 4(AX), Y9   // b2
	VBROADCASTSS 8(AX), Y10  // omb1
	VBROADCASTSS 12(AX), Y11 // omb2
	VBROADCASTSS 16(AX), Y12 // invBc2Sqrt
	VBROADCASTSS 20(AX), Y13 // eps
	VBROADCASTSS 24(AX), Y14 // stepSize
	SHRQ $3, CX
	JEQ  done

loop:
	VMOVUPS (SI), Y0         // g
	VMULPS  (R8), Y8, Y1     // m*b1
	VMULPS  Y0, Y10, Y2      // omb1*g
	VADDPS  Y2, Y1, Y1       // m' = m*b1 + omb1*g
	VMULPS  (R9), Y9, Y3     // v*b2
	VMULPS  Y0, Y11, Y4      // omb2*g
	VMULPS  Y0, Y4, Y4       // (omb2*g)*g
	VADDPS  Y4, Y3, Y3       // v' = v*b2 + omb2*g*g
	VMOVUPS Y1, (R8)
	VMOVUPS Y3, (R9)
	VSQRTPS Y3, Y5           // sqrt(v')
	VMULPS  Y12, Y5, Y5      // sqrt(v')*invBc2Sqrt
	VADDPS  Y13, Y5, Y5      // + eps
	VMULPS  Y1, Y14, Y6      // stepSize*m'
	VDIVPS  Y5, Y6, Y6       // (stepSize*m')/denom
	VADDPS  (DI), Y6, Y6     // w + …
	VMOVUPS Y6, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, R9
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

// func adamKernel512(n int, w, gr, m, v *float32, c *[7]float32)
// adamKernel with AVX-512, 16 lanes at a time: the same float32 operations
// in the same order (no FMA), so results are bit-identical to the Go loop.
// n is a multiple of 16.
TEXT ·adamKernel512(SB), NOSPLIT, $0-48
	MOVQ n+0(FP), CX
	MOVQ w+8(FP), DI
	MOVQ gr+16(FP), SI
	MOVQ m+24(FP), R8
	MOVQ v+32(FP), R9
	MOVQ c+40(FP), AX
	VBROADCASTSS 0(AX), Z8   // b1
	VBROADCASTSS 4(AX), Z9   // b2
	VBROADCASTSS 8(AX), Z10  // omb1
	VBROADCASTSS 12(AX), Z11 // omb2
	VBROADCASTSS 16(AX), Z12 // invBc2Sqrt
	VBROADCASTSS 20(AX), Z13 // eps
	VBROADCASTSS 24(AX), Z14 // stepSize
	SHRQ $4, CX
	JEQ  done512

loop512:
	VMOVUPS (SI), Z0         // g
	VMULPS  (R8), Z8, Z1     // m*b1
	VMULPS  Z0, Z10, Z2      // omb1*g
	VADDPS  Z2, Z1, Z1       // m' = m*b1 + omb1*g
	VMULPS  (R9), Z9, Z3     // v*b2
	VMULPS  Z0, Z11, Z4      // omb2*g
	VMULPS  Z0, Z4, Z4       // (omb2*g)*g
	VADDPS  Z4, Z3, Z3       // v' = v*b2 + omb2*g*g
	VMOVUPS Z1, (R8)
	VMOVUPS Z3, (R9)
	VSQRTPS Z3, Z5           // sqrt(v')
	VMULPS  Z12, Z5, Z5      // sqrt(v')*invBc2Sqrt
	VADDPS  Z13, Z5, Z5      // + eps
	VMULPS  Z1, Z14, Z6      // stepSize*m'
	VDIVPS  Z5, Z6, Z6       // (stepSize*m')/denom
	VADDPS  (DI), Z6, Z6     // w + …
	VMOVUPS Z6, (DI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	ADDQ    $64, R8
	ADDQ    $64, R9
	DECQ    CX
	JNZ     loop512

done512:
	VZEROUPPER
	RET
