package model_test

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/mlp"
)

func tinyMLP(t testing.TB, seed uint64) *mlp.MLP {
	h := mlp.DefaultHyper(6, 2)
	h.HiddenSize, h.Seed = 4, seed
	m, err := mlp.New(h)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func predictAll(t testing.TB, m model.Model, hist [][]float64) []float64 {
	dst := make([]float64, len(hist)*m.Common().H)
	if err := model.NewPredictor(m).Predict(dst, hist); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestSaveLoadPredictBitIdentical(t *testing.T) {
	m, err := mlp.New(mlp.DefaultHyper(168, 24))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.scm")
	if err := model.Save(path, m, []byte(`{"steps":0}`)); err != nil {
		t.Fatal(err)
	}
	l, err := model.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(l.Meta) != `{"steps":0}` || l.Model.Kind() != "mlp" || !reflect.DeepEqual(l.Model.Common(), m.Common()) {
		t.Fatalf("meta %s kind %s common %+v", l.Meta, l.Model.Kind(), l.Model.Common())
	}
	hist := make([][]float64, 3)
	for i := range hist {
		hist[i] = make([]float64, 200-50*i) // includes a history shorter than input_size
		for j := range hist[i] {
			hist[i][j] = math.Sin(float64(j)/7 + float64(i))
		}
	}
	a, b := predictAll(t, m, hist), predictAll(t, l.Model, hist)
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("forecast %d: %v before save, %v after load", i, a[i], b[i])
		}
	}
	for i, p := range m.Params() {
		q := l.Model.Params()[i]
		for j := range p.T.Data {
			if math.Float32bits(p.T.Data[j]) != math.Float32bits(q.T.Data[j]) {
				t.Fatalf("%s[%d] differs", p.Name, j)
			}
		}
	}
}

func encodeTiny(t testing.TB) []byte {
	b, err := model.Encode(tinyMLP(t, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// refreshCRC recomputes the trailing checksum so a test reaches the parser.
func refreshCRC(b []byte) []byte {
	b = append([]byte(nil), b...)
	if len(b) >= 4 {
		binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], crc32.MakeTable(crc32.Castagnoli)))
	}
	return b
}

func TestDecodeErrors(t *testing.T) {
	good := encodeTiny(t)
	if _, err := model.Decode(good); err != nil {
		t.Fatal(err)
	}
	// hyper-parameters start after magic, version, kind
	hyperOff := 8 + 4 + 4 + len("mlp")
	withHyper := func(hyper string) []byte {
		// Pad with JSON-neutral spaces so the tensors keep their
		// DataAlign-byte alignment and only the hyper-parameters differ.
		oldLen := int(binary.LittleEndian.Uint32(good[hyperOff:]))
		for (len(hyper)-oldLen)%model.DataAlign != 0 {
			hyper += " "
		}
		var b []byte
		b = append(b, good[:hyperOff]...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(hyper)))
		b = append(b, hyper...)
		b = append(b, good[hyperOff+4+oldLen:]...)
		return refreshCRC(b)
	}
	withKind := func(kind string) []byte {
		var b []byte
		b = append(b, good[:12]...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(kind)))
		b = append(b, kind...)
		b = append(b, good[hyperOff:]...)
		return refreshCRC(b)
	}
	flip := func(i int) []byte {
		b := append([]byte(nil), good...)
		b[i] ^= 0x40
		return b
	}
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"truncated", good[:len(good)/2], "checksum mismatch"},
		{"truncated by one", good[:len(good)-1], "checksum mismatch"},
		{"flipped weight bit", flip(len(good) - 10), "checksum mismatch"},
		{"bad magic", flip(0), "bad magic"},
		{"future version", refreshCRC(append(append(append([]byte(nil), good[:8]...), 3, 0, 0, 0), good[12:]...)), "format version 3"},
		{"unknown kind", withKind("xyz"), "unknown model kind"},
		{"hyper mismatch", withHyper(`{"input_size":6,"h":2,"hidden_size":5}`), "imply"},
		{"bad hyper", withHyper(`{"input_size":-6,"h":2}`), "input_size"},
		{"hyper not json", withHyper(`{`), "hyper-parameters"},
		{"trailing bytes", refreshCRC(append(append([]byte(nil), good[:len(good)-4]...), 1, 2, 3, 4, 0, 0, 0, 0)), "unexpected bytes"},
		{"huge tensor count", refreshCRC(func() []byte {
			b := append([]byte(nil), good...)
			// tensor count follows the meta string
			off := hyperOff + 4 + int(binary.LittleEndian.Uint32(good[hyperOff:]))
			off += 4 + int(binary.LittleEndian.Uint32(b[off:]))
			binary.LittleEndian.PutUint32(b[off:], 1<<30)
			return b
		}()), "cannot fit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := model.Decode(c.b)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, model.ErrBadFile) {
				t.Errorf("%v does not wrap ErrBadFile", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q, want %q", err, c.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := model.Load(filepath.Join(dir, "missing.scm")); err == nil {
		t.Fatal("missing file: no error")
	}
	p := filepath.Join(dir, "trunc.scm")
	good := encodeTiny(t)
	if err := os.WriteFile(p, good[:len(good)-7], 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := model.Load(p)
	if !errors.Is(err, model.ErrBadFile) || !strings.Contains(err.Error(), p) {
		t.Fatalf("error %v should wrap ErrBadFile and name the file", err)
	}
}

// FuzzDecode: arbitrary bytes never panic the loader. Each input is tried
// as is and with a recomputed checksum, so mutations reach the parser.
// Seeds live in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add(encodeTiny(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range [][]byte{b, refreshCRC(b)} {
			l, err := model.Decode(in)
			if err == nil && l.Model == nil {
				t.Fatal("nil model without error")
			}
			if err != nil && !errors.Is(err, model.ErrBadFile) {
				t.Fatalf("error %v does not wrap ErrBadFile", err)
			}
		}
	})
}
