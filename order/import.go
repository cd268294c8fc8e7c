package order

import (
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
	return steward.ParseCSV(data, CSVHeader, productOf, (*Product).slug)
}

// productOf reads one line of a product CSV file.
func productOf(rec []string) (Product, error) {
	p := Product{Slug: rec[0], Title: policy.Text{NL: rec[1], EN: rec[2]}, Description: policy.Text{NL: rec[3], EN: rec[4]},
		Format: Format(strings.TrimSpace(rec[7])), File: rec[8]}
	var err error
	if p.PriceCents, err = strconv.ParseInt(strings.TrimSpace(rec[5]), 10, 64); err != nil {
		return p, steward.FieldError("price_cents", "error.course_price", "max", MaxPriceCents)
	}
	if p.VATPercent, err = strconv.Atoi(strings.TrimSpace(rec[6])); err != nil {
		return p, steward.FieldError("vat_percent", "error.product_vat")
	}
	if p.FreeForAccounts, err = boolOf(rec[9], "free_for_account_holders"); err != nil {
		return p, err
	}
	if p.Published, err = boolOf(rec[10], "published"); err != nil {
		return p, err
	}
	return p, nil
}

func (p *Product) slug() string { return p.Slug }

// ParseJSON reads products in JSON: an array of objects with the keys of
// CSVHeader. Unknown keys are refused. An error names the line its object
// starts on.
func ParseJSON(data []byte) ([]Product, error) {
	return steward.ParseJSON(data, func(jp jsonProduct) Product {
		return Product{Slug: jp.Slug, Title: policy.Text{NL: jp.TitleNL, EN: jp.TitleEN}, Description: policy.Text{NL: jp.DescriptionNL, EN: jp.DescriptionEN},
			PriceCents: jp.PriceCents, VATPercent: jp.VATPercent, Format: Format(jp.Format), File: jp.File,
			FreeForAccounts: jp.FreeForAccounts, Published: jp.Published}
	}, (*Product).slug)
}
