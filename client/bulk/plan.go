package bulk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/biadmin/biadmin/client"
)

// Target is one identity a plan acts on, as the plan found it.
type Target struct {
	IdentityID       string `json:"identity_id"`
	Username         string `json:"username,omitempty"`
	Email            string `json:"email,omitempty"`
	Status           string `json:"status,omitempty"`
	EnrollmentStatus string `json:"enrollment_status,omitempty"`
}

// Skip is an identity of the target set that the plan leaves alone, and
// why.
type Skip struct {
	Target
	Reason string `json:"reason"`
}

// Reasons for skipping an identity.
const (
	ReasonNoEmail          = "no email address"
	ReasonSuspended        = "suspended"
	ReasonEnrolled         = "already enrolled"
	ReasonAlreadySuspended = "already suspended"
	ReasonAlreadyActive    = "already active"
	ReasonNotFound         = "identity not found"
)

// Params are the settings an action needs besides its targets.
type Params struct {
	AuthenticatorConfigID  string `json:"authenticator_config_id,omitempty"`
	PostBindingRedirectURI string `json:"post_binding_redirect_uri,omitempty"`
}

// Plan is the description of a bulk action for the user to confirm before
// Execute. Targets and Skipped together are the whole target set.
type Plan struct {
	ID        string // action id; names the journal file
	Action    Action
	Source    string // the target set in words
	TenantID  string
	RealmID   string
	RealmName string
	Profile   string
	Params    Params
	Created   time.Time
	// RetryOf is the action id whose failures this plan retries.
	RetryOf string

	Targets []Target
	Skipped []Skip
	// InFlight counts identities of a resumed plan whose request went out
	// before the pause or crash. Execute waits for their batch results or
	// reconciles them instead of sending again, so they are not in
	// Targets.
	InFlight int

	// Destructive is set for delete and suspend, and for any action on
	// more than one identity. The UI must confirm before running such a
	// plan and state what will change.
	Destructive bool
	// ConfirmPhrase is the text the user must type to run the plan: the
	// realm's display name for delete and suspend, empty otherwise.
	ConfirmPhrase string
}

// Count returns how many identities the plan acts on.
func (p *Plan) Count() int { return len(p.Targets) }

// Plan resolves targets on the engine's realm and returns what action would
// do to each identity. It changes nothing.
//
// No set costs one request per identity: sets are read from the identity,
// group-member, credential and binding-job lists 200 at a time. Explicit
// ids are looked up one by one only when that takes fewer requests than
// paging the realm.
func (e *Engine) Plan(ctx context.Context, action Action, targets Targets) (*Plan, error) {
	return e.plan(ctx, action, targets, Params{
		AuthenticatorConfigID:  e.opts.AuthenticatorConfigID,
		PostBindingRedirectURI: e.opts.PostBindingRedirectURI,
	})
}

func (e *Engine) plan(ctx context.Context, action Action, targets Targets, params Params) (*Plan, error) {
	if !action.Valid() {
		return nil, fmt.Errorf("plan: unknown action %q", action)
	}
	realm, err := e.api.GetRealm(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan: read the realm: %w", err)
	}
	if action == ActionSend {
		if params.AuthenticatorConfigID, err = e.authenticatorConfig(ctx, params.AuthenticatorConfigID); err != nil {
			return nil, err
		}
	} else {
		params = Params{}
	}

	r := &resolver{e: e}
	identities, missing, err := r.resolve(ctx, targets)
	if err != nil {
		return nil, fmt.Errorf("plan: find %s: %w", targets.Describe(), err)
	}

	p := &Plan{
		ID: newActionID(action, e.now()), Action: action, Source: targets.Describe(),
		TenantID: e.api.TenantID(), RealmID: e.api.RealmID(), RealmName: realm.DisplayName,
		Profile: e.opts.Profile, Params: params, Created: e.now().UTC(),
	}
	for _, id := range identities {
		t := targetOf(id)
		if reason := skipReason(action, id); reason != "" {
			p.Skipped = append(p.Skipped, Skip{Target: t, Reason: reason})
			continue
		}
		p.Targets = append(p.Targets, t)
	}
	for _, id := range missing {
		p.Skipped = append(p.Skipped, Skip{Target: Target{IdentityID: id}, Reason: ReasonNotFound})
	}
	p.Destructive = action == ActionDelete || action == ActionSuspend || len(p.Targets) > 1
	if action == ActionDelete || action == ActionSuspend {
		p.ConfirmPhrase = realm.DisplayName
	}
	return p, nil
}

// authenticatorConfig returns id, or the realm's only authenticator config
// when id is empty.
func (e *Engine) authenticatorConfig(ctx context.Context, id string) (string, error) {
	if id != "" {
		return id, nil
	}
	page, err := e.api.ListAuthenticatorConfigs(ctx, client.ListOptions{PageSize: 2})
	if err != nil {
		return "", fmt.Errorf("plan: list authenticator configs: %w", err)
	}
	if len(page.Items) != 1 {
		return "", fmt.Errorf("plan: the realm has %d authenticator configs, so the one for enrollment emails must be chosen: set authenticator_config_id in the profile", page.TotalSize)
	}
	return page.Items[0].ID, nil
}

func targetOf(id client.Identity) Target {
	return Target{
		IdentityID: id.ID, Username: id.Traits.Username, Email: id.Traits.PrimaryEmailAddress,
		Status: id.Status, EnrollmentStatus: id.EnrollmentStatus,
	}
}

// skipReason returns why action leaves id alone, or "" when it acts on it.
func skipReason(action Action, id client.Identity) string {
	suspended := id.Status == client.StatusSuspended
	switch action {
	case ActionSend:
		switch {
		case suspended:
			return ReasonSuspended
		case id.EnrollmentStatus == client.EnrollmentEnrolled:
			return ReasonEnrolled
		case id.Traits.PrimaryEmailAddress == "":
			return ReasonNoEmail
		}
	case ActionSuspend:
		if suspended {
			return ReasonAlreadySuspended
		}
	case ActionUnsuspend:
		// The status may be absent; the service treats that as active.
		if !suspended {
			return ReasonAlreadyActive
		}
	}
	return ""
}

// newActionID returns a unique, sortable id that is safe as a file name.
func newActionID(action Action, now time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return now.UTC().Format("20060102T150405Z") + "-" + string(action) + "-" + hex.EncodeToString(b)
}

// resolver finds the identities of a target set. It loads the realm-wide
// credential and job lists at most once.
type resolver struct {
	e     *Engine
	index *enrollmentIndex
}

// resolve returns the identities of targets in list order, and for SetIDs
// the ids that name no identity.
func (r *resolver) resolve(ctx context.Context, targets Targets) ([]client.Identity, []string, error) {
	api := r.e.api
	switch targets.Set {
	case SetIDs:
		ids := dedupe(targets.IDs)
		found, err := r.e.fetchByIDs(ctx, ids)
		if err != nil {
			return nil, nil, err
		}
		var out []client.Identity
		var missing []string
		for _, id := range ids {
			if ident, ok := found[id]; ok {
				out = append(out, ident)
			} else {
				missing = append(missing, id)
			}
		}
		return out, missing, r.fillEnrollment(ctx, out)

	case SetSearch:
		out, err := collect(client.All(ctx, func(ctx context.Context, token string) (*client.Page[client.Identity], error) {
			return api.ListIdentities(ctx, client.ListIdentitiesOptions{
				ListOptions: client.ListOptions{PageSize: 200, PageToken: token}, Filter: targets.Filter,
			})
		}))
		if err != nil {
			return nil, nil, err
		}
		return out, nil, r.fillEnrollment(ctx, out)

	case SetUnenrolled:
		all, err := collect(client.All(ctx, func(ctx context.Context, token string) (*client.Page[client.Identity], error) {
			return api.ListIdentities(ctx, client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: 200, PageToken: token}})
		}))
		if err != nil {
			return nil, nil, err
		}
		out, err := r.unenrolled(ctx, all)
		return out, nil, err

	case SetUnenrolledInGroup:
		if targets.GroupID == "" {
			return nil, nil, errors.New("no group given")
		}
		members, err := collect(client.All(ctx, func(ctx context.Context, token string) (*client.Page[client.Identity], error) {
			return api.ListGroupMembers(ctx, targets.GroupID, client.ListOptions{PageSize: 200, PageToken: token})
		}))
		if err != nil {
			return nil, nil, err
		}
		out, err := r.unenrolled(ctx, members)
		return out, nil, err

	case SetJobsExpiredOrFailed:
		idx, err := r.loadIndex(ctx)
		if err != nil {
			return nil, nil, err
		}
		ids := idx.expiredOrFailed(r.e.now())
		found, err := r.e.fetchByIDs(ctx, ids)
		if err != nil {
			return nil, nil, err
		}
		// Jobs may outlive a deleted identity; such ids are not part of
		// the set, so they are dropped rather than reported missing.
		var out []client.Identity
		for _, id := range ids {
			if ident, ok := found[id]; ok {
				out = append(out, ident)
			}
		}
		return out, nil, r.fillEnrollment(ctx, out)
	}
	return nil, nil, fmt.Errorf("unknown target set %q", targets.Set)
}

// unenrolled keeps the identities that are UNENROLLED or INVITE_FAILED.
func (r *resolver) unenrolled(ctx context.Context, all []client.Identity) ([]client.Identity, error) {
	if err := r.fillEnrollment(ctx, all); err != nil {
		return nil, err
	}
	var out []client.Identity
	for _, id := range all {
		if id.EnrollmentStatus == client.EnrollmentUnenrolled || id.EnrollmentStatus == client.EnrollmentInviteFailed {
			out = append(out, id)
		}
	}
	return out, nil
}

// fillEnrollment derives enrollment_status from the realm-wide credential
// and job lists for identities whose list entry lacks it, which the API
// description allows. Nothing is fetched when every entry has it.
func (r *resolver) fillEnrollment(ctx context.Context, ids []client.Identity) error {
	for i := range ids {
		if ids[i].EnrollmentStatus != "" {
			continue
		}
		idx, err := r.loadIndex(ctx)
		if err != nil {
			return err
		}
		ids[i].EnrollmentStatus = idx.status(ids[i].ID, r.e.now())
	}
	return nil
}

func (r *resolver) loadIndex(ctx context.Context) (*enrollmentIndex, error) {
	if r.index != nil {
		return r.index, nil
	}
	idx, err := loadEnrollmentIndex(ctx, r.e.api)
	if err != nil {
		return nil, err
	}
	r.index = idx
	return idx, nil
}

// fetchByIDs returns the identities with these ids that exist. It pages the
// realm, unless after the first page no more ids are left to find than
// pages are left to read, in which case it gets the rest one by one.
func (e *Engine) fetchByIDs(ctx context.Context, ids []string) (map[string]client.Identity, error) {
	found := make(map[string]client.Identity, len(ids))
	if len(ids) == 0 {
		return found, nil
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	const pageSize = 200
	first, err := e.api.ListIdentities(ctx, client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: pageSize}})
	if err != nil {
		return nil, err
	}
	for _, id := range first.Items {
		if want[id.ID] {
			found[id.ID] = id
		}
	}
	if first.NextPageToken == "" || len(found) == len(want) {
		return found, nil
	}

	var rest []string
	for _, id := range ids {
		if _, ok := found[id]; !ok {
			rest = append(rest, id)
		}
	}
	pagesLeft := (first.TotalSize - len(first.Items) + pageSize - 1) / pageSize
	if len(rest) <= pagesLeft {
		return found, e.getEach(ctx, rest, found)
	}
	token := first.NextPageToken
	for token != "" {
		page, err := e.api.ListIdentities(ctx, client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: pageSize, PageToken: token}})
		if err != nil {
			return nil, err
		}
		for _, id := range page.Items {
			if want[id.ID] {
				found[id.ID] = id
			}
		}
		token = page.NextPageToken
	}
	return found, nil
}

// getEach gets each identity with Concurrency requests at a time and adds
// the ones that exist to found.
func (e *Engine) getEach(ctx context.Context, ids []string, found map[string]client.Identity) error {
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
	)
	for range min(e.opts.Concurrency, len(ids)) {
		wg.Go(func() {
			for {
				mu.Lock()
				if next == len(ids) || first != nil {
					mu.Unlock()
					return
				}
				id := ids[next]
				next++
				mu.Unlock()

				ident, err := e.api.GetIdentity(ctx, id)
				mu.Lock()
				switch {
				case err == nil:
					found[id] = *ident
				case errors.Is(err, client.ErrNotFound):
				default:
					if first == nil {
						first = err
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return first
}

func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for item, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, item)
	}
	return out, nil
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}
