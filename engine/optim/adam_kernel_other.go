//go:build !amd64 || noasm

package optim

const hasAdamKernel = false

func adamKernel(n int, w, gr, m, v *float32, c *[7]float32) {
	panic("optim: no Adam kernel on this platform")
}

var hasAdamKernel512 = false

func adamKernel512(n int, w, gr, m, v *float32, c *[7]float32) {
	panic("optim: no Adam kernel on this platform")
}
