//go:build cgo && linux

// Command firstframe measures how long a program takes to draw its first
// window on an X display (scripts/coldstart.sh runs it under Xvfb): it
// starts the command, then reads the root window's pixels every few
// milliseconds. The first frame is the first moment the screen shows more
// than two colours (an empty Xvfb screen shows one); the screen is
// settled at its last change within -settle after that.
//
//	firstframe [-settle 3s] [-timeout 60s] -- COMMAND [ARG...]
//
// It prints "firstframe: first frame N ms, settled M ms" and exits with
// the command's status.
package main

/*
#cgo LDFLAGS: -lX11
#include <X11/Xlib.h>
#include <X11/Xutil.h>

// sample reads the root window and returns how many distinct colours (up
// to 8) a grid of every step-th pixel shows, and a hash of those pixels.
static int sample(Display *d, int w, int h, int step, unsigned long long *hash) {
	XImage *img = XGetImage(d, DefaultRootWindow(d), 0, 0, w, h, AllPlanes, ZPixmap);
	if (!img) return -1;
	unsigned long seen[8];
	int n = 0;
	unsigned long long hsh = 1469598103934665603ULL;
	for (int y = 0; y < h; y += step) {
		for (int x = 0; x < w; x += step) {
			unsigned long p = XGetPixel(img, x, y);
			hsh = (hsh ^ p) * 1099511628211ULL;
			int known = 0;
			for (int i = 0; i < n; i++) if (seen[i] == p) { known = 1; break; }
			if (!known && n < 8) seen[n++] = p;
		}
	}
	XDestroyImage(img);
	*hash = hsh;
	return n;
}
*/
import "C"

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"time"
)

func main() {
	settle := flag.Duration("settle", 3*time.Second, "how long to watch for changes after the first frame")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after this long")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: firstframe [-settle 3s] [-timeout 60s] -- COMMAND [ARG...]")
		os.Exit(2)
	}
	d := C.XOpenDisplay(nil)
	if d == nil {
		fmt.Fprintln(os.Stderr, "firstframe: cannot open the X display (is DISPLAY set?)")
		os.Exit(2)
	}
	scr := C.XDefaultScreen(d)
	w, h := C.XDisplayWidth(d, scr), C.XDisplayHeight(d, scr)

	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "firstframe:", err)
		os.Exit(2)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var first, settled time.Duration
	var last C.ulonglong
	var status error
	done := false
	for !done {
		var hash C.ulonglong
		n := C.sample(d, w, h, 4, &hash)
		at := time.Since(start)
		if n >= 3 && first == 0 {
			first, settled, last = at, at, hash
		} else if first != 0 && hash != last {
			settled, last = at, hash
		}
		switch {
		case first != 0 && at-first >= *settle:
			done = true
		case at >= *timeout:
			fmt.Fprintln(os.Stderr, "firstframe: timed out")
			cmd.Process.Kill()
			done = true
		}
		select {
		case status = <-exited:
			exited <- status
			if first == 0 {
				done = true
			}
		default:
		}
		time.Sleep(2 * time.Millisecond)
	}
	if first == 0 {
		fmt.Fprintln(os.Stderr, "firstframe: nothing was drawn")
		os.Exit(1)
	}
	fmt.Printf("firstframe: first frame %d ms, settled %d ms\n", first.Milliseconds(), settled.Milliseconds())
	status = <-exited
	var ee *exec.ExitError
	if errors.As(status, &ee) {
		os.Exit(ee.ExitCode())
	}
}
