package booking

import (
	"context"
	"net/netip"
	"slices"
	"strings"
)

// MaxCalendarHosts is how many hosts Clinic.CalendarHosts may name.
const MaxCalendarHosts = 20

// metadataHosts are the names and addresses of cloud servers' metadata
// services, which hand out the server's credentials to whoever asks from
// inside it. No calendar lives there: kapbook never fetches from them,
// and they cannot be allowed (docs/security.md, "Calendar subscriptions").
var metadataHosts = map[string]bool{
	"metadata.google.internal":   true, // Google Cloud
	"metadata.goog":              true, // Google Cloud
	"metadata":                   true, // Google Cloud, short name
	"metadata.azure.internal":    true, // Azure
	"instance-data":              true, // AWS
	"instance-data.ec2.internal": true, // AWS
	"169.254.169.254":            true, // AWS, Google, Azure, OpenStack, DigitalOcean…
	"169.254.170.2":              true, // AWS container credentials
	"fd00:ec2::254":              true, // AWS over IPv6
	"100.100.100.200":            true, // Alibaba Cloud
}

// MetadataHost reports whether host (a name or an address, as
// CheckCalendarHost returns it) is a cloud metadata service.
func MetadataHost(host string) bool { return metadataHosts[host] }

// CheckCalendarHost checks one host for Clinic.CalendarHosts and returns
// it in the form kept: a host name (calendar.clinic.lan, localhost) in
// lower case without a final dot, or an IP address in its usual form
// (10.0.0.5, ::1; [::1] is read as ::1). No scheme, port, path or user.
// Returns EINVALID, in words for the front desk, for anything else and
// for a cloud metadata service, which is never allowed.
func CheckCalendarHost(s string) (string, error) {
	h := strings.ToLower(strings.TrimSpace(s))
	shown := Clip(OneLine(s), 60)
	if h == "" {
		return "", Errorf(EINVALID, "The calendar host is empty; give a name such as calendar.clinic.lan or an address such as 10.0.0.5.")
	}
	if strings.Contains(h, "://") || strings.ContainsAny(h, "/?#@\\") {
		return "", Errorf(EINVALID, "%q is not a host: give only the server's name, such as calendar.clinic.lan, without https:// or anything after it.", shown)
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if strings.Contains(h, ":") || strings.Contains(h, "%") {
		ip, err := netip.ParseAddr(h)
		if err != nil || ip.Zone() != "" {
			return "", Errorf(EINVALID, "%q is not a host: give the server's name or address without a port (no :8080) or network zone.", shown)
		}
		h = ip.Unmap().String()
	} else if ip, err := netip.ParseAddr(h); err == nil {
		h = ip.String()
	} else if err := checkHostName(h, shown); err != nil {
		return "", err
	} else {
		h = strings.TrimSuffix(h, ".")
	}
	if ip, err := netip.ParseAddr(h); err == nil && (ip.IsUnspecified() || ip.IsMulticast()) {
		return "", Errorf(EINVALID, "%s is not an address a calendar server can have.", h)
	}
	if MetadataHost(h) {
		return "", Errorf(EINVALID, "%s is a cloud server's metadata service, not a calendar; kapbook never fetches from it.", h)
	}
	return h, nil
}

// checkHostName checks a DNS name (RFC 1123): labels of letters, digits
// and hyphens (and underscores, which some clinic networks use), at most
// 63 characters each and 253 in all, with an optional final dot.
func checkHostName(h, shown string) error {
	bad := Errorf(EINVALID, "%q is not a host name; a host name is letters, digits, hyphens and dots, such as calendar.clinic.lan.", shown)
	name := strings.TrimSuffix(h, ".")
	if name == "" || len(name) > 253 {
		return bad
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return bad
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				if r > 127 {
					return Errorf(EINVALID, "%q has letters outside A to Z; give the name in its xn-- form, as the clinic's network shows it.", shown)
				}
				if r == '*' {
					return Errorf(EINVALID, "%q is a pattern; allow each calendar server by its own name.", shown)
				}
				return bad
			}
		}
	}
	return nil
}

// CalendarHosts checks hosts for Clinic.CalendarHosts and returns them as
// kept: each in CheckCalendarHost's form, duplicates dropped, in the order
// given. Returns EINVALID for a bad host or more than MaxCalendarHosts.
func CalendarHosts(hosts []string) ([]string, error) {
	var out []string
	for _, s := range hosts {
		h, err := CheckCalendarHost(s)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	if len(out) > MaxCalendarHosts {
		return nil, Errorf(EINVALID, "At most %d calendar hosts can be allowed; this would be %d.", MaxCalendarHosts, len(out))
	}
	return out, nil
}

// SetCalendarHosts replaces the hosts a busy-time subscription may reach
// although they are on this computer or the clinic's internal network
// (Clinic.CalendarHosts), with an audit entry "calendar-hosts", keeping
// every other clinic setting as stored. It returns the hosts as kept (see
// CalendarHosts). Returns EINVALID for a bad host or too many.
func (s *Service) SetCalendarHosts(ctx context.Context, hosts []string) ([]string, error) {
	kept, err := CalendarHosts(hosts)
	if err != nil {
		return nil, err
	}
	return s.changeCalendarHosts(ctx, func([]string) ([]string, error) { return kept, nil })
}

// AllowCalendarHost adds host to the clinic's calendar hosts (see
// SetCalendarHosts) and returns them all. A host already allowed changes
// nothing and records nothing. Returns EINVALID for a bad host or one too
// many.
func (s *Service) AllowCalendarHost(ctx context.Context, host string) ([]string, error) {
	h, err := CheckCalendarHost(host)
	if err != nil {
		return nil, err
	}
	return s.changeCalendarHosts(ctx, func(old []string) ([]string, error) {
		return CalendarHosts(append(slices.Clone(old), h))
	})
}

// DisallowCalendarHost removes host from the clinic's calendar hosts (see
// SetCalendarHosts) and returns those left. Returns ENOTFOUND for a host
// not allowed.
func (s *Service) DisallowCalendarHost(ctx context.Context, host string) ([]string, error) {
	h := strings.ToLower(strings.TrimSpace(host))
	if h == "" {
		return nil, Errorf(EINVALID, "Which calendar host? Give its name, as kapctl busy hosts lists it.")
	}
	if c, err := CheckCalendarHost(h); err == nil {
		h = c
	}
	same := func(x string) bool {
		c, err := CheckCalendarHost(x)
		return x == h || err == nil && c == h
	}
	return s.changeCalendarHosts(ctx, func(old []string) ([]string, error) {
		if !slices.ContainsFunc(old, same) {
			return nil, Errorf(ENOTFOUND, "%s is not an allowed calendar host; nothing was changed.", Clip(OneLine(h), 60))
		}
		return slices.DeleteFunc(slices.Clone(old), same), nil
	})
}

// changeCalendarHosts stores the clinic's calendar hosts as change makes
// them from those stored, in one transaction with an audit entry; nothing
// is written when they stay the same.
func (s *Service) changeCalendarHosts(ctx context.Context, change func(old []string) ([]string, error)) ([]string, error) {
	var kept []string
	err := s.Store.Update(ctx, func(tx Tx) error {
		c, err := tx.Clinic(ctx)
		if err != nil {
			return err
		}
		hosts, err := change(c.CalendarHosts)
		if err != nil {
			return err
		}
		if len(hosts) == 0 {
			hosts = nil
		}
		kept = hosts
		if slices.Equal(hosts, c.CalendarHosts) {
			return nil
		}
		before := auditJSON(c.CalendarHosts)
		c.CalendarHosts = hosts
		if err := tx.SaveClinic(ctx, c); err != nil {
			return err
		}
		return appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: "calendar-hosts", Before: before, After: auditJSON(hosts),
			Note: "calendar hosts allowed on this computer or the clinic's network: " + hostList(hosts)})
	})
	if err != nil {
		return nil, err
	}
	return kept, nil
}

// hostList words a list of hosts for the audit trail.
func hostList(hosts []string) string {
	if len(hosts) == 0 {
		return "none"
	}
	return strings.Join(hosts, ", ")
}
