package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"steward"
)

// PolicyPublication is one published version of a site's policy file
// (G1, issue 20).
type PolicyPublication struct {
	SiteID string
	// N is the version's number: 1, 2, ... per site.
	N      int
	SHA256 string
	// Content is the policy file as published; empty in listings.
	Content     string
	PublishedAt time.Time
	// PublishedBy is the audit actor who published it (staff:ID or
	// system:serve), never a name.
	PublishedBy string
	SummaryNL   string
	SummaryEN   string
	// EffectiveAt is when the version takes effect: its publication, or a
	// later date announced in advance (issue 20).
	EffectiveAt time.Time
}

// ErrNoPolicyPublication is returned when a version does not exist.
var ErrNoPolicyPublication = steward.Errorf(steward.ENOTFOUND, "error.no_policy_version")

// LatestPolicyPublication returns the site's newest published version
// with its content; ok is false when none was published yet.
func (r *Reader) LatestPolicyPublication(ctx context.Context, siteID string) (v PolicyPublication, ok bool, err error) {
	row := r.q.QueryRowContext(ctx, `SELECT p.site_id, p.n, p.sha256, p.content, p.published_at, p.published_by, p.summary_nl, p.summary_en, COALESCE(e.effective_at, p.published_at)
		FROM policy_publications p LEFT JOIN policy_effective e ON e.site_id = p.site_id AND e.n = p.n WHERE p.site_id = $1 ORDER BY p.n DESC LIMIT 1`, siteID)
	v, err = scanPolicyPublication(row)
	if errors.Is(err, sql.ErrNoRows) {
		return PolicyPublication{}, false, nil
	}
	if err != nil {
		return PolicyPublication{}, false, fmt.Errorf("store: latest policy publication of %s: %w", siteID, err)
	}
	return v, true, nil
}

// LatestPolicyPublicationHead is LatestPolicyPublication without the
// content: what a page's banner needs, read on every page.
func (r *Reader) LatestPolicyPublicationHead(ctx context.Context, siteID string) (v PolicyPublication, ok bool, err error) {
	row := r.q.QueryRowContext(ctx, `SELECT p.site_id, p.n, p.sha256, '', p.published_at, p.published_by, p.summary_nl, p.summary_en, COALESCE(e.effective_at, p.published_at)
		FROM policy_publications p LEFT JOIN policy_effective e ON e.site_id = p.site_id AND e.n = p.n WHERE p.site_id = $1 ORDER BY p.n DESC LIMIT 1`, siteID)
	v, err = scanPolicyPublication(row)
	if errors.Is(err, sql.ErrNoRows) {
		return PolicyPublication{}, false, nil
	}
	if err != nil {
		return PolicyPublication{}, false, fmt.Errorf("store: latest policy publication of %s: %w", siteID, err)
	}
	return v, true, nil
}

// PolicyPublication returns version n of the site's policy with its
// content, or ErrNoPolicyPublication.
func (r *Reader) PolicyPublication(ctx context.Context, siteID string, n int) (PolicyPublication, error) {
	row := r.q.QueryRowContext(ctx, `SELECT p.site_id, p.n, p.sha256, p.content, p.published_at, p.published_by, p.summary_nl, p.summary_en, COALESCE(e.effective_at, p.published_at)
		FROM policy_publications p LEFT JOIN policy_effective e ON e.site_id = p.site_id AND e.n = p.n WHERE p.site_id = $1 AND p.n = $2`, siteID, n)
	v, err := scanPolicyPublication(row)
	if errors.Is(err, sql.ErrNoRows) {
		return PolicyPublication{}, ErrNoPolicyPublication
	}
	if err != nil {
		return PolicyPublication{}, fmt.Errorf("store: policy publication %s/%d: %w", siteID, n, err)
	}
	return v, nil
}

// PolicyPublications lists the site's published versions, newest first,
// without their content.
func (r *Reader) PolicyPublications(ctx context.Context, siteID string) ([]PolicyPublication, error) {
	out, err := rowsOf(ctx, r, func(rows *sql.Rows) (PolicyPublication, error) { return scanPolicyPublication(rows) },
		`SELECT p.site_id, p.n, p.sha256, '', p.published_at, p.published_by, p.summary_nl, p.summary_en, COALESCE(e.effective_at, p.published_at)
		FROM policy_publications p LEFT JOIN policy_effective e ON e.site_id = p.site_id AND e.n = p.n WHERE p.site_id = $1 ORDER BY p.n DESC`, siteID)
	if err != nil {
		return nil, fmt.Errorf("store: policy publications of %s: %w", siteID, err)
	}
	return out, nil
}

// InsertPolicyPublication stores v as the site's next version and returns
// its number. The caller decides that the content changed.
func (tx *Tx) InsertPolicyPublication(ctx context.Context, v PolicyPublication) (int, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(n), 0) + 1 FROM policy_publications WHERE site_id = $1`, v.SiteID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: next policy version of %s: %w", v.SiteID, err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO policy_publications (site_id, n, sha256, content, published_at, published_by, summary_nl, summary_en)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		v.SiteID, n, v.SHA256, v.Content, v.PublishedAt.UnixMilli(), v.PublishedBy, v.SummaryNL, v.SummaryEN)
	if err == nil && v.EffectiveAt.After(v.PublishedAt) {
		_, err = tx.ExecContext(ctx, `INSERT INTO policy_effective (site_id, n, effective_at) VALUES ($1, $2, $3)`,
			v.SiteID, n, v.EffectiveAt.UnixMilli())
	}
	if err != nil {
		return 0, fmt.Errorf("store: publish policy %s/%d: %w", v.SiteID, n, err)
	}
	return n, nil
}

type rowScanner interface{ Scan(dest ...any) error }

func scanPolicyPublication(row rowScanner) (PolicyPublication, error) {
	var v PolicyPublication
	var at, eff int64
	err := row.Scan(&v.SiteID, &v.N, &v.SHA256, &v.Content, &at, &v.PublishedBy, &v.SummaryNL, &v.SummaryEN, &eff)
	v.PublishedAt = time.UnixMilli(at).UTC()
	v.EffectiveAt = time.UnixMilli(eff).UTC()
	return v, err
}
