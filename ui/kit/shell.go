package kit

// Preference keys the app shell (package ui) reads, which the Settings
// screen may offer to change.
const (
	// PrefFeedsAddr is the address, such as 127.0.0.1:8080, on which the
	// running app serves staff calendar feeds; empty (the default) serves
	// none. Only this computer's own addresses are served; kapctl serve
	// --public is the way to serve other computers. The app moves its
	// server when this changes and Env.Changed is called.
	PrefFeedsAddr = "feeds.addr"
)
