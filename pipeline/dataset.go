package pipeline

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streamcast/streamcast/internal/demodata"
)

// Dataset produces the demo/bench event stream: Event(k) is the k-th event,
// k = 0, 1, 2, …; events cycle over the series (event k belongs to series
// k mod N, step k div N), so every series advances one step per round and
// each series' event times strictly increase.
type Dataset interface {
	Name() string
	NumSeries() int
	// Event returns series id, event time and value of event k.
	Event(k int64) (series string, ts time.Time, value float64)
}

// NewDataset builds the named dataset ("etth1" or "synthetic") with n series.
func NewDataset(name string, n int, seed uint64) (Dataset, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: --series %d must be >= 1", ErrConfig, n)
	}
	switch name {
	case "etth1":
		return newETTh1(n)
	case "synthetic":
		return newSynthetic(n, seed), nil
	default:
		return nil, fmt.Errorf("%w: --dataset %q is not etth1 or synthetic", ErrConfig, name)
	}
}

// ETTh1 replays the 7 columns of ETTh1. Series i uses column i mod 7 and
// replica r = i div 7: replica 0 is the column itself ("etth1-OT"), replica
// r > 0 ("etth1-OT-3") is the same column shifted by r·97 rows (about four
// days), so derived series are real data at different phases. At step k a
// series of replica r reads row j = r·97 + k (modulo the 17,420 rows when a
// long run wraps around) and is stamped with the dataset's first timestamp
// plus j hours, so event times keep increasing even after a wrap.
type ETTh1 struct {
	cols  [7][]float64
	names [7]string
	t0    time.Time
	ids   []string
	n     int
}

// etth1Shift is the row offset between replicas of a column.
const etth1Shift = 97

var (
	etth1Once   sync.Once
	etth1Parsed *ETTh1
	etth1Err    error
)

func parseETTh1() (*ETTh1, error) {
	sc := bufio.NewScanner(bytes.NewReader(demodata.ETTh1CSV()))
	if !sc.Scan() {
		return nil, fmt.Errorf("etth1: empty embedded file")
	}
	head := strings.Split(strings.TrimSpace(sc.Text()), ",")
	if len(head) != 8 || head[0] != "date" {
		return nil, fmt.Errorf("etth1: unexpected header %q", sc.Text())
	}
	d := &ETTh1{}
	copy(d.names[:], head[1:])
	line := 1
	for sc.Scan() {
		line++
		f := strings.Split(strings.TrimSpace(sc.Text()), ",")
		if len(f) != 8 {
			return nil, fmt.Errorf("etth1: line %d: %d fields", line, len(f))
		}
		if line == 2 {
			t, err := time.Parse("2006-01-02 15:04:05", f[0])
			if err != nil {
				return nil, fmt.Errorf("etth1: line %d: %w", line, err)
			}
			d.t0 = t.UTC()
		}
		for c := 0; c < 7; c++ {
			v, err := strconv.ParseFloat(f[c+1], 64)
			if err != nil {
				return nil, fmt.Errorf("etth1: line %d column %s: %w", line, d.names[c], err)
			}
			d.cols[c] = append(d.cols[c], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("etth1: %w", err)
	}
	return d, nil
}

func newETTh1(n int) (*ETTh1, error) {
	etth1Once.Do(func() { etth1Parsed, etth1Err = parseETTh1() })
	if etth1Err != nil {
		return nil, etth1Err
	}
	d := *etth1Parsed
	d.n = n
	d.ids = make([]string, n)
	for i := range d.ids {
		d.ids[i] = etth1SeriesID(d.names[i%7], i/7)
	}
	return &d, nil
}

func etth1SeriesID(col string, replica int) string {
	if replica == 0 {
		return "etth1-" + col
	}
	return "etth1-" + col + "-" + strconv.Itoa(replica)
}

// Name implements Dataset.
func (d *ETTh1) Name() string { return "etth1" }

// NumSeries implements Dataset.
func (d *ETTh1) NumSeries() int { return d.n }

// Rows is the number of data rows.
func (d *ETTh1) Rows() int { return len(d.cols[0]) }

// Event implements Dataset.
func (d *ETTh1) Event(k int64) (string, time.Time, float64) {
	i := int(k % int64(d.n))
	step := k / int64(d.n)
	j := int64(i/7)*etth1Shift + step
	rows := int64(len(d.cols[0]))
	return d.ids[i], d.t0.Add(time.Duration(j) * time.Hour), d.cols[i%7][j%rows]
}

// Synthetic is a seeded generator: series i at step k has value
//
//	level_i + amp_i·sin(2π·k/24 + phase_i) + 0.3·amp_i·sin(2π·k/168) + σ_i·ε
//
// with ε standard normal from a PCG stream keyed by (seed, i, k), hourly
// event times from 2024-01-01T00:00:00Z; ids "syn-<i>". Event(k) is a pure
// function of (seed, k).
type Synthetic struct {
	n                        int
	seed                     uint64
	level, amp, phase, sigma []float64
	ids                      []string
	t0                       time.Time
}

func newSynthetic(n int, seed uint64) *Synthetic {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	s := &Synthetic{n: n, seed: seed, t0: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i := 0; i < n; i++ {
		s.level = append(s.level, 10+90*r.Float64())
		s.amp = append(s.amp, 1+9*r.Float64())
		s.phase = append(s.phase, 2*math.Pi*r.Float64())
		s.sigma = append(s.sigma, 0.1+0.9*r.Float64())
		s.ids = append(s.ids, "syn-"+strconv.Itoa(i))
	}
	return s
}

// Name implements Dataset.
func (s *Synthetic) Name() string { return "synthetic" }

// NumSeries implements Dataset.
func (s *Synthetic) NumSeries() int { return s.n }

// Event implements Dataset.
func (s *Synthetic) Event(k int64) (string, time.Time, float64) {
	i := int(k % int64(s.n))
	step := k / int64(s.n)
	eps := rand.New(rand.NewPCG(s.seed^uint64(i)*0x9e3779b97f4a7c15, uint64(step))).NormFloat64()
	x := float64(step)
	v := s.level[i] + s.amp[i]*math.Sin(2*math.Pi*x/24+s.phase[i]) + 0.3*s.amp[i]*math.Sin(2*math.Pi*x/168) + s.sigma[i]*eps
	return s.ids[i], s.t0.Add(time.Duration(step) * time.Hour), v
}

// EncodeEvent appends the JSON message value of one event to dst:
// {"series":…,"ts":"RFC 3339","value":…}.
func EncodeEvent(dst []byte, series string, ts time.Time, v float64) []byte {
	dst = append(dst, `{"series":`...)
	dst = strconv.AppendQuote(dst, series)
	dst = append(dst, `,"ts":"`...)
	dst = ts.UTC().AppendFormat(dst, time.RFC3339)
	dst = append(dst, `","value":`...)
	dst = strconv.AppendFloat(dst, v, 'g', -1, 64)
	return append(dst, '}')
}
