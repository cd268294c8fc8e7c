package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads the --trusted-proxy list: CIDR prefixes or
// single addresses, separated by commas. An empty list trusts nobody.
// A bad entry is an error naming it, so serve refuses to start (G3).
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is neither a CIDR prefix (10.0.0.0/8) nor an address", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// trusted reports whether addr is one of the configured proxies.
func (s *Server) trusted(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// peer is the address of the machine that opened the connection.
func peer(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	return a.Unmap(), err == nil
}

// fromTrustedProxy reports whether the request reached Steward through
// one of the configured proxies, whose forwarding headers may be believed.
func (s *Server) fromTrustedProxy(r *http.Request) bool {
	a, ok := peer(r)
	return ok && s.trusted(a)
}

// clientIP is the address the request came from, the key of the per-
// address rate limits (issue 4, item 3). X-Forwarded-For is read only when
// the peer is a trusted proxy, and then from the right: each trusted proxy
// appends the address it got the request from, so the rightmost address
// that is not a trusted proxy is the first one nobody of ours vouches
// for — whatever stands left of it the client could have written itself.
// Without trusted proxies the header is ignored.
func (s *Server) clientIP(r *http.Request) string {
	a, ok := peer(r)
	if !ok {
		return r.RemoteAddr
	}
	if !s.trusted(a) {
		return a.String()
	}
	hops := forwardedFor(r)
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := netip.ParseAddr(hops[i])
		if err != nil {
			// Only a client writes garbage; the trusted hop to its
			// right is the best we know.
			break
		}
		a = h.Unmap()
		if !s.trusted(a) {
			break
		}
	}
	return a.String()
}

// forwardedFor returns the X-Forwarded-For addresses in order, from every
// header line (a proxy may add a line instead of extending one).
func forwardedFor(r *http.Request) []string {
	var out []string
	for _, line := range r.Header.Values("X-Forwarded-For") {
		for _, h := range strings.Split(line, ",") {
			if h = strings.TrimSpace(h); h != "" {
				out = append(out, h)
			}
		}
	}
	return out
}

// secure reports whether the browser reached the site over TLS: directly,
// by configuration, or through a trusted proxy that says so. Cookies are
// then marked Secure (R12, TLS-ready).
func (s *Server) secure(r *http.Request) bool {
	return s.cfg.Secure || r.TLS != nil || s.forwardedHTTPS(r)
}

// forwardedHTTPS reports whether a trusted proxy says in
// X-Forwarded-Proto that the browser used HTTPS. The proxy nearest the
// browser writes the first value.
func (s *Server) forwardedHTTPS(r *http.Request) bool {
	if !s.fromTrustedProxy(r) {
		return false
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}
