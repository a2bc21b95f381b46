package pipeline

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigValid(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if got := c.dlqTopic(); got != "observations.dlq" {
		t.Fatalf("default DLQ topic = %q", got)
	}
}

func TestConfigValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		mod  func(*Config)
		want string // substring of the error
	}{
		"no brokers":        {func(c *Config) { c.Brokers = nil }, "--brokers"},
		"broker no port":    {func(c *Config) { c.Brokers = []string{"kafka"} }, "not host:port"},
		"bad topic":         {func(c *Config) { c.InputTopic = "a b" }, "invalid character"},
		"same topics":       {func(c *Config) { c.OutputTopic = c.InputTopic }, "must differ"},
		"empty group":       {func(c *Config) { c.Group = " " }, "--group"},
		"unknown sasl":      {func(c *Config) { c.Kafka.SASLMechanism = "GSSAPI" }, "GSSAPI"},
		"sasl no user":      {func(c *Config) { c.Kafka.SASLMechanism = "PLAIN"; c.Kafka.Password = "p" }, "--kafka-user"},
		"sasl no password":  {func(c *Config) { c.Kafka.SASLMechanism = "SCRAM-SHA-512"; c.Kafka.User = "u" }, "STREAMCAST_KAFKA_PASSWORD"},
		"user without sasl": {func(c *Config) { c.Kafka.User = "u" }, "--kafka-sasl-mechanism is empty"},
		"cert without key":  {func(c *Config) { c.Kafka.TLS.CertFile = "/x" }, "given together"},
		"missing ca":        {func(c *Config) { c.RedisAuth.TLS.CAFile = "/nonexistent/ca.pem" }, "--redis-tls"},
		"redis user no pw":  {func(c *Config) { c.RedisAuth.User = "svc" }, "--redis-user"},
		"cluster db":        {func(c *Config) { c.Redis = []string{"a:1", "b:2"}; c.RedisDB = 2 }, "Cluster"},
		"horizon":           {func(c *Config) { c.Horizon = 0 }, "--horizon"},
		"freq":              {func(c *Config) { c.Freq = 0 }, "--freq"},
		"http":              {func(c *Config) { c.HTTP = "9464" }, "--http"},
		"heartbeat":         {func(c *Config) { c.HeartbeatInterval = c.SessionTimeout }, "--heartbeat-interval"},
		"retry":             {func(c *Config) { c.RetryMax = c.RetryMin / 2 }, "--retry-min"},
		"log level":         {func(c *Config) { c.LogLevel = "loud" }, "--log-level"},
		"key prefix":        {func(c *Config) { c.KeyPrefix = "a{b}" }, "--key-prefix"},
		"compression":       {func(c *Config) { c.Compression = "brotli" }, "--compression"},
		"late topic":        {func(c *Config) { c.LateTopic = c.OutputTopic }, "--late-topic"},
		"late topic name":   {func(c *Config) { c.LateTopic = "a b" }, "--late-topic"},
		"commit interval":   {func(c *Config) { c.CommitInterval = 0 }, "--commit-interval"},
		"state cache":       {func(c *Config) { c.StateCache = 0 }, "--state-cache"},
	} {
		t.Run(name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestFlagsEnvPrecedence(t *testing.T) {
	c := DefaultConfig()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	c.RegisterFlags(fs)
	if err := fs.Parse([]string{"--group", "from-flag"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"STREAMCAST_GROUP":       "from-env", // loses to the flag
		"STREAMCAST_BROKERS":     "k1:9092, k2:9092",
		"STREAMCAST_HORIZON":     "12",
		"STREAMCAST_KAFKA_TLS":   "true",
		"STREAMCAST_MAX_WAIT":    "7ms",
		"STREAMCAST_INPUT_TOPIC": "obs",
	}
	if err := ApplyEnv(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if c.Group != "from-flag" || c.Horizon != 12 || !c.Kafka.TLS.Enabled || c.MaxWait != 7*time.Millisecond ||
		strings.Join(c.Brokers, "|") != "k1:9092|k2:9092" || c.InputTopic != "obs" {
		t.Fatalf("unexpected config: %v", c)
	}
	bad := func(k string) (string, bool) {
		if k == "STREAMCAST_HORIZON" {
			return "many", true
		}
		return "", false
	}
	fs2 := flag.NewFlagSet("run", flag.ContinueOnError)
	c2 := DefaultConfig()
	c2.RegisterFlags(fs2)
	_ = fs2.Parse(nil)
	if err := ApplyEnv(fs2, bad); err == nil || !strings.Contains(err.Error(), "STREAMCAST_HORIZON") {
		t.Fatalf("bad env not reported: %v", err)
	}
}

func TestUsageListsEveryFlagWithEnv(t *testing.T) {
	c := DefaultConfig()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	c.RegisterFlags(fs)
	var buf bytes.Buffer
	usageWithEnv(fs, &buf, "usage: streamcast run", EnvKafkaPassword)
	out := buf.String()
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(out, "--"+f.Name+" ") || !strings.Contains(out, EnvName(f.Name)) {
			t.Errorf("usage misses --%s or %s", f.Name, EnvName(f.Name))
		}
	})
	if !strings.Contains(out, "default 127.0.0.1:6379") {
		t.Errorf("usage misses the redis default:\n%s", out)
	}
}

func TestSecretsFromFilesAndRedaction(t *testing.T) {
	dir := t.TempDir()
	kf := filepath.Join(dir, "kafka")
	rf := filepath.Join(dir, "redis")
	if err := os.WriteFile(kf, []byte("k-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rf, []byte("r-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.Kafka = KafkaSecurity{SASLMechanism: "PLAIN", User: "u", PasswordFile: kf}
	c.RedisAuth.PasswordFile = rf
	if err := c.LoadSecrets(); err != nil {
		t.Fatal(err)
	}
	if c.Kafka.Password != "k-secret" || c.RedisAuth.Password != "r-secret" {
		t.Fatalf("secrets not loaded: %q %q", c.Kafka.Password, c.RedisAuth.Password)
	}
	s := c.String()
	if strings.Contains(s, "k-secret") || strings.Contains(s, "r-secret") || !strings.Contains(s, "REDACTED") {
		t.Fatalf("String() does not redact: %s", s)
	}
	t.Setenv(EnvKafkaPassword, "env-k")
	t.Setenv(EnvRedisPassword, "env-r")
	c2 := DefaultConfig()
	c2.RedisAuth.PasswordFile = rf
	if err := c2.LoadSecrets(); err != nil {
		t.Fatal(err)
	}
	if c2.Kafka.Password != "env-k" || c2.RedisAuth.Password != "r-secret" {
		t.Fatalf("env/file precedence: %q %q", c2.Kafka.Password, c2.RedisAuth.Password)
	}
	c.Kafka.PasswordFile = filepath.Join(dir, "absent")
	if err := c.LoadSecrets(); err == nil {
		t.Fatal("missing password file accepted")
	}
}
