//go:build !linux

package ingest

import (
	"os"
	"unsafe"
)

func mapFile(f *os.File, size int64) ([]byte, func(), bool) { return nil, nil, false }
func dropPages(b []byte)                                    {}
func adviseHuge(p unsafe.Pointer, n int)                    {}
