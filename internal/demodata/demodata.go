// Package demodata embeds ETTh1 from the Electricity Transformer Dataset
// (Zhou et al., "Informer: Beyond Efficient Transformer for Long Sequence
// Time-Series Forecasting", AAAI 2021; https://github.com/zhouhaoyi/ETDataset),
// licensed CC BY-ND 4.0 and therefore embedded byte-for-byte unmodified
// (checked against the shared original by a test). 17,420 hourly rows from
// 2016-07-01 to 2018-06-26: date, HUFL, HULL, MUFL, MULL, LUFL, LULL, OT.
//
// The pipeline's demo and benchmark replay it; tests about ETTh1 read it
// when the shared copy is absent (see internal/shareddata.ETTh1).
package demodata

import _ "embed"

//go:embed ETTh1.csv
var etth1 []byte

// ETTh1CSV returns the embedded ETTh1.csv. The slice is shared: callers
// must not modify it.
func ETTh1CSV() []byte { return etth1 }
