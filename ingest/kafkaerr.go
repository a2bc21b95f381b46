package ingest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"

	"github.com/segmentio/kafka-go"
)

// ErrorClass is the retry class of a Kafka client error.
type ErrorClass uint8

const (
	// ClassNone: no error.
	ClassNone ErrorClass = iota
	// ClassTransient: a retry may succeed (network errors, timeouts,
	// leader elections, too few in-sync replicas, throttling, and any error
	// not known to be permanent).
	ClassTransient
	// ClassPermanent: retrying cannot succeed (authorization or
	// authentication refused, an untrusted certificate, a record or request
	// the broker can never accept: too large, invalid, against policy).
	ClassPermanent
	// ClassCanceled: the caller's context ended; neither retried nor a
	// failure of Kafka.
	ClassCanceled
)

func (c ErrorClass) String() string {
	switch c {
	case ClassNone:
		return "none"
	case ClassTransient:
		return "transient"
	case ClassPermanent:
		return "permanent"
	case ClassCanceled:
		return "canceled"
	}
	return "class(?)"
}

// permanentKafkaCodes are the broker error codes that no retry can cure.
var permanentKafkaCodes = [...]kafka.Error{
	// authorization and authentication
	kafka.TopicAuthorizationFailed, kafka.GroupAuthorizationFailed, kafka.ClusterAuthorizationFailed,
	kafka.TransactionalIDAuthorizationFailed, kafka.BrokerAuthorizationFailed,
	kafka.DelegationTokenAuthorizationFailed, kafka.SASLAuthenticationFailed,
	kafka.UnsupportedSASLMechanism, kafka.IllegalSASLState,
	// records the broker never accepts (kafka.MessageTooLargeError, the
	// writer's own size check, unwraps to MessageSizeTooLarge)
	kafka.MessageSizeTooLarge, kafka.RecordListTooLarge, kafka.InvalidRecord, kafka.InvalidTimestamp,
	kafka.PolicyViolation, kafka.UnsupportedForMessageFormat, kafka.UnsupportedCompressionType,
	// requests that are wrong by construction
	kafka.InvalidTopic, kafka.InvalidRequiredAcks, kafka.InvalidRequest, kafka.UnsupportedVersion,
}

// ClassifyKafkaError returns the retry class of err, an error of a kafka-go
// Writer or Reader (or anything wrapping one). A kafka.WriteErrors is
// permanent if any of its messages failed permanently: retrying the batch
// would fail again. Used by the forecast sink and DeadLetter alike, so
// that one broker answer means the same everywhere.
func ClassifyKafkaError(err error) ErrorClass {
	if err == nil {
		return ClassNone
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ClassCanceled
	}
	var we kafka.WriteErrors
	if errors.As(err, &we) {
		for _, e := range we {
			if e != nil && permanentKafka(e) {
				return ClassPermanent
			}
		}
		return ClassTransient
	}
	if permanentKafka(err) {
		return ClassPermanent
	}
	return ClassTransient
}

func permanentKafka(err error) bool {
	for _, code := range permanentKafkaCodes {
		if errors.Is(err, code) {
			return true
		}
	}
	var (
		unknownCA   x509.UnknownAuthorityError
		invalidCert x509.CertificateInvalidError
		hostname    x509.HostnameError
		verify      *tls.CertificateVerificationError
	)
	return errors.As(err, &unknownCA) || errors.As(err, &invalidCert) || errors.As(err, &hostname) || errors.As(err, &verify)
}

// WrapKafkaError marks err with ErrTransient when ClassifyKafkaError says
// a retry may succeed, and returns it unchanged otherwise (nil stays nil).
func WrapKafkaError(err error) error {
	if ClassifyKafkaError(err) == ClassTransient {
		return Transient(err)
	}
	return err
}
