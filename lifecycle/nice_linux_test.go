package lifecycle

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

const priorityEnv = "STREAMCAST_LC_TEST_PRIORITY"

// maybeReportPriority is a child mode: lower the priority, make the
// runtime start more threads, and print every thread's niceness and
// scheduling policy (/proc/self/task/*/stat fields 19 and 41).
func maybeReportPriority() {
	if os.Getenv(priorityEnv) != "1" {
		return
	}
	lowerPriority(19, true)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() { // each locked goroutine forces a thread of its own
			defer wg.Done()
			runtime.LockOSThread()
			<-start
			time.Sleep(20 * time.Millisecond)
		}()
	}
	time.Sleep(20 * time.Millisecond)
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 on
		fmt.Printf("%s nice=%s policy=%s\n", t.Name(), f[19-3], f[41-3])
	}
	close(start)
	wg.Wait()
	os.Exit(0)
}

func TestLowerPriorityCoversEveryThread(t *testing.T) {
	cmd := exec.Command(mustExe(t), "-test.run=^$")
	cmd.Env = append(os.Environ(), priorityEnv+"=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(strings.ReplaceAll(string(out), "\n", " "))
	if len(lines) < 3*6 { // at least 6 threads
		t.Fatalf("too few threads:\n%s", out)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !strings.HasSuffix(l, "nice=19 policy=5") {
			t.Errorf("thread not lowered: %s", l)
		}
	}
}
