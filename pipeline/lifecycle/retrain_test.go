package lifecycle

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/registry"
)

func TestRetrainPromotesBetterChallenger(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.writeHistories(t, 8, 0, 240)
	v1 := e.seed(t, tinyModel(t, 1)) // untrained: any training beats it
	r := e.retrainer(t, RetrainConfig{Steps: 150}, InProcess{})
	reg := prometheus.NewRegistry()
	m, _ := NewRetrainMetrics(reg)
	r.metrics = m
	out := r.RetrainOnce(ctx, "manual", true)
	if out.Result != "promoted" || out.Parent != v1.Version || out.Version != v1.Version+1 || out.Err != nil {
		t.Fatalf("outcome %+v", out)
	}
	sc := out.Scores
	if sc.Windows != 8 || !(sc.MAE < sc.ParentMAE) || !(sc.SMAPE < sc.ParentSMAPE) {
		t.Fatalf("scores %+v", sc)
	}
	ls := checkConsistent(t, e.reg)
	if ls.Current != out.Version {
		t.Fatalf("current %d", ls.Current)
	}
	meta, err := e.reg.Meta(ctx, out.Version)
	if err != nil {
		t.Fatal(err)
	}
	// Training data: steps 0..233 (the last 6 held out) of every series.
	if meta.Parent != v1.Version || meta.Steps != 150 || meta.Series != 8 || meta.Scores == nil ||
		!meta.DataFrom.Equal(tStart) || !meta.DataTo.Equal(tStart.Add(233*time.Hour)) || meta.Trainer == "" {
		t.Fatalf("meta %+v", meta)
	}
	// The promoted model scores as recorded on the hold-out.
	l, _, _ := e.reg.Load(ctx, out.Version)
	names, _ := (&RedisHistories{Store: e.store, Redis: e.rdb}).Series(ctx)
	ds, err := BuildDataset(ctx, &RedisHistories{Store: e.store, Redis: e.rdb}, names, 0, 1, l.Model.Common(), 24, 1, Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := PlainServe(l.Model, meta.VersionString())
	mae, _, err := Score(f, ds, 6)
	if err != nil || math.Abs(mae-sc.MAE) > 1e-9 {
		t.Fatalf("re-scored MAE %v, recorded %v (%v)", mae, sc.MAE, err)
	}
	if n, p, j := r.Counts(); n != 1 || p != 1 || j != 0 {
		t.Fatalf("counts %d %d %d", n, p, j)
	}
	if v := testutil.ToFloat64(m.Promotions); v != 1 {
		t.Fatalf("promotions metric %v", v)
	}
}

func TestRetrainRejectsWorseChallenger(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.writeHistories(t, 8, 0, 240)
	e.seed(t, tinyModel(t, 1))
	// Train a good champion first.
	good := e.retrainer(t, RetrainConfig{Steps: 300}, InProcess{})
	if out := good.RetrainOnce(ctx, "manual", true); out.Result != "promoted" {
		t.Fatalf("champion: %+v", out)
	}
	champ, _ := e.reg.Current(ctx)
	// A challenger trained from scratch for 2 steps cannot beat it.
	bad := e.retrainer(t, RetrainConfig{Steps: 2, FromScratch: true}, InProcess{})
	out := bad.RetrainOnce(ctx, "manual", true)
	if out.Result != "rejected" || out.Reason != "worse" || out.Scores == nil || !(out.Scores.MAE > out.Scores.ParentMAE) {
		t.Fatalf("outcome %+v", out)
	}
	if cur, _ := e.reg.Current(ctx); cur != champ {
		t.Fatalf("current moved to %d", cur)
	}
	rs, _ := e.reg.Rejections(ctx)
	if len(rs) != 1 || rs[0].Reason != "worse" || rs[0].Parent != champ || rs[0].Scores == nil {
		t.Fatalf("rejections %+v", rs)
	}
	ls := checkConsistent(t, e.reg)
	if len(ls.Versions) != 2 {
		t.Fatalf("the rejected challenger was stored: %d versions", len(ls.Versions))
	}
	if _, _, j := bad.Counts(); j != 1 {
		t.Fatalf("rejections counted %d", j)
	}
}

func TestRetrainRejectsDivergedAndExplodingTraining(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    RetrainConfig
		reason string
	}{
		// An absurd learning rate with the safety limits off: the weights
		// overflow and the loss becomes NaN or Inf.
		{"nan", RetrainConfig{Steps: 50, LearningRate: 1e30, MaxGradNorm: -1, MaxLossRatio: -1}, "diverged"},
		// The same with the default limits: still caught (NaN at step 2).
		{"nan-default-limits", RetrainConfig{Steps: 50, LearningRate: 1e30}, "diverged"},
		// Limits far below a healthy training's gradient norm and loss.
		{"grad-norm", RetrainConfig{Steps: 50, MaxGradNorm: 1e-9}, "exploding"},
		{"loss-ratio", RetrainConfig{Steps: 50, MaxLossRatio: 1e-6}, "exploding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			e.writeHistories(t, 4, 0, 120)
			v1 := e.seed(t, tinyModel(t, 1))
			out := e.retrainer(t, tc.cfg, InProcess{}).RetrainOnce(ctx, "manual", true)
			if out.Result != "rejected" || out.Reason != tc.reason {
				t.Fatalf("outcome %+v", out)
			}
			if cur, _ := e.reg.Current(ctx); cur != v1.Version {
				t.Fatalf("current moved to %d", cur)
			}
			checkConsistent(t, e.reg)
		})
	}
}

func TestRetrainTimeoutIsRejected(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.writeHistories(t, 4, 0, 120)
	v1 := e.seed(t, tinyModel(t, 1))
	out := e.retrainer(t, RetrainConfig{Steps: 1 << 30, Timeout: 50 * time.Millisecond}, InProcess{}).RetrainOnce(ctx, "manual", true)
	if out.Result != "rejected" || out.Reason != "timeout" || !errors.Is(out.Err, ErrTimeout) {
		t.Fatalf("outcome %+v", out)
	}
	if cur, _ := e.reg.Current(ctx); cur != v1.Version {
		t.Fatalf("current moved to %d", cur)
	}
}

func TestRetrainSkips(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.retrainer(t, RetrainConfig{Steps: 5}, InProcess{})
	if out := r.RetrainOnce(ctx, "manual", true); out.Result != "skipped" || out.Reason != "no_model" {
		t.Fatalf("empty registry: %+v", out)
	}
	e.seed(t, tinyModel(t, 1))
	e.writeHistories(t, 2, 0, 20) // shorter than input 24 + hold-out 6
	if out := r.RetrainOnce(ctx, "manual", true); out.Result != "skipped" || out.Reason != "no_data" {
		t.Fatalf("short histories: %+v", out)
	}
	if _, ok, _ := e.reg.TryAcquire(ctx, "other", time.Minute); !ok {
		t.Fatal("cannot take the lease")
	}
	if out := r.RetrainOnce(ctx, "manual", true); out.Result != "skipped" || out.Reason != "lease_busy" {
		t.Fatalf("lease held elsewhere: %+v", out)
	}
	if n, _, _ := r.Counts(); n != 0 {
		t.Fatalf("%d trainings counted", n)
	}
}

// The schedule is the group's: triggers read the shared counters, and a
// retrain resets them for everybody.
func TestScheduleTriggers(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.writeHistories(t, 4, 0, 120)
	e.seed(t, tinyModel(t, 1))
	a := e.retrainer(t, RetrainConfig{After: 100, MinInterval: time.Millisecond, Steps: 5, Owner: "a"}, InProcess{})
	b := e.retrainer(t, RetrainConfig{After: 100, MinInterval: time.Millisecond, Steps: 5, Owner: "b"}, InProcess{})
	if why, _ := a.due(ctx, false); why != "" {
		t.Fatalf("due %q before any observation", why)
	}
	// 60 + 60 observations from two instances make the group due.
	e.reg.AddObserved(ctx, 60)
	if why, _ := b.due(ctx, false); why != "" {
		t.Fatalf("due %q at 60", why)
	}
	e.reg.AddObserved(ctx, 60)
	if why, _ := b.due(ctx, false); why != "after" {
		t.Fatalf("due %q at 120", why)
	}
	if out := a.RetrainOnce(ctx, "after", false); out.Result == "skipped" {
		t.Fatalf("a: %+v", out)
	}
	// b raced for the same period: under the lease it sees it is done.
	if out := b.RetrainOnce(ctx, "after", false); out.Result != "skipped" || out.Reason != "not_due" {
		t.Fatalf("b: %+v", out)
	}
	time.Sleep(5 * time.Millisecond) // past MinInterval
	every := e.retrainer(t, RetrainConfig{Every: time.Hour, MinInterval: time.Millisecond, Owner: "c"}, InProcess{})
	if why, _ := every.due(ctx, false); why != "" {
		t.Fatalf("every 1h due %q right after a training", why)
	}
	d := NewDrift(3, 2)
	drifting := e.retrainer(t, RetrainConfig{MinInterval: time.Millisecond, Owner: "d"}, InProcess{})
	drifting.drift = d
	d.SetVersion("v")
	for _, x := range []float64{1, 1, 1, 1, 1, 1} {
		d.Add("v", x)
		d.Add("other", 100) // another version's errors are ignored
	}
	if why, _ := drifting.due(ctx, false); why != "" {
		t.Fatalf("due %q before drift", why)
	}
	d.Add("v", 5)
	d.Add("v", 5) // recent mean (1+5+5)/3 > 2 × baseline 1
	if why, _ := drifting.due(ctx, false); why != "drift" {
		t.Fatalf("due %q after drift", why)
	}
}

func TestRunRetrainsOnTrigger(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newEnv(t)
	e.writeHistories(t, 4, 0, 120)
	v1 := e.seed(t, tinyModel(t, 1))
	r := e.retrainer(t, RetrainConfig{After: 50, MinInterval: time.Millisecond, Tick: 10 * time.Millisecond, Steps: 100}, InProcess{})
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	r.Observed(30)
	time.Sleep(50 * time.Millisecond)
	if cur, _ := e.reg.Current(ctx); cur != v1.Version {
		t.Fatalf("retrained after 30 of 50 observations")
	}
	r.Observed(30)
	waitFor(t, 10*time.Second, "a promotion", func() bool { cur, _ := e.reg.Current(ctx); return cur > v1.Version })
	s, _ := e.reg.Schedule(ctx)
	if s.Observed != 60 || s.LastObserved != 60 || s.LastAt.IsZero() {
		t.Fatalf("schedule %+v", s)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestProcessFitter(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.writeHistories(t, 4, 0, 120)
	e.seed(t, tinyModel(t, 1))
	// The default: lowest priority in a session of its own (a few steps,
	// so that a busy machine cannot starve it for long).
	low := &ProcessFitter{Path: mustExe(t), Threads: 1}
	r := e.retrainer(t, RetrainConfig{Steps: 60}, low)
	out := r.RetrainOnce(ctx, "manual", true)
	if out.Result != "promoted" || out.Steps != 60 {
		t.Fatalf("outcome %+v", out)
	}
	pf := &ProcessFitter{Path: mustExe(t), Threads: 1, Nice: -1}
	// Divergence and timeouts cross the process boundary as such.
	r2 := e.retrainer(t, RetrainConfig{Steps: 50, LearningRate: 1e30, MaxGradNorm: -1, MaxLossRatio: -1}, pf)
	if out := r2.RetrainOnce(ctx, "manual", true); out.Reason != "diverged" {
		t.Fatalf("outcome %+v", out)
	}
	r3 := e.retrainer(t, RetrainConfig{Steps: 1 << 30, Timeout: 300 * time.Millisecond}, pf)
	if out := r3.RetrainOnce(ctx, "manual", true); out.Reason != "timeout" {
		t.Fatalf("outcome %+v", out)
	}
	checkConsistent(t, e.reg)
}

func TestDatasetSplit(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.writeHistories(t, 3, 0, 40)
	src := &RedisHistories{Store: e.store, Redis: e.rdb}
	names, err := src.Series(ctx)
	if err != nil || len(names) != 3 || names[0] != "syn-0" {
		t.Fatalf("series %v %v", names, err)
	}
	c := model.Common{InputSize: 10, H: 5}
	ds, err := BuildDataset(ctx, src, names, 2, 9, c, 10, 2, Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := e.store.States(ctx, names)
	// 2 sampled series × 2 hold-out windows; training keeps 40 − 10 values.
	if ds.Series != 2 || len(ds.Inputs) != 4 || len(ds.Targets) != 20 || len(ds.Train) != 2 || len(ds.Train[0].Y) != 30 {
		t.Fatalf("dataset: %d series, %d inputs, %d targets, %d train", ds.Series, len(ds.Inputs), len(ds.Targets), len(ds.Train))
	}
	var v []float64
	for i := range names {
		if equal(ds.Train[0].Y, st[i].Values[:30]) {
			v = st[i].Values
		}
	}
	if v == nil {
		t.Fatal("training part is no series' prefix")
	}
	// Most recent window first: inputs [25, 35) → targets [35, 40).
	if !ds.Windows.Last[0].Equal(tStart.Add(34*time.Hour)) || !ds.Windows.Last[1].Equal(tStart.Add(29*time.Hour)) {
		t.Fatalf("input end times %v", ds.Windows.Last)
	}
	if !equal(ds.Inputs[0], v[25:35]) || !equal(ds.Targets[:5], v[35:40]) || !equal(ds.Inputs[1], v[20:30]) || !equal(ds.Targets[5:10], v[30:35]) {
		t.Fatal("hold-out windows are not the most recent ones")
	}
	// Sampling is seeded.
	ds2, _ := BuildDataset(ctx, src, names, 2, 9, c, 10, 2, Inputs{})
	if !equal(ds2.Targets, ds.Targets) {
		t.Fatal("same seed, different sample")
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var _ = registry.ErrNotFound
