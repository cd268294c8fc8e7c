// Command steward runs a site's accounts and personal data under its
// privacy policy file. main only wires: each subcommand lives in its own
// file and is listed in commandTable (commands.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"steward"
	"steward/clock"
	"steward/message"
	"steward/policy"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one steward subcommand.
type command struct {
	name    string // e.g. "serve", "policy check" or "retention override set"
	summary string
	// db says what the command does with the database (commands.go).
	db access
	// run executes the command; args are what follows the command's name.
	run func(ctx context.Context, app *app, args []string) error
}

// app is what every subcommand gets: where to write, the environment and
// the clock. Tests build one with buffers and a fixed clock.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	clock          clock.Clock
}

// errUsage marks a command line that is wrong; the command has already
// printed what is wrong and how to use it.
var errUsage = errors.New("usage")

// errReported marks a failure the command has already explained on stderr.
var errReported = errors.New("reported")

// wrongUsage tells what is wrong with a command line, in one line on stderr led
// by the command's name, its text from the catalogue in English, and
// returns errUsage (exit 2).
func (a *app) wrongUsage(name, key string, args ...any) error {
	a.note(name, key, args...)
	return errUsage
}

// note writes one line on stderr, led by the command's name, its text from
// the catalogue in English: a warning or notice that is not the command's
// output.
func (a *app) note(name, key string, args ...any) {
	fmt.Fprintf(a.stderr, "steward %s: %s\n", name, message.Format("en", key, args...))
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go exitAfterGrace(ctx, stopGrace)
	a := &app{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, clock: clock.System{}}
	code := a.main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// main runs the command line and returns the process exit code.
func (a *app) main(ctx context.Context, args []string) int {
	if len(args) == 0 || isHelp(args[0]) {
		if len(args) > 1 {
			return a.main(ctx, append(args[1:], "-h"))
		}
		a.usage(a.stdout)
		return 0
	}
	cmd, rest := lookup(args)
	// A group's name ("policy", "retention override") alone or with -h
	// lists the group's commands: with -h on stdout (exit 0), alone on
	// stderr as a wrong command line (exit 2).
	group := ""
	switch {
	case cmd != nil && isGroup(cmd.name):
		group = cmd.name
	case cmd == nil:
		// The longest group the words name: "retention override" before
		// "retention".
		for n := min(len(args), maxWords); n > 0 && group == ""; n-- {
			if g := strings.Join(args[:n], " "); isGroup(g) {
				group, rest = g, args[n:]
			}
		}
	}
	if group != "" {
		switch {
		case len(rest) == 0:
			a.groupUsage(a.stderr, group)
			return 2
		case len(rest) == 1 && isHelp(rest[0]):
			a.groupUsage(a.stdout, group)
			return 0
		case cmd == nil:
			fmt.Fprintf(a.stderr, "steward: %s\n", message.Format("en", "cli.unknown_subcommand", "command", group+" "+rest[0],
				"group", group, "subcommands", strings.Join(subcommands(group), ", ")))
			return 2
		}
	}
	if cmd == nil {
		fmt.Fprintf(a.stderr, "steward: %s\n", message.Format("en", "cli.unknown_command", "command", strings.Join(args[:min(len(args), 2)], " ")))
		return 2
	}
	err := cmd.run(ctx, a, rest)
	return a.exitCode(cmd.name, err)
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "--help" || arg == "-help"
}

// maxWords is the most words a command name has ("retention override set").
const maxWords = 3

// lookup finds the longest registered command name that args start with.
func lookup(args []string) (*command, []string) {
	for n := min(len(args), maxWords); n > 0; n-- {
		if c := commands[strings.Join(args[:n], " ")]; c != nil {
			return c, args[n:]
		}
	}
	return nil, args
}

// isGroup reports whether some command's name starts with name and a space.
func isGroup(name string) bool {
	for n := range commands {
		if strings.HasPrefix(n, name+" ") {
			return true
		}
	}
	return false
}

// subcommands returns the next words after group of the group's commands,
// sorted: "check", "render" for "policy".
func subcommands(group string) []string {
	seen := map[string]bool{}
	var subs []string
	for n := range commands {
		if rest, ok := strings.CutPrefix(n, group+" "); ok {
			w, _, _ := strings.Cut(rest, " ")
			if !seen[w] {
				seen[w] = true
				subs = append(subs, w)
			}
		}
	}
	sort.Strings(subs)
	return subs
}

// exitCode is the one place errors become exit codes and messages: 0 for
// success, 2 for a wrong command line, 1 for anything else, with one line
// on stderr saying what is wrong.
func (a *app) exitCode(name string, err error) int {
	var problems policy.Problems
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errReported):
		return 1
	case errors.As(err, &problems):
		for _, p := range problems {
			fmt.Fprintln(a.stderr, p.Error())
		}
		return 1
	case steward.ErrorCode(err) == steward.EINTERNAL:
		fmt.Fprintf(a.stderr, "steward %s: %v\n", name, err)
		return 1
	default:
		fmt.Fprintf(a.stderr, "steward %s: %s\n", name, cliMessage(err))
		return 1
	}
}

// cliMessage is an error's safe message, led by the field (flag) it is
// about when the message does not name it already: "format: must be table
// or json", not a bare "must be table or json".
func cliMessage(err error) string {
	msg := steward.ErrorMessage(err)
	var e *steward.Error
	if errors.As(err, &e) && e.Field != "" && !strings.Contains(msg, e.Field) {
		return e.Field + ": " + msg
	}
	return msg
}

func (a *app) usage(w io.Writer) {
	fmt.Fprintf(w, "Steward keeps a site's personal data under its privacy policy.\n\nUsage: steward COMMAND [flags]\n\nCommands:\n")
	listCommands(w, "")
	fmt.Fprintf(w, "\nRun 'steward COMMAND -h' for a command's flags, 'steward GROUP -h' (e.g. 'steward policy -h') for a group's commands.\n")
}

// groupUsage lists the commands of group ("policy", "retention override")
// with their summaries.
func (a *app) groupUsage(w io.Writer, group string) {
	fmt.Fprintf(w, "Usage: steward %s COMMAND [flags]\n\n", group)
	if c := commands[group]; c != nil {
		fmt.Fprintf(w, "%s\n\n", c.summary)
	}
	fmt.Fprintf(w, "Commands:\n")
	listCommands(w, group+" ")
	fmt.Fprintf(w, "\nRun 'steward %s COMMAND -h' for a command's flags.\n", group)
}

// listCommands writes the commands whose names start with prefix, sorted,
// each with its summary.
func listCommands(w io.Writer, prefix string) {
	var names []string
	width := 0
	for n := range commands {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
			width = max(width, len(n))
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, commands[n].summary)
	}
}

// flags returns a FlagSet for a command that prints its usage to stderr and
// reports errors instead of exiting.
func (a *app) flags(name, args, about string) *flag.FlagSet {
	fs := flag.NewFlagSet("steward "+name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: steward %s %s\n\n%s\n", name, args, about)
		if hasFlags(fs) {
			fmt.Fprintf(fs.Output(), "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parse parses flags, turning a parse failure into errUsage (the FlagSet has
// already printed why).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// listFormat is a list command's --format: table, for people, or json.
type listFormat struct{ v *string }

// formatFlag adds --format (table or json, default table) to fs.
func formatFlag(fs *flag.FlagSet) listFormat {
	return listFormat{fs.String("format", "table", "table or json")}
}

// check refuses any other value, after parsing.
func (f listFormat) check() error {
	if *f.v != "table" && *f.v != "json" {
		return steward.FieldError("format", "error.must_be_table_or_json")
	}
	return nil
}

func (f listFormat) json() bool { return *f.v == "json" }

// env returns the environment variable name's value, or def.
func (a *app) env(name, def string) string {
	if v := a.getenv(name); v != "" {
		return v
	}
	return def
}

// stopGrace is how long a command may take to stop after SIGTERM or an
// interrupt: serve drains its connections within 15 s, and the long jobs
// (retention run, newsletter send) stop at their next batch, each batch
// one transaction, so nothing is half-applied when the process then ends.
const stopGrace = 20 * time.Second

// exitAfterGrace ends the process when a command has not returned within
// grace of a stop signal, so no command — one blocked in a read, say —
// can ignore SIGTERM (issue 14, finding 9).
func exitAfterGrace(ctx context.Context, grace time.Duration) {
	<-ctx.Done()
	time.Sleep(grace)
	fmt.Fprintln(os.Stderr, "steward: did not stop within", grace, "of the signal; exiting")
	os.Exit(143)
}

// positional parses a command line whose n positional arguments may come
// before the flags or after them (steward staff add EMAIL --role admin;
// steward policy diff OLD NEW --lang en). Anything but exactly n is a
// usage error.
func positional(fs *flag.FlagSet, args []string, n int) ([]string, error) {
	var pos []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = append(pos, args[0]), args[1:]
	}
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	pos = append(pos, fs.Args()...)
	if len(pos) != n {
		fs.Usage()
		return nil, errUsage
	}
	return pos, nil
}
