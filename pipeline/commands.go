// Package pipeline wires ingest, features, engine and sink into the
// streaming service, and implements the demo, run and bench pipeline commands.
package pipeline

import (
	"context"
	"errors"
	"io"
)

// TEMPORARY scaffolding: replaced by the real commands.
var errTODO = errors.New("not implemented yet")

func DemoMain(ctx context.Context, args []string, stdout, stderr io.Writer) error  { return errTODO }
func RunMain(ctx context.Context, args []string, stdout, stderr io.Writer) error   { return errTODO }
func BenchMain(ctx context.Context, args []string, stdout, stderr io.Writer) error { return errTODO }
