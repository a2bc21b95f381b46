package cli

import (
	"bufio"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/streamcast/streamcast/engine/metrics"
	"github.com/streamcast/streamcast/ingest"
)

// seasonFor is the default seasonal period of a frequency.
func seasonFor(q ingest.Freq, k ingest.TimeKind) int {
	if k != ingest.TimeStamp {
		return 1
	}
	switch {
	case q.Months == 1:
		return 12
	case q.Months == 3:
		return 4
	case q.Step == 3_600_000:
		return 24
	case q.Step == 1_800_000:
		return 48
	case q.Step == 900_000:
		return 96
	case q.Step == 86_400_000:
		return 7
	case q.Step == 7*86_400_000:
		return 52
	}
	return 1
}

// evalSeries is one forecast series joined with its actuals.
type evalSeries struct {
	id       string
	rows     [2]int    // forecast frame rows
	y        []float64 // actual of each forecast row
	insample []float64
	steps    []int // forecast row -> steps after the history's end (0: unknown)
}

func evalFiles(ef *evalFlags) (*evalReport, error) {
	var train *ingest.Frame
	var err error
	if ef.train != "" {
		if train, err = ef.loadFrame(ef.train, ef.tFormat, nil, true); err != nil {
			return nil, err
		}
	}
	act, err := ef.loadFrame(ef.actuals, ef.aFormat, train, true)
	if err != nil {
		return nil, err
	}
	fc, err := ef.loadFrame(ef.forecasts, ef.fFormat, train, false)
	if err != nil {
		return nil, err
	}
	if fc.TimeKind != act.TimeKind {
		return nil, fmt.Errorf("%w: forecasts have %s times, actuals %s times", errEval, fc.TimeKind, act.TimeKind)
	}
	models, err := modelColumns(fc.ExogNames)
	if err != nil {
		return nil, err
	}
	if ef.models != "" {
		keep := strings.Split(ef.models, ",")
		var sel []*modelCols
		for _, name := range keep {
			i := slices.IndexFunc(models, func(m *modelCols) bool { return m.name == strings.TrimSpace(name) })
			if i < 0 {
				return nil, fmt.Errorf("%w: no model %q in %s (models: %s)", errEval, name, ef.forecasts, modelNames(models))
			}
			sel = append(sel, models[i])
		}
		models = sel
	}
	if len(models) == 0 {
		return nil, fmt.Errorf("%w: %s has no forecast columns", errEval, ef.forecasts)
	}
	hist := act
	if train != nil {
		hist = train
	}
	freq := hist.Freq
	season := ef.season
	if season <= 0 {
		season = seasonFor(freq, hist.TimeKind)
	}
	series, points, err := joinActuals(fc, act, train, freq)
	if err != nil {
		return nil, err
	}
	rep := &evalReport{Season: season, Series: len(series), Points: points}

	// Naive2 on the same points, for OWA.
	n2 := make([]score, len(series))
	var n2s, n2m []float64
	var buf []float64
	for i, s := range series {
		n2[i] = score{"smape": math.NaN(), "mase": math.NaN()}
		h := slices.Max(s.steps)
		if len(s.insample) == 0 || h < 1 || slices.Contains(s.steps, 0) {
			continue
		}
		if buf, err = metrics.Naive2(buf, s.insample, season, h); err != nil {
			return nil, err
		}
		f := make([]float64, len(s.steps))
		for k, st := range s.steps {
			f[k] = buf[st-1]
		}
		n2[i]["smape"], _ = metrics.SMAPE(s.y, f)
		n2[i]["mase"] = maseOrNaN(s.insample, s.y, f, season)
		n2s, n2m = append(n2s, n2[i]["smape"]), append(n2m, n2[i]["mase"])
	}
	rep.Naive2 = score{"smape": mean(n2s), "mase": mean(n2m)}

	for _, m := range models {
		mr := modelReport{Model: m.name}
		var all []score
		for i, s := range series {
			sc := scoreSeries(fc, m, s, season)
			if n := n2[i]; !math.IsNaN(sc["mase"]) {
				sc["owa"] = metrics.OWA(sc["smape"], sc["mase"], n["smape"], n["mase"])
			} else {
				sc["owa"] = math.NaN()
			}
			all = append(all, sc)
			mr.Series = append(mr.Series, seriesScore{ID: s.id, score: sc})
		}
		mr.Overall = score{}
		for k := range all[0] {
			var v []float64
			for _, sc := range all {
				v = append(v, sc[k])
			}
			mr.Overall[k] = mean(v)
		}
		mr.Overall["owa"] = metrics.OWA(mr.Overall["smape"], mr.Overall["mase"], rep.Naive2["smape"], rep.Naive2["mase"])
		rep.Models = append(rep.Models, mr)
	}
	return rep, nil
}

func modelNames(ms []*modelCols) string {
	var n []string
	for _, m := range ms {
		n = append(n, m.name)
	}
	return strings.Join(n, ", ")
}

// mean is the mean of v (NaN if v is empty or holds a NaN: a metric that
// is undefined for one series is undefined overall).
func mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func maseOrNaN(x, y, f []float64, m int) float64 {
	v, err := metrics.MASE(x, y, f, m)
	if err != nil {
		return math.NaN()
	}
	return v
}

// joinActuals finds the actual of every forecast row and each series'
// in-sample history; forecasts without actuals are an error.
func joinActuals(fc, act, train *ingest.Frame, freq ingest.Freq) ([]evalSeries, int, error) {
	ai := indexIDs(act)
	var ti map[string]int
	if train != nil {
		ti = indexIDs(train)
	}
	var out []evalSeries
	missing, points := 0, 0
	var firstMissing string
	for s, id := range fc.IDs {
		a, ok := ai[id]
		if !ok {
			return nil, 0, fmt.Errorf("%w: series %q of %s has no actuals in %s", errEval, id, fc.Source, act.Source)
		}
		lo, hi := fc.Offsets[s], fc.Offsets[s+1]
		at := act.Time[act.Offsets[a]:act.Offsets[a+1]]
		ay := act.Y[act.Offsets[a]:act.Offsets[a+1]]
		es := evalSeries{id: id, rows: [2]int{lo, hi}}
		for _, t := range fc.Time[lo:hi] {
			k, found := slices.BinarySearch(at, t)
			if !found {
				if missing == 0 {
					firstMissing = fmt.Sprintf("(%q, %s)", id, fc.FormatTime(t))
				}
				missing++
				continue
			}
			es.y = append(es.y, ay[k])
		}
		var histT []int64
		if train != nil {
			b, ok := ti[id]
			if !ok {
				return nil, 0, fmt.Errorf("%w: series %q has no history in %s", errEval, id, train.Source)
			}
			histT = train.Time[train.Offsets[b]:train.Offsets[b+1]]
			es.insample = train.Y[train.Offsets[b]:train.Offsets[b+1]]
		} else {
			n, _ := slices.BinarySearch(at, fc.Time[lo])
			histT, es.insample = at[:n], ay[:n]
		}
		if len(histT) > 0 && !freq.IsZero() {
			last := histT[len(histT)-1]
			for _, t := range fc.Time[lo:hi] {
				k := 0
				for j := 1; j <= hi-lo+1; j++ { // forecasts follow the history on the grid
					if freq.Add(last, j) == t {
						k = j
						break
					}
				}
				es.steps = append(es.steps, k)
			}
		} else {
			es.steps = make([]int, hi-lo)
		}
		points += hi - lo
		out = append(out, es)
	}
	if missing > 0 {
		return nil, 0, fmt.Errorf("%w: %d forecasts have no actual in %s (first: %s)", errEval, missing, act.Source, firstMissing)
	}
	return out, points, nil
}

func indexIDs(f *ingest.Frame) map[string]int {
	m := make(map[string]int, len(f.IDs))
	for i, id := range f.IDs {
		m[id] = i
	}
	return m
}

// scoreSeries computes every metric of model m on series s.
func scoreSeries(fc *ingest.Frame, m *modelCols, s evalSeries, season int) score {
	lo, hi := s.rows[0], s.rows[1]
	f := fc.Exog[m.point][lo:hi]
	sc := score{}
	sc["mae"], _ = metrics.MAE(s.y, f)
	sc["mse"], _ = metrics.MSE(s.y, f)
	sc["rmse"] = math.Sqrt(sc["mse"])
	sc["mape"], _ = metrics.MAPE(s.y, f)
	sc["smape"], _ = metrics.SMAPE(s.y, f)
	sc["mase"] = math.NaN()
	if len(s.insample) > season {
		sc["mase"] = maseOrNaN(s.insample, s.y, f, season)
	}
	if len(m.taus) > 0 {
		q := make([][]float64, len(m.qcols))
		for k, c := range m.qcols {
			q[k] = fc.Exog[c][lo:hi]
		}
		sc["crps"], sc["scaled_crps"], _ = metrics.CRPS(s.y, m.taus, q)
	}
	for k, l := range m.levels {
		sc["coverage_"+strconv.FormatFloat(l, 'g', -1, 64)], _ = metrics.Coverage(s.y, fc.Exog[m.lo[k]][lo:hi], fc.Exog[m.hi[k]][lo:hi])
	}
	return sc
}

// writeCSV writes model,unique_id,metric… rows, the overall row of each
// model with unique_id "_overall_".
func (r *evalReport) writeCSV(w *bufio.Writer, perSeries bool) {
	keySet := map[string]bool{}
	for _, m := range r.Models {
		for k := range m.Overall {
			keySet[k] = true
		}
	}
	var keys []string
	for k := range keySet {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.WriteString("model,unique_id," + strings.Join(keys, ",") + "\n")
	row := func(model, id string, s score) {
		w.WriteString(csvField(model) + "," + csvField(id))
		for _, k := range keys {
			w.WriteByte(',')
			if v, ok := s[k]; ok && !math.IsNaN(v) {
				w.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		w.WriteByte('\n')
	}
	for _, m := range r.Models {
		row(m.Model, "_overall_", m.Overall)
		if perSeries {
			for _, s := range m.Series {
				row(m.Model, s.ID, s.score)
			}
		}
	}
}
