package features

import "testing"

// TestScriptsSharedAcrossPrefixes: the scripts (and so their SHAs) depend
// on the history size only, so any number of key prefixes on one server
// share two cached scripts instead of piling up new ones in its Lua heap.
func TestScriptsSharedAcrossPrefixes(t *testing.T) {
	rdb := redisClientStub()
	defer rdb.Close()
	mk := func(prefix string, history int) *Store {
		cfg := DefaultConfig()
		cfg.KeyPrefix, cfg.History = prefix, history
		s, err := NewStore(rdb, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b, c := mk("tenant-a", 1024), mk("bench-12345", 1024), mk("tenant-a", 512)
	if a.sha != b.sha || a.peekSHA != b.peekSHA {
		t.Fatal("the script SHAs depend on the key prefix")
	}
	if a.sha == c.sha || a.peekSHA == c.peekSHA {
		t.Fatal("stores with different history sizes share a script")
	}
	cfg := DefaultConfig()
	cfg.scriptSalt = "x"
	if s, _ := NewStore(rdb, cfg); s.sha == a.sha {
		t.Fatal("the test salt does not change the SHA")
	}
}
