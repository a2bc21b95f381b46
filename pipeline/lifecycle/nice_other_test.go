//go:build !linux

package lifecycle

func maybeReportPriority() {}
