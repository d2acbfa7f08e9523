package sandbox

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Routing. The management API uses custom methods written as a literal
// ":verb" suffix on a path segment (identities/{id}:listGroups), which
// net/http's ServeMux patterns cannot express, so management routes are
// matched here segment by segment. The OIDC provider's paths have no colons
// and live on a ServeMux filled by registerOIDC.

// route is one management API operation.
type route struct {
	method string
	// segments of the path pattern: a literal, "{name}", or
	// "{name}:verb" for a custom method on a resource.
	segments []string
	// scopes the bearer token must all carry.
	scopes  []string
	handler func(*apiRequest)
}

func newRoute(method, pattern string, scopes []string, h func(*apiRequest)) route {
	return route{method: method, segments: strings.Split(strings.Trim(pattern, "/"), "/"), scopes: scopes, handler: h}
}

// match reports whether path fits the pattern and returns its parameters.
// A plain "{name}" never matches a segment with a colon, so
// identities/{id} does not swallow identities/{id}:listGroups.
func (rt *route) match(segments []string) (map[string]string, bool) {
	if len(segments) != len(rt.segments) {
		return nil, false
	}
	var params map[string]string
	for i, pat := range rt.segments {
		seg := segments[i]
		if !strings.HasPrefix(pat, "{") {
			if seg != pat {
				return nil, false
			}
			continue
		}
		name, verb, hasVerb := strings.Cut(strings.TrimPrefix(pat, "{"), "}")
		value := seg
		if hasVerb && verb != "" {
			var ok bool
			value, ok = strings.CutSuffix(seg, verb)
			if !ok {
				return nil, false
			}
		}
		if value == "" || strings.Contains(value, ":") {
			return nil, false
		}
		if params == nil {
			params = map[string]string{}
		}
		params[name] = value
	}
	return params, true
}

// routes lists the management API operations with the scopes the spec
// requires for each.
func (s *Sandbox) routes() []route {
	const (
		t = "/v1/tenants/{tenant}"
		r = t + "/realms/{realm}"
		i = r + "/identities/{identity}"
	)
	sc := func(scopes ...string) []string { return scopes }
	return []route{
		newRoute("GET", t, sc("tenants:read"), s.getTenant),
		newRoute("GET", t+"/realms", sc("realms:read"), s.listRealms),
		newRoute("GET", r, sc("realms:read"), s.getRealm),
		newRoute("PATCH", r, sc("realms:update"), s.updateRealm),

		newRoute("GET", r+"/identities", sc("identities:read"), s.listIdentities),
		newRoute("POST", r+"/identities", sc("identities:create"), s.createIdentity),
		newRoute("POST", r+"/identities:batchDelete", sc("identities:delete"), s.batchDeleteIdentities),
		newRoute("GET", i, sc("identities:read"), s.getIdentity),
		newRoute("PATCH", i, sc("identities:update"), s.updateIdentity),
		newRoute("DELETE", i, sc("identities:delete"), s.deleteIdentity),
		newRoute("GET", r+"/identities/{identity}:listGroups", sc("identities:read", "groups:read"), s.listIdentityGroups),

		newRoute("GET", i+"/credentials", sc("credentials:read"), s.listCredentials),
		newRoute("GET", i+"/credentials/{credential}", sc("credentials:read"), s.getCredential),
		newRoute("POST", i+"/credentials/{credential}:revoke", sc("credentials:revoke"), s.revokeCredential),

		newRoute("POST", i+"/credential-binding-jobs", sc("credential-binding-jobs:create"), s.createJob),
		newRoute("GET", i+"/credential-binding-jobs", sc("credential-binding-jobs:read"), s.listJobs),
		newRoute("GET", i+"/credential-binding-jobs/{job}", sc("credential-binding-jobs:read"), s.getJob),
		newRoute("POST", i+"/credential-binding-jobs/{job}:revoke", sc("credential-binding-jobs:revoke"), s.revokeJob),

		newRoute("POST", r+"/batch-credential-binding-jobs", sc("credential-binding-jobs:create"), s.createBatch),
		newRoute("GET", r+"/batch-credential-binding-jobs/{batch}", sc("credential-binding-jobs:read"), s.getBatch),
		newRoute("GET", r+"/batch-credential-binding-jobs/{batch}:listResults", sc("credential-binding-jobs:read"), s.listBatchResults),

		newRoute("GET", r+"/groups", sc("groups:read"), s.listGroups),
		newRoute("GET", r+"/groups/{group}", sc("groups:read"), s.getGroup),
		newRoute("GET", r+"/groups/{group}:listMembers", sc("groups:read", "identities:read"), s.listGroupMembers),
		newRoute("POST", r+"/groups/{group}:addMembers", sc("groups:update", "identities:read"), s.addGroupMembers),
		newRoute("POST", r+"/groups/{group}:deleteMembers", sc("groups:update", "identities:read"), s.deleteGroupMembers),

		newRoute("GET", r+"/applications", sc("applications:read"), s.listApplications),
		newRoute("GET", r+"/applications/{application}", sc("applications:read"), s.getApplication),
		newRoute("GET", r+"/applications/{application}/tokens", sc("tokens:read"), s.listTokens),
		newRoute("DELETE", r+"/applications/{application}/tokens/{token}", sc("tokens:delete"), s.revokeToken),

		newRoute("GET", r+"/authenticator-configs", sc("authenticator-configs:read"), s.listAuthenticatorConfigs),
		newRoute("GET", r+"/authenticator-configs/{config}", sc("authenticator-configs:read"), s.getAuthenticatorConfig),
	}
}

// serveHTTP is the sandbox's root handler.
func (s *Sandbox) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Request-Id", randomID(32))
	path := r.URL.Path
	s.log.Debug("request", "method", r.Method, "path", path)

	switch {
	case path == "/":
		s.serveLanding(w, r)
		return
	case strings.HasPrefix(path, "/_sandbox/"):
		s.serveSandboxPage(w, r)
		return
	case isBindingLinkPath(path):
		s.serveBindingLink(w, r)
		return
	}

	segments := strings.Split(strings.Trim(path, "/"), "/")
	if strings.HasPrefix(path, "/v1/tenants/") {
		var allowed []string
		for i := range s.apiRoutes {
			rt := &s.apiRoutes[i]
			params, ok := rt.match(segments)
			if !ok {
				continue
			}
			if rt.method != r.Method {
				allowed = append(allowed, rt.method)
				continue
			}
			s.serveAPI(w, r, rt, params)
			return
		}
		if _, pattern := s.oidcMux.Handler(r); pattern != "" {
			s.oidcMux.ServeHTTP(w, r)
			return
		}
		rq := &apiRequest{log: s.log, w: w, r: r}
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			rq.fail(http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		rq.fail(http.StatusNotFound, "not found")
		return
	}
	if _, pattern := s.oidcMux.Handler(r); pattern != "" {
		s.oidcMux.ServeHTTP(w, r)
		return
	}
	http.NotFound(w, r)
}

// serveAPI runs the transport faults, authenticates, checks the tenant and
// realm in the path, and calls the route's handler.
func (s *Sandbox) serveAPI(w http.ResponseWriter, r *http.Request, rt *route, params map[string]string) {
	rq := &apiRequest{log: s.log, w: w, r: r, params: params}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes+1)

	fd := s.faults.take()
	if fd.latency > 0 {
		select {
		case <-time.After(fd.latency):
		case <-r.Context().Done():
			return
		}
	}
	if fd.drop {
		s.dropConnection(w)
		return
	}
	if fd.status != 0 {
		if fd.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(fd.retryAfter))
		}
		rq.fail(fd.status, strings.ToLower(http.StatusText(fd.status)))
		return
	}
	rq.malformed = fd.malformed

	claims, status := s.authenticate(r, rt.scopes, params["tenant"])
	if status != 0 {
		rq.fail(status, statusCode(status))
		return
	}
	rq.claims = claims
	rq.now = s.now()

	if params["tenant"] != s.st.Tenant.ID {
		// Only this sandbox signs tokens and all carry its tenant, so after
		// the bi_t check this branch is a safety net.
		rq.fail(http.StatusNotFound, "tenant not found", resourceInfo("Tenant", params["tenant"], "tenant not found"))
		return
	}
	if realmID, ok := params["realm"]; ok {
		s.mu.Lock()
		known := s.st.realm(realmID) != nil
		s.mu.Unlock()
		if !known {
			rq.notFound("Realm", realmID)
			return
		}
	}
	rt.handler(rq)
}

// dropConnection closes the client connection without a response.
func (s *Sandbox) dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		// HTTP/2 or a wrapping middleware: abort the handler instead,
		// which net/http turns into a reset stream or closed connection.
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}
