package sandbox

import "net/http"

func (rq *apiRequest) unimplemented() { rq.fail(http.StatusNotImplemented, "not implemented") }

func (s *Sandbox) createBatch(rq *apiRequest)        { rq.unimplemented() }
func (s *Sandbox) getBatch(rq *apiRequest)           { rq.unimplemented() }
func (s *Sandbox) listBatchResults(rq *apiRequest)   { rq.unimplemented() }
func (s *Sandbox) listGroups(rq *apiRequest)         { rq.unimplemented() }
func (s *Sandbox) getGroup(rq *apiRequest)           { rq.unimplemented() }
func (s *Sandbox) listGroupMembers(rq *apiRequest)   { rq.unimplemented() }
func (s *Sandbox) addGroupMembers(rq *apiRequest)    { rq.unimplemented() }
func (s *Sandbox) deleteGroupMembers(rq *apiRequest) { rq.unimplemented() }
