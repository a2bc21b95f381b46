package pipeline

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/redis/go-redis/v9"

	"github.com/streamcast/streamcast/engine/cli"
)

// RedisConnector gives the `streamcast model` commands (engine/cli) the
// run command's Redis flags: --redis, --redis-master, --redis-db,
// --redis-user, --redis-password-file, --redis-tls*, --key-prefix, with
// their STREAMCAST_* variables and STREAMCAST_REDIS_PASSWORD.
type RedisConnector struct{ cfg Config }

var _ cli.RedisConnector = (*RedisConnector)(nil)

// NewRedisConnector starts from the run command's defaults.
func NewRedisConnector() *RedisConnector { return &RedisConnector{cfg: DefaultConfig()} }

// RegisterFlags implements cli.RedisConnector.
func (r *RedisConnector) RegisterFlags(fs *flag.FlagSet) { r.cfg.registerRedisFlags(fs) }

// KeyPrefix implements cli.RedisConnector.
func (r *RedisConnector) KeyPrefix() string { return r.cfg.KeyPrefix }

// Connect implements cli.RedisConnector.
func (r *RedisConnector) Connect(ctx context.Context) (redis.UniversalClient, error) {
	if err := r.cfg.LoadSecrets(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if len(r.cfg.Redis) == 0 {
		return nil, fmt.Errorf("%w: --redis: at least one address is required", ErrConfig)
	}
	return NewRedis(ctx, &r.cfg)
}

// ModelMain implements `streamcast model`.
func ModelMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return cli.ModelMain(ctx, args, stdout, stderr, NewRedisConnector())
}
