//go:build !noasm

package fastgemm

import "golang.org/x/sys/cpu"

var hasKernels = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// hasAVX512 selects the 16-wide one-row product kernel (dot8z).
var hasAVX512 = hasKernels && cpu.X86.HasAVX512F

// Strides are in bytes. The kernels read k steps of A and B and update
// C += alpha·A·B on their tile; callers guarantee the tile is in bounds.

//go:noescape
func kern4x16(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int, alpha float32)

//go:noescape
func kern4x8(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int, alpha float32)

//go:noescape
func kern1x16(k int, a *float32, csA int, b *float32, ldb int, c *float32, alpha float32)

//go:noescape
func kern1x8(k int, a *float32, csA int, b *float32, ldb int, c *float32, alpha float32)

//go:noescape
func dot4(n int, a *float32, lda int, x *float32, out *float32)

//go:noescape
func kern6x16(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int, alpha float32)

//go:noescape
func dot8z(n int, a *float32, lda int, x *float32, out *float32)

//go:noescape
func kern12x16z(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int, alpha float32)
