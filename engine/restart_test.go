package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRestartReexecutesRealProcess builds internal/restarttest, runs it from
// a directory of its own, and checks that after Restart and Block the same
// process (same PID) runs the program again with the arguments, working
// directory and environment it started with.
func TestRestartReexecutesRealProcess(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("skipping the re-exec test: go is not on PATH (%v)", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	dir := t.TempDir()
	bin := filepath.Join(dir, "restarttest")
	build := exec.CommandContext(ctx, goBin, "build", "-o", bin, "./internal/restarttest")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	runDir := t.TempDir()
	args := []string{"alpha", "beta gamma", ""}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = runDir
	cmd.Env = append(os.Environ(),
		"RESTARTTEST_MARKER="+filepath.Join(dir, "marker"),
		"RESTARTTEST_VALUE=hello world",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("restarttest: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}

	got := map[string][]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(stdout.String()), "\n") {
		k, v, _ := strings.Cut(line, "=")
		got[k] = append(got[k], v)
	}
	t.Logf("stdout:\n%s", stdout.String())

	if len(got["run"]) != 2 {
		t.Fatalf("the program did not run twice: %q\nstderr:\n%s", got["run"], stderr.String())
	}
	if pids := got["pid"]; len(pids) != 2 || pids[0] != pids[1] {
		t.Errorf("PIDs %q: the second run is not the same process", pids)
	}
	if want := fmt.Sprintf("%q", append([]string{bin}, args...)); len(got["args"]) != 1 || got["args"][0] != want {
		t.Errorf("args after restart = %q, want %s", got["args"], want)
	}
	wantWD, _ := filepath.EvalSymlinks(runDir)
	if wd := got["wd"]; len(wd) != 1 || evalOrSelf(wd[0]) != wantWD {
		t.Errorf("working directory after restart = %q, want %s", wd, wantWD)
	}
	if v := got["value"]; len(v) != 1 || v[0] != "hello world" {
		t.Errorf("RESTARTTEST_VALUE after restart = %q, want [hello world]", v)
	}
	if !strings.Contains(stderr.String(), "re-executing") {
		t.Errorf("the re-exec was not logged:\n%s", stderr.String())
	}
}

func evalOrSelf(path string) string {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		return p
	}
	return path
}
