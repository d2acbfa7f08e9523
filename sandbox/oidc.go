package sandbox

import "net/http"

// oidcState holds OIDC-only state such as authorization codes.
type oidcState struct{}

// registerOIDC adds the OIDC provider routes to mux. The router sends a
// request here when no management API route matches it and mux has a
// pattern for it: the per-application issuer paths (authorize, token,
// userinfo, revoke, .well-known) and the realm's introspect endpoint.
//
// TODO: the OIDC provider replaces this placeholder.
func (s *Sandbox) registerOIDC(mux *http.ServeMux) {}
