package web

import (
	"net/url"
	"strings"
)

// localPath reports whether target is a path on this site that is safe to
// redirect to after a login or a cookie choice. Browsers normalise a
// Location before they resolve it — they drop tabs and newlines and read a
// backslash as a slash — so "/\t/evil.example" and "/\evil.example" become
// "//evil.example", another host (ASVS 5.1.5). Any control character or
// backslash is therefore refused outright, and what is left must parse as a
// path with no scheme, host or user.
func localPath(target string) bool {
	if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") {
		return false
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return false
		}
	}
	u, err := url.Parse(target)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && !u.IsAbs() && strings.HasPrefix(u.Path, "/")
}

// safeNext accepts only a local path as a place to return to, so the login
// form cannot be used to send someone to another site; "" otherwise.
func safeNext(next string) string {
	if !localPath(next) {
		return ""
	}
	return next
}

// safeReturn keeps the cookie notice's redirect on this site: a local path,
// or the home page in the chosen language.
func safeReturn(ret, lang string) string {
	if !localPath(ret) {
		return "/" + langQuery(lang)
	}
	return ret
}
