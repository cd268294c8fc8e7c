// Command generate writes Zorginspirator's sample catalogue as JSON on
// standard output (issue 18):
//
//	go run ./catalogue/sample/generate > policies/content/zorginspirator-catalogue.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"steward/catalogue/sample"
)

func main() {
	jobs := flag.Int("jobs", 220, "number of functies")
	courses := flag.Int("courses", 140, "number of opleidingen")
	seed := flag.Uint64("seed", 18, "seed; the same seed gives the same file")
	flag.Parse()
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sample.Generate(*jobs, *courses, *seed)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
