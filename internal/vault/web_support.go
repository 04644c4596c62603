package vault

// CheckGrant returns the grant that token gives account on an item, or
// ErrForbidden as Open does for a missing, expired or someone else's
// grant. The web needs the grant's action: content opened to be viewed
// is shown in the page; content opened for download is an attachment.
func (v *Vault) CheckGrant(account, itemID, token string) (Grant, error) {
	g, ok := v.grants.check(token, account, itemID, v.now())
	if !ok {
		return Grant{}, forbidden("vault.grant")
	}
	return g, nil
}

// MaxSize is the largest item the vault takes.
func (v *Vault) MaxSize() int64 { return v.cfg.MaxSize }
