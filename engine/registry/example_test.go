package registry_test

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/registry"
)

// A trainer stores and promotes a model under the lease; every serving
// instance follows the current version with a Watcher. (Needs a Redis
// server, so it is compiled but not run.)
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	reg, _ := registry.New(rdb, registry.Config{KeyPrefix: "sc", Name: "prod"})

	// Trainer: under the lease, store the challenger and move current,
	// expecting the champion it was compared with.
	champion, _ := reg.Current(ctx)
	var blob []byte // model.Encode(trained, meta)
	_, _ = reg.Hold(ctx, "instance-a", 30*time.Second, func(ctx context.Context, token int64) error {
		m, err := reg.Put(ctx, blob, registry.Meta{Parent: champion, Steps: 200}, token)
		if err != nil {
			return err
		}
		_, err = reg.Promote(ctx, m.Version, registry.Expect(token, champion))
		return err
	})

	// Serving instance: install every new current version.
	w := &registry.Watcher{Registry: reg, Apply: func(_ context.Context, l *model.Loaded, m registry.Meta) error {
		fmt.Println("now serving", l.Model.Kind(), m.VersionString())
		return nil
	}}
	go w.Run(ctx)
}
