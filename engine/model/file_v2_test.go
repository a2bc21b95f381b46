package model_test

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamcast/streamcast/engine/model"
)

// encodeV1 writes m in format version 1 (no data padding), as files saved
// before version 2 look.
func encodeV1(t testing.TB, m model.Model) []byte {
	hyper, err := model.HyperJSON(m)
	if err != nil {
		t.Fatal(err)
	}
	str := func(b []byte, s string) []byte {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		return append(b, s...)
	}
	b := append([]byte(nil), model.Magic...)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = str(b, m.Kind())
	b = str(b, string(hyper))
	b = str(b, "{}")
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.Params())))
	for _, p := range m.Params() {
		b = str(b, p.Name)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p.T.Shape)))
		for _, d := range p.T.Shape {
			b = binary.LittleEndian.AppendUint32(b, uint32(d))
		}
		for _, v := range p.T.Data {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

func TestLoadForInferenceBitIdentical(t *testing.T) {
	m := tinyMLP(t, 7)
	hist := [][]float64{{1, 2, 3, 4, 5, 6}, {0.5, -1, 2, 8, 1, 0}}
	want := predictAll(t, m, hist)
	dir := t.TempDir()
	v2 := filepath.Join(dir, "v2.scm")
	if err := model.Save(v2, m, nil); err != nil {
		t.Fatal(err)
	}
	v1 := filepath.Join(dir, "v1.scm")
	if err := os.WriteFile(v1, encodeV1(t, m), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		load func(string) (*model.Loaded, error)
		path string
	}{
		{"Load v2", model.Load, v2},
		{"LoadForInference v2", model.LoadForInference, v2},
		{"Load v1", model.Load, v1},
		{"LoadForInference v1", model.LoadForInference, v1},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, err := c.load(c.path)
			if err != nil {
				t.Fatal(err)
			}
			got := predictAll(t, l.Model, hist)
			for i := range want {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("forecast %d = %v, want %v (bit-identical)", i, got[i], want[i])
				}
			}
		})
	}
}

func TestVersion2AlignsTensorData(t *testing.T) {
	b := encodeTiny(t)
	if v := binary.LittleEndian.Uint32(b[8:]); v != 2 {
		t.Fatalf("version %d, want 2", v)
	}
	// Non-zero padding is corruption even with a valid checksum.
	v1 := encodeV1(t, tinyMLP(t, 1))
	if len(b) <= len(v1) {
		t.Fatalf("version 2 file (%d bytes) is not padded relative to version 1 (%d bytes)", len(b), len(v1))
	}
	bad := append([]byte(nil), b...)
	off := len(model.Magic) + 4
	skipStr := func() { off += 4 + int(binary.LittleEndian.Uint32(bad[off:])) }
	skipStr() // kind
	skipStr() // hyper
	skipStr() // meta
	off += 4  // tensor count
	skipStr() // first tensor's name
	rank := int(binary.LittleEndian.Uint32(bad[off:]))
	off += 4 + 4*rank
	if off%model.DataAlign == 0 {
		t.Skip("first tensor needs no padding in this layout")
	}
	bad[off] = 1
	_, err := model.Decode(refreshCRC(bad))
	if err == nil || !strings.Contains(err.Error(), "padding") {
		t.Fatalf("poisoned padding: error %v, want a padding error", err)
	}
}
