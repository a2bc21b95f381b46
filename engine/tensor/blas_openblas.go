//go:build openblas

package tensor

// Build with -tags openblas (cgo, Debian libopenblas-dev) to run every
// blas32 call on OpenBLAS through gonum's netlib bindings.
//
// The run path prefers Debian's OpenMP build of OpenBLAS
// (libopenblas0-openmp) over the default pthreads one when both are
// installed: the pthreads build's idle workers spin between calls and take
// CPU from the Go threads that run everything else of a training step (MLP
// training, 2 threads: 197–218 steps/s with OpenMP against 137–210 with
// pthreads, alternating runs). LD_LIBRARY_PATH still overrides it, and where
// the directory does not exist the loader falls back to its usual search.

/*
#cgo LDFLAGS: -lopenblas -Wl,-rpath,/usr/lib/x86_64-linux-gnu/openblas-openmp
int openblas_get_parallel(void);
char* openblas_get_config(void);
*/
import "C"

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// Backend names the BLAS implementation in use.
const Backend = "openblas"

// BackendInfo describes the loaded OpenBLAS: its build configuration and
// threading model (sequential, pthreads or OpenMP).
func BackendInfo() string {
	mode := "sequential"
	switch C.openblas_get_parallel() {
	case 1:
		mode = "pthreads"
	case 2:
		mode = "openmp"
	}
	return "openblas " + C.GoString(C.openblas_get_config()) + " " + mode
}

func init() {
	blas32.Use(netlib.Implementation{})
	blas64.Use(netlib.Implementation{})
}
