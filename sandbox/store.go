package sandbox

import (
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// stateVersion is written to the state file; a file with another version is
// rejected rather than misread.
const stateVersion = 1

// jobRecord is a stored binding job with the secret parts of its link.
type jobRecord struct {
	CredentialBindingJob
	// LinkHash is the SHA-256 (base64url) of the link token; the token
	// itself is never stored.
	LinkHash string `json:"link_hash,omitempty"`
	LinkUsed bool   `json:"link_used,omitempty"`
}

// batchRecord is a stored batch with its progress: the batch worker has
// handled IdentityIDs[:Processed].
type batchRecord struct {
	BatchCredentialBindingJob
	Processed int `json:"processed"`
}

// membership is one identity in one group, in the order it was added.
type membership struct {
	GroupID    string `json:"group_id"`
	IdentityID string `json:"identity_id"`
}

// state is everything the sandbox persists. Slices are in create order,
// which is the order lists return. The unexported maps are indexes rebuilt
// by reindex after loading and kept current by the add and remove helpers.
type state struct {
	Version int `json:"version"`

	Tenant                Tenant `json:"tenant"`
	AdminRealmID          string `json:"admin_realm_id"`
	RealmID               string `json:"realm_id"`
	ManagementAppID       string `json:"management_application_id"`
	ResourceServerID      string `json:"resource_server_id"`
	ApplicationID         string `json:"application_id"`
	AuthenticatorConfigID string `json:"authenticator_config_id"`

	// Keys are the JWT signing keys, private parts included, so tokens
	// issued before a restart stay valid.
	Keys []jose.JSONWebKey `json:"keys"`
	// PageSecret is the HMAC key of page tokens.
	PageSecret []byte `json:"page_secret"`
	// APIToken is the all-scopes management token Info reports.
	APIToken string `json:"api_token"`
	// Origin is the sandbox URL when the state was last saved. A restart on
	// another port replaces it in the stored URLs that name the sandbox.
	Origin string `json:"origin,omitempty"`

	Realms               []*Realm               `json:"realms"`
	ResourceServers      []*ResourceServer      `json:"resource_servers"`
	Applications         []*Application         `json:"applications"`
	AuthenticatorConfigs []*AuthenticatorConfig `json:"authenticator_configs"`
	Identities           []*Identity            `json:"identities"`
	Credentials          []*Credential          `json:"credentials"`
	Jobs                 []*jobRecord           `json:"credential_binding_jobs"`
	Batches              []*batchRecord         `json:"batch_credential_binding_jobs"`
	Groups               []*Group               `json:"groups"`
	Memberships          []membership           `json:"memberships"`
	Tokens               []*tokenRecord         `json:"tokens"`
	Outbox               []OutboxMessage        `json:"outbox"`

	realmByID      map[string]*Realm
	appByID        map[string]*Application
	appByClientID  map[string]*Application
	configByID     map[string]*AuthenticatorConfig
	identityByID   map[string]*Identity
	identitiesByRl map[string][]*Identity
	usernames      map[string]map[string]*Identity // realm → lower(username)
	credentialByID map[string]*Credential
	credsByIdent   map[string][]*Credential
	jobByID        map[string]*jobRecord
	jobsByIdent    map[string][]*jobRecord
	batchByID      map[string]*batchRecord
	groupByID      map[string]*Group
	membersOf      map[string][]string        // group → identity ids in add order
	groupsOf       map[string]map[string]bool // identity → set of group ids
	tokenByID      map[string]*tokenRecord
}

// reindex rebuilds every index from the persisted slices.
func (st *state) reindex() {
	st.realmByID = make(map[string]*Realm, len(st.Realms))
	for _, r := range st.Realms {
		st.realmByID[r.ID] = r
	}
	st.appByID = map[string]*Application{}
	st.appByClientID = map[string]*Application{}
	for _, a := range st.Applications {
		st.indexApplication(a)
	}
	st.configByID = map[string]*AuthenticatorConfig{}
	for _, c := range st.AuthenticatorConfigs {
		st.configByID[c.ID] = c
	}
	st.identityByID = make(map[string]*Identity, len(st.Identities))
	st.identitiesByRl = map[string][]*Identity{}
	st.usernames = map[string]map[string]*Identity{}
	for _, id := range st.Identities {
		st.indexIdentity(id)
	}
	st.credentialByID = make(map[string]*Credential, len(st.Credentials))
	st.credsByIdent = map[string][]*Credential{}
	for _, c := range st.Credentials {
		st.credentialByID[c.ID] = c
		st.credsByIdent[c.IdentityID] = append(st.credsByIdent[c.IdentityID], c)
	}
	st.jobByID = make(map[string]*jobRecord, len(st.Jobs))
	st.jobsByIdent = map[string][]*jobRecord{}
	for _, j := range st.Jobs {
		st.jobByID[j.ID] = j
		st.jobsByIdent[j.IdentityID] = append(st.jobsByIdent[j.IdentityID], j)
	}
	st.batchByID = map[string]*batchRecord{}
	for _, b := range st.Batches {
		st.batchByID[b.ID] = b
	}
	st.groupByID = map[string]*Group{}
	for _, g := range st.Groups {
		st.groupByID[g.ID] = g
	}
	st.membersOf = map[string][]string{}
	st.groupsOf = map[string]map[string]bool{}
	for _, m := range st.Memberships {
		st.membersOf[m.GroupID] = append(st.membersOf[m.GroupID], m.IdentityID)
		if st.groupsOf[m.IdentityID] == nil {
			st.groupsOf[m.IdentityID] = map[string]bool{}
		}
		st.groupsOf[m.IdentityID][m.GroupID] = true
	}
	st.tokenByID = make(map[string]*tokenRecord, len(st.Tokens))
	for _, t := range st.Tokens {
		st.tokenByID[t.ID] = t
	}
}

func (st *state) indexApplication(a *Application) {
	st.appByID[a.ID] = a
	if a.ProtocolConfig != nil && a.ProtocolConfig.ClientID != "" {
		st.appByClientID[a.ProtocolConfig.ClientID] = a
	}
}

func (st *state) indexIdentity(id *Identity) {
	st.identityByID[id.ID] = id
	st.identitiesByRl[id.RealmID] = append(st.identitiesByRl[id.RealmID], id)
	names := st.usernames[id.RealmID]
	if names == nil {
		names = map[string]*Identity{}
		st.usernames[id.RealmID] = names
	}
	names[foldUsername(id.Traits.Username)] = id
}

// foldUsername is the key under which usernames are unique: the service
// treats them case-insensitively.
func foldUsername(u string) string { return strings.ToLower(u) }

// realm returns the realm with this id, or nil.
func (st *state) realm(id string) *Realm { return st.realmByID[id] }

// application returns the application of the realm with this id, or nil.
func (st *state) application(realmID, appID string) *Application {
	if a := st.appByID[appID]; a != nil && a.RealmID == realmID {
		return a
	}
	return nil
}

// applicationByClientID returns the oauth2 or oidc application with this
// client_id in any realm, or nil.
func (st *state) applicationByClientID(clientID string) *Application {
	return st.appByClientID[clientID]
}

// applicationsOf returns the realm's applications in create order.
func (st *state) applicationsOf(realmID string) []*Application {
	var out []*Application
	for _, a := range st.Applications {
		if a.RealmID == realmID {
			out = append(out, a)
		}
	}
	return out
}

// authenticatorConfig returns the realm's config with this id, or nil.
func (st *state) authenticatorConfig(realmID, configID string) *AuthenticatorConfig {
	if c := st.configByID[configID]; c != nil && c.RealmID == realmID {
		return c
	}
	return nil
}

// authenticatorConfigsOf returns the realm's configs in create order.
func (st *state) authenticatorConfigsOf(realmID string) []*AuthenticatorConfig {
	var out []*AuthenticatorConfig
	for _, c := range st.AuthenticatorConfigs {
		if c.RealmID == realmID {
			out = append(out, c)
		}
	}
	return out
}

// identity returns the realm's identity with this id, or nil.
func (st *state) identity(realmID, identityID string) *Identity {
	if id := st.identityByID[identityID]; id != nil && id.RealmID == realmID {
		return id
	}
	return nil
}

// identitiesOf returns the realm's identities in create order. Callers must
// not modify the returned slice.
func (st *state) identitiesOf(realmID string) []*Identity { return st.identitiesByRl[realmID] }

// identityByUsername looks a username up case-insensitively, or returns nil.
func (st *state) identityByUsername(realmID, username string) *Identity {
	return st.usernames[realmID][foldUsername(username)]
}

func (st *state) addIdentity(id *Identity) {
	st.Identities = append(st.Identities, id)
	st.indexIdentity(id)
}

// renameIdentity moves the username index entry after a username change.
func (st *state) renameIdentity(id *Identity, oldUsername string) {
	names := st.usernames[id.RealmID]
	if names[foldUsername(oldUsername)] == id {
		delete(names, foldUsername(oldUsername))
	}
	names[foldUsername(id.Traits.Username)] = id
}

// removeIdentities deletes identities together with their credentials,
// binding jobs and group memberships, in one pass over each slice.
func (st *state) removeIdentities(ids map[string]bool) {
	st.Identities = slices.DeleteFunc(st.Identities, func(id *Identity) bool { return ids[id.ID] })
	realms := map[string]bool{}
	for idID := range ids {
		id := st.identityByID[idID]
		if id == nil {
			continue
		}
		realms[id.RealmID] = true
		delete(st.identityByID, idID)
		if names := st.usernames[id.RealmID]; names[foldUsername(id.Traits.Username)] == id {
			delete(names, foldUsername(id.Traits.Username))
		}
		for _, c := range st.credsByIdent[idID] {
			delete(st.credentialByID, c.ID)
		}
		delete(st.credsByIdent, idID)
		for _, j := range st.jobsByIdent[idID] {
			delete(st.jobByID, j.ID)
		}
		delete(st.jobsByIdent, idID)
		for g := range st.groupsOf[idID] {
			st.membersOf[g] = slices.DeleteFunc(st.membersOf[g], func(m string) bool { return m == idID })
		}
		delete(st.groupsOf, idID)
	}
	for r := range realms {
		st.identitiesByRl[r] = slices.DeleteFunc(slices.Clone(st.identitiesByRl[r]), func(id *Identity) bool { return ids[id.ID] })
	}
	st.Credentials = slices.DeleteFunc(st.Credentials, func(c *Credential) bool { return ids[c.IdentityID] })
	st.Jobs = slices.DeleteFunc(st.Jobs, func(j *jobRecord) bool { return ids[j.IdentityID] })
	st.Memberships = slices.DeleteFunc(st.Memberships, func(m membership) bool { return ids[m.IdentityID] })
}

// credentialsOf returns the identity's credentials in create order.
func (st *state) credentialsOf(identityID string) []*Credential { return st.credsByIdent[identityID] }

func (st *state) addCredential(c *Credential) {
	st.Credentials = append(st.Credentials, c)
	st.credentialByID[c.ID] = c
	st.credsByIdent[c.IdentityID] = append(st.credsByIdent[c.IdentityID], c)
}

// jobsOf returns the identity's binding jobs in create order.
func (st *state) jobsOf(identityID string) []*jobRecord { return st.jobsByIdent[identityID] }

func (st *state) addJob(j *jobRecord) {
	st.Jobs = append(st.Jobs, j)
	st.jobByID[j.ID] = j
	st.jobsByIdent[j.IdentityID] = append(st.jobsByIdent[j.IdentityID], j)
}

func (st *state) addGroup(g *Group) {
	st.Groups = append(st.Groups, g)
	st.groupByID[g.ID] = g
}

// group returns the realm's group with this id, or nil.
func (st *state) group(realmID, groupID string) *Group {
	if g := st.groupByID[groupID]; g != nil && g.RealmID == realmID {
		return g
	}
	return nil
}

// addMember adds an identity to a group unless it is already a member, and
// reports whether anything changed.
func (st *state) addMember(groupID, identityID string) bool {
	if st.groupsOf[identityID][groupID] {
		return false
	}
	st.Memberships = append(st.Memberships, membership{GroupID: groupID, IdentityID: identityID})
	st.membersOf[groupID] = append(st.membersOf[groupID], identityID)
	if st.groupsOf[identityID] == nil {
		st.groupsOf[identityID] = map[string]bool{}
	}
	st.groupsOf[identityID][groupID] = true
	return true
}

// removeMembers takes identities out of a group; absent ones are ignored.
func (st *state) removeMembers(groupID string, identityIDs map[string]bool) bool {
	changed := false
	for idID := range identityIDs {
		if st.groupsOf[idID][groupID] {
			delete(st.groupsOf[idID], groupID)
			changed = true
		}
	}
	if !changed {
		return false
	}
	st.Memberships = slices.DeleteFunc(st.Memberships, func(m membership) bool {
		return m.GroupID == groupID && identityIDs[m.IdentityID]
	})
	st.membersOf[groupID] = slices.DeleteFunc(slices.Clone(st.membersOf[groupID]), func(id string) bool { return identityIDs[id] })
	return true
}

// token returns the token record with this jti, or nil.
func (st *state) token(jti string) *tokenRecord { return st.tokenByID[jti] }

// addToken records a minted token so bearer checks, ListTokens and the OIDC
// revoke and introspect endpoints all see it.
func (st *state) addToken(rec *tokenRecord) {
	st.Tokens = append(st.Tokens, rec)
	st.tokenByID[rec.ID] = rec
}

// enrollmentStatus derives an identity's enrollment_status from its
// credentials and jobs at time now. It is never stored, so it cannot go
// stale when a job expires.
//
// NOTE: INVITE_FAILED here requires every job to be FAILED_TO_SEND. The
// spec's field description reads as "no active passkey, no live job and at
// least one failed job", which also covers a failed job next to an expired
// one. Which reading the service uses is not known.
func (st *state) enrollmentStatus(identityID string, now time.Time) string {
	for _, c := range st.credsByIdent[identityID] {
		if c.State == credentialActive {
			return enrollmentEnrolled
		}
	}
	jobs := st.jobsByIdent[identityID]
	allFailed := len(jobs) > 0
	for _, j := range jobs {
		state := j.effectiveState(now)
		if jobLive(state) {
			return enrollmentPending
		}
		if state != jobFailedToSend {
			allFailed = false
		}
	}
	if allFailed {
		return enrollmentInviteFailed
	}
	return enrollmentUnenrolled
}

// effectiveState is the job state as read at time now: a live job past its
// expire_time reads as EXPIRED.
func (j *jobRecord) effectiveState(now time.Time) string {
	if jobLive(j.State) && !now.Before(j.ExpireTime) {
		return jobExpired
	}
	return j.State
}

// view returns the job as the API shows it at time now.
func (j *jobRecord) view(now time.Time) CredentialBindingJob {
	v := j.CredentialBindingJob
	v.State = j.effectiveState(now)
	return v
}

// identityView returns a copy of the identity with enrollment_status set.
func (st *state) identityView(id *Identity, now time.Time) Identity {
	v := *id
	v.EnrollmentStatus = st.enrollmentStatus(id.ID, now)
	return v
}
