# Policy "switchboard-services": what the Switchboard apps do with their CONSUL_HTTP_TOKEN.

# Self-registration of the four core apps (register, deregister, update their checks).
service "api-gateway" {
  policy = "write"
}
service "instance-manager" {
  policy = "write"
}
service "intelligent-router" {
  policy = "write"
}
service "load-balancer" {
  policy = "write"
}

# The instance-manager registers each provider instance as ai-provider-<provider> and
# passes/warns/fails its TTL check.
service_prefix "ai-provider-" {
  policy = "write"
}

# Discovery (/v1/catalog/services, /v1/health/service/<name>) of every service; health
# queries also need node read.
service_prefix "" {
  policy = "read"
}
node_prefix "" {
  policy = "read"
}

# Run-time configuration (routing policy, weights, feature flags) and prober locks. Nothing
# outside this prefix is readable or writable.
key_prefix "switchboard/" {
  policy = "write"
}

# Sessions back the per-instance prober lock (one prober per instance across replicas);
# a session is created on the agent's node, whatever its name.
session_prefix "" {
  policy = "write"
}

# /v1/agent/self and /v1/agent/checks (the app's readiness report on its local agent).
agent_prefix "" {
  policy = "read"
}
