//go:build !noasm

package optim

import "golang.org/x/sys/cpu"

var hasAdamKernel = cpu.X86.HasAVX2

//go:noescape
func adamKernel(n int, w, gr, m, v *float32, c *[7]float32)
