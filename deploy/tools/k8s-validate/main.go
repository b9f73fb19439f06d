// k8s-validate decodes Kubernetes manifests strictly into the typed objects of k8s.io/api, offline:
// an unknown field, a duplicate field, a wrong type, an unparsable quantity or a kind this project
// does not deploy is an error, as the API server would refuse it. It also applies the name, label,
// annotation, port-name and env-var-name rules of k8s.io/apimachinery.
//
//	kustomize build deploy/kubernetes/overlays/prod | k8s-validate
//	k8s-validate manifests.yaml...
//	k8s-validate --plain values.yaml   (YAML only: duplicate keys fail; no Kubernetes types)
//
// On success it prints the documents as one JSON array (in order) for further checks; on failure it
// names each bad document and exits 1.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8sjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Only the API groups and versions the deployment uses: anything else (a typo in apiVersion, a
// removed beta API) is refused instead of passing unchecked.
func newScheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme,
		networkingv1.AddToScheme, policyv1.AddToScheme, autoscalingv2.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return scheme
}

func main() {
	plain := false
	var files []string
	for _, arg := range os.Args[1:] {
		switch {
		case arg == "--plain":
			plain = true
		case strings.HasPrefix(arg, "-"):
			fmt.Fprintf(os.Stderr, "usage: k8s-validate [--plain] [file.yaml...] (stdin when no file)\n")
			os.Exit(2)
		default:
			files = append(files, arg)
		}
	}
	documents, err := readDocuments(files)
	if err != nil {
		fmt.Fprintf(os.Stderr, "k8s-validate: %v\n", err)
		os.Exit(1)
	}
	validate := validateObject(newScheme())
	if plain {
		validate = validatePlain
	}
	var problems []string
	out := make([]json.RawMessage, 0, len(documents))
	for _, document := range documents {
		asJSON, err := validate(document.body)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", document.where, err))
			continue
		}
		out = append(out, asJSON)
	}
	if len(problems) > 0 {
		for _, problem := range problems {
			fmt.Fprintln(os.Stderr, problem)
		}
		os.Exit(1)
	}
	if len(out) == 0 {
		fmt.Fprintln(os.Stderr, "k8s-validate: no documents to validate")
		os.Exit(1)
	}
	encoded, _ := json.Marshal(out)
	fmt.Println(string(encoded))
}

type document struct {
	where string
	body  []byte
}

func readDocuments(files []string) ([]document, error) {
	type source struct {
		name   string
		reader io.Reader
	}
	var sources []source
	if len(files) == 0 {
		sources = append(sources, source{"stdin", os.Stdin})
	}
	for _, file := range files {
		content, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		sources = append(sources, source{file, bytes.NewReader(content)})
	}
	var documents []document
	for _, src := range sources {
		reader := utilyaml.NewYAMLReader(bufio.NewReader(src.reader))
		for index := 1; ; index++ {
			body, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", src.name, err)
			}
			if len(bytes.TrimSpace(stripComments(body))) == 0 {
				continue
			}
			documents = append(documents, document{fmt.Sprintf("%s document %d", src.name, index), body})
		}
	}
	return documents, nil
}

func stripComments(body []byte) []byte {
	var kept [][]byte
	for _, line := range bytes.Split(body, []byte("\n")) {
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) > 0 && trimmed[0] != '#' && !bytes.Equal(trimmed, []byte("---")) {
			kept = append(kept, line)
		}
	}
	return bytes.Join(kept, []byte("\n"))
}

func validatePlain(body []byte) (json.RawMessage, error) {
	return yaml.YAMLToJSONStrict(body)
}

func validateObject(scheme *runtime.Scheme) func([]byte) (json.RawMessage, error) {
	// Strict: unknown and duplicate fields are errors, not silently dropped.
	decoder := k8sjson.NewSerializerWithOptions(k8sjson.DefaultMetaFactory, scheme, scheme,
		k8sjson.SerializerOptions{Yaml: true, Strict: true})
	return func(body []byte) (json.RawMessage, error) {
		object, kind, err := decoder.Decode(body, nil, nil)
		if err != nil {
			return nil, err
		}
		if problems := objectProblems(object); len(problems) > 0 {
			return nil, fmt.Errorf("%s: %s", kind.Kind, strings.Join(problems, "; "))
		}
		return yaml.YAMLToJSONStrict(body)
	}
}
