package testkit

import "testing"

// ServeEnv returns environment settings a test needs to start 'steward
// serve' in a temp dir: key files and the like go there, never into the
// repository.
func ServeEnv(t testing.TB) map[string]string {
	dir := t.TempDir()
	return map[string]string{
		"STEWARD_AUDIT_KEY_FILE":   dir + "/audit.key",
		"STEWARD_CONSENT_KEY_FILE": dir + "/consent.key",
		"STEWARD_KEY_FILE":         dir + "/data.key",
	}
}
