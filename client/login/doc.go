// Package login runs an OpenID Connect sign-in against a Beyond Identity
// application end to end and reports every step and check, so an
// administrator can see which part of an application's sign-in works and
// which does not. It has no UI: progress arrives as Events, and the result
// is a Report that RenderText prints and encoding/json marshals.
//
// The flow, in order:
//
//   - preflight: with Config.API set, read the application through the
//     management API. Check that it is an OIDC application whose redirect
//     URIs, PKCE setting, confidentiality and allowed scopes accept what the
//     test will send. Each mismatch comes with a fix.
//   - discovery: fetch {issuer}/.well-known/openid-configuration, where the
//     issuer is {auth base}/v1/tenants/{t}/realms/{r}/applications/{app},
//     require an exact issuer match, and fetch the JWKS.
//   - listener: bind 127.0.0.1 on the port of a loopback redirect URI
//     registered on the application and serve only its path.
//   - browser: open the authorization URL (authorization code, PKCE S256,
//     random state and nonce) with the Opener, or hand it to the user
//     whole and as a QR code when no browser can be opened.
//   - callback: wait for the first redirect, from the listener or from
//     Runner.SubmitRedirect; a wrong state or an error stops the run here
//     without a token request.
//   - token: redeem the code once, with the client authentication set
//     explicitly (client_secret_basic, client_secret_post or none).
//   - id_token: check signature, alg, iss, aud, azp, exp, iat, nbf, nonce
//     and sub, each on its own line.
//   - userinfo: call userinfo with the access token and compare its sub.
//   - verdict: compare sub with Config.ExpectedSubject when set.
//
// Typical use:
//
//	r, err := login.NewRunner(login.Config{AuthBaseURL: authBase, API: api, ApplicationID: appID})
//	if err != nil { ... }
//	events := make(chan login.Event)
//	go func() {
//		for ev := range events { ... } // Run closes events when it returns
//	}()
//	report, err := r.Run(ctx, events) // r.SubmitRedirect(url) may be called meanwhile
//	login.RenderText(os.Stdout, report)
//	ok := report.Passed()
//
// Tokens, the client secret and the authorization code are held as Secret
// values, which print masked through fmt, encoding/json and log/slog.
package login
