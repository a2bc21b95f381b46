package pipeline

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// EnvPrefix prefixes the environment variable of every flag:
// --input-topic ↔ STREAMCAST_INPUT_TOPIC.
const EnvPrefix = "STREAMCAST_"

// EnvName returns the environment variable for a flag name.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Environment variables carrying secrets; they have no flag on purpose.
const (
	EnvKafkaPassword = EnvPrefix + "KAFKA_PASSWORD"
	EnvRedisPassword = EnvPrefix + "REDIS_PASSWORD"
)

// listValue is a comma-separated string list flag.
type listValue struct{ p *[]string }

func (l listValue) String() string {
	if l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}

func (l listValue) Set(s string) error {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	*l.p = out
	return nil
}

// floatList is a comma-separated number list flag.
type floatList struct{ p *[]float64 }

func (l floatList) String() string {
	if l.p == nil {
		return ""
	}
	parts := make([]string, len(*l.p))
	for i, v := range *l.p {
		parts[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

func (l floatList) Set(s string) error {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", f)
		}
		out = append(out, v)
	}
	*l.p = out
	return nil
}

// RegisterFlags defines on fs one flag per Config field, with the current
// values of c as defaults. Call ApplyEnv after fs.Parse.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.Var(listValue{&c.Brokers}, "brokers", "Kafka bootstrap brokers, comma-separated `host:port,...`")
	fs.StringVar(&c.InputTopic, "input-topic", c.InputTopic, "topic of observations (JSON)")
	fs.StringVar(&c.OutputTopic, "output-topic", c.OutputTopic, "topic receiving forecasts (JSON, key = series)")
	fs.StringVar(&c.Compression, "compression", c.Compression, "compression of forecast batches: snappy, lz4, zstd, gzip, none")
	fs.StringVar(&c.DLQTopic, "dlq-topic", c.DLQTopic, "dead-letter topic (default <input-topic>.dlq)")
	fs.StringVar(&c.LateTopic, "late-topic", c.LateTopic, "side-output topic for late events, with the DLQ's headers and reason \"late\" (empty = count and drop)")
	fs.StringVar(&c.Group, "group", c.Group, "Kafka consumer group id")
	registerTLS(fs, "kafka-tls", &c.Kafka.TLS, "Kafka")
	fs.StringVar(&c.Kafka.SASLMechanism, "kafka-sasl-mechanism", c.Kafka.SASLMechanism, "Kafka SASL mechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (empty = none)")
	fs.StringVar(&c.Kafka.User, "kafka-user", c.Kafka.User, "Kafka SASL user")
	fs.StringVar(&c.Kafka.PasswordFile, "kafka-password-file", c.Kafka.PasswordFile, "file holding the Kafka SASL password (or env "+EnvKafkaPassword+")")

	c.registerRedisFlags(fs)

	fs.StringVar(&c.Model, "model", c.Model, "forecasting model: naive, snaive, or neural (or the file's kind, e.g. mlp) with --model-file")
	fs.StringVar(&c.ModelFile, "model-file", c.ModelFile, "trained network to serve with --model neural (from `streamcast train`)")
	fs.Var(listValue{&c.StepExog}, "step-exog", "message variables (`name,...` of the event's exog) kept at every step of the Redis history, for networks that read them as historical inputs; part of the stored layout")
	fs.StringVar(&c.StaticFile, "static-file", c.StaticFile, "static attributes per series (unique_id and numeric columns; CSV, JSON lines or Parquet) for networks with static inputs")
	fs.IntVar(&c.Season, "season", c.Season, "seasonal period of seasonal models, in steps")
	fs.IntVar(&c.Horizon, "horizon", c.Horizon, "forecast steps per event")
	fs.DurationVar(&c.Freq, "freq", c.Freq, "step between horizon timestamps (origin + j*freq)")
	fs.IntVar(&c.History, "history", c.History, "values kept per series in Redis")
	fs.IntVar(&c.StateCache, "state-cache", c.StateCache, "series whose state header and input window are cached in process")

	fs.StringVar(&c.HTTP, "http", c.HTTP, "listen address of /metrics /healthz /readyz /v1/forecast/ (empty = off)")
	fs.IntVar(&c.MaxBatch, "max-batch", c.MaxBatch, "max messages per partition batch")
	fs.DurationVar(&c.MaxWait, "max-wait", c.MaxWait, "max wait to fill a batch")
	fs.DurationVar(&c.CommitInterval, "commit-interval", c.CommitInterval, "minimum time between two offset commits of a partition (offsets are committed only after their batch is acknowledged)")
	fs.DurationVar(&c.SessionTimeout, "session-timeout", c.SessionTimeout, "consumer group session timeout")
	fs.DurationVar(&c.HeartbeatInterval, "heartbeat-interval", c.HeartbeatInterval, "consumer group heartbeat interval")
	fs.DurationVar(&c.RebalanceTimeout, "rebalance-timeout", c.RebalanceTimeout, "consumer group rebalance timeout")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "deadline for the graceful drain on SIGTERM")
	fs.DurationVar(&c.StartupTimeout, "startup-timeout", c.StartupTimeout, "deadline for start-up checks (brokers, Redis, scripts)")
	fs.DurationVar(&c.RetryMin, "retry-min", c.RetryMin, "first backoff after a transient failure")
	fs.DurationVar(&c.RetryMax, "retry-max", c.RetryMax, "max backoff after transient failures")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn, error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	c.Lifecycle.registerFlags(fs)
}

// registerRedisFlags defines the Redis connection flags and --key-prefix
// (shared by run and the model commands).
func (c *Config) registerRedisFlags(fs *flag.FlagSet) {
	fs.Var(listValue{&c.Redis}, "redis", "Redis `host:port,...`: one node, Cluster seed nodes, or Sentinels with --redis-master")
	fs.StringVar(&c.RedisMaster, "redis-master", c.RedisMaster, "Redis Sentinel master name (empty = no Sentinel)")
	fs.IntVar(&c.RedisDB, "redis-db", c.RedisDB, "Redis database number (not for Cluster)")
	fs.StringVar(&c.RedisAuth.User, "redis-user", c.RedisAuth.User, "Redis ACL user (empty = default user)")
	fs.StringVar(&c.RedisAuth.PasswordFile, "redis-password-file", c.RedisAuth.PasswordFile, "file holding the Redis password (or env "+EnvRedisPassword+")")
	registerTLS(fs, "redis-tls", &c.RedisAuth.TLS, "Redis")
	fs.StringVar(&c.KeyPrefix, "key-prefix", c.KeyPrefix, "prefix of every Redis key written")
}

func registerTLS(fs *flag.FlagSet, p string, t *TLSConfig, what string) {
	fs.BoolVar(&t.Enabled, p, t.Enabled, "use TLS towards "+what)
	fs.StringVar(&t.CAFile, p+"-ca", t.CAFile, what+" TLS: PEM CA bundle (default system roots)")
	fs.StringVar(&t.CertFile, p+"-cert", t.CertFile, what+" TLS: client certificate PEM (mutual TLS)")
	fs.StringVar(&t.KeyFile, p+"-key", t.KeyFile, what+" TLS: client key PEM (mutual TLS)")
	fs.StringVar(&t.ServerName, p+"-server-name", t.ServerName, what+" TLS: expected server name")
	fs.BoolVar(&t.InsecureSkipVerify, p+"-insecure-skip-verify", t.InsecureSkipVerify, what+" TLS: skip certificate verification (testing only)")
}

// ApplyEnv sets every flag that was not given on the command line from its
// STREAMCAST_<FLAG> environment variable, if present (precedence: flag >
// env > default). lookup is usually os.LookupEnv.
func ApplyEnv(fs *flag.FlagSet, lookup func(string) (string, bool)) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || set[f.Name] {
			return
		}
		if v, ok := lookup(EnvName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%w: env %s=%q: %w", ErrConfig, EnvName(f.Name), v, e)
			}
		}
	})
	return err
}

// usageWithEnv prints the synopsis and every flag with its env variable and
// default.
func usageWithEnv(fs *flag.FlagSet, w io.Writer, synopsis string, extraEnv ...string) {
	fmt.Fprintln(w, synopsis)
	fmt.Fprintln(w, "\nFlags (each also settable by the environment variable shown; flag wins):")
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	for _, n := range names {
		f := fs.Lookup(n)
		typ, usage := flag.UnquoteUsage(f)
		if typ == "" {
			typ = "bool"
		}
		def := f.DefValue
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(w, "  --%s %s\n      %s\n      env %s, default %s\n", n, typ, usage, EnvName(n), def)
	}
	if len(extraEnv) > 0 {
		fmt.Fprintln(w, "\nSecrets (environment only, never logged):")
		for _, e := range extraEnv {
			fmt.Fprintln(w, "  "+e)
		}
	}
}

// parseFlags parses args into fs, applies the environment and handles -h.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer, synopsis string, extraEnv ...string) error {
	fs.SetOutput(stderr)
	fs.Usage = func() { usageWithEnv(fs, stderr, synopsis, extraEnv...) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", ErrConfig, fs.Args())
	}
	return ApplyEnv(fs, os.LookupEnv)
}
