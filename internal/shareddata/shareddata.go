// Package shareddata locates the reference datasets (M4 Hourly, ETTh1,
// Tourism) that accuracy tests read from shared/data beside the repository.
// The datasets are not part of the repository, so tests that need them skip
// with a message when they are absent, except ETTh1, which the binary
// embeds (internal/demodata): ETTh1 falls back to that copy.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/streamcast/streamcast/internal/demodata"
)

// Find walks up from the working directory to the first directory holding
// shared/data and returns that data directory.
func Find() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		p := filepath.Join(dir, "shared", "data")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// File returns the path of shared/data/<elem…>, skipping tb with a message
// naming what is missing when the data directory or the file is absent.
func File(tb testing.TB, elem ...string) string {
	tb.Helper()
	data, ok := Find()
	if !ok {
		tb.Skip("shared/data not found above the test directory; skipping the real-data test")
	}
	p := filepath.Join(append([]string{data}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("reference data absent: %v", err)
	}
	return p
}

// ETTh1 returns the path of ETTh1.csv: shared/data/etth1/ETTh1.csv when
// present, else the embedded copy (byte-for-byte the same file, see
// internal/demodata) written to <a temporary directory of tb>/etth1/, so
// tests about ETTh1 run everywhere instead of skipping.
func ETTh1(tb testing.TB) string {
	tb.Helper()
	if data, ok := Find(); ok {
		p := filepath.Join(data, "etth1", "ETTh1.csv")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	// <tmp>/etth1/ETTh1.csv, laid out like shared/data, so callers may use
	// the file, its directory or the directory above it.
	dir := filepath.Join(tb.TempDir(), "etth1")
	p := filepath.Join(dir, "ETTh1.csv")
	if err := os.Mkdir(dir, 0o700); err != nil {
		tb.Fatalf("write the embedded ETTh1: %v", err)
	}
	if err := os.WriteFile(p, demodata.ETTh1CSV(), 0o600); err != nil {
		tb.Fatalf("write the embedded ETTh1: %v", err)
	}
	tb.Logf("shared/data/etth1 absent: using the embedded ETTh1 (%s)", p)
	return p
}
