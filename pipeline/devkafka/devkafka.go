// Package devkafka wraps the in-process Kafka cluster kfake (a fake broker
// that speaks the real Kafka wire protocol) used by the demo, the pipeline
// benchmark and the tests. kfake is published only as pseudo-versions, so
// every use goes through this one file.
package devkafka

import (
	"crypto/tls"
	"fmt"
	"io"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Options configures an embedded cluster. Zero values mean defaults.
type Options struct {
	// Brokers is the number of brokers. Default: 1.
	Brokers int
	// Partitions of every seeded topic. Default: 6.
	Partitions int
	// Topics are created at start-up.
	Topics []string
	// MinSessionTimeout lowers the group session timeout floor (Kafka's
	// group.min.session.timeout.ms, 6 s by default) so tests can use short
	// timeouts. Default: 6s.
	MinSessionTimeout time.Duration
	// SASL enables SASL authentication with the given users; every user is
	// a superuser.
	SASL []User
	// Port pins the listen port of a single broker (0 = random).
	Port int
	// Log receives broker warnings; nil = discard.
	Log io.Writer
	// TLS, if set, makes the brokers listen with TLS only.
	TLS *tls.Config
}

// User is one SASL credential. Mechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512.
type User struct{ Mechanism, Name, Password string }

// Cluster is a running embedded Kafka cluster.
type Cluster struct {
	c *kfake.Cluster
}

// Start starts a cluster.
func Start(o Options) (*Cluster, error) {
	if o.Brokers <= 0 {
		o.Brokers = 1
	}
	if o.Partitions <= 0 {
		o.Partitions = 6
	}
	opts := []kfake.Opt{kfake.NumBrokers(o.Brokers)}
	if len(o.Topics) > 0 {
		opts = append(opts, kfake.SeedTopics(int32(o.Partitions), o.Topics...))
	}
	if o.MinSessionTimeout > 0 {
		opts = append(opts, kfake.GroupMinSessionTimeout(o.MinSessionTimeout))
	}
	if len(o.SASL) > 0 {
		opts = append(opts, kfake.EnableSASL())
		for _, u := range o.SASL {
			opts = append(opts, kfake.Superuser(u.Mechanism, u.Name, u.Password))
		}
	}
	if o.Port > 0 {
		if o.Brokers != 1 {
			return nil, fmt.Errorf("devkafka: Port needs exactly one broker, got %d", o.Brokers)
		}
		opts = append(opts, kfake.Ports(o.Port))
	}
	if o.TLS != nil {
		opts = append(opts, kfake.TLS(o.TLS))
	}
	if o.Log != nil {
		opts = append(opts, kfake.WithLogger(kfake.BasicLogger(o.Log, kfake.LogLevelWarn)))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("devkafka: starting kfake: %w", err)
	}
	return &Cluster{c: c}, nil
}

// Addrs are the brokers' host:port addresses.
func (c *Cluster) Addrs() []string { return c.c.ListenAddrs() }

// Close stops the cluster.
func (c *Cluster) Close() { c.c.Close() }
