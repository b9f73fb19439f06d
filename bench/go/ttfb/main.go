// The streaming phase's client: time to first byte of chat completion streams, from an open loop.
//
//	ttfb -url http://127.0.0.1:8000/v1/chat/completions -body body.json -header 'Authorization: Bearer k' \
//	     [-rate 200] [-duration 10s] [-warmup 1s] [-timeout 10s]
//
// Request i is sent at start + i/rate whether or not earlier streams have finished. For each
// stream it measures the time from sending the request to having read the first complete
// Server-Sent Event that carries data (the line "data: ..." and the blank line after it), and the
// time to the end of the stream. A stream counts as successful when it answered 200 and ended with
// "data: [DONE]". Prints one JSON object (see result) on stdout.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// Streams in flight at most; beyond that a request is counted as failed instead of piling up.
const maxInFlight = 2048

type percentiles struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

type result struct {
	Sent           int            `json:"sent"`
	OK             int            `json:"ok"`
	Failed         int            `json:"failed"`
	Errors         map[string]int `json:"errors"`
	ErrorSamples   []string       `json:"errorSamples"`
	ElapsedSeconds float64        `json:"elapsedSeconds"`
	// Milliseconds, successful streams only.
	TTFBMs  percentiles `json:"ttfbMs"`
	TotalMs percentiles `json:"totalMs"`
	// How late requests left against their schedule (the client's own health), milliseconds.
	SendLagMs percentiles `json:"sendLagMs"`
}

type headerList []string

func (h *headerList) String() string     { return strings.Join(*h, ", ") }
func (h *headerList) Set(v string) error { *h = append(*h, v); return nil }

type recorder struct {
	mu      sync.Mutex
	sent    int
	ok      int
	errors  map[string]int
	samples []string
	ttfb    []float64
	total   []float64
	lags    []float64
}

func (r *recorder) fail(kind, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors[kind]++
	if len(r.samples) < 5 {
		if len(detail) > 300 {
			detail = detail[:300]
		}
		r.samples = append(r.samples, kind+": "+detail)
	}
}

func (r *recorder) success(ttfb, total time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ok++
	r.ttfb = append(r.ttfb, float64(ttfb.Microseconds())/1000)
	r.total = append(r.total, float64(total.Microseconds())/1000)
}

func summarize(values []float64) percentiles {
	if len(values) == 0 {
		return percentiles{}
	}
	slices.Sort(values)
	at := func(fraction float64) float64 {
		index := int(fraction*float64(len(values))+0.999999) - 1
		return values[max(0, min(len(values)-1, index))]
	}
	return percentiles{Count: len(values), P50: at(0.5), P90: at(0.9), P99: at(0.99), Max: values[len(values)-1]}
}

type client struct {
	http    *http.Client
	url     string
	headers http.Header
	body    []byte
}

// stream sends one request and reads its stream to the end; it never panics and records its outcome.
func (c *client) stream(rec *recorder) {
	request, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(c.body))
	if err != nil {
		rec.fail("request", err.Error())
		return
	}
	request.Header = c.headers.Clone()
	started := time.Now()
	response, err := c.http.Do(request)
	if err != nil {
		rec.fail("transport", err.Error())
		return
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		text, _ := io.ReadAll(io.LimitReader(response.Body, 1000))
		rec.fail(fmt.Sprintf("HTTP %d", response.StatusCode), string(text))
		return
	}
	reader := bufio.NewReaderSize(response.Body, 16*1024)
	var firstEvent time.Duration
	inData := false
	done := false
	for {
		line, err := reader.ReadString('\n')
		trimmed := strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(trimmed, "data:") {
			inData = true
			if strings.TrimSpace(strings.TrimPrefix(trimmed, "data:")) == "[DONE]" {
				done = true
			}
		} else if trimmed == "" && inData && firstEvent == 0 && err == nil {
			firstEvent = time.Since(started)
		}
		if err != nil {
			if err != io.EOF {
				rec.fail("stream broken", err.Error())
				return
			}
			break
		}
	}
	total := time.Since(started)
	switch {
	case firstEvent == 0:
		rec.fail("no data event", "the stream ended without a complete data: event")
	case !done:
		rec.fail("no [DONE]", "the stream ended without data: [DONE]")
	default:
		rec.success(firstEvent, total)
	}
}

// run sends rate requests per second for the duration and waits for every stream to end.
func (c *client) run(rate float64, duration time.Duration, rec *recorder) time.Duration {
	total := int(rate * duration.Seconds())
	interval := time.Duration(float64(time.Second) / rate)
	slots := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	start := time.Now()
	for index := 0; index < total; index++ {
		due := start.Add(time.Duration(index) * interval)
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		rec.mu.Lock()
		rec.sent++
		rec.lags = append(rec.lags, float64(time.Since(due).Microseconds())/1000)
		rec.mu.Unlock()
		select {
		case slots <- struct{}{}:
		default:
			rec.fail("client saturated", fmt.Sprintf("%d streams already in flight", maxInFlight))
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			c.stream(rec)
		}()
	}
	wg.Wait()
	return time.Since(start)
}

func newRecorder() *recorder { return &recorder{errors: map[string]int{}} }

func main() {
	url := flag.String("url", "", "the chat completions URL")
	bodyFile := flag.String("body", "", "file with the JSON request body (it should ask for \"stream\": true)")
	rate := flag.Float64("rate", 200, "streams started per second")
	duration := flag.Duration("duration", 10*time.Second, "how long to start streams for")
	warmup := flag.Duration("warmup", time.Second, "the same load before measuring, not counted")
	timeout := flag.Duration("timeout", 10*time.Second, "a stream taking longer than this fails")
	var headers headerList
	flag.Var(&headers, "header", "a request header 'Name: value' (repeatable)")
	flag.Parse()
	if *url == "" || *bodyFile == "" || *rate <= 0 {
		fmt.Fprintln(os.Stderr, "usage: ttfb -url URL -body FILE [-header 'Name: value'] [-rate 200] [-duration 10s] [-warmup 1s] [-timeout 10s]")
		os.Exit(2)
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ttfb:", err)
		os.Exit(1)
	}
	header := http.Header{"Content-Type": {"application/json"}, "Accept": {"text/event-stream"}}
	for _, line := range headers {
		name, value, found := strings.Cut(line, ":")
		if !found {
			fmt.Fprintf(os.Stderr, "ttfb: header %q is not 'Name: value'\n", line)
			os.Exit(2)
		}
		// Set, not Add: a header given here replaces the default of the same name.
		header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	transport := &http.Transport{
		MaxIdleConns:        maxInFlight,
		MaxIdleConnsPerHost: maxInFlight,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	c := &client{http: &http.Client{Transport: transport, Timeout: *timeout}, url: *url, headers: header, body: body}
	if *warmup > 0 {
		c.run(*rate, *warmup, newRecorder())
	}
	rec := newRecorder()
	elapsed := c.run(*rate, *duration, rec)
	out := result{
		Sent:           rec.sent,
		OK:             rec.ok,
		Failed:         rec.sent - rec.ok,
		Errors:         rec.errors,
		ErrorSamples:   rec.samples,
		ElapsedSeconds: elapsed.Seconds(),
		TTFBMs:         summarize(rec.ttfb),
		TotalMs:        summarize(rec.total),
		SendLagMs:      summarize(rec.lags),
	}
	if out.ErrorSamples == nil {
		out.ErrorSamples = []string{}
	}
	encoder := json.NewEncoder(os.Stdout)
	if err := encoder.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "ttfb:", err)
		os.Exit(1)
	}
}
