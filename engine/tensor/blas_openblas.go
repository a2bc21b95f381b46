//go:build openblas

package tensor

// Build with -tags openblas (cgo, Debian libopenblas-dev) to run every
// blas32 call on OpenBLAS through gonum's netlib bindings.

/*
#cgo LDFLAGS: -lopenblas
*/
import "C"

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// Backend names the BLAS implementation in use.
const Backend = "openblas"

func init() {
	blas32.Use(netlib.Implementation{})
	blas64.Use(netlib.Implementation{})
}
