package pipeline

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/streamcast/streamcast/features"
)

// Config is the complete configuration of the streaming pipeline (the `run`
// command). Every field has a flag and a STREAMCAST_<FLAG> environment
// variable (see Flags); DefaultConfig documents the defaults. Secrets are
// never taken from command-line flags (they would show in `ps`): they come
// from STREAMCAST_KAFKA_PASSWORD / STREAMCAST_REDIS_PASSWORD or from the
// files named by --kafka-password-file / --redis-password-file, and String()
// redacts them.
type Config struct {
	// Brokers are the Kafka bootstrap addresses. Default: localhost:9092.
	Brokers []string
	// InputTopic carries observations (JSON). Default: "observations".
	InputTopic string
	// OutputTopic receives forecasts (JSON, key = series). Default: "forecasts".
	OutputTopic string
	// Compression of the forecast batches: snappy, lz4, zstd, gzip or none.
	// Default: snappy (forecast JSON compresses about 4x).
	Compression string
	// DLQTopic receives rejected messages. Default: "<input-topic>.dlq".
	DLQTopic string
	// LateTopic, if set, receives late events (event time not after the
	// series' last applied one) with the DLQ's headers and reason "late";
	// they are counted and skipped either way. Default: "" (no side output).
	LateTopic string
	// Group is the Kafka consumer group. Default: "streamcast".
	Group string
	// Kafka holds TLS and SASL settings for the brokers.
	Kafka KafkaSecurity

	// Redis is the Redis address list: one address for a single node,
	// several for a Cluster, or the Sentinel addresses with RedisMaster set
	// (go-redis UniversalClient rules). Default: 127.0.0.1:6379.
	Redis []string
	// RedisMaster is the Sentinel master name; empty = no Sentinel.
	RedisMaster string
	// RedisDB is the database number (single node / Sentinel only). Default: 0.
	RedisDB int
	// RedisAuth holds Redis AUTH (password or ACL user) and TLS.
	RedisAuth RedisSecurity
	// KeyPrefix prefixes every Redis key the pipeline writes. Default: "sc".
	KeyPrefix string

	// Model is the forecaster: a baseline registry name (naive, snaive),
	// or "neural" (or the file's model kind, e.g. "mlp") to serve the
	// trained network in ModelFile. Default: "snaive".
	Model string
	// ModelFile is the saved network served with --model neural (made by
	// `streamcast train`). Default: none.
	ModelFile string
	// StepExog lists the message variables (the "exog" object of an
	// event) kept at every step of the Redis history, so that a network can
	// read them as historical inputs over its window (its hist_exog_list
	// names them as the training file's columns). Part of the stored
	// layout: changing it makes existing states unusable, like History. An
	// event without a listed variable stores NaN, which the network reads
	// as the variable's previous value in its window (0 before any).
	// Default: none.
	StepExog []string
	// StaticFile is the static attributes of the series (NeuralForecast's
	// static_df: CSV, JSON lines or Parquet with unique_id and numeric
	// columns), read at start-up for networks with a stat_exog_list. An
	// event of a series without a row goes to the DLQ. Default: none.
	StaticFile string
	// Season is the seasonal period for seasonal models. Default: 24.
	Season int
	// Horizon is the number of steps forecast per event. Default: 24.
	Horizon int
	// Freq is the step between horizon timestamps: step j of a forecast
	// with origin t is at t + j·Freq. Default: 1h.
	Freq time.Duration
	// History is the number of values kept per series in Redis. Default: 1024.
	History int
	// StateCache bounds the series whose state header and input window are
	// cached in process (rounded up to a multiple of 64; a miss costs one
	// extra Redis read for that series). Default: 100000.
	StateCache int

	// HTTP is the listen address of /metrics, /healthz, /readyz and
	// /v1/forecast/{series}; empty disables the server. Default: ":9464".
	HTTP string
	// MaxBatch is the most messages handled per partition batch. Default:
	// 1000 (measured: fewer, larger batches cut the per-batch round trips and
	// CPU; at 5,000 events/s batches stay small, so latency is unaffected).
	MaxBatch int
	// MaxWait bounds how long a partial batch waits for more messages
	// after its first one (latency vs batch size). Default: 2ms.
	MaxWait time.Duration
	// CommitInterval is the minimum time between two offset commits of a
	// partition: offsets are committed only after their batch is fully
	// acknowledged, so this only bounds how much is handled again (as
	// duplicates) after a crash. Default: 100ms (a commit per batch cost
	// 17% of the CPU at 5,000 events/s, where batches hold ~5 messages).
	CommitInterval time.Duration
	// SessionTimeout of the consumer group (brokers require >= 6s by
	// default). Default: 10s.
	SessionTimeout time.Duration
	// HeartbeatInterval of the consumer group. Default: 1s.
	HeartbeatInterval time.Duration
	// RebalanceTimeout of the consumer group. Default: 10s.
	RebalanceTimeout time.Duration
	// ShutdownTimeout bounds the graceful drain after SIGTERM; keep it below
	// the orchestrator's grace period. Default: 25s.
	ShutdownTimeout time.Duration
	// RetryMin and RetryMax bound the exponential backoff of transient
	// failures (Redis or Kafka unavailable). Defaults: 50ms, 5s.
	RetryMin, RetryMax time.Duration
	// StartupTimeout bounds the start-up checks (broker metadata, Redis
	// PING, script load). Default: 15s.
	StartupTimeout time.Duration
	// LogLevel is debug, info, warn or error. Default: info.
	LogLevel string
	// LogFormat is text or json. Default: json.
	LogFormat string

	// Lifecycle configures the model registry, retraining, online
	// evaluation and alerts (see LifecycleConfig).
	Lifecycle LifecycleConfig
}

// KafkaSecurity configures TLS and SASL towards the Kafka brokers.
type KafkaSecurity struct {
	TLS TLSConfig
	// SASLMechanism is "" (none), "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512".
	SASLMechanism string
	// User is the SASL user name.
	User string
	// Password is the SASL password (env STREAMCAST_KAFKA_PASSWORD or
	// PasswordFile); never logged.
	Password string
	// PasswordFile, when set, is read at start-up into Password.
	PasswordFile string
}

// RedisSecurity configures Redis AUTH and TLS.
type RedisSecurity struct {
	TLS TLSConfig
	// User is the ACL user (Redis 6+); empty = the default user.
	User string
	// Password is the AUTH password (env STREAMCAST_REDIS_PASSWORD or
	// PasswordFile); never logged.
	Password string
	// PasswordFile, when set, is read at start-up into Password.
	PasswordFile string
}

// TLSConfig is a client TLS configuration.
type TLSConfig struct {
	// Enabled turns TLS on. Setting any other field implies it.
	Enabled bool
	// CAFile is a PEM bundle of trusted CAs; empty = system roots.
	CAFile string
	// CertFile and KeyFile are an optional client certificate (mutual TLS).
	CertFile, KeyFile string
	// ServerName overrides the name checked in the server certificate.
	ServerName string
	// InsecureSkipVerify disables certificate verification (testing only).
	InsecureSkipVerify bool
}

// On reports whether TLS is requested.
func (t TLSConfig) On() bool {
	return t.Enabled || t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != "" || t.InsecureSkipVerify
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Brokers:           []string{"localhost:9092"},
		InputTopic:        "observations",
		OutputTopic:       "forecasts",
		Compression:       "snappy",
		Group:             "streamcast",
		Redis:             []string{"127.0.0.1:6379"},
		KeyPrefix:         "sc",
		Model:             "snaive",
		Season:            24,
		Horizon:           24,
		Freq:              time.Hour,
		History:           1024,
		StateCache:        100_000,
		HTTP:              ":9464",
		MaxBatch:          1000,
		MaxWait:           2 * time.Millisecond,
		CommitInterval:    100 * time.Millisecond,
		SessionTimeout:    10 * time.Second,
		HeartbeatInterval: time.Second,
		RebalanceTimeout:  10 * time.Second,
		ShutdownTimeout:   25 * time.Second,
		RetryMin:          50 * time.Millisecond,
		RetryMax:          5 * time.Second,
		StartupTimeout:    15 * time.Second,
		LogLevel:          "info",
		LogFormat:         "json",
		Lifecycle:         defaultLifecycle(),
	}
}

// topics returns the topics the pipeline reads or writes.
func (c *Config) topics() []string {
	ts := []string{c.InputTopic, c.OutputTopic, c.dlqTopic()}
	if c.LateTopic != "" && c.LateTopic != c.dlqTopic() {
		ts = append(ts, c.LateTopic)
	}
	if c.Lifecycle.AlertTopic != "" {
		ts = append(ts, c.Lifecycle.AlertTopic)
	}
	return ts
}

// dlqTopic returns the effective dead-letter topic.
func (c *Config) dlqTopic() string {
	if c.DLQTopic != "" {
		return c.DLQTopic
	}
	return c.InputTopic + ".dlq"
}

// LoadSecrets fills empty passwords from STREAMCAST_KAFKA_PASSWORD and
// STREAMCAST_REDIS_PASSWORD, then reads the password files named in the
// configuration, if any: a file's content wins over the environment;
// trailing newlines are stripped.
func (c *Config) LoadSecrets() error {
	for _, s := range []struct {
		what string
		env  string
		file string
		dst  *string
	}{
		{"kafka password", EnvKafkaPassword, c.Kafka.PasswordFile, &c.Kafka.Password},
		{"redis password", EnvRedisPassword, c.RedisAuth.PasswordFile, &c.RedisAuth.Password},
	} {
		if v, ok := os.LookupEnv(s.env); ok && *s.dst == "" {
			*s.dst = v
		}
		if s.file == "" {
			continue
		}
		b, err := os.ReadFile(s.file)
		if err != nil {
			return fmt.Errorf("reading %s file: %w", s.what, err)
		}
		*s.dst = strings.TrimRight(string(b), "\r\n")
	}
	return nil
}

// ErrConfig marks configuration errors.
var ErrConfig = errors.New("invalid configuration")

// Validate reports every configuration problem at once, each as one line.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if len(c.Brokers) == 0 {
		bad("--brokers: at least one broker address is required")
	}
	for _, b := range c.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			bad("--brokers: %q is not host:port", b)
		}
	}
	if _, err := parseCompression(c.Compression); err != nil {
		bad("--compression: %v", err)
	}
	for _, t := range []struct{ flag, v string }{{"--input-topic", c.InputTopic}, {"--output-topic", c.OutputTopic}, {"--dlq-topic", c.dlqTopic()}} {
		if err := validTopic(t.v); err != nil {
			bad("%s: %v", t.flag, err)
		}
	}
	if c.InputTopic == c.OutputTopic || c.InputTopic == c.dlqTopic() {
		bad("--input-topic %q must differ from the output and DLQ topics", c.InputTopic)
	}
	if c.LateTopic != "" {
		if err := validTopic(c.LateTopic); err != nil {
			bad("--late-topic: %v", err)
		} else if c.LateTopic == c.InputTopic || c.LateTopic == c.OutputTopic {
			bad("--late-topic %q must differ from the input and output topics", c.LateTopic)
		}
	}
	if strings.TrimSpace(c.Group) == "" {
		bad("--group: a consumer group id is required")
	}
	switch strings.ToUpper(c.Kafka.SASLMechanism) {
	case "", "NONE":
		if c.Kafka.User != "" {
			bad("--kafka-user is set but --kafka-sasl-mechanism is empty (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)")
		}
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if c.Kafka.User == "" {
			bad("--kafka-sasl-mechanism %s needs --kafka-user", c.Kafka.SASLMechanism)
		}
		if c.Kafka.Password == "" {
			bad("--kafka-sasl-mechanism %s needs a password (STREAMCAST_KAFKA_PASSWORD or --kafka-password-file)", c.Kafka.SASLMechanism)
		}
	default:
		bad("--kafka-sasl-mechanism: %q is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512", c.Kafka.SASLMechanism)
	}
	validTLS("--kafka-tls", c.Kafka.TLS, bad)
	validTLS("--redis-tls", c.RedisAuth.TLS, bad)
	if len(c.Redis) == 0 {
		bad("--redis: at least one address is required")
	}
	for _, a := range c.Redis {
		if _, _, err := net.SplitHostPort(a); err != nil {
			bad("--redis: %q is not host:port", a)
		}
	}
	if c.RedisDB < 0 {
		bad("--redis-db: %d must be >= 0", c.RedisDB)
	}
	if c.RedisDB != 0 && len(c.Redis) > 1 && c.RedisMaster == "" {
		bad("--redis-db: Redis Cluster has only database 0")
	}
	if c.RedisAuth.User != "" && c.RedisAuth.Password == "" {
		bad("--redis-user needs a password (STREAMCAST_REDIS_PASSWORD or --redis-password-file)")
	}
	if c.KeyPrefix == "" || strings.ContainsAny(c.KeyPrefix, " {}") {
		bad("--key-prefix: %q must be non-empty without spaces or braces", c.KeyPrefix)
	}
	if strings.TrimSpace(c.Model) == "" {
		bad("--model: a model name is required")
	}
	if isNeuralKind(c.Model) && c.ModelFile == "" && c.Lifecycle.Registry == "" {
		bad("--model %s needs --model-file (a file made by `streamcast train`) or --registry", c.Model)
	}
	if c.ModelFile != "" && !isNeuralKind(c.Model) {
		bad("--model-file is served with --model neural (or the file's model kind), not --model %s", c.Model)
	}
	if c.ModelFile != "" {
		if st, err := os.Stat(c.ModelFile); err != nil {
			bad("--model-file: %v", err)
		} else if st.IsDir() {
			bad("--model-file: %s is a directory", c.ModelFile)
		}
	}
	if c.StaticFile != "" {
		if st, err := os.Stat(c.StaticFile); err != nil {
			bad("--static-file: %v", err)
		} else if st.IsDir() {
			bad("--static-file: %s is a directory", c.StaticFile)
		}
	}
	if len(c.StepExog) > features.MaxStepExog {
		bad("--step-exog: %d variables, at most %d", len(c.StepExog), features.MaxStepExog)
	}
	for i, n := range c.StepExog {
		if slices.Contains(c.StepExog[:i], n) {
			bad("--step-exog: %q listed twice", n)
		}
	}
	if c.Season < 1 {
		bad("--season: %d must be >= 1", c.Season)
	}
	if c.Horizon < 1 || c.Horizon > 10000 {
		bad("--horizon: %d must be in [1, 10000]", c.Horizon)
	}
	if c.Freq <= 0 {
		bad("--freq: %v must be > 0", c.Freq)
	}
	if c.History < 2 {
		bad("--history: %d must be >= 2", c.History)
	}
	if c.StateCache < 1 {
		bad("--state-cache: %d must be >= 1", c.StateCache)
	}
	if c.HTTP != "" {
		if _, _, err := net.SplitHostPort(c.HTTP); err != nil {
			bad("--http: %q is not host:port (use :9464 for all interfaces)", c.HTTP)
		}
	}
	if c.MaxBatch < 1 {
		bad("--max-batch: %d must be >= 1", c.MaxBatch)
	}
	if c.MaxWait <= 0 {
		bad("--max-wait: %v must be > 0", c.MaxWait)
	}
	if c.CommitInterval <= 0 || c.CommitInterval > time.Minute {
		bad("--commit-interval: %v must be in (0, 1m]", c.CommitInterval)
	}
	if c.SessionTimeout <= 0 || c.HeartbeatInterval <= 0 || c.RebalanceTimeout <= 0 {
		bad("--session-timeout, --heartbeat-interval and --rebalance-timeout must be > 0")
	} else if c.HeartbeatInterval >= c.SessionTimeout {
		bad("--heartbeat-interval %v must be shorter than --session-timeout %v", c.HeartbeatInterval, c.SessionTimeout)
	}
	if c.ShutdownTimeout <= 0 {
		bad("--shutdown-timeout: %v must be > 0", c.ShutdownTimeout)
	}
	if c.StartupTimeout <= 0 {
		bad("--startup-timeout: %v must be > 0", c.StartupTimeout)
	}
	if c.RetryMin <= 0 || c.RetryMax < c.RetryMin {
		bad("--retry-min %v must be > 0 and <= --retry-max %v", c.RetryMin, c.RetryMax)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		bad("--log-level: %q is not debug, info, warn or error", c.LogLevel)
	}
	switch strings.ToLower(c.LogFormat) {
	case "text", "json":
	default:
		bad("--log-format: %q is not text or json", c.LogFormat)
	}
	c.Lifecycle.validate(c, bad)
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w:\n  %w", ErrConfig, joinLines(errs))
}

func validTLS(flag string, t TLSConfig, bad func(string, ...any)) {
	if (t.CertFile == "") != (t.KeyFile == "") {
		bad("%s-cert and %s-key must be given together", flag, flag)
	}
	for _, f := range []string{t.CAFile, t.CertFile, t.KeyFile} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			bad("%s: %v", flag, err)
		}
	}
}

// validTopic applies Kafka's topic name rules.
func validTopic(t string) error {
	if t == "" {
		return errors.New("topic name is empty")
	}
	if len(t) > 249 {
		return fmt.Errorf("topic name %q longer than 249 characters", t)
	}
	if t == "." || t == ".." {
		return fmt.Errorf("topic name %q is not allowed", t)
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("topic name %q has invalid character %q (allowed: letters, digits, . _ -)", t, r)
		}
	}
	return nil
}

type lineErrs []error

func (l lineErrs) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n  ")
}

func (l lineErrs) Unwrap() []error { return l }

func joinLines(errs []error) error { return lineErrs(errs) }

// String renders the configuration for logs with secrets redacted.
func (c Config) String() string {
	redact := func(s string) string {
		if s == "" {
			return ""
		}
		return "REDACTED"
	}
	c.Kafka.Password = redact(c.Kafka.Password)
	c.RedisAuth.Password = redact(c.RedisAuth.Password)
	type plain Config // drop the String method to avoid recursion
	return fmt.Sprintf("%+v", plain(c))
}

func errConfigf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, a...))
}

// parseCompression maps a --compression value to kafka-go's codec; 0 with
// none.
func parseCompression(s string) (kafka.Compression, error) {
	switch s {
	case "snappy":
		return kafka.Snappy, nil
	case "lz4":
		return kafka.Lz4, nil
	case "zstd":
		return kafka.Zstd, nil
	case "gzip":
		return kafka.Gzip, nil
	case "none":
		return 0, nil
	}
	return 0, fmt.Errorf("%q is not one of snappy, lz4, zstd, gzip, none", s)
}
