package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/ingest"
)

// PredictMain implements `streamcast predict`: load a saved model and
// forecast the next h values of every series of a file (from the end of
// each series, or of --rows). With --out the forecasts are written in
// NeuralForecast's long format (unique_id, ds, MODEL, MODEL-lo-L,
// MODEL-hi-L, …) as CSV, Parquet or JSON lines by the extension; without
// it one JSON object goes to stdout.
func PredictMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("predict", "Load a saved model and forecast every series of a file.", stderr)
	var (
		data                 dataFlags
		modelFile, futr, out string
		levelFlag            string
	)
	data.register(fs)
	fs.StringVar(&modelFile, "model-file", "", "model file written by streamcast train (required)")
	fs.StringVar(&futr, "futr", "", "future exogenous file: unique_id, ds and the model's future-known columns over the horizon (NeuralForecast's futr_df)")
	fs.StringVar(&levelFlag, "level", "", "prediction-interval levels to write with --out, e.g. 80,90 (default: every quantile of the model)")
	fs.StringVar(&out, "out", "", "forecasts file (.csv, .parquet or .jsonl); empty = JSON on stdout")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if modelFile == "" {
		return fmt.Errorf("predict: --model-file is required: %w", errUsage)
	}
	if out != "" {
		if _, err := outFormat(out); err != nil {
			return err
		}
	}
	levels, err := parseLevels(levelFlag)
	if err != nil {
		return err
	}
	l, err := model.LoadForInference(modelFile)
	if err != nil {
		return dataErr(err)
	}
	m := l.Model
	c := m.Common()
	p := model.NewPredictor(m)
	qs := p.Quantiles()
	qcols, qidx, err := quantileCols(m.Kind(), qs, levels)
	if err != nil {
		return err
	}
	ds, err := data.loadData()
	if err != nil {
		return err
	}
	var futrFrame *ingest.Frame
	if futr != "" {
		fo := data.load
		fo.Format, fo.Freq = ingest.FormatAuto, ds.f.Freq.Format(ds.f.TimeKind)
		if data.load.Format != ingest.FormatWide && data.load.Format != ingest.FormatM4 {
			fo.Format = data.load.Format
		}
		if futrFrame, _, err = ingest.LoadFutr(futr, fo); err != nil {
			return dataErr(err)
		}
	}
	H := c.H
	ws := make([]window, len(ds.series))
	times := make([][]int64, len(ds.series))
	for i, s := range ds.series {
		if ws[i].s, err = seriesInputs(c, ds, s); err != nil {
			return err
		}
		if times[i], err = futureTimes(ds.f, s.Time[len(s.Time)-1], H); err != nil {
			if len(c.FutrExog) > 0 || out != "" {
				return err
			}
			times[i] = nil // JSON output needs no time stamps
		}
		if ws[i].futr, err = horizonFutr(c, ds, s.ID, times[i], futrFrame); err != nil {
			return err
		}
	}
	point := make([]float32, len(ws)*H)
	var q []float32
	if len(qs) > 0 {
		q = make([]float32, len(ws)*H*len(qs))
	}
	if err := p.PredictBatch(point, q, buildBatch(c, ws)); err != nil {
		return err
	}
	if out != "" {
		tab := newForecastTable(ds.f.TimeKind, append([]string{m.Kind()}, qcols...))
		for i, s := range ds.series {
			tab.add(s.ID, times[i], func(r, j int) float64 {
				if j == 0 {
					return float64(point[i*H+r])
				}
				return float64(q[(i*H+r)*len(qs)+qidx[j-1]])
			})
		}
		return tab.write(out, data.load)
	}
	type row struct {
		ID       string      `json:"unique_id"`
		DS       []string    `json:"ds,omitempty"`
		Forecast []float32   `json:"forecast"`
		Q        [][]float32 `json:"q,omitempty"` // per step, at the levels of "quantiles"
	}
	res := struct {
		Model     string    `json:"model"`
		Version   string    `json:"version"`
		H         int       `json:"h"`
		Quantiles []float64 `json:"quantiles,omitempty"`
		Series    []row     `json:"series"`
	}{Model: m.Kind(), Version: fmt.Sprintf("%08x", l.Checksum), H: H, Quantiles: qs}
	for i, s := range ds.series {
		r := row{ID: s.ID, Forecast: point[i*H : (i+1)*H]} // the model computes in float32
		for _, t := range times[i] {
			r.DS = append(r.DS, ds.f.FormatTime(t))
		}
		for j := 0; j < H && len(qs) > 0; j++ {
			o := (i*H + j) * len(qs)
			r.Q = append(r.Q, q[o:o+len(qs)])
		}
		res.Series = append(res.Series, r)
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	w.Write(b)
	w.WriteByte('\n')
	return w.Flush()
}

func csvField(s string) string {
	for _, c := range s {
		if c == ',' || c == '"' || c == '\n' || c == '\r' {
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
	}
	return s
}
