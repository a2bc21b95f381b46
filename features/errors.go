package features

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
)

var (
	// ErrTransient marks errors worth retrying (connection loss, timeouts,
	// Redis loading/failover/busy states). Test with errors.Is or IsTransient.
	ErrTransient = errors.New("features: transient redis error")
	// ErrNotFound is returned by Store.State for a series without state.
	ErrNotFound = errors.New("features: series not found")
	// ErrConfigMismatch is returned when a series' stored state was written
	// with a different History or StepExog than the Store's Config.
	ErrConfigMismatch = errors.New("features: stored state has a different config")
)

// IsTransient reports whether err (or anything it wraps) is a transient
// Redis failure that a retry of the same operation may cure.
func IsTransient(err error) bool {
	return errors.Is(err, ErrTransient) || transientCause(err)
}

// wrapRedisErr wraps err with the operation name and, when the cause is
// transient, with ErrTransient.
func wrapRedisErr(op string, err error) error {
	if transientCause(err) {
		return fmt.Errorf("features: %s: %w: %w", op, ErrTransient, err)
	}
	if redis.HasErrorPrefix(err, "SCCONFIG") {
		return fmt.Errorf("features: %s: %w: %w", op, ErrConfigMismatch, err)
	}
	return fmt.Errorf("features: %s: %w", op, err)
}

// isWrongType reports whether err is Redis' reply to a command on a key of
// another type. Redis 7 keeps the WRONGTYPE prefix when the command ran in
// a script; older servers and miniredis put it inside an ERR message.
func isWrongType(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && strings.Contains(re.Error(), "WRONGTYPE")
}

func transientCause(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, redis.ErrClosed) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, redis.ErrPoolTimeout) ||
		errors.Is(err, redis.ErrPoolExhausted) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	if _, ok := redis.IsMovedError(err); ok {
		return true
	}
	if _, ok := redis.IsAskError(err); ok {
		return true
	}
	return redis.IsLoadingError(err) || redis.IsReadOnlyError(err) || redis.IsClusterDownError(err) ||
		redis.IsTryAgainError(err) || redis.IsMasterDownError(err) || redis.IsMaxClientsError(err) ||
		redis.IsNoReplicasError(err) || redis.HasErrorPrefix(err, "BUSY")
}
