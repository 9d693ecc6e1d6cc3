package main

import "context"

// export writes appointments as an iCalendar file (issue 3).
func (a *app) export(ctx context.Context, args []string) error {
	return usagef("export is not built yet")
}
