//go:build !linux

package model

import "os"

func readAll(f *os.File, size int64) ([]byte, func(), error) { return readAllPortable(f, size) }

func adviseHuge([]float32) {}
