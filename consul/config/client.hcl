# Consul 1.22 client agent that joins the Switchboard server cluster (consul/config/server.hcl).
# Run one per host that runs Switchboard apps, so they register with a local agent
# (CONSUL_HTTP_ADDR=http://127.0.0.1:8500) and their checks survive a server failover.
#
# No secret lives in this file. Give the agent its token after start-up with
#   consul acl set-agent-token agent <secret of a token with the switchboard-agent policy>
# (persisted in data_dir, see enable_token_persistence), or through CONSUL_LOCAL_CONFIG when
# running the hashicorp/consul image. Policies and tokens: consul/acl/README.md.

datacenter = "dc1"
data_dir   = "/consul/data"
log_level  = "INFO"

server = false

# The servers' compose DNS names; replace with the servers' addresses (or a cloud
# auto-join string such as "provider=aws tag_key=consul tag_value=server") elsewhere.
retry_join = ["consul-server-1", "consul-server-2", "consul-server-3"]

# Apps on other containers of the host reach the agent; ACLs still apply.
client_addr = "0.0.0.0"

ports {
  http = 8500
  grpc = 8502
}

disable_update_check = true

telemetry {
  prometheus_retention_time = "60s"
  disable_hostname          = true
}

# Must match the servers: ACLs are all-or-nothing across a datacenter.
acl {
  enabled                  = true
  default_policy           = "deny"
  enable_token_persistence = true
}
