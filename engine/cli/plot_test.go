package cli

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamcast/streamcast/ingest"
	"github.com/streamcast/streamcast/internal/shareddata"
)

// plotFiles writes ETTh1 OT's first rows as history, a seasonal-naive
// forecast with 80% and 95% bands for the next 48 hours, and the actuals.
func plotFiles(t *testing.T, dir string) (data, fcs, act string) {
	t.Helper()
	wide, _, err := ingest.Load(shareddata.File(t, "etth1", "ETTh1.csv"), ingest.LoadOptions{Format: ingest.FormatWide})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := wide.Index("OT")
	ot := wide.Series(k, nil)
	const n, h = 500, 48
	var d, f, a strings.Builder
	d.WriteString("unique_id,ds,y\n")
	a.WriteString("unique_id,ds,y\n")
	f.WriteString("unique_id,ds,SeasonalNaive,SeasonalNaive-lo-95,SeasonalNaive-lo-80,SeasonalNaive-hi-80,SeasonalNaive-hi-95\n")
	ts := func(i int) string { return ingest.FormatTime(ot.Time[i], ingest.TimeStamp) }
	for i := range n {
		fmt.Fprintf(&d, "OT,%s,%g\n", ts(i), ot.Y[i])
	}
	for i := n; i < n+h; i++ {
		fmt.Fprintf(&a, "OT,%s,%g\n", ts(i), ot.Y[i])
		v := ot.Y[i-24*(1+(i-n)/24)]
		w := 1.5 * (1 + float64(i-n)/24)
		fmt.Fprintf(&f, "OT,%s,%g,%g,%g,%g,%g\n", ts(i), v, v-1.96*w, v-1.28*w, v+1.28*w, v+1.96*w)
	}
	data, fcs, act = filepath.Join(dir, "history.csv"), filepath.Join(dir, "forecasts.csv"), filepath.Join(dir, "actuals.csv")
	for p, s := range map[string]string{data: d.String(), fcs: f.String(), act: a.String()} {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return data, fcs, act
}

// The plot command writes a valid PNG of the requested size.
func TestPlotWritesPNG(t *testing.T) {
	dir := t.TempDir()
	data, fcs, act := plotFiles(t, dir)
	out := filepath.Join(dir, "plot.png")
	if keep := os.Getenv("STREAMCAST_PLOT_OUT"); keep != "" {
		out = keep // to look at it
	}
	var so, se bytes.Buffer
	err := PlotMain(context.Background(), []string{"--data", data, "--forecasts", fcs, "--actuals", act,
		"--series", "OT", "--out", out, "--width", "900", "--height", "450"}, &so, &se)
	if err != nil {
		t.Fatal(err, se.String())
	}
	fh, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 900 || b.Dy() != 450 {
		t.Fatalf("size %v", b)
	}
	// Not blank: the forecast colour is drawn somewhere.
	found := false
	for y := 0; y < 450 && !found; y++ {
		for x := 0; x < 900; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 == 0xe0 && g>>8 == 0x6c && b>>8 == 0 {
				found = true
				break
			}
		}
	}
	if !found {
		t.Fatal("no forecast line in the image")
	}
	err = PlotMain(context.Background(), []string{"--data", data, "--forecasts", fcs, "--series", "nope", "--out", out}, &so, &se)
	if err == nil || !strings.Contains(err.Error(), `no series "nope"`) {
		t.Fatalf("unknown series: %v", err)
	}
}
