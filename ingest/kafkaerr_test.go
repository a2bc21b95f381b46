package ingest

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/segmentio/kafka-go"
)

// TestClassifyKafkaError is the taxonomy shared by the forecast sink and the
// dead-letter writer: errors a retry can cure are transient, errors that
// can never succeed (authorization, oversized records, invalid requests)
// are permanent, and the caller's cancellation is passed through.
func TestClassifyKafkaError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want ErrorClass
	}{
		{"nil", nil, ClassNone},
		{"canceled", context.Canceled, ClassCanceled},
		{"deadline", fmt.Errorf("write: %w", context.DeadlineExceeded), ClassCanceled},
		// transient: network, timeouts, leadership, replicas, throttling
		{"request timed out", kafka.RequestTimedOut, ClassTransient},
		{"network exception", kafka.NetworkException, ClassTransient},
		{"leader not available", kafka.LeaderNotAvailable, ClassTransient},
		{"not leader", kafka.NotLeaderForPartition, ClassTransient},
		{"not enough replicas", kafka.NotEnoughReplicas, ClassTransient},
		{"not enough replicas after append", kafka.NotEnoughReplicasAfterAppend, ClassTransient},
		{"unknown topic or partition", kafka.UnknownTopicOrPartition, ClassTransient},
		{"throttled", kafka.ThrottlingQuotaExceeded, ClassTransient},
		{"storage", kafka.KafkaStorageError, ClassTransient},
		{"corrupt message (crc)", kafka.InvalidMessage, ClassTransient},
		{"unknown server error", kafka.Unknown, ClassTransient},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, ClassTransient},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), ClassTransient},
		{"eof", io.EOF, ClassTransient},
		{"unexpected eof", io.ErrUnexpectedEOF, ClassTransient},
		{"write errors, transient", kafka.WriteErrors{nil, kafka.NotLeaderForPartition, kafka.RequestTimedOut}, ClassTransient},
		{"unrecognised", errors.New("something odd"), ClassTransient},
		// permanent: authorization and authentication
		{"topic authorization", kafka.TopicAuthorizationFailed, ClassPermanent},
		{"cluster authorization", kafka.ClusterAuthorizationFailed, ClassPermanent},
		{"group authorization", kafka.GroupAuthorizationFailed, ClassPermanent},
		{"transactional id authorization", kafka.TransactionalIDAuthorizationFailed, ClassPermanent},
		{"sasl authentication", kafka.SASLAuthenticationFailed, ClassPermanent},
		{"sasl mechanism", kafka.UnsupportedSASLMechanism, ClassPermanent},
		{"certificate", fmt.Errorf("dial: %w", x509.UnknownAuthorityError{}), ClassPermanent},
		// permanent: the record can never be accepted
		{"message size too large", kafka.MessageSizeTooLarge, ClassPermanent},
		{"record list too large", kafka.RecordListTooLarge, ClassPermanent},
		{"client-side message too large", kafka.MessageTooLargeError{}, ClassPermanent},
		{"invalid record", kafka.InvalidRecord, ClassPermanent},
		{"invalid timestamp", kafka.InvalidTimestamp, ClassPermanent},
		{"policy violation", kafka.PolicyViolation, ClassPermanent},
		{"invalid topic", kafka.InvalidTopic, ClassPermanent},
		{"invalid required acks", kafka.InvalidRequiredAcks, ClassPermanent},
		{"unsupported version", kafka.UnsupportedVersion, ClassPermanent},
		{"unsupported compression", kafka.UnsupportedCompressionType, ClassPermanent},
		{"write errors, one permanent", kafka.WriteErrors{kafka.RequestTimedOut, kafka.MessageSizeTooLarge}, ClassPermanent},
		{"wrapped permanent", fmt.Errorf("publish: %w", kafka.TopicAuthorizationFailed), ClassPermanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClassifyKafkaError(tt.err); got != tt.want {
				t.Fatalf("ClassifyKafkaError(%v) = %v, want %v", tt.err, got, tt.want)
			}
			wrapped := WrapKafkaError(tt.err)
			switch {
			case tt.err == nil:
				if wrapped != nil {
					t.Fatalf("WrapKafkaError(nil) = %v", wrapped)
				}
			case IsTransient(wrapped) != (tt.want == ClassTransient):
				t.Fatalf("WrapKafkaError(%v) transient = %v", tt.err, IsTransient(wrapped))
			case !errors.Is(wrapped, tt.err) && !strings.Contains(wrapped.Error(), tt.err.Error()):
				t.Fatalf("WrapKafkaError lost the cause: %v", wrapped)
			}
		})
	}
}

// TestDeadLetterPermanentError: a dead letter that can never be written
// (larger than a produce request may be) is a permanent error, not a
// transient one retried forever with the partition held up.
func TestDeadLetterPermanentError(t *testing.T) {
	d, err := NewDeadLetter(DeadLetterConfig{Brokers: []string{"127.0.0.1:1"}, Topic: "in.dlq"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	big := Rejected{Msg: kafka.Message{Topic: "in", Value: make([]byte, 2<<20)}, Reason: ReasonOversized}
	err = d.Send(context.Background(), []Rejected{big})
	if err == nil || IsTransient(err) || !errors.Is(err, kafka.MessageSizeTooLarge) {
		t.Fatalf("oversized dead letter: %v (transient %v), want a permanent message-too-large error", err, IsTransient(err))
	}
}
