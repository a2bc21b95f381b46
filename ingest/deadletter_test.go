package ingest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/streamcast/streamcast/features"
)

func TestDeadLetterSend(t *testing.T) {
	brokers := newKafka(t, 1, "obs.dlq")
	dl, err := NewDeadLetter(DeadLetterConfig{Brokers: brokers, Topic: DeadLetterTopic("obs")})
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	var rs []Rejected
	var c JSONCodec
	for i, v := range []string{`nope`, `{"series":"a","ts":"x","value":1}`, `{"series":"a","ts":1795669200000,"value":"1"}`} {
		msg := kafka.Message{Topic: "obs", Partition: 4, Offset: int64(100 + i), Key: []byte(fmt.Sprint("k", i)), Value: []byte(v),
			Headers: []kafka.Header{{Key: "trace", Value: []byte("t" + strconv.Itoa(i))}}}
		var ob features.Observation
		p, ok := AsPoison(c.Decode(msg.Key, msg.Value, &ob))
		if !ok {
			t.Fatalf("%s accepted", v)
		}
		rs = append(rs, Rejected{Msg: msg, Reason: p.Reason, Detail: p.Detail})
	}
	if err := dl.Send(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	got := readPartition(t, brokers, "obs.dlq", 0)
	if len(got) != len(rs) {
		t.Fatalf("read %d dead letters, sent %d", len(got), len(rs))
	}
	for i, m := range got {
		want := rs[i]
		if string(m.Key) != string(want.Msg.Key) || string(m.Value) != string(want.Msg.Value) {
			t.Fatalf("dead letter %d: key/value %q/%q changed", i, m.Key, m.Value)
		}
		h := map[string]string{}
		for _, hd := range m.Headers {
			h[hd.Key] = string(hd.Value)
		}
		wantH := map[string]string{
			HeaderReason: want.Reason, HeaderDetail: want.Detail, HeaderSourceTopic: "obs",
			HeaderSourcePartition: "4", HeaderSourceOffset: strconv.Itoa(100 + i), "trace": "t" + strconv.Itoa(i),
		}
		for k, v := range wantH {
			if h[k] != v {
				t.Errorf("dead letter %d header %s = %q, want %q", i, k, h[k], v)
			}
		}
	}
	if got[0].Headers[1].Key != HeaderReason || string(got[0].Headers[1].Value) != ReasonNotJSON {
		t.Errorf("first dead letter headers %v", got[0].Headers)
	}
}

func TestDeadLetterErrors(t *testing.T) {
	if _, err := NewDeadLetter(DeadLetterConfig{Topic: "x"}); err == nil {
		t.Fatal("no brokers accepted")
	}
	if _, err := NewDeadLetter(DeadLetterConfig{Brokers: []string{"x:1"}, Topic: "x", WriteTimeout: -1}); err == nil {
		t.Fatal("negative timeout accepted")
	}
	brokers := newKafka(t, 1, "obs.dlq")
	dl, err := NewDeadLetter(DeadLetterConfig{Brokers: brokers, Topic: "obs.dlq"})
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	if err := dl.Send(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if err := dl.Send(context.Background(), []Rejected{{Msg: kafka.Message{Value: []byte("x")}}}); err == nil {
		t.Fatal("rejected without reason accepted")
	}
	missing, err := NewDeadLetter(DeadLetterConfig{Brokers: brokers, Topic: "nope.dlq", MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer missing.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = missing.Send(ctx, []Rejected{{Msg: kafka.Message{Value: []byte("x")}, Reason: ReasonNotJSON}})
	if err == nil || !(IsTransient(err) || errors.Is(err, context.DeadlineExceeded)) {
		t.Fatalf("missing DLQ topic: err = %v, want transient", err)
	}
}
