package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/registry"
)

// RedisConnector supplies the Redis connection of the `model` commands:
// it registers its flags (address, TLS, credentials, key prefix) and
// connects once they are parsed. The pipeline provides one with the run
// command's Redis flags.
type RedisConnector interface {
	RegisterFlags(fs *flag.FlagSet)
	Connect(ctx context.Context) (redis.UniversalClient, error)
	KeyPrefix() string
}

const modelUsage = `usage: streamcast model <command> [version] [flags]

Manage the model registry in Redis that streamcast run instances serve from
(--registry) and retrain into:

  list               every stored version, the current one (*), the promotion
                     history, the trainer lease and recent rejections
  show <v|current>   one version's metadata (created, training data range,
                     steps, hold-out scores, parent, checksums)
  promote <v>        make version v current (verified first); every instance
                     switches to it within seconds
  rollback           make the previously promoted version current again
  push <file>        store a model file (from streamcast train) as a new
                     version; --promote also makes it current

Each command takes --registry NAME and the Redis flags of streamcast run
(-h lists them); --json prints JSON.`

// ModelMain implements `streamcast model list|show|promote|rollback|push`.
func ModelMain(ctx context.Context, args []string, stdout, stderr io.Writer, conn RedisConnector) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, modelUsage)
		if len(args) == 0 {
			return fmt.Errorf("model: missing command: %w", errUsage)
		}
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	var pos string
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		pos, rest = rest[0], rest[1:]
	}
	switch cmd {
	case "list", "rollback":
		if pos != "" {
			return fmt.Errorf("model %s: unexpected argument %q: %w", cmd, pos, errUsage)
		}
	case "show", "promote", "push":
		if pos == "" {
			return fmt.Errorf("model %s: missing argument (see streamcast model -h): %w", cmd, errUsage)
		}
	default:
		fmt.Fprintln(stderr, modelUsage)
		return fmt.Errorf("model: unknown command %q: %w", cmd, errUsage)
	}
	fs := newFlagSet("model "+cmd, "Manage the model registry (see streamcast model -h).", stderr)
	name := fs.String("registry", "default", "registry name (the --registry of streamcast run)")
	asJSON := fs.Bool("json", false, "print JSON")
	promote := fs.Bool("promote", false, "push: also make the new version current")
	note := fs.String("note", "", "push: free-text note stored with the version")
	timeout := fs.Duration("timeout", 30*time.Second, "deadline of the whole command")
	conn.RegisterFlags(fs)
	if _, err := parse(fs, rest); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	rdb, err := conn.Connect(ctx)
	if err != nil {
		return err
	}
	defer rdb.Close()
	reg, err := registry.New(rdb, registry.Config{KeyPrefix: conn.KeyPrefix(), Name: *name})
	if err != nil {
		return err
	}
	out := modelOut{w: stdout, json: *asJSON}
	switch cmd {
	case "list":
		return modelList(ctx, reg, out)
	case "show":
		return modelShow(ctx, reg, pos, out)
	case "promote":
		v, err := parseVersionArg(ctx, reg, pos)
		if err != nil {
			return err
		}
		prev, err := reg.Promote(ctx, v, registry.Guard{})
		if err != nil {
			return err
		}
		return out.print(map[string]int64{"promoted": v, "previous": prev}, fmt.Sprintf("promoted version %d (was %d)", v, prev))
	case "rollback":
		from, to, err := reg.Rollback(ctx, registry.Guard{})
		if err != nil {
			return err
		}
		return out.print(map[string]int64{"from": from, "to": to}, fmt.Sprintf("rolled back from version %d to %d", from, to))
	default: // push
		b, err := os.ReadFile(pos)
		if err != nil {
			return fmt.Errorf("model push: %w", err)
		}
		m, err := reg.Put(ctx, b, registry.Meta{Note: pushNote(*note, pos)}, 0)
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("stored %s as version %d (%s)", pos, m.Version, m.VersionString())
		if *promote {
			if _, err := reg.Promote(ctx, m.Version, registry.Guard{}); err != nil {
				return err
			}
			msg += ", promoted"
		}
		return out.print(map[string]any{"version": m.Version, "promoted": *promote}, msg)
	}
}

func pushNote(note, path string) string {
	if note != "" {
		return note
	}
	return "pushed from " + path
}

type modelOut struct {
	w    io.Writer
	json bool
}

func (o modelOut) print(v any, text string) error {
	if o.json {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(o.w, string(b))
		return err
	}
	_, err := fmt.Fprintln(o.w, text)
	return err
}

// parseVersionArg reads "current" or a version number.
func parseVersionArg(ctx context.Context, reg *registry.Registry, s string) (int64, error) {
	if s == "current" {
		return reg.Current(ctx)
	}
	v, err := strconv.ParseInt(strings.TrimPrefix(s, "v"), 10, 64)
	if err != nil || v < 1 {
		return 0, fmt.Errorf("model: version %q: want a number >= 1 or \"current\": %w", s, errUsage)
	}
	return v, nil
}

func modelList(ctx context.Context, reg *registry.Registry, out modelOut) error {
	ls, err := reg.List(ctx)
	if err != nil {
		return err
	}
	lease, held, err := reg.Lease(ctx)
	if err != nil {
		return err
	}
	rejs, err := reg.Rejections(ctx)
	if err != nil {
		return err
	}
	if out.json {
		v := map[string]any{"current": ls.Current, "history": ls.History, "versions": ls.Versions, "rejections": rejs}
		if held {
			v["lease"] = map[string]any{"owner": lease.Owner, "token": lease.Token, "ttl_ms": lease.TTL.Milliseconds()}
		}
		return out.print(v, "")
	}
	tw := tabwriter.NewWriter(out.w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tVERSION\tKIND\tCREATED\tPARENT\tSTEPS\tHOLD-OUT MAE (parent)\tsMAPE (parent)\tNOTE")
	for _, m := range ls.Versions {
		mark := ""
		if m.Version == ls.Current {
			mark = "*"
		}
		mae, smape := "-", "-"
		if s := m.Scores; s != nil {
			mae = fmt.Sprintf("%.4g (%.4g)", s.MAE, s.ParentMAE)
			smape = fmt.Sprintf("%.3g (%.3g)", s.SMAPE, s.ParentSMAPE)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", mark, m.VersionString(), m.Kind, m.Created.Format(time.RFC3339),
			m.Parent, m.Steps, mae, smape, m.Note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out.w, "current: %d   history: %v\n", ls.Current, ls.History)
	if held {
		fmt.Fprintf(out.w, "trainer lease: %s (token %d, expires in %v)\n", lease.Owner, lease.Token, lease.TTL.Round(time.Millisecond))
	} else {
		fmt.Fprintln(out.w, "trainer lease: free")
	}
	if n := len(rejs); n > 0 {
		fmt.Fprintf(out.w, "rejected challengers: %d (latest: %s, parent %d, %s)\n", n, rejs[n-1].Reason, rejs[n-1].Parent, rejs[n-1].At.Format(time.RFC3339))
	}
	return nil
}

func modelShow(ctx context.Context, reg *registry.Registry, arg string, out modelOut) error {
	v, err := parseVersionArg(ctx, reg, arg)
	if err != nil {
		return err
	}
	l, m, err := reg.Load(ctx, v)
	if err != nil {
		return err
	}
	cur, err := reg.Current(ctx)
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		return err
	}
	hyper, err := model.HyperJSON(l.Model)
	if err != nil {
		return err
	}
	view := struct {
		registry.Meta
		VersionString string          `json:"version_string"`
		Current       bool            `json:"current"`
		Params        int             `json:"params"`
		Hyper         json.RawMessage `json:"hyper"`
		FileMeta      json.RawMessage `json:"file_meta,omitempty"`
	}{Meta: m, VersionString: m.VersionString(), Current: v == cur, Params: model.NumParams(l.Model), Hyper: hyper}
	if json.Valid(l.Meta) && len(l.Meta) > 2 {
		view.FileMeta = l.Meta
	}
	b, err := json.MarshalIndent(view, "", "  ")
	if err != nil {
		return err
	}
	if out.json {
		b, _ = json.Marshal(view)
	}
	_, err = fmt.Fprintln(out.w, string(b))
	return err
}
