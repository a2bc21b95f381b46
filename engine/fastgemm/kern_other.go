//go:build !amd64 || noasm

package fastgemm

const hasKernels = false

func kern4x16(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int, alpha float32) {
	panic("fastgemm: no kernels on this platform")
}

func kern4x8(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int, alpha float32) {
	panic("fastgemm: no kernels on this platform")
}

func kern1x16(k int, a *float32, csA int, b *float32, ldb int, c *float32, alpha float32) {
	panic("fastgemm: no kernels on this platform")
}

func kern1x8(k int, a *float32, csA int, b *float32, ldb int, c *float32, alpha float32) {
	panic("fastgemm: no kernels on this platform")
}

func dot4(n int, a *float32, lda int, x *float32, out *float32) {
	panic("fastgemm: no kernels on this platform")
}

func kern6x16(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int, alpha float32) {
	panic("fastgemm: no kernels on this platform")
}

const hasAVX512 = false

func dot8z(n int, a *float32, lda int, x *float32, out *float32) {
	panic("fastgemm: no kernels on this platform")
}

func kern12x16z(k int, a *float32, rsA, csA int, b *float32, ldb int, c *float32, ldc int, alpha float32) {
	panic("fastgemm: no kernels on this platform")
}
