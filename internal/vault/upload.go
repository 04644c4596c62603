package vault

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/store"
)

// Resumable uploads (internal/tus) describe their item in Upload-Metadata:
// these keys, the first two as tus clients name them.
const (
	MetaFilename   = "filename"
	MetaMediaType  = "filetype"
	MetaClass      = "class"
	MetaPurpose    = "purpose"
	MetaDeployment = "deployment"
	MetaSubmission = "submission"
	MetaPIN        = "pin"
	MetaCapturedAt = "captured_at" // RFC 3339
	MetaLatitude   = "latitude"
	MetaLongitude  = "longitude"
	MetaSource     = "source"
)

// NewItemFromMetadata reads an item's description from upload metadata.
func NewItemFromMetadata(md map[string]string) (NewItem, error) {
	n := NewItem{Class: md[MetaClass], MediaType: md[MetaMediaType], DeploymentID: md[MetaDeployment], Submission: md[MetaSubmission],
		PIN: md[MetaPIN], Purpose: md[MetaPurpose], Capture: Capture{Filename: md[MetaFilename], Source: md[MetaSource]}}
	if s := md[MetaCapturedAt]; s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return n, invalid("vault.capture_time")
		}
		n.Capture.DeviceTime = t
	}
	for _, c := range []struct {
		key string
		to  **float64
	}{{MetaLatitude, &n.Capture.Latitude}, {MetaLongitude, &n.Capture.Longitude}} {
		if s := strings.TrimSpace(md[c.key]); s != "" {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return n, invalid("vault.capture_place")
			}
			*c.to = &f
		}
	}
	return n, nil
}

// CheckNew checks what can be checked of a new item before its bytes
// arrive: its class, the uploader's role, its declared type, its capture
// metadata, its purpose, its deployment and its submission. A resumable
// upload is refused at creation if this fails, before a phone sends a
// gigabyte.
func (v *Vault) CheckNew(ctx context.Context, by auth.Account, n NewItem) error {
	class, err := v.classes.get(n.Class)
	if err != nil {
		return err
	}
	if !class.canUpload(by.Role) {
		return forbidden("vault.upload_role", "class", class.Name)
	}
	if class.Refuse {
		return invalid("vault.class_refused", "class", class.Name)
	}
	if _, err := checkDeclared(n.MediaType); err != nil {
		return err
	}
	now := v.now()
	if err := n.Capture.check(now); err != nil {
		return err
	}
	if err := checkPurpose(&n.Purpose); err != nil {
		return err
	}
	if class.NeedsDeployment && n.DeploymentID == "" {
		return invalid("vault.needs_deployment", "class", class.Name)
	}
	if n.DeploymentID != "" {
		at := now
		if !n.Capture.DeviceTime.IsZero() {
			at = n.Capture.DeviceTime
		}
		if v.cfg.Deployments == nil {
			return errors.New("vault: no deployments to check against")
		}
		active, _, err := v.cfg.Deployments.DeploymentInForce(ctx, n.DeploymentID, at)
		if err != nil {
			return err
		}
		if !active {
			return forbidden("vault.deployment_not_in_force")
		}
	}
	if strings.TrimSpace(n.Submission) != "" {
		if !submitted(by.Role) {
			return invalid("vault.submission_role")
		}
		if _, err := v.checkSubmission(ctx, v.db, n.Submission, n.PIN, by.ID); err != nil {
			return err
		}
	}
	return nil
}

// NewSubmission opens an empty submission for by, for the items they are
// about to upload, and returns its case number and PIN, shown once.
func (v *Vault) NewSubmission(ctx context.Context, by auth.Account) (Receipt, error) {
	if !submitted(by.Role) {
		return Receipt{}, invalid("vault.submission_role")
	}
	var r *Receipt
	err := v.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		_, r, err = v.submission(ctx, tx, by, "", "")
		return err
	})
	if err != nil {
		return Receipt{}, err
	}
	return *r, nil
}

// ClientError reports whether err is the uploader's to fix (a refusal or
// a rule broken), not the server's: resumable uploads show these.
func ClientError(err error) bool {
	return errors.Is(err, ErrInvalid) || errors.Is(err, ErrForbidden) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrShredded)
}

// UploadError marks a vault error as the uploader's fault for
// internal/tus, which shows its message and ends the upload.
type UploadError struct{ Err error }

func (e UploadError) Error() string     { return e.Err.Error() }
func (e UploadError) Unwrap() error     { return e.Err }
func (e UploadError) ClientError() bool { return ClientError(e.Err) }

// UploadLocation is where an item made from an upload is found in the API.
func UploadLocation(itemID string) string { return fmt.Sprintf("/api/items/%s", itemID) }
