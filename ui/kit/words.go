package kit

import "fmt"

// Plural counts n things in words: "1 visit", "3 visits".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
