package store

import "testing"

// TestUserName: people read the user name of a Windows account without its
// domain (issue 15, item 5).
func TestUserName(t *testing.T) {
	for _, tc := range []struct{ account, want string }{
		{`VM\root`, "root"},
		{`CLINIC\front.desk`, "front.desk"},
		{`a\b\c`, "c"},
		{"frontdesk", "frontdesk"},
		{`odd\`, `odd\`},
		{"", ""},
	} {
		if got := UserName(tc.account); got != tc.want {
			t.Errorf("UserName(%q)=%q, want %q", tc.account, got, tc.want)
		}
	}
}
