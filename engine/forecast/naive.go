package forecast

import "strconv"

// Naive repeats the last observation:
//
//	ŷ_{n+j} = x_n,  j = 1..h.
type Naive struct{}

// Name implements Forecaster.
func (Naive) Name() string { return "naive" }

// Version implements Forecaster.
func (Naive) Version() string { return "1" }

// InputSize implements Forecaster: only the last value is needed.
func (Naive) InputSize() int { return 1 }

// Forecast implements Forecaster. It does not allocate.
func (Naive) Forecast(dst []float64, histories [][]float64, h int) error {
	if err := checkShape(dst, histories, h); err != nil {
		return err
	}
	for i, x := range histories {
		last := x[len(x)-1]
		row := dst[i*h : (i+1)*h]
		for j := range row {
			row[j] = last
		}
	}
	return nil
}

// SeasonalNaive repeats the last full season of m observations:
//
//	ŷ_{n+j} = x_{n-m+1+((j-1) mod m)},  j = 1..h,
//
// which is the M4 "sNaive" benchmark. A history shorter than m falls back to
// Naive (the last value repeated), so fresh series still get a forecast.
type SeasonalNaive struct {
	// Season is the period m (>= 1).
	Season int
}

// NewSeasonalNaive returns a SeasonalNaive with period m >= 1.
func NewSeasonalNaive(m int) (SeasonalNaive, error) {
	if m < 1 {
		return SeasonalNaive{}, errSeason(m)
	}
	return SeasonalNaive{Season: m}, nil
}

type errSeason int

func (e errSeason) Error() string {
	return "forecast: seasonal naive needs season >= 1, got " + strconv.Itoa(int(e))
}

// Name implements Forecaster.
func (SeasonalNaive) Name() string { return "snaive" }

// Version implements Forecaster; it encodes the season so that forecast ids
// of differently configured models never collide.
func (s SeasonalNaive) Version() string { return "1-m" + strconv.Itoa(s.Season) }

// InputSize implements Forecaster: one full season.
func (s SeasonalNaive) InputSize() int { return s.Season }

// Forecast implements Forecaster. It does not allocate.
func (s SeasonalNaive) Forecast(dst []float64, histories [][]float64, h int) error {
	m := s.Season
	if m < 1 {
		return errSeason(m)
	}
	if err := checkShape(dst, histories, h); err != nil {
		return err
	}
	for i, x := range histories {
		row := dst[i*h : (i+1)*h]
		n := len(x)
		if n < m {
			last := x[n-1]
			for j := range row {
				row[j] = last
			}
			continue
		}
		season := x[n-m:]
		for j := range row {
			row[j] = season[j%m]
		}
	}
	return nil
}
