package kit

// Preference keys and defaults of the Settings screen that other parts of
// the app read.
const (
	// PrefFeedPrivacy is how new calendar feeds made on this workstation
	// show patients: full, initials (the default) or id.
	PrefFeedPrivacy = "privacy.feed_default"
	// PrefFeedBase is the web address at which this app's calendar feeds
	// are reached, such as https://calendar.example.org; feed links are
	// made under it.
	PrefFeedBase = "feeds.base"
	// DefaultFeedBase is PrefFeedBase's default: where kapctl serve and
	// the app serve feeds unless told otherwise.
	DefaultFeedBase = "http://127.0.0.1:8080"
)
