package ingest

import (
	"os"
	"syscall"
	"unsafe"
)

// mapFile maps a file read-only with MAP_POPULATE (one call maps every
// page, instead of a page fault per 4 KiB, which is slow on some virtual
// machines). release unmaps it.
func mapFile(f *os.File, size int64) (b []byte, release func(), ok bool) {
	if size <= 0 || size != int64(int(size)) {
		return nil, nil, false
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_POPULATE)
	if err != nil {
		return nil, nil, false
	}
	_ = syscall.Madvise(b, syscall.MADV_SEQUENTIAL)
	return b, func() { syscall.Munmap(b) }, true
}

const pageSize = 4096

// dropPages releases the whole pages of mapped region b (done with), so
// the resident memory of a load stays the frame plus the blocks in flight.
func dropPages(b []byte) {
	if len(b) < 2*pageSize {
		return
	}
	start := uintptr(unsafe.Pointer(&b[0]))
	a := (start + pageSize - 1) &^ (pageSize - 1)
	e := (start + uintptr(len(b))) &^ (pageSize - 1)
	if e <= a {
		return
	}
	p := unsafe.Add(unsafe.Pointer(&b[0]), a-start)
	_ = syscall.Madvise(unsafe.Slice((*byte)(p), e-a), syscall.MADV_DONTNEED)
}

// adviseHuge asks for transparent huge pages on a large, not yet touched
// allocation (n bytes at p), so filling it faults once per 2 MiB.
func adviseHuge(p unsafe.Pointer, n int) {
	const huge = 2 << 20
	if n < 2*huge {
		return
	}
	start := uintptr(p)
	a := (start + huge - 1) &^ (huge - 1)
	e := (start + uintptr(n)) &^ (huge - 1)
	if e <= a {
		return
	}
	_ = syscall.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, a-start)), e-a), 14 /* MADV_HUGEPAGE */)
}
