//go:build !noasm

package optim

import "golang.org/x/sys/cpu"

var (
	hasAdamKernel = cpu.X86.HasAVX2
	// hasAdamKernel512 selects the 16-lane kernel (AVX-512F; on CPUs with
	// full-width 512-bit units, such as AMD Zen 5, it halves the
	// square-root and division work per element).
	hasAdamKernel512 = cpu.X86.HasAVX512F
)

//go:noescape
func adamKernel(n int, w, gr, m, v *float32, c *[7]float32)

//go:noescape
func adamKernel512(n int, w, gr, m, v *float32, c *[7]float32)
