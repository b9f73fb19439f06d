# Policy "switchboard-prometheus": lets Prometheus find the apps (consul_sd_configs reads the
# catalog: services and the nodes they run on) and scrape /v1/agent/metrics on every agent (the
# endpoint requires agent read). Nothing else: no KV, no writes.

service_prefix "" {
  policy = "read"
}

node_prefix "" {
  policy = "read"
}

agent_prefix "" {
  policy = "read"
}
