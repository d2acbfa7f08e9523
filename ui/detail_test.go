package ui

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/biadmin/biadmin/client"
)

// findIdentity returns the first seeded identity that match accepts.
func (e *deskEnv) findIdentity(t *testing.T, what string, match func(client.Identity) bool) client.Identity {
	t.Helper()
	ctx := testContext(t)
	for id, err := range client.All(ctx, func(ctx context.Context, token string) (*client.Page[client.Identity], error) {
		return e.check.ListIdentities(ctx, client.ListIdentitiesOptions{ListOptions: client.ListOptions{PageSize: 200, PageToken: token}})
	}) {
		if err != nil {
			t.Fatalf("list identities: %v", err)
		}
		if match(id) {
			return id
		}
	}
	t.Fatalf("the seed has no %s identity", what)
	return client.Identity{}
}

func enrolledActive(id client.Identity) bool {
	return id.EnrollmentStatus == client.EnrollmentEnrolled && id.Status == client.StatusActive
}

func pendingActive(id client.Identity) bool {
	return id.EnrollmentStatus == client.EnrollmentPending && id.Status == client.StatusActive
}

func TestDetailShowsTraitsAndTables(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	target := env.findIdentity(t, "enrolled", enrolledActive)
	tm := env.run(t, 120, 40)
	openIdentity(t, tm, target.Traits.Username, "WEBAUTHN", "COMPLETE")

	d := quitAndWait(t, tm).current().(*identityDetail)
	view := d.View()
	for _, want := range []string{
		"given name " + target.Traits.GivenName,
		"family name " + target.Traits.FamilyName,
		"external id " + target.Traits.ExternalID,
		"department " + target.Traits.Department,
		"primary email address " + target.Traits.PrimaryEmailAddress,
		"enrollment ENROLLED",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("the detail screen lacks %q:\n%s", want, view)
		}
	}
	if len(d.creds) != 1 || d.creds[0].JWKThumbprint == "" || !strings.Contains(view, d.creds[0].JWKThumbprint) {
		t.Errorf("credentials = %s, want one with its thumbprint on screen", describe(d.creds))
	}
	if !d.groupsLoaded {
		t.Error("the identity's groups were not loaded")
	}
}

func TestDetailRevokeCredential(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	target := env.findIdentity(t, "enrolled", enrolledActive)
	tm := env.run(t, 100, 30)
	openIdentity(t, tm, target.Traits.Username, "ACTIVE")

	tm.Send(keyMsg("x"))
	waitForText(t, tm, "Revoke this passkey of "+target.Traits.Username+"?", "from ACTIVE to REVOKED",
		"only active passkey")
	tm.Send(keyMsg("y"))
	waitForText(t, tm, "Revoked the passkey of "+target.Traits.Username, "UNENROLLED")

	eventually(t, "credential state", func() (bool, string) {
		p, err := env.check.ListCredentials(testContext(t), target.ID, client.ListOptions{})
		if err != nil || len(p.Items) != 1 {
			return false, describe(err)
		}
		return p.Items[0].State == client.CredentialRevoked, p.Items[0].State
	})
	if got := env.identity(t, target.Traits.Username).EnrollmentStatus; got != client.EnrollmentUnenrolled {
		t.Errorf("enrollment status after revoking the only passkey = %s, want UNENROLLED", got)
	}
	quitAndWait(t, tm)
}

func TestDetailRevokeJob(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	target := env.findIdentity(t, "pending", pendingActive)
	tm := env.run(t, 100, 30)
	openIdentity(t, tm, target.Traits.Username)

	tm.Send(keyMsg("tab"))
	tm.Send(keyMsg("x"))
	waitForText(t, tm, "Revoke this enrollment link of "+target.Traits.Username+"?", "to REVOKED")
	tm.Send(keyMsg("y"))
	waitForText(t, tm, "Revoked the enrollment link")

	eventually(t, "job state", func() (bool, string) {
		p, err := env.check.ListCredentialBindingJobs(testContext(t), target.ID, client.ListOptions{})
		if err != nil {
			return false, describe(err)
		}
		for _, j := range p.Items {
			if client.JobLive(j.State) {
				return false, "a live job " + j.State
			}
		}
		return true, ""
	})
	quitAndWait(t, tm)
}

// TestDetailRevokeCompletedJobConflict completes the binding behind the
// console's back, so the revoke it then sends gets the service's 409.
func TestDetailRevokeCompletedJobConflict(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	target := env.findIdentity(t, "pending", pendingActive)
	tm := env.run(t, 100, 30)
	openIdentity(t, tm, target.Traits.Username, "LINK_")

	completeBinding(t, env.outboxLink(t, target.ID))

	tm.Send(keyMsg("tab"))
	tm.Send(keyMsg("x"))
	waitForText(t, tm, "Revoke this enrollment link")
	tm.Send(keyMsg("y"))
	waitForText(t, tm, "This job is already COMPLETE:")

	final := quitAndWait(t, tm)
	f, ok := final.current().(*confirmation)
	if !ok {
		t.Fatalf("after the 409 the screen is %T, want the confirmation with the explanation", final.current())
	}
	if !strings.HasPrefix(f.errText, "This job is already COMPLETE: "+target.Traits.Username+" enrolled a passkey with it") {
		t.Errorf("explanation = %q", f.errText)
	}
	if strings.Contains(f.errText, "409") {
		t.Errorf("the explanation shows the bare status: %q", f.errText)
	}
}

func TestDetailEditNameAndEmail(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	target := env.findIdentity(t, "enrolled", enrolledActive)
	tm := env.run(t, 100, 30)
	openIdentity(t, tm, target.Traits.Username)

	tm.Send(keyMsg("u"))
	waitForText(t, tm, "Edit "+target.Traits.Username)
	tm.Send(keyMsg("ctrl+u"))
	tm.Type("Grace Hopper")
	tm.Send(keyMsg("tab"))
	tm.Send(keyMsg("ctrl+u"))
	tm.Type("not-an-address")
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "not an email address")
	tm.Send(keyMsg("ctrl+u"))
	tm.Type("grace@example.org")
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "Saved "+target.Traits.Username)

	got := env.identity(t, target.Traits.Username)
	if got.DisplayName != "Grace Hopper" || got.Traits.PrimaryEmailAddress != "grace@example.org" {
		t.Errorf("after the edit: display name %q, email %q", got.DisplayName, got.Traits.PrimaryEmailAddress)
	}
	if got.Traits.GivenName != target.Traits.GivenName || got.Traits.ExternalID != target.Traits.ExternalID {
		t.Errorf("the edit lost other traits: %+v", got.Traits)
	}

	patches := env.bodies.matching("PATCH ")
	if len(patches) != 1 {
		t.Fatalf("PATCH requests = %q, want one", patches)
	}
	var body struct {
		Identity struct {
			DisplayName string         `json:"display_name"`
			Traits      map[string]any `json:"traits"`
		} `json:"identity"`
	}
	if err := json.Unmarshal([]byte(patches[0][strings.Index(patches[0], "{"):]), &body); err != nil {
		t.Fatalf("PATCH body: %v", err)
	}
	wantTraits := map[string]any{"type": client.TraitsTypeV0, "primary_email_address": "grace@example.org"}
	if describe(body.Identity.Traits) != describe(wantTraits) {
		t.Errorf("PATCH traits = %v, want only %v", body.Identity.Traits, wantTraits)
	}
	quitAndWait(t, tm)
}

// TestDetailEditFailureKeepsInput deletes the identity behind the form's
// back; the save fails and the typed values stay.
func TestDetailEditFailureKeepsInput(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	target := env.findIdentity(t, "enrolled", enrolledActive)
	tm := env.run(t, 100, 30)
	openIdentity(t, tm, target.Traits.Username)
	tm.Send(keyMsg("u"))
	waitForText(t, tm, "Edit "+target.Traits.Username)
	tm.Send(keyMsg("ctrl+u"))
	tm.Type("Kept Name")

	if err := env.check.DeleteIdentity(testContext(t), target.ID); err != nil {
		t.Fatalf("delete behind the form's back: %v", err)
	}
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "no longer exists in this realm")

	f, ok := quitAndWait(t, tm).current().(*editIdentity)
	if !ok {
		t.Fatal("the form closed after a failed save")
	}
	if got := f.fields[editDisplayName].input.Value(); got != "Kept Name" {
		t.Errorf("display name after the failure = %q, want it as typed", got)
	}
}

func TestDetailSuspendAndUnsuspend(t *testing.T) {
	env := startDesk(t, ProfileInfo{}, deskOptions{})
	target := env.findIdentity(t, "enrolled", enrolledActive)
	tm := env.run(t, 100, 30)
	openIdentity(t, tm, target.Traits.Username)

	tm.Send(keyMsg("s"))
	waitForText(t, tm, "Suspend "+target.Traits.Username+"?", "from active to suspended", "Profile sandbox")
	tm.Send(keyMsg("y"))
	// The detail screen reloads after the change; s then unsuspends.
	waitForText(t, tm, target.Traits.Username+" is suspended.", "status suspended")
	if got := env.identity(t, target.Traits.Username).Status; got != client.StatusSuspended {
		t.Fatalf("status after suspend = %q", got)
	}

	tm.Send(keyMsg("s"))
	waitForText(t, tm, "Unsuspend "+target.Traits.Username+"?", "from suspended to active")
	tm.Send(keyMsg("y"))
	waitForText(t, tm, target.Traits.Username+" is active again.")
	if got := env.identity(t, target.Traits.Username).Status; got != client.StatusActive {
		t.Fatalf("status after unsuspend = %q", got)
	}
	quitAndWait(t, tm)
}

func TestDetailDeleteNeedsTypedUsername(t *testing.T) {
	env := startDesk(t, ProfileInfo{Name: "prod-eu", Production: true}, deskOptions{})
	target := env.findIdentity(t, "enrolled", enrolledActive)
	tm := env.run(t, 100, 30)
	openIdentity(t, tm, target.Traits.Username)

	tm.Send(keyMsg("d"))
	waitForText(t, tm, "Delete "+target.Traits.Username+" for good?", "PRODUCTION profile prod-eu", "cannot be")
	tm.Type("wrong")
	tm.Send(keyMsg("enter"))
	waitForText(t, tm, "That does not match.")
	if _, err := env.check.GetIdentity(testContext(t), target.ID); err != nil {
		t.Fatalf("the identity is gone after a wrong confirmation: %v", err)
	}

	for range len("wrong") {
		tm.Send(keyMsg("backspace"))
	}
	tm.Type(target.Traits.Username)
	tm.Send(keyMsg("enter"))
	// The list still searches for the username, which is gone now.
	waitForText(t, tm, "Deleted "+target.Traits.Username+".", "No identity has the username")

	_, err := env.check.GetIdentity(testContext(t), target.ID)
	if !errors.Is(err, client.ErrNotFound) {
		t.Errorf("GetIdentity after delete: %v, want not found", err)
	}
	if _, ok := quitAndWait(t, tm).current().(*identityList); !ok {
		t.Error("the detail screen of a deleted identity stayed open")
	}
}

// TestReadOnlyHidesDeskActions checks that read-only mode binds none of
// the desk's changing keys and lists none of them in help.
func TestReadOnlyHidesDeskActions(t *testing.T) {
	env := startDesk(t, ProfileInfo{ReadOnly: true}, deskOptions{})
	target := env.findIdentity(t, "enrolled", enrolledActive)
	tm := env.run(t, 100, 30)
	openIdentity(t, tm, target.Traits.Username)
	for _, k := range []string{"x", "u", "s", "d", "e"} {
		tm.Send(keyMsg(k))
	}
	tm.Send(keyMsg("?"))
	waitForText(t, tm, "Keys: Identity")

	final := quitAndWait(t, tm)
	if _, ok := final.current().(*identityDetail); !ok {
		t.Fatalf("a changing key opened %T in read-only mode", final.current())
	}
	help := final.View()
	for _, hidden := range []string{"revoke", "edit", "suspend", "delete", "new link"} {
		if strings.Contains(help, hidden) {
			t.Errorf("read-only help lists %q:\n%s", hidden, help)
		}
	}
	final.showHelp = false
	if short := final.shortHelpView(); strings.Contains(short, "suspend") || strings.Contains(short, "delete") {
		t.Errorf("read-only help line = %q", short)
	}
	if got := env.bodies.matching("PATCH "); len(got) != 0 {
		t.Errorf("read-only console sent %q", got)
	}
}
