package cli

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/streamcast/streamcast/ingest"
)

// PlotMain implements `streamcast plot`: one series' recent history, a
// model's forecast with its prediction intervals (shaded, darker for
// narrower levels) and, when given, the actuals over the forecast period,
// drawn with gonum/plot into a PNG of --width × --height pixels.
func PlotMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plot", "Plot a series' history, a forecast with its prediction intervals and the actuals to a PNG.", stderr)
	var (
		ef           evalFlags
		data, out    string
		series, mdl  string
		width, hight int
		last         int
	)
	fs.StringVar(&data, "data", "", "history: long-format file unique_id, ds, y (required)")
	fs.StringVar(&ef.load.Format, "format", ingest.FormatAuto, "format of --data (auto, csv, parquet, jsonl, m4, wide)")
	fs.StringVar(&ef.forecasts, "forecasts", "", "forecasts: unique_id, ds, MODEL[, MODEL-lo-L, MODEL-hi-L, MODEL-median] (required)")
	fs.StringVar(&ef.fFormat, "forecasts-format", ingest.FormatAuto, "format of --forecasts")
	fs.StringVar(&ef.actuals, "actuals", "", "actuals over the forecast period (optional; same layout as --data)")
	fs.StringVar(&ef.load.IDCol, "id-col", "unique_id", "series id column")
	fs.StringVar(&ef.load.TimeCol, "time-col", "ds", "time column")
	fs.StringVar(&ef.load.TargetCol, "target-col", "y", "target column")
	fs.StringVar(&series, "series", "", "series id to plot (required)")
	fs.StringVar(&mdl, "model", "", "model column to plot (default: the first)")
	fs.StringVar(&out, "out", "plot.png", "PNG file to write")
	fs.IntVar(&width, "width", 1200, "image width in pixels")
	fs.IntVar(&hight, "height", 600, "image height in pixels")
	fs.IntVar(&last, "last", 0, "history points shown before the forecast (0 = 4 × the horizon, at least 48)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if data == "" || ef.forecasts == "" || series == "" {
		return fmt.Errorf("plot: --data, --forecasts and --series are required: %w", errUsage)
	}
	if width < 100 || hight < 100 || width > 10000 || hight > 10000 {
		return fmt.Errorf("plot: --width and --height must be in [100, 10000]: %w", errUsage)
	}
	hist, err := ef.loadFrame(data, ef.load.Format, nil, true)
	if err != nil {
		return err
	}
	fc, err := ef.loadFrame(ef.forecasts, ef.fFormat, nil, false)
	if err != nil {
		return err
	}
	var act *ingest.Frame
	if ef.actuals != "" {
		if act, err = ef.loadFrame(ef.actuals, ef.load.Format, nil, true); err != nil {
			return err
		}
	}
	img, err := renderPlot(plotInput{hist: hist, fc: fc, act: act, series: series, model: mdl, last: last}, width, hight)
	if err != nil {
		return err
	}
	fh, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if err := png.Encode(fh, img); err != nil {
		fh.Close()
		return fmt.Errorf("plot: %s: %w", out, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d×%d)\n", out, width, hight)
	return nil
}

type plotInput struct {
	hist, fc, act *ingest.Frame
	series, model string
	last          int
}

// plot colours: history dark slate, forecast orange, actuals black.
var (
	histColor  = color.RGBA{R: 0x2f, G: 0x4f, B: 0x6f, A: 0xff}
	fcColor    = color.RGBA{R: 0xe0, G: 0x6c, B: 0x00, A: 0xff}
	bandColor  = func(alpha uint8) color.Color { return color.NRGBA{R: 0xe0, G: 0x6c, B: 0x00, A: alpha} }
	actColor   = color.Black
	splitColor = color.Gray{Y: 0x90}
)

func renderPlot(in plotInput, width, height int) (image.Image, error) {
	si, ok := in.fc.Index(in.series)
	if !ok {
		return nil, fmt.Errorf("plot: no series %q in %s", in.series, in.fc.Source)
	}
	hi, ok := in.hist.Index(in.series)
	if !ok {
		return nil, fmt.Errorf("plot: no series %q in %s", in.series, in.hist.Source)
	}
	models, err := modelColumns(in.fc.ExogNames)
	if err != nil {
		return nil, err
	}
	m := models[0]
	if in.model != "" {
		i := slices.IndexFunc(models, func(c *modelCols) bool { return c.name == in.model })
		if i < 0 {
			return nil, fmt.Errorf("plot: no model %q in %s (models: %s)", in.model, in.fc.Source, modelNames(models))
		}
		m = models[i]
	}
	f := in.fc.Series(si, nil)
	h := in.hist.Series(hi, nil)
	x := func(t int64) float64 { return float64(t) }
	if in.fc.TimeKind == ingest.TimeStamp {
		x = func(t int64) float64 { return float64(t) / 1000 } // unix seconds for plot.TimeTicks
	}
	// History up to the first forecast, the last `last` points of it.
	end, _ := slices.BinarySearch(h.Time, f.Time[0])
	keep := in.last
	if keep <= 0 {
		keep = max(48, 4*len(f.Time))
	}
	start := max(0, end-keep)

	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s — %s forecast, %d steps from %s", in.series, m.name, len(f.Time), in.fc.FormatTime(f.Time[0]))
	p.Title.TextStyle.Font.Size = vg.Points(14)
	if t := in.hist.TimeKind; t == ingest.TimeStamp {
		p.X.Tick.Marker = plot.TickerFunc(timeTicks)
		p.X.Label.Text = "time (UTC)"
	} else {
		p.X.Tick.Marker = plot.TickerFunc(niceTicks)
		p.X.Label.Text = "step"
	}
	p.Y.Label.Text = "value"
	p.Y.Tick.Marker = plot.TickerFunc(niceTicks)
	p.Add(plotter.NewGrid())
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = vg.Points(11)

	// Intervals, widest first so narrower (darker) bands draw on top.
	for k := len(m.levels) - 1; k >= 0; k-- {
		lo, hi := in.fc.Exog[m.lo[k]][in.fc.Offsets[si]:in.fc.Offsets[si+1]], in.fc.Exog[m.hi[k]][in.fc.Offsets[si]:in.fc.Offsets[si+1]]
		pts := make(plotter.XYs, 0, 2*len(f.Time))
		for i, t := range f.Time {
			pts = append(pts, plotter.XY{X: x(t), Y: hi[i]})
		}
		for i := len(f.Time) - 1; i >= 0; i-- {
			pts = append(pts, plotter.XY{X: x(f.Time[i]), Y: lo[i]})
		}
		poly, err := plotter.NewPolygon(pts)
		if err != nil {
			return nil, err
		}
		poly.Color = bandColor(uint8(50 + 100*(len(m.levels)-1-k)/max(1, len(m.levels))))
		poly.LineStyle.Width = 0
		p.Add(poly)
		p.Legend.Add(fmt.Sprintf("%g%% prediction interval", m.levels[k]), poly)
	}
	hp := make(plotter.XYs, 0, end-start)
	for i := start; i < end; i++ {
		hp = append(hp, plotter.XY{X: x(h.Time[i]), Y: h.Y[i]})
	}
	if len(hp) > 0 {
		l, err := plotter.NewLine(hp)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = histColor, vg.Points(1.5)
		p.Add(l)
		p.Legend.Add("history", l)
	}
	fp := make(plotter.XYs, 0, len(f.Time)+1)
	if len(hp) > 0 {
		fp = append(fp, hp[len(hp)-1]) // join the forecast to the last observation
	}
	point := in.fc.Exog[m.point][in.fc.Offsets[si]:in.fc.Offsets[si+1]]
	for i, t := range f.Time {
		fp = append(fp, plotter.XY{X: x(t), Y: point[i]})
	}
	fl, err := plotter.NewLine(fp)
	if err != nil {
		return nil, err
	}
	fl.Color, fl.Width = fcColor, vg.Points(2)
	p.Add(fl)
	p.Legend.Add(m.name+" forecast", fl)
	if in.act != nil {
		if ai, ok := in.act.Index(in.series); ok {
			a := in.act.Series(ai, nil)
			var ap plotter.XYs
			for i, t := range a.Time {
				if t >= f.Time[0] && t <= f.Time[len(f.Time)-1] {
					ap = append(ap, plotter.XY{X: x(t), Y: a.Y[i]})
				}
			}
			if len(ap) > 0 {
				al, sc, err := plotter.NewLinePoints(ap)
				if err != nil {
					return nil, err
				}
				al.Color, al.Width, al.Dashes = actColor, vg.Points(1), []vg.Length{vg.Points(3), vg.Points(2)}
				sc.Color, sc.Radius, sc.Shape = actColor, vg.Points(2), draw.CircleGlyph{}
				p.Add(al, sc)
				p.Legend.Add("actual", al, sc)
			}
		}
	}
	if len(hp) > 0 {
		// A dashed vertical line at the forecast origin.
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, s := range [][]plotter.XY{hp, fp} {
			for _, v := range s {
				lo, hi = math.Min(lo, v.Y), math.Max(hi, v.Y)
			}
		}
		ox := hp[len(hp)-1].X
		vl, err := plotter.NewLine(plotter.XYs{{X: ox, Y: lo}, {X: ox, Y: hi}})
		if err != nil {
			return nil, err
		}
		vl.Color, vl.Dashes = splitColor, []vg.Length{vg.Points(4), vg.Points(4)}
		p.Add(vl)
	}
	// Head room above the data for the legend (top left).
	if span := p.Y.Max - p.Y.Min; span > 0 {
		p.Y.Max += 0.35 * span
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	c := vgimg.NewWith(vgimg.UseImage(img), vgimg.UseDPI(96))
	p.Draw(draw.New(c))
	return c.Image(), nil
}

// niceTicks labels about six round values (1, 2 or 5 times a power of ten)
// between min and max, with unlabelled minor ticks between them.
func niceTicks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: fmt.Sprintf("%g", lo)}}
	}
	raw := (hi - lo) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%g", math.Round(v/step)*step)})
		if m := v + step/2; m < hi {
			ticks = append(ticks, plot.Tick{Value: m})
		}
	}
	return ticks
}

// timeTicks labels round instants (unix seconds, UTC) about six times
// over [lo, hi]: hours, days, weeks or months, whichever fits.
func timeTicks(lo, hi float64) []plot.Tick {
	span := time.Duration((hi - lo) * float64(time.Second))
	steps := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour,
		3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour}
	start := time.Unix(int64(math.Ceil(lo)), 0).UTC()
	end := time.Unix(int64(math.Floor(hi)), 0).UTC()
	var ticks []plot.Tick
	add := func(t time.Time, layout string) {
		ticks = append(ticks, plot.Tick{Value: float64(t.Unix()), Label: t.Format(layout)})
	}
	for _, st := range steps {
		if span/st > 8 {
			continue
		}
		layout := "Jan 2\n15:04"
		if st >= 24*time.Hour {
			layout = "2006-01-02"
		}
		t := start.Truncate(st)
		if st == 7*24*time.Hour || st == 14*24*time.Hour {
			t = start.Truncate(24 * time.Hour) // weeks from midnight
		}
		for ; !t.After(end); t = t.Add(st) {
			if !t.Before(start) {
				add(t, layout)
			}
		}
		return ticks
	}
	// Months or years.
	months := 1
	for span/(time.Duration(months)*30*24*time.Hour) > 8 {
		months *= 2
	}
	t := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC)
	for ; !t.After(end); t = t.AddDate(0, months, 0) {
		if !t.Before(start) {
			add(t, "2006-01")
		}
	}
	return ticks
}
