//go:build !openblas

package nhits_test

import (
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/streamcast/streamcast/engine/fastgemm"
)

// Tests and benchmarks use the same BLAS as the pure-Go binary.
func init() { blas32.Use(fastgemm.Implementation{}) }
