package pipeline

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// BuildTLS turns a TLSConfig into a *tls.Config (nil when TLS is off).
func BuildTLS(t TLSConfig) (*tls.Config, error) {
	if !t.On() {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // opt-in flag
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading TLS CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA file %s: no PEM certificates found", t.CAFile)
		}
		c.RootCAs = pool
	}
	if t.CertFile != "" || t.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading TLS client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// BuildSASL returns the kafka-go SASL mechanism (nil when none).
func BuildSASL(k KafkaSecurity) (sasl.Mechanism, error) {
	switch strings.ToUpper(k.SASLMechanism) {
	case "", "NONE":
		return nil, nil
	case "PLAIN":
		return plain.Mechanism{Username: k.User, Password: k.Password}, nil
	case "SCRAM-SHA-256":
		m, err := scram.Mechanism(scram.SHA256, k.User, k.Password)
		if err != nil {
			return nil, fmt.Errorf("SCRAM-SHA-256: %w", err)
		}
		return m, nil
	case "SCRAM-SHA-512":
		m, err := scram.Mechanism(scram.SHA512, k.User, k.Password)
		if err != nil {
			return nil, fmt.Errorf("SCRAM-SHA-512: %w", err)
		}
		return m, nil
	default:
		return nil, fmt.Errorf("%w: unknown SASL mechanism %q", ErrConfig, k.SASLMechanism)
	}
}

// KafkaClients bundles the connection settings every Kafka client of the
// pipeline shares. Each Writer or Client must get its own Transport (see
// NewTransport): kafka-go pools connections per Transport.
type KafkaClients struct {
	Brokers []string
	TLS     *tls.Config
	SASL    sasl.Mechanism
}

// NewKafkaClients builds the shared TLS/SASL settings from cfg.
func NewKafkaClients(cfg *Config) (*KafkaClients, error) {
	t, err := BuildTLS(cfg.Kafka.TLS)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	m, err := BuildSASL(cfg.Kafka)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	return &KafkaClients{Brokers: cfg.Brokers, TLS: t, SASL: m}, nil
}

// Dialer returns a Dialer (consumer group, readers) with TLS and SASL.
func (k *KafkaClients) Dialer() *kafka.Dialer {
	return &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: k.TLS, SASLMechanism: k.SASL, ClientID: "streamcast"}
}

// NewTransport returns a fresh Transport (writers, admin client) with TLS
// and SASL.
func (k *KafkaClients) NewTransport() *kafka.Transport {
	return &kafka.Transport{DialTimeout: 10 * time.Second, TLS: k.TLS, SASL: k.SASL, ClientID: "streamcast"}
}

// Check connects to the brokers and fetches metadata for the given topics,
// so wrong addresses, TLS or SASL credentials, and missing topics fail at
// start-up with a clear error instead of a silent retry loop.
func (k *KafkaClients) Check(ctx context.Context, topics ...string) error {
	// Dial one broker first: the Dialer performs the TLS and SASL handshakes
	// itself, so an authentication failure surfaces here and not as an
	// opaque EOF of a later request.
	conn, err := k.Dialer().DialContext(ctx, "tcp", k.Brokers[0])
	if err != nil {
		return fmt.Errorf("kafka broker %s: %w", k.Brokers[0], k.explainDialErr(err))
	}
	conn.Close()
	tr := k.NewTransport()
	defer tr.CloseIdleConnections()
	cl := &kafka.Client{Addr: kafka.TCP(k.Brokers...), Transport: tr, Timeout: 10 * time.Second}
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return fmt.Errorf("kafka brokers %s: %w", strings.Join(k.Brokers, ","), explainKafkaErr(err))
	}
	var missing []string
	for _, t := range md.Topics {
		if t.Error != nil {
			missing = append(missing, fmt.Sprintf("%s (%v)", t.Name, t.Error))
		} else if len(t.Partitions) == 0 {
			missing = append(missing, t.Name+" (no partitions)")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("kafka topics not usable: %s", strings.Join(missing, ", "))
	}
	return nil
}

// explainDialErr classifies a failed dial: a TCP connect failure is
// reported as is; with SASL on, a connection the broker closed (or refused
// with a SASL error code) during the handshake means bad credentials.
func (k *KafkaClients) explainDialErr(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return err
	}
	if k.SASL != nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)) {
		return fmt.Errorf("authentication failed: the broker closed the connection during SASL %s (check --kafka-sasl-mechanism, --kafka-user and the password): %w", k.SASL.Name(), err)
	}
	return explainKafkaErr(err)
}

// explainKafkaErr adds a hint to authentication failures.
func explainKafkaErr(err error) error {
	var ke kafka.Error
	if errors.As(err, &ke) && (ke == kafka.SASLAuthenticationFailed || ke == kafka.UnsupportedSASLMechanism || ke == kafka.IllegalSASLState) {
		return fmt.Errorf("authentication failed (check --kafka-sasl-mechanism, --kafka-user and the password): %w", err)
	}
	return err
}

// RedisOptions builds go-redis UniversalOptions (single node, Cluster, or
// Sentinel) with AUTH and TLS from cfg.
func RedisOptions(cfg *Config) (*redis.UniversalOptions, error) {
	t, err := BuildTLS(cfg.RedisAuth.TLS)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	return &redis.UniversalOptions{
		Addrs:        cfg.Redis,
		MasterName:   cfg.RedisMaster,
		DB:           cfg.RedisDB,
		Username:     cfg.RedisAuth.User,
		Password:     cfg.RedisAuth.Password,
		TLSConfig:    t,
		DialTimeout:  3 * time.Second,
		ReadTimeout:  3 * time.Second,
		WriteTimeout: 3 * time.Second,
		PoolSize:     32,
		// Retries are done by the pipeline with its own backoff and without
		// committing, so keep the client's own retries short.
		MaxRetries:      1,
		MinRetryBackoff: 8 * time.Millisecond,
		MaxRetryBackoff: 64 * time.Millisecond,
	}, nil
}

// NewRedis connects a UniversalClient and checks it with PING, so wrong
// addresses or credentials fail at start-up.
func NewRedis(ctx context.Context, cfg *Config) (redis.UniversalClient, error) {
	opt, err := RedisOptions(cfg)
	if err != nil {
		return nil, err
	}
	rdb := redis.NewUniversalClient(opt)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis %s: %w", strings.Join(cfg.Redis, ","), explainRedisErr(err))
	}
	return rdb, nil
}

func explainRedisErr(err error) error {
	s := err.Error()
	if strings.Contains(s, "NOAUTH") || strings.Contains(s, "WRONGPASS") || strings.Contains(s, "invalid password") || strings.Contains(s, "invalid username-password") {
		return fmt.Errorf("authentication failed (check --redis-user and the password): %w", err)
	}
	return err
}
