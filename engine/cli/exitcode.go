package cli

import (
	"errors"
	"flag"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/train"
	"github.com/streamcast/streamcast/ingest"
)

// Exit codes of the streamcast commands, for scripts. Input files that
// cannot be opened are data errors (3); failures writing outputs are 1.
const (
	ExitOK    = 0 // success (and -h)
	ExitOther = 1 // anything else: I/O while writing, diverged training, interrupted, …
	ExitUsage = 2 // bad flags or flag values, unknown command or model kind
	ExitData  = 3 // input data unusable: missing or unreadable file, bad row (line named), series too short, corrupt model file
)

// errData marks errors caused by the input data.
var errData = errors.New("bad data")

// dataErr marks err as a data error, keeping its message.
func dataErr(err error) error {
	if err == nil || errors.Is(err, errData) {
		return err
	}
	return &dataError{err}
}

type dataError struct{ err error }

func (e *dataError) Error() string { return e.err.Error() }
func (e *dataError) Unwrap() []error {
	return []error{e.err, errData}
}

// ExitCode maps a command's error to the process exit code (see ExitOK
// and the other Exit constants). Usage is checked before data, so a
// missing --data flag is 2 while a missing data file is 3.
func ExitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.Is(err, errUsage), errors.Is(err, model.ErrUnknownKind):
		return ExitUsage
	case errors.Is(err, errData), errors.Is(err, ingest.ErrFileFormat), errors.Is(err, ingest.ErrFrame),
		errors.Is(err, ingest.ErrFreq), errors.Is(err, train.ErrData), errors.Is(err, model.ErrBadFile):
		return ExitData
	}
	return ExitOther
}

// UsageError marks err as a usage error (exit code 2), for the command
// dispatcher.
func UsageError(err error) error {
	if err == nil {
		return nil
	}
	return &usageError{err}
}

type usageError struct{ err error }

func (e *usageError) Error() string   { return e.err.Error() }
func (e *usageError) Unwrap() []error { return []error{e.err, errUsage} }
