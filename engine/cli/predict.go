package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

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
	)
	data.register(fs)
	fs.StringVar(&modelFile, "model-file", "", "model file written by streamcast train (required)")
	fs.StringVar(&format, "format", "json", "output: json (one object) or csv (unique_id,step,forecast)")
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
	ids, series, err := data.load()
	if err != nil {
		return err
	}
	m := l.Model
	H := m.Common().H
	dst := make([]float64, len(series)*H)
	if err := model.NewPredictor(m).Predict(dst, series); err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	if format == "csv" {
		fmt.Fprintf(w, "unique_id,step,%s\n", m.Kind())
		for i, id := range ids {
			for j := 0; j < H; j++ {
				fmt.Fprintf(w, "%s,%d,%s\n", csvField(id), j+1, strconv.FormatFloat(dst[i*H+j], 'g', -1, 32))
			}
		}
		return w.Flush()
	}
	type row struct {
		ID       string    `json:"unique_id"`
		Forecast []float32 `json:"forecast"`
	}
	out := struct {
		Model   string `json:"model"`
		Version string `json:"version"`
		H       int    `json:"h"`
		Series  []row  `json:"series"`
	}{Model: m.Kind(), Version: fmt.Sprintf("%08x", l.Checksum), H: H}
	for i, id := range ids {
		f := make([]float32, H) // the model computes in float32
		for j := range f {
			f[j] = float32(dst[i*H+j])
		}
		out.Series = append(out.Series, row{id, f})
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
