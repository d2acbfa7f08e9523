package ui

import (
	"context"
	"errors"
	"slices"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/biadmin/biadmin/client"
)

// detailPageSize is how many credentials, jobs and groups of one identity
// are fetched: the API's maximum page size. An identity with more shows the
// newest ones and the total.
const detailPageSize = 200

// Panes of the detail screen that have a cursor, in tab order.
const (
	paneCredentials = iota
	paneJobs
	paneCount
)

// identityDetail shows one identity: its traits and status, its passkeys
// (credentials), its enrollment jobs and its groups, with the support
// desk's actions on them.
type identityDetail struct {
	base
	identity client.Identity
	loadErr  error
	// deleted is set when the identity turned out to be deleted elsewhere.
	deleted bool

	creds       []client.Credential
	credsTotal  int
	credsLoaded bool
	credsErr    error

	jobs       []client.CredentialBindingJob
	jobsTotal  int
	jobsLoaded bool
	jobsErr    error

	groups       []client.Group
	groupsTotal  int
	groupsLoaded bool
	groupsErr    error

	pane     int
	credView vlist
	jobView  vlist
}

func newIdentityDetail(c *common, identity client.Identity) *identityDetail {
	return &identityDetail{
		base:     newBase(c, "Identity: "+clip(sanitize(identity.Traits.Username), 24)),
		identity: identity,
	}
}

func (d *identityDetail) Init() tea.Cmd { return d.load() }

// load fetches the identity and everything the screen lists about it.
func (d *identityDetail) load() tea.Cmd {
	api, id := d.c.api, d.identity.ID
	opts := client.ListOptions{PageSize: detailPageSize}
	return tea.Batch(
		request(&d.base, "get identity", func(ctx context.Context) (*client.Identity, error) {
			return api.GetIdentity(ctx, id)
		}),
		request(&d.base, "list credentials", func(ctx context.Context) (*client.Page[client.Credential], error) {
			return api.ListCredentials(ctx, id, opts)
		}),
		request(&d.base, "list binding jobs", func(ctx context.Context) (*client.Page[client.CredentialBindingJob], error) {
			return api.ListCredentialBindingJobs(ctx, id, opts)
		}),
		request(&d.base, "list identity groups", func(ctx context.Context) (*client.Page[client.Group], error) {
			return api.ListIdentityGroups(ctx, id, opts)
		}),
	)
}

func (d *identityDetail) InputFocused() bool { return false }

func (d *identityDetail) SetSize(width, height int) {
	d.base.SetSize(width, height)
	d.layout()
}

func (d *identityDetail) Update(msg tea.Msg) (screen, tea.Cmd) {
	cmd := d.update(msg)
	d.layout()
	return d, cmd
}

func (d *identityDetail) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case resultMsg:
		return d.handleResult(msg)
	case identitiesChangedMsg:
		if msg.identityID != "" && msg.identityID != d.identity.ID {
			return nil
		}
		if msg.deleted {
			return popScreen(d.id)
		}
		return d.load()
	case tea.KeyMsg:
		return d.handleKey(msg)
	}
	return nil
}

func (d *identityDetail) handleResult(msg resultMsg) tea.Cmd {
	if !d.accept(msg) {
		return nil
	}
	if msg.err != nil {
		return d.loadFailed(msg)
	}
	switch v := msg.value.(type) {
	case *client.Identity:
		d.identity, d.loadErr = *v, nil
	case *client.Page[client.Credential]:
		d.creds = slices.Clone(v.Items)
		// The API does not order lists; active and newest first is what
		// support staff look for.
		slices.SortStableFunc(d.creds, func(a, b client.Credential) int {
			if (a.State == client.CredentialActive) != (b.State == client.CredentialActive) {
				if a.State == client.CredentialActive {
					return -1
				}
				return 1
			}
			return b.CreateTime.Compare(a.CreateTime)
		})
		d.credsTotal, d.credsLoaded, d.credsErr = v.TotalSize, true, nil
		d.credView.clamp(len(d.creds))
	case *client.Page[client.CredentialBindingJob]:
		d.jobs = slices.Clone(v.Items)
		slices.SortStableFunc(d.jobs, func(a, b client.CredentialBindingJob) int {
			return b.CreateTime.Compare(a.CreateTime)
		})
		d.jobsTotal, d.jobsLoaded, d.jobsErr = v.TotalSize, true, nil
		d.jobView.clamp(len(d.jobs))
	case *client.Page[client.Group]:
		d.groups = v.Items
		d.groupsTotal, d.groupsLoaded, d.groupsErr = v.TotalSize, true, nil
	}
	return nil
}

// loadFailed records a failed fetch next to what it was for. A 404 on the
// identity means it was deleted elsewhere.
func (d *identityDetail) loadFailed(msg resultMsg) tea.Cmd {
	switch msg.kind {
	case "get identity":
		d.loadErr = msg.err
		if errors.Is(msg.err, client.ErrNotFound) {
			d.deleted = true
			return flash(flashError, sanitize(d.identity.Traits.Username)+" no longer exists in this realm.")
		}
	case "list credentials":
		d.credsErr = msg.err
	case "list binding jobs":
		d.jobsErr = msg.err
	case "list identity groups":
		d.groupsErr = msg.err
	}
	if d.deleted {
		return nil
	}
	return flashErr("Could not "+msg.kind, msg.err)
}

func (d *identityDetail) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := d.c.keys
	switch {
	case key.Matches(msg, k.Back):
		return d.handleEsc()
	case key.Matches(msg, k.Refresh):
		return d.load()
	case d.deleted:
		return nil
	case key.Matches(msg, k.NextPane):
		d.pane = (d.pane + 1) % paneCount
	case key.Matches(msg, k.PrevPane):
		d.pane = (d.pane + paneCount - 1) % paneCount
	case key.Matches(msg, k.OpenEnroll) && k.Send.Enabled():
		return pushScreen(newEnrollment(d.c, d.identity, ""))
	case key.Matches(msg, k.EditIdentity):
		return pushScreen(newEditIdentity(d.c, d.identity))
	case key.Matches(msg, k.Suspend):
		return pushScreen(suspendConfirm(d.c, d.identity, d.activeCredentials()))
	case key.Matches(msg, k.Delete):
		return pushScreen(deleteConfirm(d.c, d.identity, d.credsTotal, d.jobsTotal, d.groupsTotal))
	case key.Matches(msg, k.Revoke):
		return d.revoke()
	case d.pane == paneCredentials:
		d.credView.move(msg, k, len(d.creds))
	case d.pane == paneJobs:
		d.jobView.move(msg, k, len(d.jobs))
	}
	return nil
}

// revoke opens the confirmation that revokes the credential or job under
// the cursor, or explains why it cannot be revoked.
func (d *identityDetail) revoke() tea.Cmd {
	switch d.pane {
	case paneCredentials:
		if len(d.creds) == 0 {
			return flash(flashInfo, "There is no credential to revoke.")
		}
		cred := d.creds[d.credView.cursor]
		if cred.State != client.CredentialActive {
			return flash(flashInfo, "This credential is already revoked.")
		}
		return pushScreen(revokeCredentialConfirm(d.c, d.identity, cred, d.activeCredentials()))
	default:
		if len(d.jobs) == 0 {
			return flash(flashInfo, "There is no enrollment job to revoke.")
		}
		job := d.jobs[d.jobView.cursor]
		if !client.JobLive(job.State) {
			return flash(flashInfo, "Only a job whose link still works can be revoked; this one is "+sanitize(job.State)+".")
		}
		return pushScreen(revokeJobConfirm(d.c, d.identity, job))
	}
}

// activeCredentials counts the identity's ACTIVE credentials among those
// loaded.
func (d *identityDetail) activeCredentials() int {
	n := 0
	for _, c := range d.creds {
		if c.State == client.CredentialActive {
			n++
		}
	}
	return n
}

func (d *identityDetail) KeyMap() help.KeyMap {
	k := d.c.keys
	// The short help names each action in a word or two, so that all of
	// them fit on one line at 80 columns.
	suspend := k.Suspend
	if d.identity.Status == client.StatusSuspended {
		suspend.SetHelp("s", "unsuspend")
	} else {
		suspend.SetHelp("s", "suspend")
	}
	revoke := k.Revoke
	if d.pane == paneCredentials {
		revoke.SetHelp("x", "revoke key")
	} else {
		revoke.SetHelp("x", "revoke job")
	}
	enroll := k.OpenEnroll
	enroll.SetHelp("e", "new link")
	if !k.Send.Enabled() {
		enroll.SetEnabled(false)
	}
	edit := k.EditIdentity
	edit.SetHelp("u", "edit")
	pane := k.NextPane
	pane.SetHelp("tab", "table")
	return helpKeys{
		short: []key.Binding{enroll, revoke, edit, suspend, k.Delete, pane, k.Back},
		full: [][]key.Binding{
			{k.Up, k.Down, k.NextPane, k.PrevPane},
			{revoke, enroll, k.EditIdentity, suspend, k.Delete},
			{k.Refresh, k.Back},
		},
	}
}
