package ingest_test

import (
	"fmt"

	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/ingest"
)

func ExampleJSONCodec() {
	var codec ingest.JSONCodec // zero value: documented defaults
	var ob features.Observation
	err := codec.Decode([]byte("meter-17"),
		[]byte(`{"series":"meter-17","ts":"2026-11-26T05:00:00Z","value":123.4,"exog":{"temp":3.2}}`), &ob)
	fmt.Println(ob.Series, ob.TS, ob.Value, ob.Exog["temp"], err)

	// Bad input is a *PoisonError with a machine-readable reason, destined
	// for the dead-letter topic.
	err = codec.Decode(nil, []byte(`{"series":"meter-17","ts":"2026-11-26T05:00:00Z","value":"high"}`), &ob)
	if p, ok := ingest.AsPoison(err); ok {
		fmt.Println(p.Reason)
	}
	// Output:
	// meter-17 2026-11-26 05:00:00 +0000 UTC 123.4 3.2 <nil>
	// value_not_number
}
