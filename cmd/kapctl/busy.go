package main

import "context"

// busy imports, subscribes to and lists staff members' own calendars (issue 3).
func (a *app) busy(ctx context.Context, args []string) error {
	return usagef("busy is not built yet")
}
