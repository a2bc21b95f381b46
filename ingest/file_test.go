package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/streamcast/streamcast/internal/shareddata"
)

func TestReadLongCSV(t *testing.T) {
	in := "unique_id,ds,y,temp\n" +
		"a,2020-01-01 00:00:00,1,10\n" +
		"b,1,5,11\n" +
		"a,2020-01-01 01:00:00,2.5,12\n" +
		"b,2,6,13\n" +
		"b,10,7,14\n"
	d, err := ReadLongCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.ExogNames, []string{"temp"}) {
		t.Fatalf("exog names %v", d.ExogNames)
	}
	want := []FileSeries{
		{ID: "a", DS: []string{"2020-01-01 00:00:00", "2020-01-01 01:00:00"}, Y: []float64{1, 2.5}, Exog: [][]float64{{10, 12}}},
		{ID: "b", DS: []string{"1", "2", "10"}, Y: []float64{5, 6, 7}, Exog: [][]float64{{11, 13, 14}}},
	}
	if !reflect.DeepEqual(d.Series, want) {
		t.Fatalf("got %+v\nwant %+v", d.Series, want)
	}
	if v := d.Values(); len(v) != 2 || v[1][2] != 7 {
		t.Fatalf("values %v", v)
	}
}

func TestReadLongCSVColumnOrder(t *testing.T) {
	d, err := ReadLongCSV(strings.NewReader("y,unique_id,ds\n3,x,1\n4,x,2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Series[0].ID != "x" || !reflect.DeepEqual(d.Series[0].Y, []float64{3, 4}) {
		t.Fatalf("%+v", d.Series)
	}
}

func TestReadFileErrors(t *testing.T) {
	cases := []struct {
		name, in, column, want string
	}{
		{"empty", "", "", "empty file"},
		{"no rows", "unique_id,ds,y\n", "", "no data rows"},
		{"missing y column", "unique_id,ds,v\na,1,2\n", "", "line 1: long format needs columns"},
		{"bad y", "unique_id,ds,y\na,1,2\na,2,x\n", "", "line 3: column y: not a number"},
		{"nan y", "unique_id,ds,y\na,1,NaN\n", "", "line 2: column y: not a finite number"},
		{"empty y", "unique_id,ds,y\na,1,\n", "", "line 2: column y: not a number"},
		{"field count", "unique_id,ds,y\na,1,2\na,2\n", "", "line 3:"},
		{"bad exog", "unique_id,ds,y,t\na,1,2,3\na,2,2,z\n", "", "line 3: column t"},
		{"empty id", "unique_id,ds,y\n,1,2\n", "", "line 2: empty unique_id"},
		{"decreasing numeric ds", "unique_id,ds,y\na,2,1\na,1,1\n", "", "line 3: series \"a\": ds \"1\" does not increase"},
		{"decreasing time ds", "unique_id,ds,y\na,2020-01-02,1\na,2020-01-01,1\n", "", "line 3:"},
		{"mixed ds", "unique_id,ds,y\na,1,1\na,2020-01-01,1\n", "", "line 3: series \"a\": ds \"2020-01-01\" is not numeric"},
		{"wide missing column", "date,HUFL,OT\n2016-07-01 00:00:00,5.8,30.5\n", "XX", "no column \"XX\""},
		{"wide bad value", "date,HUFL,OT\n2016-07-01 00:00:00,5.8,30.5\n2016-07-01 01:00:00,5.8,hot\n", "OT", "line 3: column OT: not a number"},
		{"wide short row", "date,HUFL,OT\n2016-07-01 00:00:00,5.8,30.5\n2016-07-01 01:00:00,5.8\n", "OT", "line 3:"},
		{"wide no rows", "date,OT\n", "OT", "no data rows"},
		{"bad quote", "unique_id,ds,y\na,1,\"2\n", "", "line 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.column != "" {
				_, err = ReadWideColumn(strings.NewReader(c.in), c.column)
			} else {
				_, err = ReadLongCSV(strings.NewReader(c.in))
			}
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !errors.Is(err, ErrFileFormat) {
				t.Errorf("error %v does not wrap ErrFileFormat", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestReadWideColumn(t *testing.T) {
	in := "date,HUFL,OT\n2016-07-01 00:00:00,5.8,30.5\n2016-07-01 01:00:00,5.7,27.8\n"
	d, err := ReadWideColumn(strings.NewReader(in), "OT")
	if err != nil {
		t.Fatal(err)
	}
	want := FileSeries{ID: "OT", DS: []string{"2016-07-01 00:00:00", "2016-07-01 01:00:00"}, Y: []float64{30.5, 27.8}}
	if len(d.Series) != 1 || !reflect.DeepEqual(d.Series[0], want) {
		t.Fatalf("got %+v", d.Series)
	}
}

func TestReadSeriesFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.csv")
	if err := os.WriteFile(p, []byte("unique_id,ds,y\na,1,1\na,2,x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ReadSeriesFile(p, "")
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("error %v should name the file and line 3", err)
	}
	if _, err := ReadSeriesFile(filepath.Join(dir, "missing.csv"), ""); err == nil {
		t.Fatal("missing file: no error")
	}
}

func TestReadETTh1(t *testing.T) {
	p := shareddata.ETTh1(t)
	d, err := ReadSeriesFile(p, "OT")
	if err != nil {
		t.Fatal(err)
	}
	s := d.Series[0]
	if len(s.Y) != 17420 || len(s.DS) != 17420 {
		t.Fatalf("%d values, %d stamps; want 17420", len(s.Y), len(s.DS))
	}
	if s.DS[0] != "2016-07-01 00:00:00" {
		t.Fatalf("first ds %q", s.DS[0])
	}
}
