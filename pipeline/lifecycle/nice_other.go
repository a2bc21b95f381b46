//go:build !linux

package lifecycle

// lowerPriority is a no-op outside Linux.
func lowerPriority(int, bool) {}
