package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
)

// The confirmations of the identity detail screen. Each states what changes
// in the service's own terms (status, state) and what it means for the
// user, because support staff read them while a user waits.

// changed broadcasts that one identity changed, so its detail screen and
// every list reload.
func changed(identityID string) tea.Cmd {
	return broadcast(identitiesChangedMsg{identityID: identityID})
}

func suspendConfirm(c *common, id client.Identity, activePasskeys int) *confirmation {
	name := sanitize(id.Traits.Username)
	api, identityID := c.api, id.ID
	if id.Status == client.StatusSuspended {
		f := newConfirmation(c, "Unsuspend "+clip(name, 24), "Unsuspend "+name+"?", "unsuspend",
			"Their status changes from suspended to active: they can sign in again"+passkeyCount(activePasskeys)+
				" and create passkeys.")
		status := client.StatusActive
		f.outcome = name + " may be active again"
		f.run = func(ctx context.Context) (any, error) {
			return api.UpdateIdentity(ctx, identityID, client.IdentityPatch{Status: &status})
		}
		f.done = func(any) tea.Cmd {
			c.log.Info("identity unsuspended", "identity_id", identityID)
			return tea.Batch(flash(flashSuccess, name+" is active again."), changed(identityID))
		}
		return f
	}
	f := newConfirmation(c, "Suspend "+clip(name, 24), "Suspend "+name+"?", "suspend",
		"Their status changes from active to suspended: they can no longer sign in or create passkeys.",
		"Their passkeys, enrollment jobs and groups stay as they are; unsuspending restores access.")
	status := client.StatusSuspended
	f.outcome = name + " may have been suspended"
	f.run = func(ctx context.Context) (any, error) {
		return api.UpdateIdentity(ctx, identityID, client.IdentityPatch{Status: &status})
	}
	f.done = func(any) tea.Cmd {
		c.log.Info("identity suspended", "identity_id", identityID)
		return tea.Batch(flash(flashSuccess, name+" is suspended."), changed(identityID))
	}
	return f
}

// passkeyCount is " with their N passkeys" for the unsuspend sentence.
func passkeyCount(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return " with their passkey"
	}
	return fmt.Sprintf(" with their %d passkeys", n)
}

// deletedWithIt lists what goes with a deleted identity for the end of a
// sentence, leaving out what it has none of.
func deletedWithIt(creds, jobs, groups int) string {
	var parts []string
	for _, p := range []struct {
		n         int
		one, many string
	}{
		{creds, "passkey", "passkeys"},
		{jobs, "enrollment job", "enrollment jobs"},
		{groups, "group membership", "group memberships"},
	} {
		if p.n > 0 {
			parts = append(parts, plural(p.n, p.one, p.many))
		}
	}
	switch len(parts) {
	case 0:
		return "; it has no passkeys, enrollment jobs or group memberships"
	case 1:
		return " with its " + parts[0]
	}
	return " with its " + strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// deleteConfirm requires the username to be typed, because deleting cannot
// be undone and takes the identity's passkeys and jobs with it.
func deleteConfirm(c *common, id client.Identity, creds, jobs, groups int) *confirmation {
	name := sanitize(id.Traits.Username)
	api, identityID := c.api, id.ID
	f := newConfirmation(c, "Delete "+clip(name, 24), "Delete "+name+" for good?", "delete",
		fmt.Sprintf("The identity %s (id %s) is removed from the realm%s. "+
			"This cannot be undone: to let them back in you would create a new identity and enroll it again.",
			name, sanitize(identityID), deletedWithIt(creds, jobs, groups)))
	f.requireTyping(name)
	f.outcome = name + " may have been deleted"
	f.run = func(ctx context.Context) (any, error) {
		return nil, api.DeleteIdentity(ctx, identityID)
	}
	f.done = func(any) tea.Cmd {
		c.log.Info("identity deleted", "identity_id", identityID)
		return tea.Batch(flash(flashSuccess, "Deleted "+name+"."),
			broadcast(identitiesChangedMsg{identityID: identityID, deleted: true}))
	}
	f.failed = func(err error) (string, tea.Cmd) {
		if errors.Is(err, client.ErrNotFound) {
			return name + " was already deleted.", broadcast(identitiesChangedMsg{identityID: identityID, deleted: true})
		}
		return describeError(err), nil
	}
	return f
}

func revokeCredentialConfirm(c *common, id client.Identity, cred client.Credential, activePasskeys int) *confirmation {
	name := sanitize(id.Traits.Username)
	api, identityID, credID := c.api, id.ID, cred.ID
	what := fmt.Sprintf("The %s passkey %s of %s (created %s) changes from ACTIVE to REVOKED: it can no longer sign in, and this cannot be undone.",
		sanitize(cred.CSRType), sanitize(credID), name, absoluteTime(cred.CreateTime, c.now()))
	after := fmt.Sprintf("%s keeps %s.", name, plural(activePasskeys-1, "other active passkey", "other active passkeys"))
	if activePasskeys <= 1 {
		after = "It is their only active passkey: their enrollment status becomes UNENROLLED and they cannot sign in until they enroll again (e on the detail screen sends a new link)."
	}
	f := newConfirmation(c, "Revoke passkey", "Revoke this passkey of "+name+"?", "revoke", what, after)
	f.outcome = "the passkey may have been revoked"
	f.run = func(ctx context.Context) (any, error) {
		return api.RevokeCredential(ctx, identityID, credID)
	}
	f.done = func(any) tea.Cmd {
		c.log.Info("credential revoked", "identity_id", identityID, "credential_id", credID)
		return tea.Batch(flash(flashSuccess, "Revoked the passkey of "+name+"."), changed(identityID))
	}
	f.failed = func(err error) (string, tea.Cmd) {
		if errors.Is(err, client.ErrNotFound) {
			return "The passkey no longer exists.", changed(identityID)
		}
		return describeError(err), nil
	}
	return f
}

func revokeJobConfirm(c *common, id client.Identity, job client.CredentialBindingJob) *confirmation {
	name := sanitize(id.Traits.Username)
	api, identityID, jobID := c.api, id.ID, job.ID
	what := fmt.Sprintf("The %s enrollment job %s sent %s changes from %s to REVOKED: its link stops working, so it can no longer enroll a passkey.",
		sanitize(job.DeliveryMethod), sanitize(jobID), relativeTime(job.CreateTime, c.now()), sanitize(job.State))
	f := newConfirmation(c, "Revoke enrollment job", "Revoke this enrollment link of "+name+"?", "revoke", what,
		"Passkeys already enrolled stay active. To give them a working link again, send a new one.")
	f.outcome = "the enrollment link may have been revoked"
	f.run = func(ctx context.Context) (any, error) {
		return api.RevokeCredentialBindingJob(ctx, identityID, jobID)
	}
	f.done = func(any) tea.Cmd {
		c.log.Info("binding job revoked", "identity_id", identityID, "job_id", jobID)
		return tea.Batch(flash(flashSuccess, "Revoked the enrollment link of "+name+"."), changed(identityID))
	}
	f.failed = func(err error) (string, tea.Cmd) {
		switch {
		case errors.Is(err, client.ErrConflict):
			// The service returns 409 when the job completed after the
			// list was loaded, because the link was used and made a passkey.
			return "This job is already COMPLETE: " + name + " enrolled a passkey with it, so there is no link left to revoke. " +
				"To take that passkey away, revoke the credential instead.", changed(identityID)
		case errors.Is(err, client.ErrNotFound):
			return "The enrollment job no longer exists.", changed(identityID)
		}
		return describeError(err), nil
	}
	return f
}

// plural is "1 passkey" or "3 passkeys" ("no passkeys" for 0).
func plural(n int, one, many string) string {
	switch {
	case n <= 0:
		return "no " + many
	case n == 1:
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
