package main

import (
	"context"
	"fmt"
	"slices"

	"steward/policy"
	"steward/statement"
)

// renderFormats are the output formats of 'policy render', the first the default.
var renderFormats = []string{"html", "markdown"}

// runPolicyRender prints the privacy statement rendered from a policy file
// (issue 3 item 1, G1): the same text /privacy serves, for review and for
// publishing elsewhere.
func runPolicyRender(ctx context.Context, a *app, args []string) error {
	fs := a.flags("policy render", "[FILE] [--lang nl|en] [--format html|markdown]",
		"Prints the privacy statement rendered from the policy file: a standalone HTML page\n"+
			"(stylesheet inlined, no script) or Markdown. Dutch is the default language.\n"+
			"Without FILE, the --policy file is rendered. An invalid policy prints every problem\n"+
			"as file:line:col: message and exits 1.")
	lang := fs.String("lang", policy.Languages[0], fmt.Sprintf("language of the statement: one of %v", policy.Languages))
	format := fs.String("format", renderFormats[0], fmt.Sprintf("output format: one of %v", renderFormats))
	policyPath := a.policyFlag(fs)
	// FILE may come before the flags (steward policy render FILE --lang en),
	// so parse again after each positional argument.
	var files []string
	for {
		if err := parse(fs, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) > 1 {
		return a.wrongUsage("policy render", "cli.one_file_at_a_time", "n", len(files))
	}
	if _, err := statement.Language(*lang); err != nil || *lang == "" {
		return a.wrongUsage("policy render", "cli.unknown_lang", "lang", *lang, "choices", policy.Languages)
	}
	if !slices.Contains(renderFormats, *format) {
		return a.wrongUsage("policy render", "cli.unknown_format", "format", *format, "choices", renderFormats)
	}
	path := *policyPath
	if len(files) == 1 {
		path = files[0]
	}
	p, err := loadPolicy(path)
	if err != nil {
		return err
	}
	if *format == "markdown" {
		return statement.RenderMarkdown(a.stdout, p, *lang)
	}
	return statement.RenderHTML(a.stdout, p, *lang)
}
