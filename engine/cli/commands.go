// Package cli implements the engine's sub-commands: train, predict,
// bench train and bench predict.
package cli

import (
	"context"
	"errors"
	"io"
)

// TEMPORARY scaffolding: replaced by the real commands.
var errTODO = errors.New("not implemented yet")

func TrainMain(ctx context.Context, args []string, stdout, stderr io.Writer) error   { return errTODO }
func PredictMain(ctx context.Context, args []string, stdout, stderr io.Writer) error { return errTODO }
func BenchTrainMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errTODO
}
func BenchPredictMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errTODO
}
