# Policy "switchboard-prometheus": lets Prometheus scrape /v1/agent/metrics on every agent
# (the endpoint requires agent read). Nothing else.

agent_prefix "" {
  policy = "read"
}
