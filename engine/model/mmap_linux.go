package model

import (
	"os"
	"syscall"
	"unsafe"
)

// readAll maps the file with MAP_POPULATE: the kernel maps every page in
// one call, instead of the page-fault per 4 KiB that reading into a fresh
// buffer costs (tens of microseconds each on some virtual machines, which
// dominated a cold predict). release unmaps it; Decode copies everything
// it keeps.
func readAll(f *os.File, size int64) (b []byte, release func(), err error) {
	if size == 0 {
		return nil, func() {}, nil
	}
	b, err = syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_POPULATE)
	if err != nil {
		return readAllPortable(f, size)
	}
	return b, func() { syscall.Munmap(b) }, nil
}

// adviseHuge asks for transparent huge pages on a large buffer before its
// first touch, so filling it faults once per 2 MiB rather than per 4 KiB.
func adviseHuge(x []float32) {
	const huge = 2 << 20
	if 4*len(x) < 2*huge {
		return
	}
	start := uintptr(unsafe.Pointer(&x[0]))
	end := start + uintptr(4*len(x))
	a := (start + huge - 1) &^ (huge - 1)
	e := end &^ (huge - 1)
	if e <= a {
		return
	}
	p := unsafe.Add(unsafe.Pointer(&x[0]), a-start)
	_ = syscall.Madvise(unsafe.Slice((*byte)(p), e-a), 14 /* MADV_HUGEPAGE */)
}

// mapReadOnly maps path read-only with every page populated; ok is false
// when the file cannot be mapped (empty, or mmap unsupported there).
func mapReadOnly(path string) (b []byte, ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, false, err
	}
	if st.Size() == 0 || st.Size() > MaxFileSize {
		return nil, false, nil
	}
	b, err = syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_POPULATE)
	if err != nil {
		return nil, false, nil
	}
	return b, true, nil
}

func unmap(b []byte) { syscall.Munmap(b) }
