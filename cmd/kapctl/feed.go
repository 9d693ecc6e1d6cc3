package main

import "context"

// feed prints, rotates and revokes feed URLs (issue 3).
func (a *app) feed(ctx context.Context, args []string) error {
	return usagef("feed is not built yet")
}

// serve serves the calendar feeds over HTTP (issue 3).
func (a *app) serve(ctx context.Context, args []string) error {
	return usagef("serve is not built yet")
}
