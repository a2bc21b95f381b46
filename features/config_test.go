package features

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	mod := func(f func(*Config)) Config {
		c := DefaultConfig()
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"default", DefaultConfig(), ""},
		{"zero", Config{}, "History"},
		{"history too big", mod(func(c *Config) { c.History = MaxHistory + 1 }), "History"},
		{"window zero", mod(func(c *Config) { c.Windows = []int{0} }), "window"},
		{"window > history", mod(func(c *Config) { c.History = 10; c.Windows = []int{11}; c.Lags = nil }), "window"},
		{"lag > history", mod(func(c *Config) { c.History = 200; c.Lags = []int{201} }), "lag"},
		{"alpha zero", mod(func(c *Config) { c.EWMAAlphas = []float64{0} }), "alpha"},
		{"alpha > 1", mod(func(c *Config) { c.EWMAAlphas = []float64{1.5} }), "alpha"},
		{"alpha one ok", mod(func(c *Config) { c.EWMAAlphas = []float64{1} }), ""},
		{"too many alphas", mod(func(c *Config) { c.EWMAAlphas = make([]float64, 17) }), "alphas"},
		{"empty exog", mod(func(c *Config) { c.Exog = []string{""} }), "exogenous"},
		{"dup exog", mod(func(c *Config) { c.Exog = []string{"a", "a"} }), "twice"},
		{"empty prefix", mod(func(c *Config) { c.KeyPrefix = "" }), "KeyPrefix"},
		{"brace prefix", mod(func(c *Config) { c.KeyPrefix = "a{b}" }), "KeyPrefix"},
		{"no windows ok", mod(func(c *Config) { c.Windows = nil; c.Lags = nil; c.EWMAAlphas = nil }), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestFeatureNames(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Exog = []string{"temp"}
	names := cfg.FeatureNames()
	if len(names) != cfg.NumFeatures() {
		t.Fatalf("len(FeatureNames) = %d, NumFeatures = %d", len(names), cfg.NumFeatures())
	}
	want := "mean_24 std_24 min_24 max_24 mean_168 std_168 min_168 max_168 lag_1 lag_24 lag_168 " +
		"ewma_0.1 ewma_0.5 hour dow month hour_sin hour_cos dow_sin dow_cos month_sin month_cos exog_temp"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("FeatureNames =\n%s\nwant\n%s", got, want)
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Fatalf("duplicate feature name %q", n)
		}
		seen[n] = true
	}
}

func TestFingerprint(t *testing.T) {
	a := DefaultConfig()
	b := DefaultConfig()
	b.Windows = []int{3}
	b.KeyPrefix = "other"
	if a.fingerprint() != b.fingerprint() {
		t.Fatalf("fingerprint depends on windows/prefix: %q vs %q", a.fingerprint(), b.fingerprint())
	}
	b.EWMAAlphas = []float64{0.1, 0.25}
	b.Exog = []string{"temp"}
	if a.fingerprint() != b.fingerprint() {
		t.Fatal("fingerprint depends on derived-feature settings")
	}
	b = DefaultConfig()
	b.History = 512
	if a.fingerprint() == b.fingerprint() {
		t.Fatal("fingerprint ignores history")
	}
	if strings.ContainsAny(a.fingerprint(), "'\\\n") {
		t.Fatalf("fingerprint %q not safe to embed in a Lua string", a.fingerprint())
	}
}

// hashTag applies the Redis Cluster rule: the substring between the first
// '{' and the next '}' if non-empty, else the whole key.
func hashTag(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return key
	}
	return key[i+1 : i+1+j]
}

func TestKeysShareHashTag(t *testing.T) {
	s, err := NewStore(redisClientStub(), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, series := range []string{"meter-17", "a}b", "{x", "x{y}z", "a b", "ü", "a}:m", "a}:h", "a"} {
		ob := Observation{Series: series, TS: t0, Value: 1}
		if err := ob.Validate(); err != nil {
			t.Fatalf("%q: %v", series, err)
		}
		k := s.Keys(series)
		if hashTag(k[0]) != hashTag(k[1]) {
			t.Errorf("series %q: keys %q and %q in different slots", series, k[0], k[1])
		}
		for _, key := range k {
			if other, dup := seen[key]; dup {
				t.Errorf("key %q used by series %q and %q", key, other, series)
			}
			seen[key] = series
		}
	}
}
