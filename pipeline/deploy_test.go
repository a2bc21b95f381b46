package pipeline

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/ingest"
)

// repoFile reads a file relative to the repository root.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// descRecorder is a Registerer that records the fully-qualified names of
// everything registered (including vectors without children yet).
type descRecorder struct{ names map[string]bool }

func (d *descRecorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 64)
	go func() { c.Describe(ch); close(ch) }()
	re := regexp.MustCompile(`fqName: "([^"]+)"`)
	for desc := range ch {
		if m := re.FindStringSubmatch(desc.String()); m != nil {
			d.names[m[1]] = true
		}
	}
	return nil
}

func (d *descRecorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = d.Register(c)
	}
}

func (d *descRecorder) Unregister(prometheus.Collector) bool { return true }

// knownMetrics returns the metric names the pipeline and its source register.
func knownMetrics(t *testing.T) map[string]bool {
	t.Helper()
	rec := &descRecorder{names: map[string]bool{}}
	if _, err := NewMetrics(rec); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if _, err := ingest.NewKafkaSource(ingest.SourceConfig{Brokers: cfg.Brokers, Topic: "in", GroupID: "g"},
		ingest.BatchHandlerFunc(nil), testLogger(t), rec); err != nil {
		t.Fatalf("ingest.NewKafkaSource: %v", err)
	}
	store, err := features.NewStore(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), featuresConfig(&cfg))
	if err != nil {
		t.Fatal(err)
	}
	if err := registerStoreMetrics(rec, store); err != nil {
		t.Fatal(err)
	}
	if err := registerLifecycleMetrics(rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.names) < 10 {
		t.Fatalf("only %d metric names recorded: %v", len(rec.names), rec.names)
	}
	return rec.names
}

// TestDeployConsistency: every metric used by the dashboard and the alert
// rules, and every STREAMCAST_* variable used by compose and Kubernetes,
// exists in the code.
func TestDeployConsistency(t *testing.T) {
	metrics := knownMetrics(t)
	metricRe := regexp.MustCompile(`streamcast_[a-z_]+`)
	for _, f := range []string{"deploy/grafana/dashboards/streamcast.json", "deploy/prometheus/alerts.yml", "deploy/k8s/prometheusrule.yaml"} {
		for _, name := range metricRe.FindAllString(repoFile(t, f), -1) {
			base := name
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				base = strings.TrimSuffix(base, suf)
			}
			if !metrics[name] && !metrics[base] {
				t.Errorf("%s uses unknown metric %s", f, name)
			}
		}
	}
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	envs := map[string]bool{EnvKafkaPassword: true, EnvRedisPassword: true}
	fs.VisitAll(func(f *flag.Flag) { envs[EnvName(f.Name)] = true })
	envRe := regexp.MustCompile(`STREAMCAST_[A-Z_]+`)
	for _, f := range []string{"deploy/docker-compose.yml", "deploy/k8s/configmap.yaml", "deploy/k8s/secret.yaml", "deploy/Dockerfile"} {
		for _, name := range envRe.FindAllString(repoFile(t, f), -1) {
			if !envs[name] {
				t.Errorf("%s uses unknown variable %s", f, name)
			}
		}
	}
}

// TestREADMEDocumentsEveryFlag: the README lists every run flag.
func TestREADMEDocumentsEveryFlag(t *testing.T) {
	readme := repoFile(t, "README.md")
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(readme, "`--"+f.Name+"`") {
			t.Errorf("README does not document --%s", f.Name)
		}
	})
}

// TestAlertRulesInSync: the Prometheus rule file and the Kubernetes
// PrometheusRule define the same alerts with the same expressions.
func TestAlertRulesInSync(t *testing.T) {
	re := regexp.MustCompile(`(?m)^\s*- alert: (\S+)\s*\n\s*expr: (?:\|\s*\n((?:\s+\S.*\n)+?)\s*(?:for|labels):|(.*)\n)`)
	rules := func(f string) map[string]string {
		m := map[string]string{}
		for _, g := range re.FindAllStringSubmatch(repoFile(t, f), -1) {
			m[g[1]] = strings.Join(strings.Fields(g[2]+g[3]), " ")
		}
		if len(m) < 5 {
			t.Fatalf("%s: only %d alerts parsed", f, len(m))
		}
		return m
	}
	a, k := rules("deploy/prometheus/alerts.yml"), rules("deploy/k8s/prometheusrule.yaml")
	for name, expr := range a {
		if k[name] != expr {
			t.Errorf("alert %s: alerts.yml %q, prometheusrule.yaml %q", name, expr, k[name])
		}
	}
	for name := range k {
		if _, ok := a[name]; !ok {
			t.Errorf("alert %s only in prometheusrule.yaml", name)
		}
	}
}

// TestRedisDurableInDeploy: the Redis shipped in deploy/ keeps the feature
// state across a restart: append-only file on, fsync every second (the
// state is the idempotency record; losing it re-applies or drops events).
// The Kubernetes manifests use an external Redis; should one ever run
// redis-server, it must be configured the same way.
func TestRedisDurableInDeploy(t *testing.T) {
	compose := repoFile(t, "deploy/docker-compose.yml")
	i := strings.Index(compose, "\n  redis:\n")
	if i < 0 {
		t.Fatal("docker-compose.yml has no redis service")
	}
	svc := compose[i+1:]
	if loc := regexp.MustCompile(`(?m)^  \S`).FindAllStringIndex(svc, 2); len(loc) == 2 {
		svc = svc[:loc[1][0]] // up to the next service (or top-level key)
	}
	cmdRe := regexp.MustCompile(`(?m)^\s+command:\s*\[([^\]]*)\]`)
	m := cmdRe.FindStringSubmatch(svc)
	if m == nil {
		t.Fatal("redis service has no command line")
	}
	args := strings.Join(strings.Fields(strings.NewReplacer(`"`, " ", ",", " ").Replace(m[1])), " ")
	for _, want := range []string{"--appendonly yes", "--appendfsync everysec"} {
		if !strings.Contains(args, want) {
			t.Errorf("compose redis command %q lacks %q", args, want)
		}
	}
	if !regexp.MustCompile(`(?m)^\s+- redis-data:/data`).MatchString(svc) {
		t.Error("compose redis keeps /data (the AOF) in no volume")
	}
	entries, err := os.ReadDir(filepath.Join("..", "deploy", "k8s"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		f := repoFile(t, filepath.Join("deploy", "k8s", e.Name()))
		if strings.Contains(f, "redis-server") || regexp.MustCompile(`image:\s*\S*redis`).MatchString(f) {
			if !strings.Contains(f, "appendonly yes") || !strings.Contains(f, "appendfsync everysec") {
				t.Errorf("k8s/%s runs Redis without appendonly yes / appendfsync everysec", e.Name())
			}
		}
	}
	readme := repoFile(t, "README.md")
	for _, want := range []string{"appendonly yes", "appendfsync everysec"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README does not document %q", want)
		}
	}
}
