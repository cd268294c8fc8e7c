package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"steward/clock"
)

// renderCLI runs 'steward policy render' with args and returns the exit
// code, stdout and stderr.
func renderCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }, clock: clock.System{}}
	code := a.main(context.Background(), append([]string{"policy", "render"}, args...))
	return code, out.String(), errOut.String()
}

func TestPolicyRender(t *testing.T) {
	ivm := filepath.Join("..", "..", "policies", "ivm.yaml")
	zi := filepath.Join("..", "..", "policies", "zorginspirator.yaml")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"html_dutch_by_default", []string{ivm}, []string{"<!doctype html>", `<html lang="nl">`, "Privacyverklaring Instituut voor Verantwoord Medicijngebruik", "Autoriteit Persoonsgegevens", "<style>"}},
		{"flags_after_file", []string{zi, "--lang", "en", "--format", "html"}, []string{`<html lang="en">`, "Privacy statement Zorginspirator"}},
		{"flags_before_file", []string{"--format", "markdown", "--lang=en", zi}, []string{"# Privacy statement Zorginspirator", "## Your rights", "within one month"}},
		{"markdown_dutch", []string{ivm, "--format", "markdown"}, []string{"# Privacyverklaring", "binnen één maand", "toestemming (art. 6 lid 1 sub a AVG)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := renderCLI(t, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			if strings.Contains(out, "<script") {
				t.Error("the statement must need no script")
			}
		})
	}
}

func TestPolicyRenderBadFlagsAreUsageErrors(t *testing.T) {
	ivm := filepath.Join("..", "..", "policies", "ivm.yaml")
	for name, args := range map[string][]string{
		"unknown_lang":   {ivm, "--lang", "de"},
		"empty_lang":     {ivm, "--lang="},
		"unknown_format": {ivm, "--format", "pdf"},
		"two_files":      {ivm, ivm},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := renderCLI(t, args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if out != "" {
				t.Errorf("wrote to stdout: %.60q", out)
			}
			if lines := strings.Count(strings.TrimSpace(errOut), "\n") + 1; lines != 1 || errOut == "" {
				t.Errorf("want one line on stderr, got:\n%s", errOut)
			}
		})
	}
}

func TestPolicyRenderInvalidPolicyListsProblems(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("format: 1\nsite: {id: X}\nbogus: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := renderCLI(t, path)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if out != "" {
		t.Errorf("rendered an invalid policy: %.60q", out)
	}
	if !strings.Contains(errOut, path+":3:1: unknown key \"bogus\"") {
		t.Errorf("problems not listed as file:line:col:\n%s", errOut)
	}
}

func TestPolicyRenderListsEveryValidationProblem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "thin.yaml")
	if err := os.WriteFile(path, []byte("format: 1\nsite: {id: X}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := renderCLI(t, path)
	if code != 1 || out != "" {
		t.Errorf("exit %d, stdout %.60q; want 1 and nothing rendered", code, out)
	}
	for _, want := range []string{path + ":2:7: site.id", "controller.name is missing", "rights.complaint"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}
