package ui

import (
	"context"

	"github.com/biadmin/biadmin/client"
)

// The groups screen loads at start with every other top-level screen, so
// the fake API of the model tests returns a realm without groups.

func (f *fakeAPI) ListGroups(context.Context, client.ListOptions) (*client.Page[client.Group], error) {
	return &client.Page[client.Group]{}, nil
}

func (f *fakeAPI) ListGroupMembers(context.Context, string, client.ListOptions) (*client.Page[client.Identity], error) {
	return &client.Page[client.Identity]{}, nil
}
