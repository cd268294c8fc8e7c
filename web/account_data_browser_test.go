package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"steward/internal/testkit"
	"steward/rights"
)

// TestBrowserMyDataExportAndErasure drives the self-service rights in
// headless Chromium against the real router (issue 7; Art. 15, 17, 20;
// R13, Z8): log in, open My data, download the export (the ZIP arrives
// with data.json and the order), erase the account with the confirmation,
// and see that logging in again fails. Screenshots go to t.TempDir().
func TestBrowserMyDataExportAndErasure(t *testing.T) {
	t.Parallel() // a browser test waits more than it computes: they overlap
	ctx := testkit.Browser(t)
	s := testkit.SQLite(t)
	st := newSite(t, s, "ivm")
	st.signUpAndConfirm(st.browser(), "browser@example.nl")
	id := personID(t, s, "browser@example.nl")
	addRecord(t, s, "ivm", id, "order", st.clock.Now().AddDate(0, -1, 0), map[string]string{"order_number": "ORD-0815", "items": "Handboek"})

	base := st.srv.URL
	shots, downloads := t.TempDir(), t.TempDir()
	C := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	shot := func(name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(shots, name+".jpg")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", path, len(b))
	}
	// login submits the login form and waits for what should follow: the
	// account page, or the login page again with its error summary.
	login := func(then string) {
		t.Helper()
		do("login form", chromedp.Navigate(base+"/login?lang=en"),
			chromedp.SendKeys(C(`#f-email`), "browser@example.nl"),
			chromedp.SendKeys(C(`#f-password`), "correct horse battery"),
			chromedp.Submit(C(`#f-password`)),
			chromedp.WaitVisible(C(then)))
	}

	login(`#account-email`)
	do("my data", chromedp.Navigate(base+"/account/data?lang=en"), chromedp.WaitVisible(C(`#export`)))
	shot("1-my-data")
	if body, err := chromedp.Run(ctx, chromedp.Text(C(`main`))); err != nil || !strings.Contains(body, "ORD-0815") {
		t.Fatalf("my data does not show the order (%v)", err)
	}

	// The export arrives as a download.
	progress := chromedp.Events(ctx, cdpbrowser.DownloadProgress)
	allow := true
	do("download", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &allow})
		return err
	}), chromedp.Click(C(`#export`)))
	var zipPath string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			t.Fatal("the export download was cancelled")
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			zipPath = filepath.Join(downloads, ev.GUID)
			break
		}
	}
	zipped, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	files := unzip(t, string(zipped))
	if !strings.Contains(files[rights.ExportDataFile], id) || !strings.Contains(files["order.csv"], "ORD-0815") {
		t.Fatalf("the downloaded export (%d bytes) lacks the person or their order: %v", len(zipped), keys(files))
	}
	t.Logf("export: %d bytes, %d files", len(zipped), len(files))

	// Erasure: the plan, the confirmation box, and the account is gone.
	do("erase page", chromedp.Click(C(`#erase`)), chromedp.WaitVisible(C(`input[name=confirm]`)))
	shot("2-erase-plan")
	do("erase", chromedp.Click(C(`input[name=confirm]`)), chromedp.Click(C(`button.danger`)),
		chromedp.WaitVisible(C(`main [role=status]`)))
	shot("3-erased")

	login(`.error-summary`)
	shot("4-login-again")
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(loc, "/login") {
		t.Fatalf("after erasure logging in went to %s, want to stay on the login page", loc)
	}
	if summary, err := chromedp.Run(ctx, chromedp.Text(C(`.error-summary`))); err != nil || summary == "" {
		t.Fatalf("logging in after erasure shows no error (%v)", err)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
