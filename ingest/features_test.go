package ingest

import (
	"math"
	"testing"
	"time"

	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/internal/shareddata"
)

// The offline matrix of a real series (ETTh1, loaded as 7 series, OT's
// features with HUFL as an exogenous column of a long frame) equals the
// online features after each event, bit for bit, default configuration
// (History 1024, so the ring wraps and EWMAs restart).
func TestFrameFeaturesMatchOnline(t *testing.T) {
	wide, _, err := Load(shareddata.File(t, "etth1", "ETTh1.csv"), LoadOptions{Format: FormatWide})
	if err != nil {
		t.Fatal(err)
	}
	// A long frame: series OT and LULL, with HUFL's values as exogenous "load".
	hufl, _ := wide.Index("HUFL")
	f := &Frame{TimeKind: TimeStamp, ExogNames: []string{"load"}, Exog: [][]float64{nil}, Source: "etth1"}
	for _, id := range []string{"OT", "LULL"} {
		k, _ := wide.Index(id)
		s := wide.Series(k, nil)
		n := 3000
		f.IDs = append(f.IDs, id)
		f.Offsets = append(f.Offsets, len(f.Time))
		f.Time = append(f.Time, s.Time[:n]...)
		f.Y = append(f.Y, s.Y[:n]...)
		f.Exog[0] = append(f.Exog[0], wide.Series(hufl, nil).Y[:n]...)
	}
	f.Offsets = append(f.Offsets, len(f.Time))
	cfg := features.DefaultConfig()
	cfg.Exog = []string{"load", "absent"}
	m, err := f.Features(cfg, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	var online []float64
	for s := range f.IDs {
		st := features.NewState(f.IDs[s])
		for r := f.Offsets[s]; r < f.Offsets[s+1]; r++ {
			ob := features.Observation{Series: f.IDs[s], TS: time.UnixMilli(f.Time[r]), Value: f.Y[r],
				Exog: map[string]float64{"load": f.Exog[0][r]}, Source: features.SourcePos{Offset: -1}}
			if cfg.Step(st, &ob) != features.Applied {
				t.Fatalf("row %d not applied", r)
			}
			online = cfg.Features(st, online)
			for k, v := range m.Row(r) {
				if math.Float64bits(v) != math.Float64bits(online[k]) && !(math.IsNaN(v) && math.IsNaN(online[k])) {
					t.Fatalf("%s row %d %s: offline %v online %v", f.IDs[s], r, m.Names[k], v, online[k])
				}
			}
		}
	}
	intFrame := &Frame{TimeKind: TimeInt, Y: f.Y}
	if _, err := intFrame.Features(cfg, 1, nil); err == nil {
		t.Fatal("integer times accepted")
	}
}
