package assembly

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-project/vigil/internal/store"
)

// Notice is the public notice of a deployment: what technology, at which
// assembly, when, where, on whose authority, kept how long, and where to
// ask about one's data. It holds nothing about any person.
type Notice struct {
	ID             string
	DeploymentID   string
	AssemblyID     string
	TechnologyKind string
	Purpose        string
	Starts, Ends   time.Time
	// Area is the GeoJSON area or route, if any.
	Area          string
	Authority     string
	RetentionDays int
	Contact       string
	// PublishedAt is when it was published; DelayReason says why it was
	// published late, if it was.
	PublishedAt time.Time
	DelayReason string
	// DeploymentStatus is the deployment's status now (active, ended, ...).
	DeploymentStatus string
	UpdatedAt        time.Time
}

const noticeColumns = `n.id, n.deployment_id, n.assembly_id, n.technology_kind, n.purpose, n.starts_at, n.ends_at, n.area, n.authority,
	n.retention_days, n.contact, n.published_at, n.delay_reason, d.status, d.ended_at, n.publish_at`

// scanNotice reads a notice and when it is (or was) due to be published.
func scanNotice(f func(...any) error) (Notice, time.Time, error) {
	var n Notice
	var asm sql.NullString
	var starts, ends, publishAt int64
	var published, ended sql.NullInt64
	if err := f(&n.ID, &n.DeploymentID, &asm, &n.TechnologyKind, &n.Purpose, &starts, &ends, &n.Area, &n.Authority,
		&n.RetentionDays, &n.Contact, &published, &n.DelayReason, &n.DeploymentStatus, &ended, &publishAt); err != nil {
		return n, time.Time{}, err
	}
	n.AssemblyID = asm.String
	n.Starts, n.Ends = store.FromMicros(starts), store.FromMicros(ends)
	if published.Valid {
		n.PublishedAt = store.FromMicros(published.Int64)
	}
	n.UpdatedAt = n.PublishedAt
	if ended.Valid && store.FromMicros(ended.Int64).After(n.UpdatedAt) {
		n.UpdatedAt = store.FromMicros(ended.Int64)
	}
	return n, store.FromMicros(publishAt), nil
}

// Notices lists published notices, newest first, at most limit.
func (s *Service) Notices(ctx context.Context, limit int) ([]Notice, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.db.Query(ctx, "SELECT "+noticeColumns+" FROM notices n JOIN deployments d ON d.id = n.deployment_id WHERE n.published_at IS NOT NULL ORDER BY n.published_at DESC, n.id LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("assembly: notices: %w", err)
	}
	defer rows.Close()
	var out []Notice
	for rows.Next() {
		n, _, err := scanNotice(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Notice returns one published notice, or an error wrapping ErrNotFound
// (a notice whose delay has not ended is not found).
func (s *Service) Notice(ctx context.Context, noticeID string) (Notice, error) {
	n, _, err := scanNotice(s.db.QueryRow(ctx, "SELECT "+noticeColumns+" FROM notices n JOIN deployments d ON d.id = n.deployment_id WHERE n.id = ? AND n.published_at IS NOT NULL", noticeID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return n, fmt.Errorf("notice %s: %w", noticeID, ErrNotFound)
	}
	return n, err
}

// NoticeOf returns a deployment's notice as staff see it, published or
// not, or an error wrapping ErrNotFound if it has none.
func (s *Service) NoticeOf(ctx context.Context, deploymentID string) (Notice, time.Time, error) {
	n, publishAt, err := scanNotice(s.db.QueryRow(ctx, "SELECT "+noticeColumns+" FROM notices n JOIN deployments d ON d.id = n.deployment_id WHERE n.deployment_id = ?", deploymentID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return n, time.Time{}, fmt.Errorf("notice of %s: %w", deploymentID, ErrNotFound)
	}
	return n, publishAt, err
}
