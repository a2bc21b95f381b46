//go:build !noasm

#include "textflag.h"

// Micro-kernels C[r×w] += alpha · Σ_p A[i,p]·B[p,0:w] for r ∈ {4, 1} rows
// and w ∈ {16, 8} columns (AVX2 + FMA). A is addressed with byte strides
// (rsA between rows, csA between p), so it may be transposed; B rows are
// contiguous with byte stride ldb; C rows with byte stride ldc.

// func kern4x16(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int, alpha float32)
TEXT ·kern4x16(SB), NOSPLIT, $0-68
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ rsA+16(FP), R8
	MOVQ csA+24(FP), R10
	MOVQ b+32(FP), BX
	MOVQ ldb+40(FP), R11
	MOVQ c+48(FP), DI
	MOVQ ldc+56(FP), R12
	LEAQ (R8)(R8*2), R9
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ CX, CX
	JEQ   store4x16

loop4x16:
	VMOVUPS      (BX), Y8
	VMOVUPS      32(BX), Y9
	VBROADCASTSS (AX), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS (AX)(R8*1), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS (AX)(R8*2), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS (AX)(R9*1), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	ADDQ         R10, AX
	ADDQ         R11, BX
	DECQ         CX
	JNZ          loop4x16

store4x16:
	VBROADCASTSS alpha+64(FP), Y15
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VFMADD231PS  Y0, Y15, Y8
	VFMADD231PS  Y1, Y15, Y9
	VMOVUPS      Y8, (DI)
	VMOVUPS      Y9, 32(DI)
	ADDQ         R12, DI
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VFMADD231PS  Y2, Y15, Y8
	VFMADD231PS  Y3, Y15, Y9
	VMOVUPS      Y8, (DI)
	VMOVUPS      Y9, 32(DI)
	ADDQ         R12, DI
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VFMADD231PS  Y4, Y15, Y8
	VFMADD231PS  Y5, Y15, Y9
	VMOVUPS      Y8, (DI)
	VMOVUPS      Y9, 32(DI)
	ADDQ         R12, DI
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VFMADD231PS  Y6, Y15, Y8
	VFMADD231PS  Y7, Y15, Y9
	VMOVUPS      Y8, (DI)
	VMOVUPS      Y9, 32(DI)
	VZEROUPPER
	RET

// func kern4x8(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int, alpha float32)
TEXT ·kern4x8(SB), NOSPLIT, $0-68
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ rsA+16(FP), R8
	MOVQ csA+24(FP), R10
	MOVQ b+32(FP), BX
	MOVQ ldb+40(FP), R11
	MOVQ c+48(FP), DI
	MOVQ ldc+56(FP), R12
	LEAQ (R8)(R8*2), R9
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y4, Y4, Y4
	VXORPS Y6, Y6, Y6
	TESTQ CX, CX
	JEQ   store4x8

loop4x8:
	VMOVUPS      (BX), Y8
	VBROADCASTSS (AX), Y10
	VFMADD231PS  Y8, Y10, Y0
	VBROADCASTSS (AX)(R8*1), Y11
	VFMADD231PS  Y8, Y11, Y2
	VBROADCASTSS (AX)(R8*2), Y12
	VFMADD231PS  Y8, Y12, Y4
	VBROADCASTSS (AX)(R9*1), Y13
	VFMADD231PS  Y8, Y13, Y6
	ADDQ         R10, AX
	ADDQ         R11, BX
	DECQ         CX
	JNZ          loop4x8

store4x8:
	VBROADCASTSS alpha+64(FP), Y15
	VMOVUPS      (DI), Y8
	VFMADD231PS  Y0, Y15, Y8
	VMOVUPS      Y8, (DI)
	ADDQ         R12, DI
	VMOVUPS      (DI), Y8
	VFMADD231PS  Y2, Y15, Y8
	VMOVUPS      Y8, (DI)
	ADDQ         R12, DI
	VMOVUPS      (DI), Y8
	VFMADD231PS  Y4, Y15, Y8
	VMOVUPS      Y8, (DI)
	ADDQ         R12, DI
	VMOVUPS      (DI), Y8
	VFMADD231PS  Y6, Y15, Y8
	VMOVUPS      Y8, (DI)
	VZEROUPPER
	RET

// func kern1x16(k int, a *float32, csA int, b *float32, ldb int, c *float32, alpha float32)
TEXT ·kern1x16(SB), NOSPLIT, $0-52
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ csA+16(FP), R10
	MOVQ b+24(FP), BX
	MOVQ ldb+32(FP), R11
	MOVQ c+40(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	TESTQ CX, CX
	JEQ   store1x16

loop1x16:
	VBROADCASTSS (AX), Y10
	VFMADD231PS  (BX), Y10, Y0
	VFMADD231PS  32(BX), Y10, Y1
	ADDQ         R10, AX
	ADDQ         R11, BX
	DECQ         CX
	JNZ          loop1x16

store1x16:
	VBROADCASTSS alpha+48(FP), Y15
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VFMADD231PS  Y0, Y15, Y8
	VFMADD231PS  Y1, Y15, Y9
	VMOVUPS      Y8, (DI)
	VMOVUPS      Y9, 32(DI)
	VZEROUPPER
	RET

// func kern1x8(k int, a *float32, csA int, b *float32, ldb int, c *float32, alpha float32)
TEXT ·kern1x8(SB), NOSPLIT, $0-52
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ csA+16(FP), R10
	MOVQ b+24(FP), BX
	MOVQ ldb+32(FP), R11
	MOVQ c+40(FP), DI
	VXORPS Y0, Y0, Y0
	TESTQ CX, CX
	JEQ   store1x8

loop1x8:
	VBROADCASTSS (AX), Y10
	VFMADD231PS  (BX), Y10, Y0
	ADDQ         R10, AX
	ADDQ         R11, BX
	DECQ         CX
	JNZ          loop1x8

store1x8:
	VBROADCASTSS alpha+48(FP), Y15
	VMOVUPS      (DI), Y8
	VFMADD231PS  Y0, Y15, Y8
	VMOVUPS      Y8, (DI)
	VZEROUPPER
	RET

// func dot4(n int, a *float32, lda int, x *float32, out *float32)
// out[r] = Σ_{i<n} a[r·lda + i]·x[i] for r < 4; n is a multiple of 8 and
// lda is in bytes.
TEXT ·dot4(SB), NOSPLIT, $0-40
	MOVQ n+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ lda+16(FP), R8
	MOVQ x+24(FP), BX
	MOVQ out+32(FP), DI
	LEAQ (R8)(R8*2), R9
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	SHRQ   $3, CX
	JEQ    sum4

loopdot4:
	VMOVUPS     (BX), Y4
	VFMADD231PS (AX), Y4, Y0
	VFMADD231PS (AX)(R8*1), Y4, Y1
	VFMADD231PS (AX)(R8*2), Y4, Y2
	VFMADD231PS (AX)(R9*1), Y4, Y3
	ADDQ        $32, AX
	ADDQ        $32, BX
	DECQ        CX
	JNZ         loopdot4

sum4:
	VEXTRACTF128 $1, Y0, X4
	VADDPS       X4, X0, X0
	VEXTRACTF128 $1, Y1, X5
	VADDPS       X5, X1, X1
	VEXTRACTF128 $1, Y2, X6
	VADDPS       X6, X2, X2
	VEXTRACTF128 $1, Y3, X7
	VADDPS       X7, X3, X3
	VHADDPS      X1, X0, X0
	VHADDPS      X3, X2, X2
	VHADDPS      X2, X0, X0
	VMOVUPS      X0, (DI)
	VZEROUPPER
	RET

// func kern6x16(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int, alpha float32)
// Six rows × 16 columns: 12 accumulators hide the FMA latency.
TEXT ·kern6x16(SB), NOSPLIT, $0-68
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ rsA+16(FP), R8
	MOVQ csA+24(FP), R10
	MOVQ b+32(FP), BX
	MOVQ ldb+40(FP), R11
	MOVQ c+48(FP), DI
	MOVQ ldc+56(FP), R12
	LEAQ (R8)(R8*2), R9
	LEAQ (R8)(R8*4), R13
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ CX, CX
	JEQ   store6x16

loop6x16:
	VMOVUPS      (BX), Y12
	VMOVUPS      32(BX), Y13
	VBROADCASTSS (AX), Y14
	VFMADD231PS  Y12, Y14, Y0
	VFMADD231PS  Y13, Y14, Y1
	VBROADCASTSS (AX)(R8*1), Y15
	VFMADD231PS  Y12, Y15, Y2
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS (AX)(R8*2), Y14
	VFMADD231PS  Y12, Y14, Y4
	VFMADD231PS  Y13, Y14, Y5
	VBROADCASTSS (AX)(R9*1), Y15
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	VBROADCASTSS (AX)(R8*4), Y14
	VFMADD231PS  Y12, Y14, Y8
	VFMADD231PS  Y13, Y14, Y9
	VBROADCASTSS (AX)(R13*1), Y15
	VFMADD231PS  Y12, Y15, Y10
	VFMADD231PS  Y13, Y15, Y11
	ADDQ         R10, AX
	ADDQ         R11, BX
	DECQ         CX
	JNZ          loop6x16

store6x16:
	VBROADCASTSS alpha+64(FP), Y15
	VMOVUPS      (DI), Y12
	VMOVUPS      32(DI), Y13
	VFMADD231PS  Y0, Y15, Y12
	VFMADD231PS  Y1, Y15, Y13
	VMOVUPS      Y12, (DI)
	VMOVUPS      Y13, 32(DI)
	ADDQ         R12, DI
	VMOVUPS      (DI), Y12
	VMOVUPS      32(DI), Y13
	VFMADD231PS  Y2, Y15, Y12
	VFMADD231PS  Y3, Y15, Y13
	VMOVUPS      Y12, (DI)
	VMOVUPS      Y13, 32(DI)
	ADDQ         R12, DI
	VMOVUPS      (DI), Y12
	VMOVUPS      32(DI), Y13
	VFMADD231PS  Y4, Y15, Y12
	VFMADD231PS  Y5, Y15, Y13
	VMOVUPS      Y12, (DI)
	VMOVUPS      Y13, 32(DI)
	ADDQ         R12, DI
	VMOVUPS      (DI), Y12
	VMOVUPS      32(DI), Y13
	VFMADD231PS  Y6, Y15, Y12
	VFMADD231PS  Y7, Y15, Y13
	VMOVUPS      Y12, (DI)
	VMOVUPS      Y13, 32(DI)
	ADDQ         R12, DI
	VMOVUPS      (DI), Y12
	VMOVUPS      32(DI), Y13
	VFMADD231PS  Y8, Y15, Y12
	VFMADD231PS  Y9, Y15, Y13
	VMOVUPS      Y12, (DI)
	VMOVUPS      Y13, 32(DI)
	ADDQ         R12, DI
	VMOVUPS      (DI), Y12
	VMOVUPS      32(DI), Y13
	VFMADD231PS  Y10, Y15, Y12
	VFMADD231PS  Y11, Y15, Y13
	VMOVUPS      Y12, (DI)
	VMOVUPS      Y13, 32(DI)
	VZEROUPPER
	RET
