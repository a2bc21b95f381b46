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
	// The file reads empty where autogroup scheduling is off
	// (noautogroup, some containers); then there is nothing to report.
	if b, err := os.ReadFile("/proc/self/autogroup"); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		fmt.Printf("autogroup %s\n", strings.TrimSpace(string(b)))
	}
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

// ownAutogroup returns this process's autogroup line, or "" where
// autogroup scheduling is off.
func ownAutogroup() string {
	b, err := os.ReadFile("/proc/self/autogroup")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func TestLowerPriorityCoversEveryThread(t *testing.T) {
	before := ownAutogroup()
	cmd := exec.Command(mustExe(t), "-test.run=^$")
	cmd.Env = append(os.Environ(), priorityEnv+"=1")
	ownSession(cmd) // as ProcessFitter does: the autogroup change must not reach the test's session
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	threads := 0
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(l, "autogroup ") {
			if !strings.HasSuffix(l, " nice 19") {
				t.Errorf("autogroup not lowered: %s", l)
			}
			continue
		}
		threads++
		if !strings.HasSuffix(l, "nice=19 policy=5") {
			t.Errorf("thread not lowered: %s", l)
		}
	}
	if threads < 6 {
		t.Fatalf("too few threads:\n%s", out)
	}
	// The child runs in a session of its own, so lowering its autogroup
	// must leave ours as it was (whatever niceness CI gave it).
	if after := ownAutogroup(); after != before {
		t.Errorf("the test's own autogroup changed: %q before, %q after", before, after)
	}
}
