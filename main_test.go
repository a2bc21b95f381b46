package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// The exit codes scripts rely on, through main's error mapping.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("unique_id,ds,y\na,1,1\na,2,2\na,3,3\na,4,4\na,5,5\na,6,6\n"), 0o600)
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("unique_id,ds,y\na,1,1\na,2,x\n"), 0o600)
	m := filepath.Join(dir, "m.scm")
	train := []string{"train", "--model", "nlinear", "--input-size", "2", "--h", "1", "--max-steps", "2", "--quiet", "--out", m}
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"ok", append(train, "--data", good), 0},
		{"help", []string{"train", "-h"}, 0},
		{"unknown command", []string{"nope"}, 2},
		{"no command", nil, 2},
		{"unknown flag", []string{"train", "--nope"}, 2},
		{"missing --data", []string{"train", "--out", m}, 2},
		{"unknown model", append(train, "--data", good, "--model", "zzz"), 2},
		{"bad flag value", append(train, "--data", good, "--max-steps", "x"), 2},
		{"missing file", append(train, "--data", filepath.Join(dir, "none.csv")), 3},
		{"bad row", append(train, "--data", bad), 3},
		{"too short", append(train, "--data", good, "--input-size", "50", "--h", "10"), 3},
		{"corrupt model", []string{"predict", "--model-file", good, "--data", good}, 3},
		{"unwritable out", append(train[:len(train)-1], filepath.Join(dir, "no", "dir", "m.scm"), "--data", good), 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if got := exitCode(dispatch(context.Background(), commands, c.args, &out, &errb), &errb); got != c.want {
				t.Fatalf("exit %d, want %d; stderr %s", got, c.want, errb.String())
			}
		})
	}
}
