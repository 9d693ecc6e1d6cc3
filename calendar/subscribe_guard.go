package calendar

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// Where a subscription may connect. A calendar address is typed or pasted
// by the front desk, and a calendar server may redirect anywhere: without
// a guard, kapbook could be made to fetch from the computer it runs on,
// the clinic's internal network or a cloud server's metadata service (and
// report what it found). The guard refuses those addresses on every
// connection, after the name is resolved, on the address actually dialed:
// for the first request and each redirect, and for each address a name
// resolves to. The clinic may allow named hosts of its own
// (booking.Clinic.CalendarHosts); a cloud metadata service can never be
// allowed. docs/security.md, "Calendar subscriptions", says more.

// MaxRedirects is how many redirects a fetch follows.
const MaxRedirects = 5

// ErrInternalAddress is the cause (errors.Is) of a fetch refused because
// the address is on this computer, the clinic's internal network, a cloud
// metadata service, or no place a calendar server can be.
var ErrInternalAddress = errors.New("calendar: the address is not on the public internet")

// place is where an address leads.
type place int

const (
	public       place = iota
	thisComputer       // loopback, unspecified, 0.0.0.0/8
	internalNet        // private, CGNAT, link-local, unique local
	metadata           // a cloud metadata service: never allowed
	noServer           // multicast, broadcast, reserved, documentation
)

func (p place) String() string {
	switch p {
	case thisComputer:
		return "this computer"
	case internalNet:
		return "the clinic's internal network"
	case metadata:
		return "a cloud server's metadata service"
	case noServer:
		return "an address no calendar server can have (multicast or reserved)"
	}
	return "the internet"
}

var (
	thisNetwork4 = netip.MustParsePrefix("0.0.0.0/8")
	cgnat4       = netip.MustParsePrefix("100.64.0.0/10")
	siteLocal6   = netip.MustParsePrefix("fec0::/10") // deprecated, still routed inside some networks
	nat64Local6  = netip.MustParsePrefix("64:ff9b:1::/48")
	noServer4    = []netip.Prefix{
		netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
		netip.MustParsePrefix("192.0.2.0/24"),    // documentation
		netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
		netip.MustParsePrefix("198.51.100.0/24"), // documentation
		netip.MustParsePrefix("203.0.113.0/24"),  // documentation
		netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	}
	noServer6 = []netip.Prefix{
		netip.MustParsePrefix("100::/64"),      // discard
		netip.MustParsePrefix("2001:db8::/32"), // documentation
	}
	// IPv6 forms that carry an IPv4 address a gateway may reach.
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
	compat = netip.MustParsePrefix("::/96") // IPv4-compatible (deprecated)
)

// placeOf says where ip leads. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d)
// and the IPv6 forms that embed an IPv4 address (NAT64, 6to4,
// IPv4-compatible) are judged by their IPv4 address.
func placeOf(ip netip.Addr) place {
	ip = ip.WithZone("").Unmap()
	if booking.MetadataHost(ip.String()) {
		return metadata
	}
	switch {
	case ip.IsLoopback(), ip.IsUnspecified(), thisNetwork4.Contains(ip):
		return thisComputer
	case ip.IsPrivate(), ip.IsLinkLocalUnicast(), cgnat4.Contains(ip), siteLocal6.Contains(ip), nat64Local6.Contains(ip):
		return internalNet
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return noServer
	}
	for _, p := range noServer4 {
		if p.Contains(ip) {
			return noServer
		}
	}
	for _, p := range noServer6 {
		if p.Contains(ip) {
			return noServer
		}
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip), compat.Contains(ip):
			return placeOf(netip.AddrFrom4([4]byte(b[12:16])))
		case sixTo4.Contains(ip):
			return placeOf(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return public
}

// refusal is a connection the guard refused.
type refusal struct {
	host  string     // the host of the address, as given
	ip    netip.Addr // the address refused; invalid when refused by name
	place place
	// from is the host of the subscription's own address when a redirect
	// led to host, else "".
	from string
}

func (r *refusal) Error() string { return "calendar: " + r.reason() }

// Is makes errors.Is(err, ErrInternalAddress) true.
func (r *refusal) Is(target error) bool { return target == ErrInternalAddress }

// reason words the refusal for the front desk, host and address only.
func (r *refusal) reason() string {
	var b strings.Builder
	lit := r.ip.IsValid() && canonicalHost(r.host) == r.ip.WithZone("").Unmap().String()
	if r.from != "" {
		fmt.Fprintf(&b, "the calendar server %s sent kapbook on to ", r.from)
		if lit {
			b.WriteString("an address on ")
		} else {
			fmt.Fprintf(&b, "%s, on ", r.host)
		}
	} else if lit || !r.ip.IsValid() && r.place == metadata {
		b.WriteString("the calendar address points to ")
	} else {
		fmt.Fprintf(&b, "the calendar server %s is on ", r.host)
	}
	b.WriteString(r.place.String())
	if r.ip.IsValid() {
		fmt.Fprintf(&b, " (%s)", r.ip.WithZone(""))
	}
	if r.place == metadata {
		b.WriteString(", which kapbook never fetches from")
		return b.String()
	}
	b.WriteString(", which kapbook does not fetch from")
	if r.place == thisComputer || r.place == internalNet {
		fmt.Fprintf(&b, ". If this is the clinic's own calendar server, allow it: kapctl busy allow-host %s", canonicalHost(r.host))
	}
	return b.String()
}

// canonicalHost returns host as booking.CheckCalendarHost keeps it, so it
// compares with the clinic's allowed hosts.
func canonicalHost(host string) string {
	if h, err := booking.CheckCalendarHost(host); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
}

// guard decides where a fetch may connect.
type guard struct {
	allowed map[string]bool // canonical hosts that may be internal
}

func newGuard(hosts []string) *guard {
	g := &guard{allowed: map[string]bool{}}
	for _, h := range hosts {
		if c, err := booking.CheckCalendarHost(h); err == nil {
			g.allowed[c] = true
		}
	}
	return g
}

// checkHost refuses host before any lookup: a cloud metadata service's
// name or address, and an internal address written as such that the
// clinic has not allowed. Names are checked again on each address they
// resolve to (checkAddr).
func (g *guard) checkHost(host string) error {
	h := canonicalHost(host)
	if booking.MetadataHost(h) {
		r := &refusal{host: host, place: metadata}
		if ip, err := netip.ParseAddr(h); err == nil {
			r.ip = ip
		}
		return r
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		return g.checkAddr(host, ip)
	}
	return nil
}

// checkAddr refuses ip, an address host resolved to, unless it is public
// or on this computer or the clinic's network and host is allowed.
func (g *guard) checkAddr(host string, ip netip.Addr) error {
	switch p := placeOf(ip); {
	case p == public:
		return nil
	case (p == thisComputer || p == internalNet) && g.allowed[canonicalHost(host)]:
		return nil
	default:
		return &refusal{host: host, ip: ip.WithZone("").Unmap(), place: p}
	}
}

// dialContext connects to addr (host:port) for the transport. The
// dialer's Control hook checks every address it tries, after the name is
// resolved and before any packet is sent.
func (g *guard) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if err := g.checkHost(host); err != nil {
		return nil, err
	}
	d := &net.Dialer{
		Timeout:   FetchTimeout,
		KeepAlive: -1,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("calendar: cannot check the address %q before connecting", address)
			}
			return g.checkAddr(host, ap.Addr())
		},
	}
	return d.DialContext(ctx, network, addr)
}

// checkRedirect is the client's CheckRedirect: at most MaxRedirects, to
// http or https only, never from https back to http (which would send the
// rest of the address, perhaps secret, unencrypted), and never to an
// address the guard refuses by its look (dialContext checks the rest).
func (g *guard) checkRedirect(req *http.Request, via []*http.Request) error {
	from := via[0].URL.Hostname()
	switch {
	case len(via) > MaxRedirects:
		return &FetchError{Reason: fmt.Sprintf("the calendar server %s redirected more than %d times", from, MaxRedirects)}
	case req.URL.Scheme != "http" && req.URL.Scheme != "https":
		return &FetchError{Reason: fmt.Sprintf("the calendar server %s redirected to an address that is not http or https", from)}
	case req.URL.Scheme == "http" && via[len(via)-1].URL.Scheme == "https":
		return &FetchError{Reason: fmt.Sprintf("the calendar server %s redirected from a secure (https) address to an insecure (http) one; kapbook does not follow it", from)}
	}
	if err := g.checkHost(req.URL.Hostname()); err != nil {
		var r *refusal
		if errors.As(err, &r) {
			r.from = from
		}
		return err
	}
	return nil
}

// NewFetchClient returns the HTTP client that fetches subscribed
// calendars: a FetchTimeout limit, at most MaxRedirects redirects, to
// http or https only and never from https to http, no proxy, no
// connection kept after a fetch, and a guard that refuses every address
// on this computer, the clinic's internal network, a cloud metadata
// service, multicast or reserved, unless (except metadata) the host is
// one of allowedHosts (booking.Clinic.CalendarHosts): checked on each
// connection, redirects included, on the address actually dialed.
func NewFetchClient(allowedHosts []string) *http.Client {
	g := newGuard(allowedHosts)
	return &http.Client{
		Timeout:       FetchTimeout,
		CheckRedirect: g.checkRedirect,
		Transport: &http.Transport{
			Proxy:                  nil, // a proxy would connect for us, unchecked
			DialContext:            g.dialContext,
			ForceAttemptHTTP2:      true,
			TLSHandshakeTimeout:    10 * time.Second,
			ResponseHeaderTimeout:  FetchTimeout,
			MaxResponseHeaderBytes: 64 << 10,
			DisableKeepAlives:      true,
		},
	}
}

// CheckSubscriptionHost refuses, before anything is fetched, a calendar
// address (as SubscriptionURL returns it) whose host is a cloud metadata
// service, or an IP address on this computer, the clinic's internal
// network, multicast or reserved that allowedHosts does not name. A host
// name is checked when it is resolved, at each fetch. The error is a
// *FetchError whose cause is ErrInternalAddress.
func CheckSubscriptionHost(rawURL string, allowedHosts []string) error {
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		return &FetchError{Reason: "the calendar address is not a valid http or https address"}
	}
	if err := newGuard(allowedHosts).checkHost(req.URL.Hostname()); err != nil {
		return &FetchError{Reason: refusalReason(err), Err: err}
	}
	return nil
}

// refusalReason is the reason of a refusal in err's chain, or "".
func refusalReason(err error) string {
	var r *refusal
	if errors.As(err, &r) {
		return r.reason()
	}
	return ""
}
