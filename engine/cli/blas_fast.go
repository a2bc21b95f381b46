//go:build !openblas

package cli

import (
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/streamcast/streamcast/engine/fastgemm"
)

// The pure-Go build runs matrix products on fastgemm's AVX2/FMA kernels
// (gonum's own code on CPUs without them); -tags openblas keeps OpenBLAS.
func init() { blas32.Use(fastgemm.Implementation{}) }
