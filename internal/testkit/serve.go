package testkit

import "testing"

// ServeEnv returns environment settings a test needs to start 'steward
// serve' (or any command that appends audit entries) in a temp dir: key
// files and the like go there, never into the repository. The names are
// the ones the commands read; cmd/steward's TestMain fails a run that
// leaves a key file behind.
func ServeEnv(t testing.TB) map[string]string {
	dir := t.TempDir()
	return map[string]string{
		"STEWARD_AUDIT_KEY":        dir + "/audit.key",
		"STEWARD_CONSENT_KEY_FILE": dir + "/consent.key",
		"STEWARD_KEY_FILE":         dir + "/data.key",
	}
}
