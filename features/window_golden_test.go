package features

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWindowGolden pins the model inputs (historical features at every
// input step, calendar features over input window and horizon) of a fixed
// series at a few positions (testdata/window.golden; regenerate with
// -update after an intended change). The stream and offline training call
// the same functions, so this pins both.
func TestWindowGolden(t *testing.T) {
	hist, _ := ParseWindowFeatures([]string{"mean_6", "std_6", "min_6", "max_6", "lag_3", "ewma_0.5"})
	futr, _ := ParseWindowFeatures([]string{"hour", "dow", "month", "hour_sin", "hour_cos", "dow_sin", "dow_cos", "month_sin", "month_cos"})
	vals := make([]float64, 40)
	for i := range vals {
		vals[i] = 10*math.Sin(float64(i)/3) + float64(i%5)
	}
	t0 := time.Date(2025, 12, 31, 20, 0, 0, 0, time.UTC)
	const L, H = 8, 3
	var b strings.Builder
	for _, end := range []int{5, 8, 40} {
		fmt.Fprintf(&b, "end %d\n", end)
		h := make([]float32, L*len(hist))
		HistWindow(h, hist, vals[:end], L)
		c := make([]float32, (L+H)*len(futr))
		CalendarWindow(c, futr, t0.Add(time.Duration(end-L)*time.Hour), time.Hour, L+H)
		for s := range L + H {
			fmt.Fprintf(&b, "%2d", s)
			if s < L {
				for k := range hist {
					fmt.Fprintf(&b, " %s=%g", hist[k].Name, h[s*len(hist)+k])
				}
			}
			for k := range futr {
				fmt.Fprintf(&b, " %s=%g", futr[k].Name, c[s*len(futr)+k])
			}
			b.WriteByte('\n')
		}
	}
	path := filepath.Join("testdata", "window.golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if b.String() != string(want) {
		t.Fatalf("model inputs differ from %s (run with -update after an intended change):\n%s", path, b.String())
	}
}
