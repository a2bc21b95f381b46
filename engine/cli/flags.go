// Package cli implements the engine's sub-commands: train, predict,
// bench train and bench predict. Every flag has an environment equivalent
// STREAMCAST_<FLAG_NAME> (dashes become underscores, e.g. --max-steps ↔
// STREAMCAST_MAX_STEPS); a flag given on the command line wins. Invalid
// flags or values fail at start-up.
package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// EnvPrefix prefixes the environment variable of every flag.
const EnvPrefix = "STREAMCAST_"

func envName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// newFlagSet returns a flag set that reports errors instead of exiting and
// prints usage (with environment names) to stderr.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: streamcast %s [flags]\n%s\n\nflags (environment: STREAMCAST_<NAME>):\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, then fills every flag not given on the command line
// from its environment variable. It returns the set of flags given either
// way.
//
// The horizon flag is named h, like NeuralForecast's argument, so -h
// and --h mean help only when no integer follows them (`-h 24` sets the
// horizon; `-h` alone, or before another flag, prints the usage).
func parse(fs *flag.FlagSet, args []string) (map[string]bool, error) {
	for i, a := range args {
		if a == "--" {
			break
		}
		help := a == "-help" || a == "--help"
		if (a == "-h" || a == "--h") && fs.Lookup("h") != nil {
			help = i+1 == len(args) || !isInt(args[i+1])
		} else if a == "-h" || a == "--h" {
			help = true
		}
		if help {
			fs.Usage()
			return nil, flag.ErrHelp
		}
	}
	if err := fs.Parse(args); err != nil {
		return nil, UsageError(err)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return nil, fmt.Errorf("%s: unexpected arguments %q: %w", fs.Name(), fs.Args(), errUsage)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: environment %s=%q: %w (%w)", fs.Name(), envName(f.Name), v, e, errUsage)
				return
			}
			set[f.Name] = true
		}
	})
	return set, err
}

// hyperJSON builds a model's hyper-parameter JSON from the common flags,
// the model-specific ones that were set, and an optional raw JSON object
// whose fields override both.
func hyperJSON(fields map[string]any, raw string) ([]byte, error) {
	if raw != "" {
		var extra map[string]any
		if err := json.Unmarshal([]byte(raw), &extra); err != nil {
			return nil, fmt.Errorf("--hyper: %w", err)
		}
		for k, v := range extra {
			fields[k] = v
		}
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("hyper-parameters: %w", err)
	}
	return b, nil
}

var errUsage = errors.New("invalid flags")

func isInt(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}
