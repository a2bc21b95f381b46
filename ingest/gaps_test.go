package ingest

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func ms(s string) int64 {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t.UnixMilli()
}

func TestParseFreq(t *testing.T) {
	cases := []struct {
		in   string
		kind TimeKind
		want Freq
		str  string
	}{
		{"1h", TimeStamp, Freq{Step: 3_600_000}, "1h"},
		{"H", TimeStamp, Freq{Step: 3_600_000}, "1h"},
		{"15min", TimeStamp, Freq{Step: 900_000}, "15m"},
		{"15T", TimeStamp, Freq{Step: 900_000}, "15m"},
		{"30s", TimeStamp, Freq{Step: 30_000}, "30s"},
		{"D", TimeStamp, Freq{Step: msPerDay}, "1d"},
		{"W-SUN", TimeStamp, Freq{Step: 7 * msPerDay}, "7d"},
		{"MS", TimeStamp, Freq{Months: 1}, "MS"},
		{"M", TimeStamp, Freq{Months: 1, MonthEnd: true}, "M"},
		{"QS", TimeStamp, Freq{Months: 3}, "3MS"},
		{"Y", TimeStamp, Freq{Months: 12, MonthEnd: true}, "12M"},
		{"1", TimeInt, Freq{Step: 1}, "1"},
	}
	for _, c := range cases {
		got, err := ParseFreq(c.in, c.kind)
		if err != nil || got != c.want || got.Format(c.kind) != c.str {
			t.Errorf("ParseFreq(%q) = %+v %q, %v; want %+v %q", c.in, got, got.Format(c.kind), err, c.want, c.str)
		}
		if back, err := ParseFreq(got.Format(c.kind), c.kind); err != nil || back != got {
			t.Errorf("%q does not read back: %+v %v", got.Format(c.kind), back, err)
		}
	}
	for _, bad := range []string{"", "x", "0h", "-1h", "B", "1.5"} {
		if _, err := ParseFreq(bad, TimeInt); err == nil && bad != "" {
			if _, err := ParseFreq(bad, TimeStamp); err == nil {
				t.Errorf("%q accepted", bad)
			}
		}
	}
}

func TestInferFreq(t *testing.T) {
	mk := func(kind TimeKind, times ...int64) *Frame {
		return &Frame{IDs: []string{"a"}, Offsets: []int{0, len(times)}, Time: times, TimeKind: kind}
	}
	h := int64(3_600_000)
	if q := InferFreq(mk(TimeStamp, 0, h, 2*h, 5*h, 6*h)); q != (Freq{Step: h}) {
		t.Errorf("hourly with a gap: %+v", q)
	}
	if q := InferFreq(mk(TimeStamp, ms("2020-01-01 00:00"), ms("2020-02-01 00:00"), ms("2020-03-01 00:00"), ms("2020-04-01 00:00"))); q != (Freq{Months: 1}) {
		t.Errorf("month starts: %+v", q)
	}
	if q := InferFreq(mk(TimeStamp, ms("2020-01-31 00:00"), ms("2020-02-29 00:00"), ms("2020-03-31 00:00"), ms("2020-04-30 00:00"))); q != (Freq{Months: 1, MonthEnd: true}) {
		t.Errorf("month ends: %+v", q)
	}
	if q := InferFreq(mk(TimeInt, 1, 2, 3, 7)); q != (Freq{Step: 1}) {
		t.Errorf("int: %+v", q)
	}
	if q := InferFreq(mk(TimeInt, 1)); !q.IsZero() {
		t.Errorf("single row: %+v", q)
	}
}

func TestGapsAndFill(t *testing.T) {
	csv := "unique_id,ds,y,x\n" +
		"a,2020-01-01 00:00,1,10\n" +
		"a,2020-01-01 01:00,2,20\n" +
		"a,2020-01-01 04:00,5,50\n" + // 02:00 and 03:00 missing
		"b,2020-01-01 00:00,7,1\n" +
		"b,2020-01-01 01:00,8,2\n"
	path := filepath.Join(t.TempDir(), "gaps.csv")
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	f, rep, err := Load(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g := rep.Gaps
	if f.Len() != 5 || g.Gaps != 1 || g.Missing != 2 || g.Series != 1 || g.OffGrid != 0 || g.Filled != 0 ||
		g.Examples[0] != (Gap{Series: "a", After: ms("2020-01-01 01:00"), Before: ms("2020-01-01 04:00"), Missing: 2}) {
		t.Fatalf("report %+v", g)
	}
	if s := g.String(f.TimeKind); !strings.Contains(s, "1 gaps (2 missing rows) in 1 series; a: 2 missing between 2020-01-01T01:00:00Z and 2020-01-01T04:00:00Z") {
		t.Errorf("summary %q", s)
	}
	for _, c := range []struct {
		fill string
		y, x []float64
	}{
		{"ffill", []float64{1, 2, 2, 2, 5}, []float64{10, 20, 20, 20, 50}},
		{"zero", []float64{1, 2, 0, 0, 5}, []float64{10, 20, 0, 0, 50}},
		{"interpolate", []float64{1, 2, 3, 4, 5}, []float64{10, 20, 30, 40, 50}},
	} {
		f, rep, err := Load(path, LoadOptions{Fill: c.fill})
		if err != nil {
			t.Fatal(err)
		}
		a := f.Series(0, nil)
		if rep.Gaps.Filled != 2 || f.Len() != 7 || !reflect.DeepEqual(a.Y, c.y) || !reflect.DeepEqual(a.Exog[0], c.x) {
			t.Errorf("%s: y %v x %v filled %d", c.fill, a.Y, a.Exog[0], rep.Gaps.Filled)
		}
		for i := 1; i < len(a.Time); i++ {
			if a.Time[i]-a.Time[i-1] != 3_600_000 {
				t.Errorf("%s: times %v", c.fill, a.Time)
			}
		}
		if err := f.Validate(); err != nil {
			t.Error(err)
		}
	}
	// Given a coarser or incompatible frequency, the steps are off the grid.
	_, rep, err = Load(path, LoadOptions{Freq: "2h"})
	if err != nil || rep.Gaps.OffGrid != 3 {
		t.Fatalf("2h: %+v %v", rep, err)
	}
	if _, _, err := Load(path, LoadOptions{Freq: "2h", Fill: "ffill"}); err == nil || !strings.Contains(err.Error(), "off the 2h grid") {
		t.Fatalf("fill off grid: %v", err)
	}
}

func TestFillMonthly(t *testing.T) {
	f := &Frame{IDs: []string{"m"}, Offsets: []int{0, 3}, TimeKind: TimeStamp, Y: []float64{1, 4, 5},
		Time: []int64{ms("2020-01-31 00:00"), ms("2020-04-30 00:00"), ms("2020-05-31 00:00")}}
	rep := &Report{}
	g, err := Settle(f, "", "interpolate", rep)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{ms("2020-01-31 00:00"), ms("2020-02-29 00:00"), ms("2020-03-31 00:00"), ms("2020-04-30 00:00"), ms("2020-05-31 00:00")}
	if g.Freq != (Freq{Months: 1, MonthEnd: true}) || !reflect.DeepEqual(g.Time, want) || !reflect.DeepEqual(g.Y, []float64{1, 2, 3, 4, 5}) {
		t.Fatalf("freq %+v times %v y %v", g.Freq, g.Time, g.Y)
	}
}

func TestStatic(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "static.csv")
	os.WriteFile(csv, []byte("unique_id,market,size\na,1,0.5\nb,2,1.5\n"), 0o600)
	s, err := LoadStatic(csv, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if row, ok := s.Row("b", nil); !ok || !reflect.DeepEqual(row, []float64{2, 1.5}) || !reflect.DeepEqual(s.Names, []string{"market", "size"}) {
		t.Fatalf("%+v %v", s, row)
	}
	jl := filepath.Join(dir, "static.jsonl")
	os.WriteFile(jl, []byte(`{"unique_id":"a","market":1,"size":0.5}`+"\n"+`{"unique_id":"b","market":2,"size":1.5}`+"\n"), 0o600)
	s2, err := LoadStatic(jl, LoadOptions{})
	if err != nil || !reflect.DeepEqual(s2.Values, s.Values) {
		t.Fatalf("jsonl %+v %v", s2, err)
	}
	f := &Frame{IDs: []string{"b", "c"}, Source: "d.csv"}
	if _, err := s.For(f); err == nil || !strings.Contains(err.Error(), `series "c"`) {
		t.Fatalf("missing series: %v", err)
	}
	for body, want := range map[string]string{
		"unique_id,market\na,1\na,2\n":   "line 3: series \"a\" again (first on line 2)",
		"id,market\na,1\n":               "line 1: missing column(s) [unique_id]",
		"unique_id,market\na,cheap\n":    "line 2: column market: not a finite number",
		"unique_id,market\na,1\nb,2,3\n": "line 3: 3 fields",
	} {
		os.WriteFile(csv, []byte(body), 0o600)
		if _, err := LoadStatic(csv, LoadOptions{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", body, err, want)
		}
	}
	if math.IsNaN(s.Values[0][0]) {
		t.Fatal("nan")
	}
}
