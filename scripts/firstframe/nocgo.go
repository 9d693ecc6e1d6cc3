//go:build !cgo || !linux

// Command firstframe needs cgo and X11 on Linux; see main.go.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "firstframe: needs cgo and X11 on Linux")
	os.Exit(2)
}
