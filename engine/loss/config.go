package loss

import (
	"fmt"
	"math"
	"strings"
)

// Config selects and parameterises a loss by NeuralForecast's class names,
// so it can travel in JSON hyper-parameters and CLI flags.
type Config struct {
	// Name: "MAE" (default when empty), "MSE", "RMSE", "MAPE", "SMAPE", "HuberLoss",
	// "QuantileLoss", "MQLoss" or "DistributionLoss".
	Name string `json:"name"`
	// Delta is HuberLoss's threshold; default 1.
	Delta float64 `json:"delta,omitempty"`
	// Q is QuantileLoss's quantile; default 0.5.
	Q float64 `json:"q,omitempty"`
	// Level lists MQLoss/DistributionLoss prediction-interval levels in
	// percent; default [80, 90]. Ignored when Quantiles is set.
	Level []float64 `json:"level,omitempty"`
	// Quantiles lists MQLoss's explicit quantiles in (0, 1) (optional).
	Quantiles []float64 `json:"quantiles,omitempty"`
	// Distribution is DistributionLoss's family: "Normal" (default) or "StudentT".
	Distribution string `json:"distribution,omitempty"`
}

// Validate checks the configuration by building the loss.
func (c Config) Validate() error {
	_, err := c.New()
	return err
}

// New builds the configured loss.
func (c Config) New() (Loss, error) {
	level := c.Level
	if len(level) == 0 {
		level = []float64{80, 90}
	}
	switch c.Name {
	case "", "MAE":
		return MAE{}, nil
	case "MSE":
		return MSE{}, nil
	case "RMSE":
		return RMSE{}, nil
	case "MAPE":
		return MAPE{}, nil
	case "SMAPE":
		return SMAPE{}, nil
	case "HuberLoss":
		d := c.Delta
		if d == 0 {
			d = 1
		}
		return NewHuber(d)
	case "QuantileLoss":
		q := c.Q
		if q == 0 {
			q = 0.5
		}
		if math.IsNaN(q) {
			return nil, fmt.Errorf("loss: QuantileLoss q is NaN")
		}
		return NewQuantile(q)
	case "MQLoss":
		if len(c.Quantiles) > 0 {
			return NewMQLossQuantiles(c.Quantiles)
		}
		return NewMQLoss(level)
	case "DistributionLoss":
		name := c.Distribution
		if name == "" {
			name = "Normal"
		}
		f, err := ParseFamily(name)
		if err != nil {
			return nil, err
		}
		return NewDistribution(f, level)
	}
	return nil, fmt.Errorf("loss: unknown loss %q (MAE, MSE, RMSE, MAPE, SMAPE, HuberLoss, QuantileLoss, MQLoss, DistributionLoss)", c.Name)
}

// FlagNames lists the loss names accepted by ParseFlag (the lower-case
// names of the command line's --loss).
func FlagNames() []string {
	return []string{"mae", "mse", "rmse", "mape", "smape", "huber", "mqloss", "normal", "studentt"}
}

// ParseFlag maps a command-line loss name to its Config: mae, mse, rmse,
// mape, smape, huber (HuberLoss, delta 1), mqloss (MQLoss at levels),
// normal and studentt (DistributionLoss with levels). Names are
// case-insensitive; NeuralForecast's class names are accepted too. levels
// (percent) apply to the multi-output losses; nil means [80, 90].
func ParseFlag(name string, levels []float64) (Config, error) {
	var c Config
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "mae":
		c.Name = "MAE"
	case "mse":
		c.Name = "MSE"
	case "rmse":
		c.Name = "RMSE"
	case "mape":
		c.Name = "MAPE"
	case "smape":
		c.Name = "SMAPE"
	case "huber", "huberloss":
		c.Name = "HuberLoss"
	case "mqloss":
		c.Name, c.Level = "MQLoss", levels
	case "normal":
		c.Name, c.Distribution, c.Level = "DistributionLoss", "Normal", levels
	case "studentt":
		c.Name, c.Distribution, c.Level = "DistributionLoss", "StudentT", levels
	default:
		return Config{}, fmt.Errorf("loss: unknown --loss %q (one of %s)", name, strings.Join(FlagNames(), ", "))
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}
