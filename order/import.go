package order

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"steward"
	"steward/policy"
)

// CSVHeader is the header row a product CSV file starts with, in this
// order: price_cents a whole number of cents including VAT (0: free),
// vat_percent 0, 9 or 21, format file or physical, file the file's name in
// the download directory (file only), free_for_account_holders and
// published true or false.
var CSVHeader = []string{"slug", "title_nl", "title_en", "description_nl", "description_en", "price_cents", "vat_percent", "format", "file", "free_for_account_holders", "published"}

// jsonProduct is one product of a JSON file: an array of these objects.
type jsonProduct struct {
	Slug            string `json:"slug"`
	TitleNL         string `json:"title_nl"`
	TitleEN         string `json:"title_en"`
	DescriptionNL   string `json:"description_nl"`
	DescriptionEN   string `json:"description_en"`
	PriceCents      int64  `json:"price_cents"`
	VATPercent      int    `json:"vat_percent"`
	Format          string `json:"format"`
	File            string `json:"file"`
	FreeForAccounts bool   `json:"free_for_account_holders"`
	Published       bool   `json:"published"`
}

// lineError wraps a product's error with the line of the file it is on,
// as the course import does (learning/import.go).
func lineError(line int, err error) error {
	var se *steward.Error
	if errors.As(err, &se) && se.Field != "" {
		return steward.Errorf(steward.EINVALID, "error.import_line_field", "line", line, "field", se.Field, "err", err)
	}
	return steward.Errorf(steward.EINVALID, "error.import_line", "line", line, "err", err)
}

func boolOf(s, field string) (bool, error) {
	switch strings.TrimSpace(s) {
	case "true":
		return true, nil
	case "false", "":
		return false, nil
	}
	return false, steward.FieldError(field, "error.must_be_true_or_false")
}

// ParseCSV reads products in CSV (CSVHeader first). A wrong line makes
// the whole file wrong, with its number in the error; a slug twice too.
func ParseCSV(data []byte) ([]Product, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(CSVHeader)
	headerErr := lineError(1, steward.Errorf(steward.EINVALID, "error.import_header", "header", strings.Join(CSVHeader, ",")))
	head, err := r.Read()
	if err != nil {
		return nil, headerErr
	}
	head[0] = strings.TrimPrefix(head[0], "\ufeff")
	for i := range CSVHeader {
		if strings.TrimSpace(head[i]) != CSVHeader[i] {
			return nil, headerErr
		}
	}
	var out []Product
	seen := map[string]int{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, lineError(pe.StartLine, steward.Errorf(steward.EINVALID, "error.import_csv_row", "columns", len(CSVHeader)))
			}
			return nil, err
		}
		line, _ := r.FieldPos(0)
		p := Product{Slug: rec[0], Title: policy.Text{NL: rec[1], EN: rec[2]}, Description: policy.Text{NL: rec[3], EN: rec[4]},
			Format: Format(strings.TrimSpace(rec[7])), File: rec[8]}
		if p.PriceCents, err = strconv.ParseInt(strings.TrimSpace(rec[5]), 10, 64); err != nil {
			return nil, lineError(line, steward.FieldError("price_cents", "error.course_price", "max", MaxPriceCents))
		}
		if p.VATPercent, err = strconv.Atoi(strings.TrimSpace(rec[6])); err != nil {
			return nil, lineError(line, steward.FieldError("vat_percent", "error.product_vat"))
		}
		if p.FreeForAccounts, err = boolOf(rec[9], "free_for_account_holders"); err != nil {
			return nil, lineError(line, err)
		}
		if p.Published, err = boolOf(rec[10], "published"); err != nil {
			return nil, lineError(line, err)
		}
		if err := add(&out, seen, p, line); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// add checks p and appends it, refusing a slug seen before in the file.
func add(out *[]Product, seen map[string]int, p Product, line int) error {
	if err := p.Check(); err != nil {
		return lineError(line, err)
	}
	if first, ok := seen[p.Slug]; ok {
		return lineError(line, steward.FieldError("slug", "error.import_duplicate_slug", "first", first))
	}
	seen[p.Slug] = line
	*out = append(*out, p)
	return nil
}

// ParseJSON reads products in JSON: an array of objects with the keys of
// CSVHeader. Unknown keys are refused. An error names the line its object
// starts on.
func ParseJSON(data []byte) ([]Product, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	lineAt := func(off int64) int { return 1 + bytes.Count(data[:min(int(off), len(data))], []byte("\n")) }
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, lineError(1, steward.Errorf(steward.EINVALID, "error.import_json_array"))
	}
	var out []Product
	seen := map[string]int{}
	for dec.More() {
		off := dec.InputOffset()
		for int(off) < len(data) && strings.ContainsRune(", \t\r\n", rune(data[off])) {
			off++
		}
		line := lineAt(off)
		var jp jsonProduct
		if err := dec.Decode(&jp); err != nil {
			return nil, lineError(line, steward.Errorf(steward.EINVALID, "error.import_json_object"))
		}
		p := Product{Slug: jp.Slug, Title: policy.Text{NL: jp.TitleNL, EN: jp.TitleEN}, Description: policy.Text{NL: jp.DescriptionNL, EN: jp.DescriptionEN},
			PriceCents: jp.PriceCents, VATPercent: jp.VATPercent, Format: Format(jp.Format), File: jp.File,
			FreeForAccounts: jp.FreeForAccounts, Published: jp.Published}
		if err := add(&out, seen, p, line); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, lineError(lineAt(dec.InputOffset()), steward.Errorf(steward.EINVALID, "error.import_json_array"))
	}
	return out, nil
}
