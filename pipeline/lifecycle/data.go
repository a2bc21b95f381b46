package lifecycle

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamcast/streamcast/engine/forecast"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/train"
	"github.com/streamcast/streamcast/features"
)

// HistorySource lists the series and reads their histories (values and
// event times, oldest first).
type HistorySource interface {
	Series(ctx context.Context) ([]string, error)
	States(ctx context.Context, series []string) ([]*features.State, error)
}

// RedisHistories reads the histories the pipeline keeps in Redis through
// the feature store: series are found by SCAN over the store's state keys
// (<prefix>:{<series>}:s; on a Cluster, on every master).
type RedisHistories struct {
	Store *features.Store
	Redis redis.UniversalClient
}

var _ HistorySource = (*RedisHistories)(nil)

// Series implements HistorySource.
func (h *RedisHistories) Series(ctx context.Context) ([]string, error) {
	prefix := h.Store.Config().KeyPrefix + ":{"
	pattern := globEscape(prefix) + "*}:s"
	var names []string
	scan := func(ctx context.Context, c redis.Cmdable) error {
		it := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for it.Next(ctx) {
			k := it.Val()
			if strings.HasPrefix(k, prefix) && strings.HasSuffix(k, "}:s") && len(k) > len(prefix)+3 {
				names = append(names, k[len(prefix):len(k)-3])
			}
		}
		return it.Err()
	}
	var err error
	if cc, ok := h.Redis.(*redis.ClusterClient); ok {
		var mu sync.Mutex // masters are scanned concurrently
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			mu.Lock()
			defer mu.Unlock()
			return scan(ctx, c)
		})
	} else {
		err = scan(ctx, h.Redis)
	}
	if err != nil {
		return nil, fmt.Errorf("lifecycle: list series: %w", err)
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// States implements HistorySource, in pipelined chunks.
func (h *RedisHistories) States(ctx context.Context, series []string) ([]*features.State, error) {
	const chunk = 256
	out := make([]*features.State, 0, len(series))
	for i := 0; i < len(series); i += chunk {
		sts, err := h.Store.States(ctx, series[i:min(i+chunk, len(series))])
		if err != nil {
			return nil, fmt.Errorf("lifecycle: read histories: %w", err)
		}
		out = append(out, sts...)
	}
	return out, nil
}

func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Dataset is one retraining round's data: the training part of every
// series (with the model's exogenous inputs) and the held-out evaluation
// windows.
//
// With a serving input of L values (the model's input_size plus the span
// of its derived inputs minus one), horizon H and K hold-out windows, a
// series of n values (n ≥ L + K·H) contributes the K most recent
// non-overlapping windows as hold-out: window j = 1..K forecasts values
// [n−jH, n−(j−1)H) from the L values before them. Its first n − K·H values
// are training data when they hold at least one full training window
// (input_size + H values). The hold-out targets are never trained on, so
// champion and challenger are compared on data neither was fitted to —
// provided the champion was trained before those values arrived, which the
// schedule's spacing (after N observations, every D) is meant to ensure.
type Dataset struct {
	Train []train.Series // training series
	// Windows holds the hold-out inputs as the stream serves them: L
	// values each, the event time of the newest, the series name and the
	// per-step message variables.
	Windows forecast.Windows
	Inputs  [][]float64 // = Windows.Values
	Targets []float64   // hold-out targets, H per input, row-major
	Series  int         // series read
	// From and To bound the event times of the training values.
	From, To time.Time
}

// BuildDataset samples at most maxSeries of names (seeded, when there are
// more) and cuts their histories as documented on Dataset for a model with
// shared hyper-parameters c served from histories of L values. A
// historical input named in in.StepExog is that message variable per step
// (a missing value reads as the previous one, 0 before any, as served);
// other historical and future-known inputs are derived and calendar
// features. Static inputs come from in.Static; series without a row there
// are left out.
func BuildDataset(ctx context.Context, src HistorySource, names []string, maxSeries int, seed uint64, c model.Common, L, K int, in Inputs) (*Dataset, error) {
	H := c.H
	if maxSeries > 0 && len(names) > maxSeries {
		names = slices.Clone(names)
		rng := rand.New(rand.NewPCG(seed, 0x73616d706c65))
		rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
		names = names[:maxSeries]
		slices.Sort(names) // deterministic order for the trainer
	}
	sts, err := src.States(ctx, names)
	if err != nil {
		return nil, err
	}
	if len(c.StatExog) > 0 && in.Static == nil {
		return nil, fmt.Errorf("lifecycle: the model takes static variables %q: give the pipeline --static-file", c.StatExog)
	}
	statCol := make([]int, len(c.StatExog)) // columns of in.Static in stat_exog_list order
	for k, name := range c.StatExog {
		if statCol[k] = slices.Index(in.Static.Names, name); statCol[k] < 0 {
			return nil, fmt.Errorf("lifecycle: the static file has no column %q, which the model takes", name)
		}
	}
	var derived []string // historical inputs that are not message variables
	for _, name := range c.HistExog {
		if !slices.Contains(in.StepExog, name) {
			derived = append(derived, name)
		}
	}
	E := len(in.StepExog)
	ds := &Dataset{Series: len(names)}
	if E > 0 {
		ds.Windows.ExogNames = in.StepExog
	}
	var srow []float64
	for _, st := range sts {
		if st == nil {
			continue
		}
		v := st.Values
		n := len(v)
		if n < L+K*H {
			continue
		}
		var stat []float64
		if len(c.StatExog) > 0 {
			row, ok := in.Static.Row(st.Series, srow)
			if srow = row; !ok {
				continue
			}
			for _, j := range statCol {
				stat = append(stat, row[j])
			}
		}
		for j := 1; j <= K; j++ {
			end := n - (j-1)*H
			ds.Windows.Values = append(ds.Windows.Values, v[end-H-L:end-H])
			ds.Windows.Last = append(ds.Windows.Last, time.UnixMilli(st.Times[end-H-1]).UTC())
			ds.Windows.Series = append(ds.Windows.Series, st.Series)
			if E > 0 {
				ds.Windows.Exog = append(ds.Windows.Exog, st.ExogSteps[(end-H-L)*E:(end-H)*E])
			}
			ds.Targets = append(ds.Targets, v[end-H:end]...)
		}
		tn := n - K*H
		if tn < c.InputSize+H {
			continue
		}
		s := train.Series{Y: v[:tn], Stat: stat}
		times := make([]time.Time, tn)
		for i, ms := range st.Times[:tn] {
			times[i] = time.UnixMilli(ms).UTC()
		}
		if len(c.HistExog)+len(c.FutrExog) > 0 {
			hist, futr, err := features.SeriesInputs(derived, c.FutrExog, s.Y, times)
			if err != nil {
				return nil, fmt.Errorf("lifecycle: model inputs of %s: %w", st.Series, err)
			}
			s.Futr = futr
			k := 0
			for _, name := range c.HistExog {
				if col := slices.Index(in.StepExog, name); col >= 0 {
					s.Hist = append(s.Hist, features.StepExogColumn(nil, st.ExogSteps[:tn*E], E, col))
					continue
				}
				s.Hist = append(s.Hist, hist[k])
				k++
			}
		}
		ds.Train = append(ds.Train, s)
		if ds.From.IsZero() || times[0].Before(ds.From) {
			ds.From = times[0]
		}
		if times[tn-1].After(ds.To) {
			ds.To = times[tn-1]
		}
	}
	ds.Inputs = ds.Windows.Values
	return ds, nil
}
