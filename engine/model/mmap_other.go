//go:build !linux

package model

import "os"

func readAll(f *os.File, size int64) ([]byte, func(), error) { return readAllPortable(f, size) }

func adviseHuge([]float32) {}

func mapReadOnly(string) ([]byte, bool, error) { return nil, false, nil }

func unmap([]byte) {}
