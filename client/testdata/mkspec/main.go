// Command mkspec cuts the schema-only subset of the Beyond Identity Secure
// Access API v1.7.0 description that the client's contract tests validate
// against. It keeps every operation the client calls, the components those
// operations reference, and nothing a validator does not read: descriptions,
// summaries, titles, tags, examples and vendor extensions are dropped.
//
// Usage (from the module root):
//
//	go run ./client/testdata/mkspec -spec PATH/bi-secure-access-openapi-v1.7.0.yml -out client/testdata/openapi-subset.yaml
//
// References to a whole component (#/components/KIND/NAME) are kept and the
// component is copied. References into the middle of another object, such
// as #/paths/.../responses/200/content/application~1json/schema or
// #/components/schemas/AuthenticatorConfig/properties/config/oneOf/0, are
// replaced by a copy of their target, because the subset does not carry the
// paths or the parents they point into.
//
// The subset has no servers list, so a router built from it matches any host
// (the sandbox listens on a random loopback port).
//
// Mends. The vendor file has mistakes that make kin-openapi reject it or that
// contradict the service's documented behaviour. Each mend below checks that
// the mistake is still there and stops the run when it is not, so a fixed
// vendor file gets a second look instead of a silent double fix:
//
//  1. SetCredentialBindingJobRevoked names the security scheme CredentialAuth,
//     which components.securitySchemes does not define. It is mapped to
//     BearerAuth with the same scope, as every other operation uses.
//  2. CreateCredentialBindingJob's 404 response has the schema ResourceInfo
//     (an error detail), but its own example and every other 404 in the file
//     is an Error object carrying a ResourceInfo detail. The schema becomes
//     Error.
//  3. The platform authenticator config requires "allow_unknow_user" while
//     the property is spelled "allow_unknown_user", so no valid platform
//     config could ever pass. The required entry is corrected.
//  4. ListBatchCredentialBindingJobResults returns next_page_token but
//     declares no paging parameters. page_size and page_token are added so the
//     client may follow the token it was given.
//  5. ListSsoConfigsForGroup lacks the sso_config_id path parameter it names,
//     and several examples (the SAML application one, for instance) do not
//     match their schemas. Neither is in the subset (that operation is not
//     used and every example is stripped), so nothing is changed for them.
//
// Responses keep a description because OpenAPI 3.0 requires one; it is
// replaced by the HTTP status text.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"
)

// operations are the operationIds the client calls. The run fails when one is
// missing from the vendor file.
var operations = []string{
	"GetTenant",
	"ListRealms", "GetRealm", "UpdateRealm",
	"ListIdentities", "CreateIdentity", "GetIdentity", "UpdateIdentity",
	"DeleteIdentity", "BatchDeleteIdentities", "ListIdentityGroups",
	"ListCredentials", "GetCredential", "RevokeCredential",
	"CreateCredentialBindingJob", "ListCredentialBindingJobs",
	"GetCredentialBindingJob", "SetCredentialBindingJobRevoked",
	"CreateBatchCredentialBindingJob", "GetBatchCredentialBindingJob",
	"ListBatchCredentialBindingJobResults",
	"ListGroups", "GetGroup", "ListGroupMembers", "AddGroupMembers", "DeleteGroupMembers",
	"ListAuthenticatorConfigs", "GetAuthenticatorConfig",
	"ListApplications", "GetApplication",
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// droppedKeys are annotation keywords with no effect on validation.
var droppedKeys = map[string]bool{
	"description": true, "summary": true, "title": true, "example": true,
	"examples": true, "tags": true, "externalDocs": true,
}

// namedMaps are keys whose mapping values are keyed by names chosen by the
// spec author (a property may be called "description"), so droppedKeys must
// not apply to their keys.
var namedMaps = map[string]bool{
	"properties": true, "paths": true, "responses": true, "content": true,
	"schemas": true, "parameters": true, "securitySchemes": true, "headers": true,
	"mapping": true, "requestBodies": true, "encoding": true, "variables": true,
}

func main() {
	specPath := flag.String("spec", "", "path of the vendor OpenAPI file (bi-secure-access-openapi-v1.7.0.yml)")
	outPath := flag.String("out", "client/testdata/openapi-subset.yaml", "path of the subset to write")
	flag.Parse()
	if *specPath == "" {
		fmt.Fprintln(os.Stderr, "mkspec: -spec is required")
		os.Exit(2)
	}
	if err := run(*specPath, *outPath); err != nil {
		fmt.Fprintln(os.Stderr, "mkspec:", err)
		os.Exit(1)
	}
}

func run(specPath, outPath string) error {
	raw, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("parse %s: %w", specPath, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return errors.New("spec is not a single YAML document")
	}
	root := doc.Content[0]
	if err := mend(root); err != nil {
		return err
	}
	subset, err := cut(root)
	if err != nil {
		return err
	}

	var buf bytes.Buffer
	buf.WriteString("# Generated by client/testdata/mkspec from the Beyond Identity Secure Access\n")
	buf.WriteString("# API v1.7.0 description; do not edit. The mends it applies are listed there.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(subset); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	if err := validate(buf.Bytes()); err != nil {
		return fmt.Errorf("the subset does not validate: %w", err)
	}
	return os.WriteFile(outPath, buf.Bytes(), 0o644)
}

// validate loads the subset the way the contract tests do.
func validate(data []byte) error {
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData(data)
	if err != nil {
		return err
	}
	return spec.Validate(context.Background())
}

// cut builds the subset document from the mended vendor document.
func cut(root *yaml.Node) (*yaml.Node, error) {
	c := &cutter{root: root, components: map[string]map[string]bool{}}

	paths := mapping()
	found := map[string]bool{}
	for pathKey, item := range pairs(get(root, "paths")) {
		var kept *yaml.Node
		for method, op := range pairs(item) {
			if !slices.Contains(httpMethods, method) {
				continue
			}
			id := scalar(get(op, "operationId"))
			if !slices.Contains(operations, id) {
				continue
			}
			if found[id] {
				return nil, fmt.Errorf("operationId %s appears twice", id)
			}
			found[id] = true
			if kept == nil {
				kept = mapping()
				if params := get(item, "parameters"); params != nil {
					p, err := c.copy(params, "parameters", 0)
					if err != nil {
						return nil, err
					}
					set(kept, "parameters", p)
				}
			}
			o, err := c.copy(op, method, 0)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", id, err)
			}
			describeResponses(o)
			c.securitySchemes(o)
			set(kept, method, o)
		}
		if kept != nil {
			set(paths, pathKey, kept)
		}
	}
	for _, id := range operations {
		if !found[id] {
			return nil, fmt.Errorf("operation %s is not in the spec", id)
		}
	}

	out := mapping()
	set(out, "openapi", str(scalar(get(root, "openapi"))))
	info := mapping()
	set(info, "title", str("Beyond Identity Secure Access API (schema-only subset)"))
	set(info, "version", str(scalar(get(get(root, "info"), "version"))))
	set(out, "info", info)
	if sec := get(root, "security"); sec != nil {
		s, err := c.copy(sec, "security", 0)
		if err != nil {
			return nil, err
		}
		set(out, "security", s)
		c.securitySchemes(out)
	}
	set(out, "paths", paths)

	// Copying a component can reference further components, so keep going
	// until a pass adds nothing new.
	comps := mapping()
	done := map[string]bool{}
	for {
		added := false
		for _, kind := range sortedKeys(c.components) {
			for _, name := range sortedKeys(c.components[kind]) {
				key := kind + "/" + name
				if done[key] {
					continue
				}
				done[key] = true
				added = true
				src := get(get(get(root, "components"), kind), name)
				if src == nil {
					return nil, fmt.Errorf("component %s is referenced but not defined", key)
				}
				cp, err := c.copy(src, name, 0)
				if err != nil {
					return nil, fmt.Errorf("component %s: %w", key, err)
				}
				kindNode := get(comps, kind)
				if kindNode == nil {
					kindNode = mapping()
					set(comps, kind, kindNode)
				}
				set(kindNode, name, cp)
			}
		}
		if !added {
			break
		}
	}
	// Sort component entries so regeneration gives a stable file.
	for _, kind := range comps.Content {
		if kind.Kind == yaml.MappingNode {
			sortMapping(kind)
		}
	}
	sortMapping(comps)
	set(out, "components", comps)
	return out, nil
}

type cutter struct {
	root       *yaml.Node
	components map[string]map[string]bool
}

// copy returns a deep copy of n without annotation keys, with interior
// references inlined and whole-component references recorded. parentKey is
// the mapping key n was found under, which identifies name-keyed maps.
func (c *cutter) copy(n *yaml.Node, parentKey string, depth int) (*yaml.Node, error) {
	if depth > 64 {
		return nil, errors.New("references nest deeper than 64 levels; a cycle through an interior reference?")
	}
	switch n.Kind {
	case yaml.AliasNode:
		return c.copy(n.Alias, parentKey, depth)
	case yaml.SequenceNode:
		out := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, item := range n.Content {
			cp, err := c.copy(item, "", depth)
			if err != nil {
				return nil, err
			}
			out.Content = append(out.Content, cp)
		}
		return out, nil
	case yaml.MappingNode:
		if ref := get(n, "$ref"); ref != nil {
			return c.ref(scalar(ref), parentKey, depth)
		}
		named := namedMaps[parentKey]
		out := mapping()
		for key, value := range pairs(n) {
			if !named && (droppedKeys[key] || strings.HasPrefix(key, "x-")) {
				continue
			}
			cp, err := c.copy(value, key, depth)
			if err != nil {
				return nil, err
			}
			if key == "mapping" && parentKey == "discriminator" {
				// Mapping values are references that copy does not see as $ref.
				for _, target := range pairs(cp) {
					c.component(target.Value)
				}
			}
			set(out, key, cp)
		}
		return out, nil
	default:
		cp := *n
		cp.HeadComment, cp.LineComment, cp.FootComment = "", "", ""
		return &cp, nil
	}
}

// securitySchemes records the schemes that n's security requirements name.
// Requirements name schemes by key, not by $ref, so copy cannot see them.
func (c *cutter) securitySchemes(n *yaml.Node) {
	for _, req := range seq(get(n, "security")) {
		for name := range pairs(req) {
			if c.components["securitySchemes"] == nil {
				c.components["securitySchemes"] = map[string]bool{}
			}
			c.components["securitySchemes"][name] = true
		}
	}
}

// ref keeps a reference to a whole component and inlines any other one.
func (c *cutter) ref(ref, parentKey string, depth int) (*yaml.Node, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("external reference %q is not supported", ref)
	}
	if c.component(ref) {
		out := mapping()
		set(out, "$ref", str(ref))
		return out, nil
	}
	target, err := resolve(c.root, strings.Split(strings.TrimPrefix(ref, "#/"), "/"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return c.copy(target, parentKey, depth+1)
}

// component records ref when it names a whole component and reports
// whether it did.
func (c *cutter) component(ref string) bool {
	segments := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
	if !strings.HasPrefix(ref, "#/") || len(segments) != 3 || segments[0] != "components" {
		return false
	}
	kind, name := unescape(segments[1]), unescape(segments[2])
	if c.components[kind] == nil {
		c.components[kind] = map[string]bool{}
	}
	c.components[kind][name] = true
	return true
}

func resolve(root *yaml.Node, segments []string) (*yaml.Node, error) {
	n := root
	for _, seg := range segments {
		seg = unescape(seg)
		switch n.Kind {
		case yaml.MappingNode:
			next := get(n, seg)
			if next == nil {
				return nil, fmt.Errorf("no key %q", seg)
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil, fmt.Errorf("no index %q", seg)
			}
			n = n.Content[i]
		default:
			return nil, fmt.Errorf("cannot descend into a scalar at %q", seg)
		}
	}
	return n, nil
}

// unescape decodes one JSON pointer segment, including the percent-encoding
// the vendor file uses for braces in path keys.
func unescape(seg string) string {
	seg = strings.ReplaceAll(seg, "%7B", "{")
	seg = strings.ReplaceAll(seg, "%7D", "}")
	seg = strings.ReplaceAll(seg, "%20", " ")
	seg = strings.ReplaceAll(seg, "~1", "/")
	return strings.ReplaceAll(seg, "~0", "~")
}

func describeResponses(op *yaml.Node) {
	for code, resp := range pairs(get(op, "responses")) {
		if resp.Kind != yaml.MappingNode || get(resp, "$ref") != nil {
			continue
		}
		text := "Default"
		if n, err := strconv.Atoi(code); err == nil && http.StatusText(n) != "" {
			text = http.StatusText(n)
		}
		// Put description first, as in the vendor file.
		resp.Content = append([]*yaml.Node{str("description"), str(text)}, resp.Content...)
	}
}

// mend fixes the vendor file's mistakes listed in the package comment.
func mend(root *yaml.Node) error {
	ops := map[string]*yaml.Node{}
	for _, item := range pairs(get(root, "paths")) {
		for method, op := range pairs(item) {
			if slices.Contains(httpMethods, method) {
				ops[scalar(get(op, "operationId"))] = op
			}
		}
	}
	need := func(id string) (*yaml.Node, error) {
		if op := ops[id]; op != nil {
			return op, nil
		}
		return nil, fmt.Errorf("mend: operation %s not found", id)
	}

	// 1. CredentialAuth is not a defined security scheme.
	op, err := need("SetCredentialBindingJobRevoked")
	if err != nil {
		return err
	}
	renamed := false
	for _, req := range seq(get(op, "security")) {
		for i := 0; i+1 < len(req.Content); i += 2 {
			if req.Content[i].Value == "CredentialAuth" {
				req.Content[i].Value = "BearerAuth"
				renamed = true
			}
		}
	}
	if !renamed {
		return errors.New("mend 1: SetCredentialBindingJobRevoked no longer uses CredentialAuth; review the mend")
	}

	// 2. A 404 whose schema is an error detail instead of an Error.
	op, err = need("CreateCredentialBindingJob")
	if err != nil {
		return err
	}
	ref := get(get(get(get(get(get(op, "responses"), "404"), "content"), "application/json"), "schema"), "$ref")
	if ref == nil || ref.Value != "#/components/schemas/ResourceInfo" {
		return errors.New("mend 2: CreateCredentialBindingJob 404 no longer refers to ResourceInfo; review the mend")
	}
	ref.Value = "#/components/schemas/Error"

	// 3. The misspelt required property of the platform authenticator config.
	config, err := resolve(root, strings.Split("components/schemas/AuthenticatorConfig/properties/config/oneOf", "/"))
	if err != nil {
		return fmt.Errorf("mend 3: %w", err)
	}
	fixed := false
	for _, alt := range config.Content {
		for _, r := range seq(get(get(get(alt, "properties"), "roaming_auth_config"), "required")) {
			if r.Value == "allow_unknow_user" {
				r.Value = "allow_unknown_user"
				fixed = true
			}
		}
	}
	if !fixed {
		return errors.New("mend 3: no required allow_unknow_user left in AuthenticatorConfig; review the mend")
	}

	// 4. Paging parameters of ListBatchCredentialBindingJobResults.
	op, err = need("ListBatchCredentialBindingJobResults")
	if err != nil {
		return err
	}
	params := get(op, "parameters")
	for _, p := range seq(params) {
		if r := scalar(get(p, "$ref")); strings.HasSuffix(r, "/page_token") || strings.HasSuffix(r, "/page_size") {
			return errors.New("mend 4: ListBatchCredentialBindingJobResults declares paging now; review the mend")
		}
	}
	for _, name := range []string{"page_size", "page_token"} {
		p := mapping()
		set(p, "$ref", str("#/components/parameters/"+name))
		params.Content = append(params.Content, p)
	}
	return nil
}

// YAML node helpers.

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func seq(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func set(n *yaml.Node, key string, value *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = value
			return
		}
	}
	n.Content = append(n.Content, str(key), value)
}

// pairs iterates over a mapping's entries in file order.
func pairs(n *yaml.Node) func(yield func(string, *yaml.Node) bool) {
	return func(yield func(string, *yaml.Node) bool) {
		if n == nil || n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if !yield(n.Content[i].Value, n.Content[i+1]) {
				return
			}
		}
	}
}

func sortMapping(n *yaml.Node) {
	type entry struct{ key, value *yaml.Node }
	var entries []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		entries = append(entries, entry{n.Content[i], n.Content[i+1]})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key.Value, b.key.Value) })
	n.Content = n.Content[:0]
	for _, e := range entries {
		n.Content = append(n.Content, e.key, e.value)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
