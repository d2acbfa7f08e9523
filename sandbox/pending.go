package sandbox

import (
	"net/http"
	"time"
)

func (rq *apiRequest) unimplemented() { rq.fail(http.StatusNotImplemented, "not implemented") }

func (s *Sandbox) getTenant(rq *apiRequest)                { rq.unimplemented() }
func (s *Sandbox) listRealms(rq *apiRequest)               { rq.unimplemented() }
func (s *Sandbox) getRealm(rq *apiRequest)                 { rq.unimplemented() }
func (s *Sandbox) updateRealm(rq *apiRequest)              { rq.unimplemented() }
func (s *Sandbox) listIdentities(rq *apiRequest)           { rq.unimplemented() }
func (s *Sandbox) createIdentity(rq *apiRequest)           { rq.unimplemented() }
func (s *Sandbox) batchDeleteIdentities(rq *apiRequest)    { rq.unimplemented() }
func (s *Sandbox) getIdentity(rq *apiRequest)              { rq.unimplemented() }
func (s *Sandbox) updateIdentity(rq *apiRequest)           { rq.unimplemented() }
func (s *Sandbox) deleteIdentity(rq *apiRequest)           { rq.unimplemented() }
func (s *Sandbox) listIdentityGroups(rq *apiRequest)       { rq.unimplemented() }
func (s *Sandbox) listCredentials(rq *apiRequest)          { rq.unimplemented() }
func (s *Sandbox) getCredential(rq *apiRequest)            { rq.unimplemented() }
func (s *Sandbox) revokeCredential(rq *apiRequest)         { rq.unimplemented() }
func (s *Sandbox) createJob(rq *apiRequest)                { rq.unimplemented() }
func (s *Sandbox) listJobs(rq *apiRequest)                 { rq.unimplemented() }
func (s *Sandbox) getJob(rq *apiRequest)                   { rq.unimplemented() }
func (s *Sandbox) revokeJob(rq *apiRequest)                { rq.unimplemented() }
func (s *Sandbox) createBatch(rq *apiRequest)              { rq.unimplemented() }
func (s *Sandbox) getBatch(rq *apiRequest)                 { rq.unimplemented() }
func (s *Sandbox) listBatchResults(rq *apiRequest)         { rq.unimplemented() }
func (s *Sandbox) listGroups(rq *apiRequest)               { rq.unimplemented() }
func (s *Sandbox) getGroup(rq *apiRequest)                 { rq.unimplemented() }
func (s *Sandbox) listGroupMembers(rq *apiRequest)         { rq.unimplemented() }
func (s *Sandbox) addGroupMembers(rq *apiRequest)          { rq.unimplemented() }
func (s *Sandbox) deleteGroupMembers(rq *apiRequest)       { rq.unimplemented() }
func (s *Sandbox) listApplications(rq *apiRequest)         { rq.unimplemented() }
func (s *Sandbox) getApplication(rq *apiRequest)           { rq.unimplemented() }
func (s *Sandbox) listTokens(rq *apiRequest)               { rq.unimplemented() }
func (s *Sandbox) revokeToken(rq *apiRequest)              { rq.unimplemented() }
func (s *Sandbox) listAuthenticatorConfigs(rq *apiRequest) { rq.unimplemented() }
func (s *Sandbox) getAuthenticatorConfig(rq *apiRequest)   { rq.unimplemented() }

func (s *Sandbox) serveLanding(w http.ResponseWriter, r *http.Request)     { http.NotFound(w, r) }
func (s *Sandbox) serveSandboxPage(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }
func (s *Sandbox) serveBindingLink(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }
func isBindingLinkPath(path string) bool                                   { return false }
func bindingLink(base string, j *jobRecord, token string) string           { return "" }
func outboxMessage(id string, ident *Identity, j *jobRecord, link string, at time.Time) OutboxMessage {
	return OutboxMessage{}
}
