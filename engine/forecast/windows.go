package forecast

import (
	"fmt"
	"time"
)

// Windows is a batch of series at their forecast origins: what a
// WindowForecaster reads beyond the value histories.
type Windows struct {
	// Values[i] is series i's value history, oldest first.
	Values [][]float64
	// Last[i] is the event time of Values[i]'s newest value (calendar
	// inputs step back and forward from it). May be nil for models without
	// calendar inputs.
	Last []time.Time
	// Series[i] names series i (static attributes are looked up by it).
	// May be nil for models without static inputs.
	Series []string
	// Exog[i] holds per-step exogenous values of Values[i]'s steps,
	// row-major len(Values[i])×len(ExogNames), NaN where an event lacked a
	// variable. Nil without per-step variables.
	Exog [][]float64
	// ExogNames names the columns of Exog rows.
	ExogNames []string
}

// Len is the number of series.
func (w *Windows) Len() int { return len(w.Values) }

// Slice returns the windows of series [lo, hi), sharing w's memory.
func (w *Windows) Slice(lo, hi int) Windows {
	out := Windows{Values: w.Values[lo:hi], ExogNames: w.ExogNames}
	if w.Last != nil {
		out.Last = w.Last[lo:hi]
	}
	if w.Series != nil {
		out.Series = w.Series[lo:hi]
	}
	if w.Exog != nil {
		out.Exog = w.Exog[lo:hi]
	}
	return out
}

// Check reports a batch whose parts disagree in length.
func (w *Windows) Check() error {
	n := len(w.Values)
	switch {
	case w.Last != nil && len(w.Last) != n:
		return fmt.Errorf("forecast: %d event times for %d series", len(w.Last), n)
	case w.Series != nil && len(w.Series) != n:
		return fmt.Errorf("forecast: %d series names for %d series", len(w.Series), n)
	case w.Exog != nil && len(w.Exog) != n:
		return fmt.Errorf("forecast: %d exogenous histories for %d series", len(w.Exog), n)
	}
	if e := len(w.ExogNames); w.Exog != nil {
		for i, x := range w.Exog {
			if len(x) != len(w.Values[i])*e {
				return fmt.Errorf("forecast: series %d: %d exogenous values for %d steps × %d variables", i, len(x), len(w.Values[i]), e)
			}
		}
	}
	return nil
}

// WindowForecaster is implemented by models that read, beyond the value
// histories, the event time of each series' newest value (calendar
// inputs), per-step exogenous values, static attributes of the series,
// and that can return prediction quantiles. Callers prefer it over
// Forecast.
type WindowForecaster interface {
	Forecaster
	// Quantiles lists the quantile levels ForecastAt writes into q
	// (ascending; nil for point forecasts).
	Quantiles() []float64
	// ForecastAt writes h point forecasts per series of w into dst
	// (row-major) and, when Quantiles is not empty and q is not nil,
	// h×len(Quantiles()) quantiles per series into q.
	ForecastAt(dst, q []float64, w *Windows, h int) error
}
