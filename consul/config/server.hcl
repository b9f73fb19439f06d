# Consul 1.22 server agent: one of the three servers of the Switchboard cluster
# (compose services consul-server-1..3, see docker-compose.yml). Every server loads this
# same file; the node name comes from the command line (-node=consul-server-N).
#
# No secret lives in this file. ACL tokens reach the agent in one of two ways:
#   - CONSUL_LOCAL_CONFIG: the hashicorp/consul image writes that JSON to
#     /consul/config/local.json, which docker-compose.yml fills from .env
#     (acl.tokens.initial_management and acl.tokens.agent), or
#   - the CLI after start-up: `consul acl set-agent-token agent <secret>`, persisted in
#     data_dir because enable_token_persistence is on (see consul/acl/README.md).
#
# Bootstrap token. The ACL system is bootstrapped once per cluster, after a leader exists:
#   - pre-seeded: set CONSUL_MANAGEMENT_TOKEN=$(uuidgen) in .env before the first start; the
#     leader creates a global-management token with that SecretID (acl.tokens.initial_management);
#   - or on demand: `consul acl bootstrap` (works once; prints the SecretID of a new
#     global-management token). Keep it in a secret store, not in the repository.
# Then create the narrower policies and tokens with consul/acl/README.md.
#
# Gossip encryption and TLS are deployment secrets too: pass them the same way
# (an "encrypt" key in CONSUL_LOCAL_CONFIG, or the -encrypt flag), never here.

datacenter = "dc1"
data_dir   = "/consul/data"
log_level  = "INFO"

server           = true
bootstrap_expect = 3

# Compose DNS names; retry_join keeps trying while the other containers are still starting.
retry_join = ["consul-server-1", "consul-server-2", "consul-server-3"]

# HTTP, DNS and gRPC listen on all interfaces so other containers (and the published UI
# port) reach them; access is still governed by ACLs (default deny below).
client_addr = "0.0.0.0"

ports {
  http = 8500
  grpc = 8502
}

ui_config {
  enabled = true
}

# Containers are rebuilt often; no update checks to checkpoint-api.hashicorp.com.
disable_update_check = true

# Production Raft timing (the default multiplier 5 is tuned for small, slow machines).
performance {
  raft_multiplier = 1
}

# /v1/agent/metrics?format=prometheus needs a retention time > 0; no hostname prefix so
# series from the three servers line up under one metric name.
telemetry {
  prometheus_retention_time = "60s"
  disable_hostname          = true
}

acl {
  enabled                  = true
  default_policy           = "deny"
  # Tokens set with `consul acl set-agent-token` survive agent restarts.
  enable_token_persistence = true
}
