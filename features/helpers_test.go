package features

import (
	"math/rand/v2"

	"github.com/redis/go-redis/v9"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// redisClientStub returns a client that is never used to send commands.
func redisClientStub() *redis.Client { return redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) }
