package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/ingest"

	"github.com/streamcast/streamcast/engine/model"
)

// PredictMain implements `streamcast predict`: load a saved model and
// forecast the next h values of every series of a file (from the end of
// each series, or of --rows).
func PredictMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("predict", "Load a saved model and forecast every series of a file.", stderr)
	var (
		data      dataFlags
		modelFile string
		format    string
		freq      time.Duration
	)
	data.register(fs)
	fs.StringVar(&modelFile, "model-file", "", "model file written by streamcast train (required)")
	fs.StringVar(&format, "format", "json", "output: json (one object) or csv (unique_id,step,forecast[,quantiles])")
	fs.DurationVar(&freq, "freq", 0, "step between time stamps, for the calendar inputs of the horizon (0 = inferred from each series' last two ds)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if modelFile == "" {
		return fmt.Errorf("predict: --model-file is required: %w", errUsage)
	}
	if format != "json" && format != "csv" {
		return fmt.Errorf("predict: --format %q: want json or csv: %w", format, errUsage)
	}
	l, err := model.LoadForInference(modelFile)
	if err != nil {
		return err
	}
	fd, fileSeries, err := data.loadFile()
	if err != nil {
		return err
	}
	m := l.Model
	c := m.Common()
	H := c.H
	ids := make([]string, len(fileSeries))
	for i, s := range fileSeries {
		ids[i] = s.ID
	}
	p := model.NewPredictor(m)
	levels := p.Quantiles()
	nq := len(levels)
	batch, err := predictBatch(c, fd, fileSeries, freq)
	if err != nil {
		return err
	}
	point := make([]float32, len(fileSeries)*H)
	var q []float32
	if nq > 0 {
		q = make([]float32, len(fileSeries)*H*nq)
	}
	if err := p.PredictBatch(point, q, batch); err != nil {
		return err
	}
	dst := make([]float64, len(point))
	for i, v := range point {
		dst[i] = float64(v)
	}
	w := bufio.NewWriter(stdout)
	if format == "csv" {
		fmt.Fprintf(w, "unique_id,step,%s", m.Kind())
		for _, lv := range levels {
			fmt.Fprintf(w, ",%s-q%s", m.Kind(), strconv.FormatFloat(lv, 'f', -1, 64))
		}
		w.WriteByte('\n')
		for i, id := range ids {
			for j := 0; j < H; j++ {
				fmt.Fprintf(w, "%s,%d,%s", csvField(id), j+1, strconv.FormatFloat(dst[i*H+j], 'g', -1, 32))
				for k := range nq {
					fmt.Fprintf(w, ",%s", strconv.FormatFloat(float64(q[(i*H+j)*nq+k]), 'g', -1, 32))
				}
				w.WriteByte('\n')
			}
		}
		return w.Flush()
	}
	type row struct {
		ID       string      `json:"unique_id"`
		Forecast []float32   `json:"forecast"`
		Q        [][]float32 `json:"q,omitempty"` // per step, at the levels of "quantiles"
	}
	out := struct {
		Model     string    `json:"model"`
		Version   string    `json:"version"`
		H         int       `json:"h"`
		Quantiles []float64 `json:"quantiles,omitempty"`
		Series    []row     `json:"series"`
	}{Model: m.Kind(), Version: fmt.Sprintf("%08x", l.Checksum), H: H, Quantiles: levels}
	for i, id := range ids {
		r := row{ID: id, Forecast: point[i*H : (i+1)*H]} // the model computes in float32
		for j := 0; j < H && nq > 0; j++ {
			o := (i*H + j) * nq
			r.Q = append(r.Q, q[o:o+nq])
		}
		out.Series = append(out.Series, r)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
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

// predictBatch builds the model inputs of the last window of every series:
// target values, exogenous columns of the file and derived features over
// the input window, calendar features over the window and the horizon
// (time stamps continue at freq, or at each series' last ds step).
func predictBatch(c model.Common, fd *ingest.FileData, series []ingest.FileSeries, freq time.Duration) (*model.Batch, error) {
	L, H := c.InputSize, c.H
	F, X, S := len(c.FutrExog), len(c.HistExog), len(c.StatExog)
	if S > 0 {
		return nil, fmt.Errorf("predict: the model takes static variables %v, which files do not provide yet", c.StatExog)
	}
	B := len(series)
	b := &model.Batch{B: B, Y: make([]float32, B*L), YMask: make([]float32, B*L), Futr: make([]float32, B*(L+H)*F), Hist: make([]float32, B*L*X)}
	full, err := exogSeries(model.Common{HistExog: c.HistExog}, fd, series)
	if err != nil {
		return nil, err
	}
	futr, err := features.ParseWindowFeatures(c.FutrExog)
	if err != nil {
		return nil, err
	}
	for i, s := range series {
		if len(s.Y) == 0 {
			return nil, fmt.Errorf("predict: series %q has no values", s.ID)
		}
		model.FillWindow(b.Y[i*L:(i+1)*L], b.YMask[i*L:(i+1)*L], s.Y)
		n := len(s.Y)
		for t := range L {
			o := n - L + t
			if o < 0 {
				continue
			}
			for v := range X {
				b.Hist[(i*L+t)*X+v] = float32(full[i].Hist[v][o])
			}
		}
		if F == 0 {
			continue
		}
		times, err := parseTimes(s.DS)
		if err != nil || times == nil {
			return nil, fmt.Errorf("predict: series %q: calendar inputs need time stamps in ds: %v", s.ID, err)
		}
		step := freq
		if step <= 0 {
			if n < 2 {
				return nil, fmt.Errorf("predict: series %q: one time stamp, cannot infer the step; give --freq", s.ID)
			}
			step = times[n-1].Sub(times[n-2])
		}
		w := b.Futr[i*(L+H)*F : (i+1)*(L+H)*F]
		features.CalendarWindow(w, futr, times[n-1].Add(-time.Duration(L-1)*step), step, L+H)
		if pad := L - n; pad > 0 {
			clear(w[:pad*F])
		}
	}
	return b, nil
}
