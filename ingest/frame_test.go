package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testFrame is a small panel: 3 series of different lengths, hourly, with
// two exogenous columns and awkward values (negative, tiny, huge, -0).
func testFrame() *Frame {
	rng := rand.New(rand.NewPCG(7, 9))
	f := &Frame{TimeKind: TimeStamp, Y: []float64{}, ExogNames: []string{"temp", "promo"}, Exog: make([][]float64, 2)}
	start := time.Date(2016, 7, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for i, n := range []int{50, 7, 130} {
		f.IDs = append(f.IDs, fmt.Sprintf("s%d", i))
		f.Offsets = append(f.Offsets, len(f.Time))
		for k := range n {
			f.Time = append(f.Time, start+int64(k)*3_600_000)
			v := math.Round(rng.NormFloat64()*1e6) / 1e3
			switch k {
			case 3:
				v = 1e-300
			case 4:
				v = -1.7976931348623157e308
			case 5:
				v = 0.1 + 0.2
			}
			f.Y = append(f.Y, v)
			f.Exog[0] = append(f.Exog[0], 20+rng.Float64())
			f.Exog[1] = append(f.Exog[1], float64(k%2))
		}
	}
	f.Offsets = append(f.Offsets, len(f.Time))
	f.Freq = Freq{Step: 3_600_000}
	return f
}

func sameFrame(t *testing.T, what string, got, want *Frame) {
	t.Helper()
	g, w := *got, *want
	g.Source, w.Source = "", ""
	if !reflect.DeepEqual(g, w) {
		for _, c := range []struct {
			name      string
			got, want any
		}{{"ids", g.IDs, w.IDs}, {"offsets", g.Offsets, w.Offsets}, {"time", g.Time, w.Time}, {"kind", g.TimeKind, w.TimeKind},
			{"y", g.Y, w.Y}, {"exog names", g.ExogNames, w.ExogNames}, {"exog", g.Exog, w.Exog}, {"freq", g.Freq, w.Freq}} {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Fatalf("%s: %s differ\n got %v\nwant %v", what, c.name, c.got, c.want)
			}
		}
	}
}

func TestRoundTripFormats(t *testing.T) {
	want := testFrame()
	dir := t.TempDir()
	for _, format := range []string{FormatCSV, FormatJSONL, FormatParquet} {
		for _, workers := range []int{1, 3} {
			path := filepath.Join(dir, "data."+format)
			if err := WriteFrameFile(path, want, format, LoadOptions{}); err != nil {
				t.Fatal(err)
			}
			// Tiny blocks make every block boundary case happen.
			got, rep, err := Load(path, LoadOptions{Workers: workers, BlockSize: 1024})
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			sameFrame(t, format, got, want)
			if rep.Rows != want.Len() || rep.Series != 3 || rep.Gaps == nil || rep.Gaps.Gaps != 0 {
				t.Fatalf("%s: report %+v", format, rep)
			}
		}
	}
}

func TestRoundTripRenamedColumnsAndIntTime(t *testing.T) {
	want := testFrame()
	want.TimeKind = TimeInt
	for i := range want.Time {
		want.Time[i] = int64(i%200) + 1
	}
	want.Freq = Freq{Step: 1}
	opts := LoadOptions{IDCol: "series", TimeCol: "t", TargetCol: "load"}
	dir := t.TempDir()
	for _, format := range []string{FormatCSV, FormatJSONL, FormatParquet} {
		path := filepath.Join(dir, "data."+format)
		if err := WriteFrameFile(path, want, format, opts); err != nil {
			t.Fatal(err)
		}
		got, _, err := Load(path, opts)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		sameFrame(t, format, got, want)
	}
}

// Rows of a panel exported by time (interleaved series) or shuffled are
// grouped by series in first-appearance order and sorted by time.
func TestInterleavedAndUnsortedRows(t *testing.T) {
	csv := "unique_id,ds,y\n" +
		"b,2020-01-01 02:00,3\n" +
		"a,2020-01-01 00:00,1\n" +
		"\n" +
		"b,2020-01-01 00:00,1\n" +
		"a,2020-01-01 01:00,2\n" +
		"b,2020-01-01 01:00,2\n"
	f, err := ReadCSV(strings.NewReader(csv), "x.csv", LoadOptions{BlockSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.IDs, []string{"b", "a"}) || !reflect.DeepEqual(f.Offsets, []int{0, 3, 5}) {
		t.Fatalf("ids %v offsets %v", f.IDs, f.Offsets)
	}
	if !reflect.DeepEqual(f.Y, []float64{1, 2, 3, 1, 2}) || f.Time[1]-f.Time[0] != 3_600_000 {
		t.Fatalf("y %v times %v", f.Y, f.Time)
	}
}

// Bad files give errors naming the file and the line of the bad row.
func TestBadFiles(t *testing.T) {
	ok := "unique_id,ds,y\na,2020-01-01,1\na,2020-01-02,2\n"
	cases := []struct {
		name, format, body string
		line               int64
		msg                string
	}{
		{"missing column", "csv", "unique_id,date,y\na,2020-01-01,1\n", 1, "missing column(s) ds"},
		{"missing target", "csv", "unique_id,ds,value\na,2020-01-01,1\n", 1, "missing column(s) y"},
		{"unparsable date", "csv", ok + "a,2020-13-01,3\n", 4, `cannot parse "2020-13-01"`},
		{"int then date", "csv", "unique_id,ds,y\na,1,1\na,2020-01-01,2\n", 3, "integer time index"},
		{"duplicated id ds", "csv", ok + "b,2020-01-01,1\n\na,2020-01-02,5\n", 6, "duplicated (unique_id, ds) = (\"a\", 2020-01-02T00:00:00Z), first on line 3"},
		{"duplicated unsorted", "csv", "unique_id,ds,y\na,2020-01-03,1\na,2020-01-01,2\na,2020-01-03,3\n", 4, "first on line 2"},
		{"non-numeric y", "csv", ok + "a,2020-01-03,abc\n", 4, `column y: not a number: "abc"`},
		{"empty y", "csv", ok + "a,2020-01-03,\n", 4, "column y: not a number"},
		{"nan y", "csv", ok + "a,2020-01-03,NaN\n", 4, "not a finite number"},
		{"too few fields", "csv", ok + "a,2020-01-03\n", 4, "2 fields, the header has 3"},
		{"too many fields", "csv", ok + "a,2020-01-03,1,2\n", 4, "more fields than the 3 columns"},
		{"empty id", "csv", ok + ",2020-01-03,1\n", 4, "empty unique_id"},
		{"open quote", "csv", ok + "\"a,2020-01-03,1\n", 4, "unterminated quoted field"},
		{"bad exog", "csv", "unique_id,ds,y,x\na,2020-01-01,1,2\na,2020-01-02,1,x\n", 3, "column x: not a number"},
		{"jsonl missing key", "jsonl", `{"unique_id":"a","ds":"2020-01-01","y":1}` + "\n" + `{"unique_id":"a","ds":"2020-01-02"}` + "\n", 2, `missing key "y"`},
		{"jsonl y string", "jsonl", `{"unique_id":"a","ds":"2020-01-01","y":1}` + "\n\n" + `{"unique_id":"a","ds":"2020-01-02","y":"x"}` + "\n", 3, "y: not a number"},
		{"jsonl bad date", "jsonl", `{"unique_id":"a","ds":"2020-01-01","y":1}` + "\n" + `{"unique_id":"a","ds":"01/02/2020","y":1}` + "\n", 2, "cannot parse"},
		{"jsonl duplicate", "jsonl", `{"unique_id":"a","ds":"2020-01-01","y":1}` + "\n" + `{"unique_id":"a","ds":"2020-01-01","y":2}` + "\n", 2, "duplicated"},
		{"jsonl extra key", "jsonl", `{"unique_id":"a","ds":"2020-01-01","y":1}` + "\n" + `{"unique_id":"a","ds":"2020-01-02","y":2,"z":1}` + "\n", 2, `unexpected key "z"`},
		{"jsonl not json", "jsonl", `{"unique_id":"a","ds":"2020-01-01","y":1}` + "\n" + `{"unique_id":"a",` + "\n", 2, "expected a quoted key"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, bs := range []int{0, 1024} { // one block, and a block per few lines
				path := filepath.Join(dir, "bad."+c.format)
				if err := os.WriteFile(path, []byte(c.body), 0o600); err != nil {
					t.Fatal(err)
				}
				_, _, err := Load(path, LoadOptions{BlockSize: bs})
				var re *RowError
				if !errors.As(err, &re) || !errors.Is(err, ErrFileFormat) {
					t.Fatalf("want a RowError, got %v", err)
				}
				if re.Line != c.line || re.File != path || !strings.Contains(err.Error(), c.msg) {
					t.Fatalf("got %q (line %d), want line %d and %q", err, re.Line, c.line, c.msg)
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("%s: ingest: bad series file: line %d: ", path, c.line)) {
					t.Fatalf("message %q does not name file and line", err)
				}
			}
		})
	}
}

func TestBadParquet(t *testing.T) {
	f := testFrame()
	f.Time[f.Offsets[2]+5] = f.Time[f.Offsets[2]+4] // duplicate in series s2
	dir := t.TempDir()
	path := filepath.Join(dir, "dup.parquet")
	if err := WriteFrameFile(path, f, FormatParquet, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	_, _, err := Load(path, LoadOptions{})
	var re *RowError
	if !errors.As(err, &re) || re.Kind != "row" || re.Line != int64(f.Offsets[2]+6) || !strings.Contains(err.Error(), "first on row "+strconv.Itoa(f.Offsets[2]+5)) {
		t.Fatalf("got %v", err)
	}
	f = testFrame()
	path = filepath.Join(dir, "noy.parquet")
	f.Y = nil
	if err := WriteFrameFile(path, f, FormatParquet, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(path, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "missing column(s) y") {
		t.Fatalf("got %v", err)
	}
	// Without a target it is a valid future-exogenous file.
	g, _, err := LoadFutr(path, LoadOptions{})
	if err != nil || g.Y != nil || len(g.ExogNames) != 2 {
		t.Fatalf("futr: %v %+v", err, g)
	}
}

func TestParseFloatMatchesStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []string{"0", "-0", "1", "+1", "1.", ".5", "-.5", "0.1", "0.30000000000000004", "123456789012345",
		"1234567890123456", "1e22", "1e23", "1e-22", "1e-23", "4.9e-324", "1.7976931348623157e308", "1e400",
		"000123.4500", "9007199254740993", "2.2250738585072014e-308", "NaN", "inf", "-Infinity", "0x1p-2"}
	for range 20000 {
		v := math.Float64frombits(rng.Uint64())
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		cases = append(cases, strconv.FormatFloat(v, 'g', -1, 64), strconv.FormatFloat(v, 'f', rng.IntN(8), 64),
			strconv.FormatFloat(rng.NormFloat64()*1000, 'f', rng.IntN(6), 64))
	}
	for _, s := range cases {
		got, ok := parseFloat([]byte(s))
		want, err := strconv.ParseFloat(s, 64)
		if err != nil && !math.IsInf(want, 0) {
			if ok {
				t.Fatalf("%q: parsed %v, strconv fails: %v", s, got, err)
			}
			continue
		}
		if !ok || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%q: got %v (%v), want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "-", "1e", "1x", "1.2.3", "--1", "e5"} {
		if _, ok := parseFloat([]byte(s)); ok {
			t.Errorf("%q parsed", s)
		}
	}
}

func TestParseStamp(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	layouts := []string{"2006-01-02", "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05Z07:00",
		"2006-01-02T15:04:05.000Z07:00", "2006/01/02 15:04:05"}
	for range 5000 {
		tm := time.UnixMilli(rng.Int64N(1 << 42)).In(time.FixedZone("x", (rng.IntN(27)-13)*1800))
		l := layouts[rng.IntN(len(layouts))]
		s := tm.Format(l)
		want, err := time.ParseInLocation(l, s, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := parseStamp([]byte(s))
		if !ok || got != want.UnixMilli() {
			t.Fatalf("%q: got %d (%v), want %d", s, got, ok, want.UnixMilli())
		}
		if back, err := time.Parse(time.RFC3339Nano, FormatTime(got, TimeStamp)); err != nil || back.UnixMilli() != got {
			t.Fatalf("FormatTime(%d) = %s does not read back: %v", got, FormatTime(got, TimeStamp), err)
		}
	}
	for _, s := range []string{"2020-02-30", "2021-02-29", "2020-1-01", "2020-01-01 24:00", "2020-01-01X00:00",
		"2020-01-01 00:00:60", "2020-01-01T00:00:00+25:00", "2020-01-01T00:00:00Q", "2020-01-01 00:00:00."} {
		if _, ok := parseStamp([]byte(s)); ok {
			t.Errorf("%q parsed", s)
		}
	}
	if v, ok := parseStamp([]byte("2020-02-29 23:59:59.123456+0100")); !ok || v != time.Date(2020, 2, 29, 22, 59, 59, 123e6, time.UTC).UnixMilli() {
		t.Errorf("fraction/offset: %d %v", v, ok)
	}
}

func TestCSVQuotesBOMAndCRLF(t *testing.T) {
	csv := "\ufeff\"unique_id\",\"ds\",\"y\",\" x \"\r\n" +
		"\"a, \"\"quoted\"\"\",\"2020-01-01\", 1.5 ,2\r\n" +
		"\"a, \"\"quoted\"\"\",2020-01-02,\"2.5\",3\r\n"
	f, err := ReadCSV(bytes.NewReader([]byte(csv)), "q.csv", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.IDs, []string{`a, "quoted"`}) || !reflect.DeepEqual(f.Y, []float64{1.5, 2.5}) || f.ExogNames[0] != "x" {
		t.Fatalf("%+v", f)
	}
}
