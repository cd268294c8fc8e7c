package store

import (
	"context"
	"fmt"
	"time"
)

// PolicyVersion is a policy file the site has run under.
type PolicyVersion struct {
	SiteID    string
	Version   string
	Dated     string
	SHA256    string
	FirstSeen time.Time
}

// RecordPolicyVersion notes that the site now runs under the given policy
// file. Recording the same file again changes nothing.
func (s *Store) RecordPolicyVersion(ctx context.Context, v PolicyVersion) error {
	err := s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (site_id, version, dated, sha256, first_seen)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (site_id, version, sha256) DO NOTHING`,
			v.SiteID, v.Version, v.Dated, v.SHA256, v.FirstSeen.UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record policy version %s/%s: %w", v.SiteID, v.Version, err)
	}
	return nil
}

// PolicyVersions lists the policy files a site has run under, oldest first.
func (s *Store) PolicyVersions(ctx context.Context, siteID string) ([]PolicyVersion, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT site_id, version, dated, sha256, first_seen
		FROM policy_versions WHERE site_id = $1 ORDER BY first_seen, version`, siteID)
	if err != nil {
		return nil, fmt.Errorf("store: policy versions of %s: %w", siteID, err)
	}
	defer rows.Close()
	var out []PolicyVersion
	for rows.Next() {
		var v PolicyVersion
		var ms int64
		if err := rows.Scan(&v.SiteID, &v.Version, &v.Dated, &v.SHA256, &ms); err != nil {
			return nil, fmt.Errorf("store: policy versions of %s: %w", siteID, err)
		}
		v.FirstSeen = time.UnixMilli(ms).UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}
