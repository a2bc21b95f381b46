// Package train fits engine/model models to time series with
// NeuralForecast's training semantics: every step takes batch_size series,
// cuts all windows of input_size + h values (stride step_size, optional
// front padding), samples windows_batch_size of them, and takes one Adam
// step on the model's loss (masked MAE by default; any engine/loss loss set in
// its hyper-parameters, with exogenous variables when it has them, see
// FitSeries); an optional validation hold-out
// (the last val_size values of every series) drives early stopping. The
// learning rate follows NeuralForecast's StepLR schedule.
//
// Calling Fit again on the same model continues from its current weights
// for the number of steps given to that call, with a fresh optimiser state,
// as NeuralForecast's repeated fit does.
package train

import (
	"fmt"
	"log/slog"
	"math"
)

// Config holds the training hyper-parameters. Field comments give
// NeuralForecast's names and the defaults of DefaultConfig.
type Config struct {
	// MaxSteps is the number of optimisation steps of this Fit call
	// (max_steps; default 1000).
	MaxSteps int
	// LearningRate of Adam (learning_rate; default 1e-3).
	LearningRate float64
	// NumLRDecays halves the learning rate every MaxSteps/NumLRDecays steps
	// (num_lr_decays; default -1 = never).
	NumLRDecays int
	// BatchSize is the number of series per step (batch_size; default 32).
	BatchSize int
	// WindowsBatchSize is the number of windows sampled per step from the
	// batch's series, without replacement unless fewer exist
	// (windows_batch_size; default 1024; <= 0 uses every window).
	WindowsBatchSize int
	// StepSize is the stride between consecutive windows (step_size; default 1).
	StepSize int
	// StartPaddingEnabled pads every series with input_size−1 zeros at the
	// front so that its first values can be targets (start_padding_enabled).
	StartPaddingEnabled bool
	// ValSize holds out the last ValSize values of every series for
	// validation (val_size; default 0 = no validation).
	ValSize int
	// ValCheckSteps is the validation period in steps (val_check_steps;
	// default 100).
	ValCheckSteps int
	// EarlyStopPatienceSteps stops training after that many validation
	// checks without improvement (early_stop_patience_steps; default -1 = off).
	EarlyStopPatienceSteps int
	// GradClipNorm clips the global L2 norm of the gradients
	// (gradient_clip_val; default 0 = off).
	GradClipNorm float64
	// Seed drives series shuffling and window sampling (random_seed; default 1).
	Seed uint64
	// Logger receives progress (nil: silent).
	Logger *slog.Logger
	// LogEvery is the period, in steps, of the "training" progress record
	// sent to Logger (default 0 = every 100 steps; a progress bar sets 1).
	LogEvery int
}

// DefaultConfig returns NeuralForecast's defaults for the MLP.
func DefaultConfig() Config {
	return Config{
		MaxSteps:               1000,
		LearningRate:           1e-3,
		NumLRDecays:            -1,
		BatchSize:              32,
		WindowsBatchSize:       1024,
		StepSize:               1,
		ValCheckSteps:          100,
		EarlyStopPatienceSteps: -1,
		Seed:                   1,
	}
}

// Validate reports invalid settings.
func (c Config) Validate() error {
	switch {
	case c.MaxSteps < 0:
		return fmt.Errorf("train: max_steps %d must be >= 0", c.MaxSteps)
	case !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0):
		return fmt.Errorf("train: learning_rate %g must be finite and > 0", c.LearningRate)
	case c.BatchSize < 1:
		return fmt.Errorf("train: batch_size %d must be >= 1", c.BatchSize)
	case c.WindowsBatchSize > 1<<20:
		return fmt.Errorf("train: windows_batch_size %d is too large", c.WindowsBatchSize)
	case c.StepSize < 1:
		return fmt.Errorf("train: step_size %d must be >= 1", c.StepSize)
	case c.ValSize < 0:
		return fmt.Errorf("train: val_size %d must be >= 0", c.ValSize)
	case c.LogEvery < 0:
		return fmt.Errorf("train: log period %d must be >= 0", c.LogEvery)
	case c.ValCheckSteps < 1:
		return fmt.Errorf("train: val_check_steps %d must be >= 1", c.ValCheckSteps)
	case c.GradClipNorm < 0 || math.IsNaN(c.GradClipNorm):
		return fmt.Errorf("train: gradient clip %g must be >= 0", c.GradClipNorm)
	}
	return nil
}
