// Records what the Pulumi CLI hands a program for each stack file given, using the real
// gopkg.in/yaml.v3 (v3.0.1, the version pulumi/pulumi v3.259.0 builds with) for every YAML step.
// The Pulumi steps around it are restated here, each naming the function of pulumi/pulumi
// v3.259.0 it follows (sdk/go/common/workspace/loaders.go LoadProjectStackBytes,
// sdk/go/common/workspace/project.go SimplifyMarshalledValue, sdk/go/common/resource/config/
// object.go unmarshalObject and MarshalString, plaintext.go marshalText).
//
// Not part of the test suite (no Go toolchain is needed to run the tests). To re-record, on Debian:
//
//	apt-get install golang-go golang-gopkg-yaml.v3-dev golang-gopkg-yaml.v2-dev
//	GO111MODULE=off GOPATH=/usr/share/gocode go run ./tests/upstream/yaml-v3/recorder < in.json > out.json
//
// Input: a JSON array of stack file texts. Output: a JSON array, one object per input: either
// {"error": "..."} or {"config": {"<key>": {"text": "...", "object": bool, "secure": bool}}},
// plus "v2": how gopkg.in/yaml.v2 v2.4.0 (the CLI's YAML library before v3.50.0) would decode the
// same text into interface{} (Go type and value), for comparison only.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	yaml2 "gopkg.in/yaml.v2"
	yaml "gopkg.in/yaml.v3"
)

const project = "clickhouse-byoc"

type value struct {
	Text   string `json:"text"`
	Object bool   `json:"object"`
	Secure bool   `json:"secure"`
}

// UnmarshalYAML follows config.Value.UnmarshalYAML -> object.UnmarshalYAML -> unmarshalObject ->
// object.MarshalString, then Plaintext.marshalText for what the program receives.
func (v *value) UnmarshalYAML(unmarshal func(any) error) error {
	var raw any
	if err := unmarshal(&raw); err != nil {
		return err
	}
	obj, secret, holds := toObject(raw)
	if secret {
		v.Text, v.Secure = obj.(map[string]any)["secure"].(string), true
		return nil
	}
	switch o := obj.(type) {
	case string:
		v.Text = o
		return nil
	case nil:
		b, err := json.Marshal(o)
		v.Text, v.Object = string(b), true
		return err
	case bool, int64, uint64, float64:
		b, err := json.Marshal(o)
		if err != nil {
			return err
		}
		v.Text = string(b)
		return nil
	default:
		b, err := json.Marshal(o)
		if err != nil {
			return err
		}
		v.Text, v.Object, v.Secure = string(b), true, holds
		return nil
	}
}

// toObject: unmarshalObject; a secure value (a map whose only key is "secure", with a string) is
// kept as {"secure": ciphertext} (not decrypted). Returns the object, whether it is itself a
// secret, and whether it holds one.
func toObject(raw any) (any, bool, bool) {
	switch r := raw.(type) {
	case bool, string:
		return r, false, false
	case int:
		return int64(r), false, false
	case int64, uint64, float64:
		return r, false, false
	case time.Time:
		return r.String(), false, false
	case nil:
		return nil, false, false
	case map[string]any:
		if len(r) == 1 {
			if s, ok := r["secure"].(string); ok {
				return map[string]any{"secure": s}, true, true
			}
		}
		out := map[string]any{}
		holds := false
		for k, item := range r {
			o, _, h := toObject(item)
			holds = holds || h
			out[k] = o
		}
		return out, false, holds
	case map[any]any:
		m := map[string]any{}
		for k, item := range r {
			m[fmt.Sprintf("%v", k)] = item
		}
		return toObject(m)
	case []any:
		out := make([]any, len(r))
		holds := false
		for i, item := range r {
			o, _, h := toObject(item)
			holds = holds || h
			out[i] = o
		}
		return out, false, holds
	default:
		panic(fmt.Sprintf("unexpected wire type %T", r))
	}
}

// simplify: project.go SimplifyMarshalledValue.
func simplify(v any) (any, error) {
	switch m := v.(type) {
	case map[any]any:
		out := map[string]any{}
		for k, item := range m {
			s, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("expected only string keys, got '%s'", k)
			}
			c, err := simplify(item)
			if err != nil {
				return nil, err
			}
			out[s] = c
		}
		return out, nil
	case map[string]any:
		// Pulumi walks only map[any]any and []any: a map[string]any is returned as it is, its
		// children unvisited (so a non-string key below it is not refused here).
		return m, nil
	case []any:
		out := make([]any, len(m))
		for i, item := range m {
			c, err := simplify(item)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	return v, nil
}

type stackFile struct {
	SecretsProvider string           `yaml:"secretsprovider,omitempty"`
	EncryptedKey    string           `yaml:"encryptedkey,omitempty"`
	EncryptionSalt  string           `yaml:"encryptionsalt,omitempty"`
	Config          map[string]value `yaml:"config,omitempty"`
}

type result struct {
	Error  string           `json:"error,omitempty"`
	Config map[string]value `json:"config,omitempty"`
	V2     string           `json:"v2,omitempty"`
}

func unmarshal(b []byte, v any) error {
	// encoding/marshal.go yamlMarshaler.Unmarshal
	err := yaml.Unmarshal(b, v)
	if err != nil {
		if _, ok := err.(*yaml.TypeError); ok {
			return err
		}
		return fmt.Errorf("invalid YAML file: %w", err)
	}
	return nil
}

func load(text string) (res result) {
	defer func() {
		if r := recover(); r != nil {
			res = result{Error: fmt.Sprintf("panic: %v", r)}
		}
	}()
	b := []byte(text)
	var raw any
	if err := unmarshal(b, &raw); err != nil {
		return result{Error: err.Error()}
	}
	if raw == nil {
		return result{Config: map[string]value{}}
	}
	simple, err := simplify(raw)
	if err != nil {
		return result{Error: err.Error()}
	}
	doc, ok := simple.(map[string]any)
	if !ok {
		return result{Error: fmt.Sprintf("expected project to be an object, was '%T'", simple)}
	}
	// loaders.go stackConfigNamespacedWithProject
	if cfg, ok := doc["config"].(map[string]any); ok {
		named := map[string]any{}
		for k, v := range cfg {
			if strings.Contains(k, ":") {
				named[k] = v
			} else {
				named[project+":"+k] = v
			}
		}
		doc["config"] = named
	}
	// yamlutil.YamlEncode: a yaml.v3 encoder with 2-space indentation.
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return result{Error: "encode: " + err.Error()}
	}
	var stack stackFile
	if err := unmarshal(buf.Bytes(), &stack); err != nil {
		return result{Error: err.Error()}
	}
	if stack.Config == nil {
		stack.Config = map[string]value{}
	}
	// config.Map.UnmarshalYAML: ParseKey on every key (`ns:config:name` is `ns:name`).
	parsed := map[string]value{}
	for k, v := range stack.Config {
		parts := strings.Split(k, ":")
		switch {
		case len(parts) == 2:
			parsed[k] = v
		case len(parts) == 3 && parts[1] == "config":
			parsed[parts[0]+":"+parts[2]] = v
		default:
			return result{Error: fmt.Sprintf("could not unmarshal map: could not parse %s as a configuration key", k)}
		}
	}
	return result{Config: parsed}
}

func v2view(text string) string {
	var raw any
	if err := yaml2.Unmarshal([]byte(text), &raw); err != nil {
		return "error: " + err.Error()
	}
	m, ok := raw.(map[any]any)
	if !ok {
		return fmt.Sprintf("%T", raw)
	}
	c, ok := m["config"].(map[any]any)
	if !ok {
		return "no config map"
	}
	var parts []string
	for k, v := range c {
		if f, ok := v.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
			parts = append(parts, fmt.Sprintf("%v=float64(%v)", k, f))
			continue
		}
		parts = append(parts, fmt.Sprintf("%v=%T(%#v)", k, v, v))
	}
	return strings.Join(parts, ", ")
}

func main() {
	var texts []string
	if err := json.NewDecoder(os.Stdin).Decode(&texts); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := make([]result, len(texts))
	for i, t := range texts {
		out[i] = load(t)
		if len(os.Args) > 1 && os.Args[1] == "-v2" {
			out[i].V2 = v2view(t)
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
