package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestZoneDataEmbedded: kapctl and the desktop app carry the time zone
// database (time/tzdata), which Windows lacks: without it, a clinic's zone
// cannot be loaded there (issue 15, item 1).
func TestZoneDataEmbedded(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the packages")
	}
	for _, pkg := range []string{".", "../.."} {
		cmd := exec.Command(goTool, "list", "-deps", pkg)
		cmd.Env = append(cmd.Environ(), "GOOS=windows", "CGO_ENABLED=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		if !slices.Contains(strings.Fields(string(out)), "time/tzdata") {
			t.Errorf("%s does not import time/tzdata", pkg)
		}
	}
}
