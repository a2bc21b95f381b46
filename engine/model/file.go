package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"unicode/utf8"
	"unsafe"
)

// Model file format, version 2. All integers are unsigned 32-bit little
// endian; strings are a u32 byte length followed by UTF-8 bytes.
//
//	magic      8 bytes  "SCMODEL\x00"
//	version    u32      FormatVersion (1)
//	kind       string   registry kind, e.g. "mlp"
//	hyper      string   hyper-parameters, JSON object
//	meta       string   free-form metadata, JSON object (training summary)
//	ntensors   u32
//	ntensors × {
//	    name   string
//	    rank   u32      0..tensor.MaxDims
//	    dims   rank × u32
//	    pad    zero bytes up to the next multiple of DataAlign (version 2)
//	    data   numel × float32 (IEEE 754 binary32, little endian)
//	}
//	crc        u32      CRC-32C (Castagnoli) of every preceding byte
//
// Loading verifies the checksum before interpreting anything else, then
// bounds-checks every length against the bytes that remain, so a corrupt,
// truncated or foreign file yields an error wrapping ErrBadFile, never a
// panic. Tensors must match the names and shapes the kind's factory builds
// from the stored hyper-parameters.
//
// Version 2 aligns every tensor's data to DataAlign bytes from the start of
// the file, so LoadForInference can use the file's page-cache pages as the
// weights without copying them. Version 1 files (no padding) still load.
const (
	Magic         = "SCMODEL\x00"
	FormatVersion = 2
	// DataAlign is the file-offset alignment of tensor data in version 2.
	DataAlign = 64
	// MaxFileSize bounds the files Load accepts.
	MaxFileSize = 4*MaxParams + 1<<24
)

// ErrBadFile marks model files that cannot be loaded.
var ErrBadFile = errors.New("model: bad model file")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Encode serialises m (kind, hyper-parameters, meta JSON and weights).
// meta must be a JSON object or empty.
func Encode(m Model, meta []byte) ([]byte, error) {
	hyper, err := HyperJSON(m)
	if err != nil {
		return nil, err
	}
	if len(meta) == 0 {
		meta = []byte("{}")
	}
	params := m.Params()
	size := len(Magic) + 4 + 12 + len(m.Kind()) + len(hyper) + len(meta) + 4 + 4
	for _, p := range params {
		size += 8 + len(p.Name) + 4*len(p.T.Shape) + DataAlign + 4*len(p.T.Data)
	}
	buf := make([]byte, 0, size)
	buf = append(buf, Magic...)
	buf = binary.LittleEndian.AppendUint32(buf, FormatVersion)
	buf = appendString(buf, m.Kind())
	buf = appendString(buf, string(hyper))
	buf = appendString(buf, string(meta))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(params)))
	for _, p := range params {
		buf = appendString(buf, p.Name)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(p.T.Shape)))
		for _, d := range p.T.Shape {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(d))
		}
		for len(buf)%DataAlign != 0 {
			buf = append(buf, 0)
		}
		for _, v := range p.T.Data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
	}
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, castagnoli))
	return buf, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// Save writes m to path atomically (temporary file in the same directory,
// then rename).
func Save(path string, m Model, meta []byte) error {
	b, err := Encode(m, meta)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".model-*.tmp")
	if err != nil {
		return fmt.Errorf("model: save: %w", err)
	}
	tmp := f.Name()
	werr := f.Chmod(0o644) // CreateTemp makes 0600; a model file is not secret
	if werr == nil {
		_, werr = f.Write(b)
	}
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("model: save %s: %w", path, werr)
	}
	return nil
}

// Loaded is a decoded model file.
type Loaded struct {
	Model Model
	// Meta is the stored metadata JSON.
	Meta []byte
	// Checksum is the file's CRC-32C; it identifies the weights.
	Checksum uint32

	aliased bool // some weights alias the decoded bytes
}

// Load reads a model file written by Save.
func Load(path string) (*Loaded, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("%w: %s is %d bytes, more than the %d allowed", ErrBadFile, path, st.Size(), int64(MaxFileSize))
	}
	b, release, err := readAll(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("model: read %s: %w", path, err)
	}
	defer release()
	l, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// LoadForInference is Load for models that are only used to predict: on
// Linux it maps the file read-only and, for version-2 files on little-endian
// hosts, the weights are the mapped page-cache pages themselves instead of a
// copy, which saves faulting in a fresh copy of every weight (the bulk of a
// cold predict's time). The mapping is never released, and writing to the
// weights (training, an optimiser step) faults: use Load for a model that
// will be trained. Elsewhere it is Load.
func LoadForInference(path string) (*Loaded, error) {
	b, ok, err := mapReadOnly(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if !ok {
		return Load(path)
	}
	l, err := decode(b, true)
	if err != nil {
		unmap(b)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !l.aliased {
		unmap(b)
	}
	return l, nil
}

func readAllPortable(f *os.File, size int64) ([]byte, func(), error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, nil, err
	}
	return b, func() {}, nil
}

// reader consumes a byte slice with bounds checks.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: offset %d: %s", ErrBadFile, r.off, fmt.Sprintf(format, args...))
	}
}

func (r *reader) u32(what string) uint32 {
	if r.err != nil {
		return 0
	}
	if len(r.b)-r.off < 4 {
		r.fail("truncated %s", what)
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

func (r *reader) bytes(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b)-r.off < n {
		r.fail("truncated %s (%d bytes wanted, %d left)", what, n, len(r.b)-r.off)
		return nil
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}

func (r *reader) str(what string, maxLen int) string {
	n := r.u32(what + " length")
	if r.err == nil && int64(n) > int64(maxLen) {
		r.fail("%s length %d exceeds %d", what, n, maxLen)
		return ""
	}
	s := r.bytes(int(n), what)
	if r.err == nil && !utf8.Valid(s) {
		r.fail("%s is not UTF-8", what)
	}
	return string(s)
}

type fileTensor struct {
	name string
	dims []int
	data []byte
}

// Decode parses a model file held in memory.
func Decode(b []byte) (*Loaded, error) { return decode(b, false) }

// decode is Decode; with alias set, aligned tensor data is used in place
// (the caller keeps b alive and unmodified for as long as the model lives).
func decode(b []byte, alias bool) (*Loaded, error) {
	if len(b) < len(Magic)+8 {
		return nil, fmt.Errorf("%w: %d bytes is too short for a model file", ErrBadFile, len(b))
	}
	if string(b[:len(Magic)]) != Magic {
		return nil, fmt.Errorf("%w: not a streamcast model file (bad magic %q)", ErrBadFile, b[:len(Magic)])
	}
	version := binary.LittleEndian.Uint32(b[len(Magic):])
	if version != 1 && version != FormatVersion {
		return nil, fmt.Errorf("%w: format version %d, this build reads versions 1 to %d", ErrBadFile, version, FormatVersion)
	}
	body := b[:len(b)-4]
	want := binary.LittleEndian.Uint32(b[len(b)-4:])
	if got := crc32.Checksum(body, castagnoli); got != want {
		return nil, fmt.Errorf("%w: checksum mismatch (stored %08x, computed %08x): the file is corrupt or truncated", ErrBadFile, want, got)
	}
	r := &reader{b: body, off: len(Magic) + 4}
	kind := r.str("kind", 256)
	hyper := r.str("hyper-parameters", 1<<20)
	meta := r.str("metadata", 1<<24)
	n := r.u32("tensor count")
	if r.err != nil {
		return nil, r.err
	}
	if int64(n) > int64(len(body)-r.off)/8 {
		return nil, fmt.Errorf("%w: %d tensors cannot fit in %d bytes", ErrBadFile, n, len(body)-r.off)
	}
	tensors := make([]fileTensor, 0, n)
	total := 0
	for i := 0; i < int(n) && r.err == nil; i++ {
		var t fileTensor
		t.name = r.str("tensor name", 1024)
		rank := r.u32("tensor rank")
		if r.err == nil && rank > 6 {
			r.fail("tensor %q has rank %d (max 6)", t.name, rank)
		}
		numel := 1
		for d := 0; d < int(rank) && r.err == nil; d++ {
			dim := int(r.u32("tensor dimension"))
			if r.err != nil {
				break
			}
			if dim != 0 && numel > (len(body)-r.off)/4/dim {
				r.fail("tensor %q shape too large for the file", t.name)
				break
			}
			numel *= dim
			t.dims = append(t.dims, dim)
		}
		if version >= 2 && r.err == nil {
			if pad := r.bytes((DataAlign-r.off%DataAlign)%DataAlign, "tensor padding"); r.err == nil && !allZero(pad) {
				r.fail("tensor %q has non-zero padding", t.name)
			}
		}
		t.data = r.bytes(4*numel, "tensor data")
		total += numel
		tensors = append(tensors, t)
	}
	if r.err != nil {
		return nil, r.err
	}
	if r.off != len(body) {
		return nil, fmt.Errorf("%w: %d unexpected bytes after the last tensor", ErrBadFile, len(body)-r.off)
	}
	s, err := spec(kind)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadFile, err)
	}
	want2, err := s.NumParams([]byte(hyper))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadFile, err)
	}
	if want2 != total {
		return nil, fmt.Errorf("%w: hyper-parameters of %s imply %d parameters, the file holds %d", ErrBadFile, kind, want2, total)
	}
	m, err := s.New([]byte(hyper), false)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadFile, err)
	}
	params := m.Params()
	aliased := false
	if len(params) != len(tensors) {
		return nil, fmt.Errorf("%w: %s has %d tensors, the file holds %d", ErrBadFile, kind, len(params), len(tensors))
	}
	for i, p := range params {
		t := tensors[i]
		if p.Name != t.name {
			return nil, fmt.Errorf("%w: tensor %d is %q in the file, %s expects %q", ErrBadFile, i, t.name, kind, p.Name)
		}
		if !sameDims(p.T.Shape, t.dims) {
			return nil, fmt.Errorf("%w: tensor %q has shape %v in the file, %s expects %v", ErrBadFile, t.name, t.dims, kind, append([]int(nil), p.T.Shape...))
		}
		if alias && littleEndian && len(t.data) > 0 && uintptr(unsafe.Pointer(&t.data[0]))%4 == 0 {
			// The factory's zeroed buffer was never touched, so dropping it
			// costs no page faults; the weights are the mapped bytes.
			p.T.Data = unsafe.Slice((*float32)(unsafe.Pointer(&t.data[0])), len(t.data)/4)
			aliased = true
			continue
		}
		adviseHuge(p.T.Data)
		decodeFloats(p.T.Data, t.data)
	}
	return &Loaded{Model: m, Meta: []byte(meta), Checksum: binary.LittleEndian.Uint32(b[len(b)-4:]), aliased: aliased}, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// littleEndian reports whether float32 values are stored little endian in
// memory, so file bytes can be copied straight into tensors.
var littleEndian = func() bool {
	x := uint32(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// decodeFloats fills dst from little-endian IEEE 754 binary32 bytes.
func decodeFloats(dst []float32, src []byte) {
	if littleEndian && len(dst) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 4*len(dst)), src)
		return
	}
	for j := range dst {
		dst[j] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*j:]))
	}
}

func sameDims(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
