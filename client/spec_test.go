package client

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// subsetPath is the schema-only cut of the vendor API description that
// client/testdata/mkspec generates; tests read nothing else.
const subsetPath = "testdata/openapi-subset.yaml"

var loadSubset = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(subsetPath)
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

// operationOf maps an API method to its operationId where the names differ.
var operationOf = map[string]string{
	"RevokeCredentialBindingJob": "SetCredentialBindingJobRevoked",
}

func TestSubsetCoversTheAPIInterface(t *testing.T) {
	doc, err := loadSubset()
	if err != nil {
		t.Fatalf("load %s: %v", subsetPath, err)
	}
	inSpec := map[string]*openapi3.Operation{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			inSpec[op.OperationID] = op
		}
	}

	api := reflect.TypeFor[API]()
	var want []string
	for i := range api.NumMethod() {
		name := api.Method(i).Name
		if name == "TenantID" || name == "RealmID" {
			continue
		}
		if op, ok := operationOf[name]; ok {
			name = op
		}
		want = append(want, name)
		if inSpec[name] == nil {
			t.Errorf("API method for %s has no operation in the subset", name)
		}
	}
	for id := range inSpec {
		if !slices.Contains(want, id) {
			t.Errorf("the subset has operation %s that the API interface lacks", id)
		}
	}

	// The scope table must match the security sections.
	for id, op := range inSpec {
		var scopes []string
		if op.Security != nil {
			for _, req := range *op.Security {
				for scheme, s := range req {
					if scheme != "BearerAuth" {
						t.Errorf("%s uses security scheme %s", id, scheme)
					}
					scopes = append(scopes, s...)
				}
			}
		}
		if got := RequiredScopes(id); !slices.Equal(got, scopes) {
			t.Errorf("RequiredScopes(%s) = %v, the API description says %v", id, got, scopes)
		}
	}
	if len(operationScopes) != len(inSpec) {
		t.Errorf("scope table has %d operations, the subset %d", len(operationScopes), len(inSpec))
	}
	if all := AllScopes(); !slices.Contains(all, "identities:read") || !slices.IsSorted(all) {
		t.Errorf("AllScopes() = %v", all)
	}
}
