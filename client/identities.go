package client

import (
	"context"
	"fmt"
	"iter"
	"net/http"
)

// maxBatchIDs is the most IDs one batch call accepts.
const maxBatchIDs = 1000

// ListIdentities returns one page of the realm's identities, optionally
// filtered. A page token remembers its filter, so a follow-up request must
// send the same filter.
func (c *Client) ListIdentities(ctx context.Context, opts ListIdentitiesOptions) (*Page[Identity], error) {
	const op = "ListIdentities"
	path, err := c.realmPath(op, "identities")
	if err != nil {
		return nil, err
	}
	q := pageQuery(opts.ListOptions, true)
	if !opts.Filter.IsZero() {
		q.Set("filter", opts.Filter.String())
	}
	return list[Identity](ctx, c, op, path, "identities", q)
}

// AllIdentities iterates over every identity matching filter (the zero
// Filter matches all), fetching pages of the maximum size as it goes.
func (c *Client) AllIdentities(ctx context.Context, filter Filter) iter.Seq2[Identity, error] {
	return All(ctx, func(ctx context.Context, pageToken string) (*Page[Identity], error) {
		return c.ListIdentities(ctx, ListIdentitiesOptions{
			ListOptions: ListOptions{PageSize: 200, PageToken: pageToken},
			Filter:      filter,
		})
	})
}

// CreateIdentity creates an identity. Traits.Type defaults to traits_v0.
// A creating call is never retried, so a lost response cannot create the
// identity twice.
func (c *Client) CreateIdentity(ctx context.Context, in IdentityCreate) (*Identity, error) {
	const op = "CreateIdentity"
	path, err := c.realmPath(op, "identities")
	if err != nil {
		return nil, err
	}
	if in.Traits.Type == "" {
		in.Traits.Type = TraitsTypeV0
	}
	return run[Identity](ctx, c, call{
		op: op, method: http.MethodPost, path: path,
		body: map[string]any{"identity": in}, mutating: true,
	})
}

// GetIdentity returns one identity.
func (c *Client) GetIdentity(ctx context.Context, identityID string) (*Identity, error) {
	const op = "GetIdentity"
	if err := requireIDs(op, "identity ID", identityID); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "identities", identityID)
	if err != nil {
		return nil, err
	}
	return run[Identity](ctx, c, call{op: op, method: http.MethodGet, path: path, retry: true})
}

// UpdateIdentity changes the fields set in patch. The service merges traits
// field by field; Traits.Type defaults to traits_v0.
func (c *Client) UpdateIdentity(ctx context.Context, identityID string, patch IdentityPatch) (*Identity, error) {
	const op = "UpdateIdentity"
	if err := requireIDs(op, "identity ID", identityID); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "identities", identityID)
	if err != nil {
		return nil, err
	}
	if patch.Traits != nil && patch.Traits.Type == "" {
		traits := *patch.Traits // leave the caller's value alone
		traits.Type = TraitsTypeV0
		patch.Traits = &traits
	}
	return run[Identity](ctx, c, call{
		op: op, method: http.MethodPatch, path: path,
		body: map[string]any{"identity": patch}, retry: true, mutating: true,
	})
}

// DeleteIdentity deletes an identity. It is not retried: when a first
// attempt succeeds but its response is lost, a retry would report not found.
func (c *Client) DeleteIdentity(ctx context.Context, identityID string) error {
	const op = "DeleteIdentity"
	if err := requireIDs(op, "identity ID", identityID); err != nil {
		return err
	}
	path, err := c.realmPath(op, "identities", identityID)
	if err != nil {
		return err
	}
	return c.do(ctx, call{op: op, method: http.MethodDelete, path: path, mutating: true})
}

// BatchDeleteIdentities deletes 1 to 1000 identities, all or none.
func (c *Client) BatchDeleteIdentities(ctx context.Context, identityIDs []string) error {
	const op = "BatchDeleteIdentities"
	if err := checkBatch(op, identityIDs); err != nil {
		return err
	}
	path, err := c.realmPath(op, "identities")
	if err != nil {
		return err
	}
	return c.do(ctx, call{
		op: op, method: http.MethodPost, path: path + ":batchDelete",
		body: map[string]any{"ids": identityIDs}, mutating: true,
	})
}

// ListIdentityGroups returns one page of the groups an identity belongs to.
func (c *Client) ListIdentityGroups(ctx context.Context, identityID string, opts ListOptions) (*Page[Group], error) {
	const op = "ListIdentityGroups"
	if err := requireIDs(op, "identity ID", identityID); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "identities", identityID)
	if err != nil {
		return nil, err
	}
	return list[Group](ctx, c, op, path+":listGroups", "groups", pageQuery(opts, true))
}

// ListGroups returns one page of the realm's groups.
func (c *Client) ListGroups(ctx context.Context, opts ListOptions) (*Page[Group], error) {
	const op = "ListGroups"
	path, err := c.realmPath(op, "groups")
	if err != nil {
		return nil, err
	}
	return list[Group](ctx, c, op, path, "groups", pageQuery(opts, true))
}

// GetGroup returns one group.
func (c *Client) GetGroup(ctx context.Context, groupID string) (*Group, error) {
	const op = "GetGroup"
	if err := requireIDs(op, "group ID", groupID); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "groups", groupID)
	if err != nil {
		return nil, err
	}
	return run[Group](ctx, c, call{op: op, method: http.MethodGet, path: path, retry: true})
}

// ListGroupMembers returns one page of a group's identities.
func (c *Client) ListGroupMembers(ctx context.Context, groupID string, opts ListOptions) (*Page[Identity], error) {
	const op = "ListGroupMembers"
	if err := requireIDs(op, "group ID", groupID); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "groups", groupID)
	if err != nil {
		return nil, err
	}
	return list[Identity](ctx, c, op, path+":listMembers", "identities", pageQuery(opts, true))
}

// AddGroupMembers adds 1 to 1000 identities to a group and returns the group.
func (c *Client) AddGroupMembers(ctx context.Context, groupID string, identityIDs []string) (*Group, error) {
	return c.changeMembers(ctx, "AddGroupMembers", ":addMembers", groupID, identityIDs)
}

// DeleteGroupMembers removes 1 to 1000 identities from a group and returns
// the group.
func (c *Client) DeleteGroupMembers(ctx context.Context, groupID string, identityIDs []string) (*Group, error) {
	return c.changeMembers(ctx, "DeleteGroupMembers", ":deleteMembers", groupID, identityIDs)
}

func (c *Client) changeMembers(ctx context.Context, op, verb, groupID string, identityIDs []string) (*Group, error) {
	if err := requireIDs(op, "group ID", groupID); err != nil {
		return nil, err
	}
	if err := checkBatch(op, identityIDs); err != nil {
		return nil, err
	}
	path, err := c.realmPath(op, "groups", groupID)
	if err != nil {
		return nil, err
	}
	return run[Group](ctx, c, call{
		op: op, method: http.MethodPost, path: path + verb,
		body: map[string]any{"identity_ids": identityIDs}, mutating: true,
	})
}

// checkBatch rejects an ID list the service would reject, before any I/O.
func checkBatch(op string, ids []string) error {
	if len(ids) == 0 {
		return fmt.Errorf("%s: no identity IDs given", op)
	}
	if len(ids) > maxBatchIDs {
		return fmt.Errorf("%s: %d identity IDs given, at most %d are allowed per call", op, len(ids), maxBatchIDs)
	}
	return nil
}
