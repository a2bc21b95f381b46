package features

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Limits enforced by Config.Validate and observation validation.
const (
	// MaxHistory bounds Config.History (values kept per series).
	MaxHistory = 1 << 16
	// MaxAbsValue bounds the magnitude of observed values so that rolling
	// statistics and EWMAs can never overflow to ±Inf.
	MaxAbsValue = 1e300
	// MaxExogPerObservation bounds len(Observation.Exog).
	MaxExogPerObservation = 256
	// MaxSeriesLen bounds len(Observation.Series) in bytes.
	MaxSeriesLen = 512
	// MaxStepExog bounds len(Config.StepExog).
	MaxStepExog = 64
	// maxAbsMillis keeps unix-millisecond times exactly representable as Lua
	// numbers (IEEE doubles).
	maxAbsMillis = 1<<53 - 1
)

// Config describes the per-series state and the derived features.
// The zero value is not valid; start from DefaultConfig.
type Config struct {
	// History is the number of most recent values (and times) kept per
	// series. Default: 1024.
	History int
	// Windows are the rolling-window lengths (in events) for mean, std, min
	// and max. Each must be in [1, History]. Default: 24, 168.
	Windows []int
	// Lags are the lag features: lag k is the value k events back, lag 1 being
	// the last value. Each must be in [1, History]. Default: 1, 24, 168.
	Lags []int
	// EWMAAlphas are the smoothing factors of the exponentially weighted
	// moving averages, each in (0, 1]. At most 16. Default: 0.1, 0.5.
	// The averages run over the stored history (see State.EWMA), so choose
	// History large enough that (1−α)^History is negligible.
	EWMAAlphas []float64
	// Exog lists the exogenous variables exported as features (last value
	// seen, NaN if never seen). All exogenous variables are stored in the
	// state regardless. Default: none.
	Exog []string
	// StepExog lists the exogenous variables whose value is kept at every
	// step of the history ring, next to the value and time, so that models
	// can read them as historical inputs (NeuralForecast's hist_exog_list)
	// over their whole input window. Each costs 8 bytes per stored step; an
	// event without the variable stores NaN (see State.ExogSteps). The
	// list (names and order) is part of the stored layout: changing it
	// makes existing states unusable (ErrConfigMismatch), as History does.
	// At most MaxStepExog. Default: none.
	StepExog []string
	// KeyPrefix prefixes every Redis key. It must not contain '{' or '}'
	// (the series name is the Redis Cluster hash tag). Default: "sc".
	KeyPrefix string

	// scriptSalt, if set, is added to the scripts as a comment, giving
	// them SHAs no other store uses (tests of the never-loaded case).
	scriptSalt string
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		History:    1024,
		Windows:    []int{24, 168},
		Lags:       []int{1, 24, 168},
		EWMAAlphas: []float64{0.1, 0.5},
		KeyPrefix:  "sc",
	}
}

// Validate reports the first problem with cfg.
func (cfg Config) Validate() error {
	if cfg.History < 1 || cfg.History > MaxHistory {
		return fmt.Errorf("features: History %d out of range [1, %d]", cfg.History, MaxHistory)
	}
	for _, w := range cfg.Windows {
		if w < 1 || w > cfg.History {
			return fmt.Errorf("features: window %d out of range [1, History=%d]", w, cfg.History)
		}
	}
	for _, l := range cfg.Lags {
		if l < 1 || l > cfg.History {
			return fmt.Errorf("features: lag %d out of range [1, History=%d]", l, cfg.History)
		}
	}
	if len(cfg.EWMAAlphas) > 16 {
		return fmt.Errorf("features: %d EWMA alphas, at most 16 allowed", len(cfg.EWMAAlphas))
	}
	for _, a := range cfg.EWMAAlphas {
		if !(a > 0 && a <= 1) {
			return fmt.Errorf("features: EWMA alpha %v out of range (0, 1]", a)
		}
	}
	if err := checkNames("exogenous variable", cfg.Exog); err != nil {
		return err
	}
	if len(cfg.StepExog) > MaxStepExog {
		return fmt.Errorf("features: %d per-step exogenous variables, at most %d allowed", len(cfg.StepExog), MaxStepExog)
	}
	if err := checkNames("per-step exogenous variable", cfg.StepExog); err != nil {
		return err
	}
	if cfg.KeyPrefix == "" {
		return errors.New("features: empty KeyPrefix")
	}
	if strings.ContainsAny(cfg.KeyPrefix, "{}") {
		return fmt.Errorf("features: KeyPrefix %q must not contain '{' or '}'", cfg.KeyPrefix)
	}
	return nil
}

// checkNames reports an empty or repeated name.
func checkNames(what string, names []string) error {
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		if name == "" {
			return fmt.Errorf("features: empty %s name", what)
		}
		if seen[name] {
			return fmt.Errorf("features: %s %q listed twice", what, name)
		}
		seen[name] = true
	}
	return nil
}

// FeatureNames returns the names of the values produced by Features, in
// order:
//
//	mean_W, std_W, min_W, max_W   for each window W
//	lag_K                         for each lag K
//	ewma_A                        for each alpha A
//	hour, dow, month              of the last event time (UTC; dow 0 = Sunday, month 1-12)
//	hour_sin, hour_cos, dow_sin, dow_cos, month_sin, month_cos
//	exog_NAME                     for each name in Config.Exog
func (cfg Config) FeatureNames() []string {
	names := make([]string, 0, cfg.NumFeatures())
	for _, w := range cfg.Windows {
		s := strconv.Itoa(w)
		names = append(names, "mean_"+s, "std_"+s, "min_"+s, "max_"+s)
	}
	for _, l := range cfg.Lags {
		names = append(names, "lag_"+strconv.Itoa(l))
	}
	for _, a := range cfg.EWMAAlphas {
		names = append(names, "ewma_"+strconv.FormatFloat(a, 'g', -1, 64))
	}
	names = append(names, "hour", "dow", "month",
		"hour_sin", "hour_cos", "dow_sin", "dow_cos", "month_sin", "month_cos")
	for _, x := range cfg.Exog {
		names = append(names, "exog_"+x)
	}
	return names
}

// NumFeatures returns len(cfg.FeatureNames()) without allocating.
func (cfg Config) NumFeatures() int {
	return 4*len(cfg.Windows) + len(cfg.Lags) + len(cfg.EWMAAlphas) + 9 + len(cfg.Exog)
}

// fingerprint identifies the parts of the configuration that define the
// stored state layout (the ring size and the per-step variables); a series
// written under one fingerprint cannot be updated under another. Windows,
// lags, alphas and Config.Exog only affect derived features and may change
// freely. Without per-step variables it is "v3;h=<History>" (the layout
// before they existed); with them "v4:<History in hex>:<7 hex digits of
// the FNV-1a hash of the names>", at most fpLen bytes.
func (cfg Config) fingerprint() string {
	if len(cfg.StepExog) == 0 {
		return "v3;h=" + strconv.Itoa(cfg.History)
	}
	h := uint32(2166136261)
	for _, name := range cfg.StepExog {
		for i := 0; i < len(name); i++ {
			h = (h ^ uint32(name[i])) * 16777619
		}
		h = (h ^ 0xff) * 16777619 // separator: ["ab"] and ["a", "b"] differ
	}
	return fmt.Sprintf("v4:%x:%07x", cfg.History, h&0xfffffff)
}

// recLen is the size of one ring record: value, time and the StepExog
// values, 8 bytes each.
func (cfg Config) recLen() int { return 16 + 8*len(cfg.StepExog) }

// isFiniteBounded reports whether v is finite with |v| <= MaxAbsValue.
func isFiniteBounded(v float64) bool {
	return !math.IsNaN(v) && math.Abs(v) <= MaxAbsValue
}
