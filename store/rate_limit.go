package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// takeTokenSQL takes one token from a bucket as a generic cell rate
// algorithm in one statement, so concurrent processes cannot both take the
// last token: $3 is now, $4 the emission interval (one token per $4 ms),
// $5 the burst times the interval. Every SET expression reads the row as
// it was, so "allowed" and "tat" are decided from the same old tat.
const takeTokenSQL = `INSERT INTO rate_limits (bucket, key, tat, allowed) VALUES ($1, $2, CAST($3 AS BIGINT) + CAST($4 AS BIGINT), TRUE)
ON CONFLICT (bucket, key) DO UPDATE SET
	allowed = (CASE WHEN rate_limits.tat > $3 THEN rate_limits.tat ELSE $3 END) + $4 - $3 <= $5,
	tat = CASE WHEN (CASE WHEN rate_limits.tat > $3 THEN rate_limits.tat ELSE $3 END) + $4 - $3 <= $5
		THEN (CASE WHEN rate_limits.tat > $3 THEN rate_limits.tat ELSE $3 END) + $4
		ELSE rate_limits.tat END
RETURNING tat, allowed`

// TakeToken takes one token for key from the named bucket, which holds
// burst tokens and gains one every interval. When none is left it reports
// how long until one is. The key is stored only as a SHA-256 hash.
func (s *Store) TakeToken(ctx context.Context, bucket, key string, burst int, every time.Duration, now time.Time) (bool, time.Duration, error) {
	sum := sha256.Sum256([]byte(key))
	t, T := now.UnixMilli(), every.Milliseconds()
	var tat int64
	var allowed bool
	if err := s.write.QueryRowContext(ctx, takeTokenSQL, bucket, hex.EncodeToString(sum[:16]), t, T, int64(burst)*T).Scan(&tat, &allowed); err != nil {
		return false, 0, fmt.Errorf("store: take token from %s: %w", bucket, err)
	}
	if allowed {
		return true, 0, nil
	}
	return false, time.Duration(tat+T-t-int64(burst)*T) * time.Millisecond, nil
}

// PruneRateLimits deletes the buckets that are full again at now, which
// count as absent.
func (s *Store) PruneRateLimits(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM rate_limits WHERE tat < $1`, now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: prune rate limits: %w", err)
	}
	return res.RowsAffected()
}
