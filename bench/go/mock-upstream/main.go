// The benchmark's upstream: a tiny OpenAI chat completions server in Go, so that every target in
// the race talks to the same fast upstream and none of them shares a runtime with it.
//
//	mock-upstream -key sk-bench [-listen 127.0.0.1:0] [-stream-chunks 10] [-chunk-interval 2ms] [-exit-with-stdin]
//
// It prints "mock-upstream listening on <port>" once it accepts connections, and serves:
//   - GET  /v1/models            the model list (the Switchboard health probe)
//   - POST /v1/chat/completions  a fixed completion with usage, or with "stream": true Server-Sent
//     Events: the first event (role and first token) at once, then -stream-chunks content events
//     -chunk-interval apart, a finish event, a usage event when stream_options.include_usage is
//     true, and "data: [DONE]". The pause between events makes a proxy that buffers a stream
//     show up in time to first byte.
//
// Every request must carry "Authorization: Bearer <key>"; anything else gets OpenAI's 401 body.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

type chatRequest struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

type server struct {
	key           string
	streamChunks  int
	chunkInterval time.Duration
	serial        atomic.Uint64
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	payload, err := json.Marshal(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(payload)))
	w.WriteHeader(status)
	_, _ = w.Write(payload)
}

func openAIError(w http.ResponseWriter, status int, message, kind string, code any) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": message, "type": kind, "param": nil, "code": code}})
}

func (s *server) authorized(w http.ResponseWriter, r *http.Request) bool {
	token, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found {
		openAIError(w, http.StatusUnauthorized, "You didn't provide an API key. Use an Authorization header with Bearer auth.", "invalid_request_error", nil)
		return false
	}
	if token != s.key {
		openAIError(w, http.StatusUnauthorized, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
		return false
	}
	return true
}

func (s *server) models(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list",
		"data": []map[string]any{
			{"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"},
			{"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"},
		},
	})
}

func usage() map[string]any {
	return map[string]any{"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21}
}

func (s *server) chat(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	var request chatRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&request); err != nil {
		openAIError(w, http.StatusBadRequest, "We could not parse the JSON body of your request.", "invalid_request_error", nil)
		return
	}
	if request.Model == "" {
		openAIError(w, http.StatusBadRequest, "you must provide a model parameter", "invalid_request_error", nil)
		return
	}
	id := fmt.Sprintf("chatcmpl-mock%08d", s.serial.Add(1))
	created := time.Now().Unix()
	if !request.Stream {
		writeJSON(w, http.StatusOK, map[string]any{
			"id":      id,
			"object":  "chat.completion",
			"created": created,
			"model":   request.Model,
			"choices": []map[string]any{{
				"index":         0,
				"message":       map[string]any{"role": "assistant", "content": "Hello from the benchmark upstream.", "refusal": nil},
				"logprobs":      nil,
				"finish_reason": "stop",
			}},
			"usage":              usage(),
			"system_fingerprint": "fp_mock",
		})
		return
	}
	s.stream(w, r, id, created, request)
}

func (s *server) stream(w http.ResponseWriter, r *http.Request, id string, created int64, request chatRequest) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	includeUsage := request.StreamOptions != nil && request.StreamOptions.IncludeUsage
	event := func(delta map[string]any, finish any) string {
		chunk := map[string]any{
			"id":                 id,
			"object":             "chat.completion.chunk",
			"created":            created,
			"model":              request.Model,
			"system_fingerprint": "fp_mock",
			"choices":            []map[string]any{{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}},
		}
		if includeUsage {
			chunk["usage"] = nil
		}
		payload, _ := json.Marshal(chunk)
		return "data: " + string(payload) + "\n\n"
	}
	header := w.Header()
	header.Set("Content-Type", "text/event-stream; charset=utf-8")
	header.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	// The role and the first token leave together, so "first event" and "first token" are the same moment.
	_, _ = io.WriteString(w, event(map[string]any{"role": "assistant", "content": "", "refusal": nil}, nil)+event(map[string]any{"content": "Hello"}, nil))
	flusher.Flush()
	for index := 0; index < s.streamChunks; index++ {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(s.chunkInterval):
		}
		_, _ = io.WriteString(w, event(map[string]any{"content": fmt.Sprintf(" token%d", index)}, nil))
		flusher.Flush()
	}
	tail := event(map[string]any{}, "stop")
	if includeUsage {
		payload, _ := json.Marshal(map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": created, "model": request.Model,
			"system_fingerprint": "fp_mock", "choices": []any{}, "usage": usage(),
		})
		tail += "data: " + string(payload) + "\n\n"
	}
	_, _ = io.WriteString(w, tail+"data: [DONE]\n\n")
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (port 0: a free port)")
	key := flag.String("key", "", "the API key every request must present as a bearer token")
	streamChunks := flag.Int("stream-chunks", 10, "content events after the first one in a stream")
	chunkInterval := flag.Duration("chunk-interval", 2*time.Millisecond, "pause before each of those events")
	exitWithStdin := flag.Bool("exit-with-stdin", false, "exit when stdin closes (the parent's lifeline)")
	flag.Parse()
	if *key == "" {
		fmt.Fprintln(os.Stderr, "usage: mock-upstream -key <api key> [-listen 127.0.0.1:0] [-stream-chunks 10] [-chunk-interval 2ms]")
		os.Exit(2)
	}
	s := &server{key: *key, streamChunks: *streamChunks, chunkInterval: *chunkInterval}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", s.models)
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		openAIError(w, http.StatusNotFound, fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path), "invalid_request_error", nil)
	})

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("mock-upstream: %v", err)
	}
	fmt.Printf("mock-upstream listening on %d\n", listener.Addr().(*net.TCPAddr).Port)

	// Stop on a signal, or when the parent that started us closes our stdin (it exited or was killed).
	if *exitWithStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			os.Exit(0)
		}()
	}
	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
		<-signals
		os.Exit(0)
	}()
	httpServer := &http.Server{Handler: mux, IdleTimeout: 120 * time.Second}
	if err := httpServer.Serve(listener); err != nil {
		log.Fatalf("mock-upstream: %v", err)
	}
}
