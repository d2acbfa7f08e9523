package client

import (
	"context"
	"fmt"
	"net/http"
)

// GetTenant returns the client's tenant.
func (c *Client) GetTenant(ctx context.Context) (*Tenant, error) {
	return run[Tenant](ctx, c, call{op: "GetTenant", method: http.MethodGet, path: c.tenantPath(), retry: true})
}

// ListRealms returns one page of the tenant's realms.
func (c *Client) ListRealms(ctx context.Context, opts ListOptions) (*Page[Realm], error) {
	return list[Realm](ctx, c, "ListRealms", c.tenantPath("realms"), "realms", pageQuery(opts, true))
}

// GetRealm returns the client's realm.
func (c *Client) GetRealm(ctx context.Context) (*Realm, error) {
	const op = "GetRealm"
	path, err := c.realmPath(op)
	if err != nil {
		return nil, err
	}
	return run[Realm](ctx, c, call{op: op, method: http.MethodGet, path: path, retry: true})
}

// UpdateRealm changes the fields set in patch and returns the updated realm.
func (c *Client) UpdateRealm(ctx context.Context, patch RealmPatch) (*Realm, error) {
	const op = "UpdateRealm"
	path, err := c.realmPath(op)
	if err != nil {
		return nil, err
	}
	return run[Realm](ctx, c, call{
		op: op, method: http.MethodPatch, path: path,
		body: map[string]any{"realm": patch}, retry: true, mutating: true,
	})
}

// ListAuthenticatorConfigs returns one page of the realm's authenticator
// configs. The operation has no skip parameter, so opts.Skip must be 0.
func (c *Client) ListAuthenticatorConfigs(ctx context.Context, opts ListOptions) (*Page[AuthenticatorConfig], error) {
	const op = "ListAuthenticatorConfigs"
	if opts.Skip != 0 {
		return nil, fmt.Errorf("%s: the API has no skip parameter for this list", op)
	}
	path, err := c.realmPath(op, "authenticator-configs")
	if err != nil {
		return nil, err
	}
	return list[AuthenticatorConfig](ctx, c, op, path, "authenticator_configs", pageQuery(opts, false))
}

// GetAuthenticatorConfig returns one authenticator config of the realm.
func (c *Client) GetAuthenticatorConfig(ctx context.Context, configID string) (*AuthenticatorConfig, error) {
	const op = "GetAuthenticatorConfig"
	if err := requireIDs(op, "authenticator config ID", configID); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "authenticator-configs", configID)
	if err != nil {
		return nil, err
	}
	return run[AuthenticatorConfig](ctx, c, call{op: op, method: http.MethodGet, path: path, retry: true})
}

// ListApplications returns one page of the realm's applications. The
// operation has no skip parameter, so opts.Skip must be 0.
func (c *Client) ListApplications(ctx context.Context, opts ListOptions) (*Page[Application], error) {
	const op = "ListApplications"
	if opts.Skip != 0 {
		return nil, fmt.Errorf("%s: the API has no skip parameter for this list", op)
	}
	path, err := c.realmPath(op, "applications")
	if err != nil {
		return nil, err
	}
	return list[Application](ctx, c, op, path, "applications", pageQuery(opts, false))
}

// GetApplication returns one application of the realm. Its protocol config
// may carry a client secret, which must never be logged.
func (c *Client) GetApplication(ctx context.Context, applicationID string) (*Application, error) {
	const op = "GetApplication"
	if err := requireIDs(op, "application ID", applicationID); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "applications", applicationID)
	if err != nil {
		return nil, err
	}
	return run[Application](ctx, c, call{op: op, method: http.MethodGet, path: path, retry: true})
}
