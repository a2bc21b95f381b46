package pipeline

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/streamcast/streamcast/internal/testenv"
	"github.com/streamcast/streamcast/pipeline/devkafka"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key to
// dir and returns the paths and the server tls.Config.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, srv *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "streamcast-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
}

// TestKafkaTLS: a TLS-only kfake accepts a client trusting its CA and
// rejects one using the system roots.
func TestKafkaTLS(t *testing.T) {
	certFile, _, srv := selfSigned(t, t.TempDir())
	cl, err := devkafka.Start(devkafka.Options{Topics: []string{"in"}, Partitions: 1, TLS: srv})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	cfg := DefaultConfig()
	cfg.Brokers = cl.Addrs()
	cfg.Kafka.TLS = TLSConfig{CAFile: certFile}
	kc, err := NewKafkaClients(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := kc.Check(ctx, "in"); err != nil {
		t.Fatalf("TLS with the right CA: %v", err)
	}
	w := &kafka.Writer{Addr: kafka.TCP(cl.Addrs()...), Topic: "in", Transport: kc.NewTransport(), RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	defer w.Close()
	if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("x")}); err != nil {
		t.Fatalf("produce over TLS: %v", err)
	}

	cfg.Kafka.TLS = TLSConfig{Enabled: true} // system roots: unknown authority
	kc2, _ := NewKafkaClients(&cfg)
	if err := kc2.Check(ctx, "in"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted certificate accepted or unclear error: %v", err)
	}
}

// TestRedisTLS: a TLS-only redis-server with requirepass works with the CA
// and the password.
func TestRedisTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir)
	testenv.RedisServer(t)
	tlsPort := strings.Split(freeAddr(t), ":")[1]
	// The helper's plain port is unused but keeps its readiness probe; TLS
	// clients use tls-port.
	plain := startRedisServer(t, "--tls-port", tlsPort, "--tls-cert-file", certFile, "--tls-key-file", keyFile,
		"--tls-ca-cert-file", certFile, "--tls-auth-clients", "no", "--requirepass", "pw")
	_ = plain
	addr := "127.0.0.1:" + tlsPort
	ctx := context.Background()
	cfg := DefaultConfig()
	cfg.Redis = []string{addr}
	cfg.RedisAuth = RedisSecurity{Password: "pw", TLS: TLSConfig{CAFile: certFile}}
	var rdbErr error
	for i := 0; i < 50; i++ { // the TLS listener may come up just after the plain one
		rdb, err := NewRedis(ctx, &cfg)
		if rdbErr = err; err == nil {
			rdb.Close()
			break
		}
		if strings.Contains(err.Error(), "server gave HTTP response") || strings.Contains(err.Error(), "tls: unknown") {
			testenv.NoRedis(t, "redis-server built without TLS: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if rdbErr != nil {
		t.Fatalf("TLS + AUTH: %v", rdbErr)
	}
	cfg.RedisAuth.TLS = TLSConfig{}
	if rdb, err := NewRedis(ctx, &cfg); err == nil {
		rdb.Close()
		t.Fatal(fmt.Errorf("plain-text connection to the TLS port succeeded"))
	}
}
