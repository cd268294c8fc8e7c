package main

import (
	"strings"
	"testing"
)

// TestCommandTable: every command is listed once, with a summary and code
// to run, and each name's words are found again by lookup — the table is
// the whole of the command line (issue 12).
func TestCommandTable(t *testing.T) {
	if len(commands) != len(commandTable) {
		t.Fatalf("%d names for %d commands: a name is listed twice", len(commands), len(commandTable))
	}
	for _, c := range commandTable {
		if c.summary == "" || c.run == nil || c.db == unclassified {
			t.Errorf("command %q has no summary, no run or no database access (db)", c.name)
		}
		if got, rest := lookup(append(strings.Fields(c.name), "--flag")); got == nil || got.name != c.name || len(rest) != 1 {
			t.Errorf("lookup(%q) = %v, %v", c.name, got, rest)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a name listed twice did not stop the program")
		}
	}()
	indexCommands([]command{{name: "x"}, {name: "x"}})
}
