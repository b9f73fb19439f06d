# Consul 1.22 client agent that joins the Switchboard server cluster (consul/config/server.hcl).
# Run one per host that runs Switchboard apps (compose service consul-client): the apps register
# with it (CONSUL_HTTP_ADDR=https://consul-client:8501) and it forwards to whichever server leads,
# so their registrations and checks survive the loss of any one server.
#
# No secret lives in this file. consul/scripts/start_consul_cluster.sh start generates this
# agent's certificate and the gossip key (mounted at /consul/tls and /consul/config/gossip.hcl)
# and gives it its agent token through the API, persisted in data_dir
# (enable_token_persistence). Policies and tokens: consul/acl/README.md.

datacenter = "dc1"
data_dir   = "/consul/data"
log_level  = "INFO"

server = false

# The servers' addresses are the deployment's business: docker-compose.yml passes -retry-join
# for each (or use a cloud auto-join string such as "provider=aws tag_key=consul tag_value=server").

# Apps in other containers of the host reach the agent; ACLs still apply.
client_addr = "0.0.0.0"

# HTTPS only, as on the servers: every app request carries its ACL token.
ports {
  http     = -1
  https    = 8501
  grpc     = -1
  grpc_tls = -1
}

# The same settings as the servers (see server.hcl for why each is set). The agent's certificate
# is a client certificate (client.<dc>.consul): verify_server_hostname makes it check that the
# servers it forwards to hold server certificates, and keeps it from acting as one.
tls {
  defaults {
    ca_file         = "/consul/tls/ca.pem"
    cert_file       = "/consul/tls/agent.pem"
    key_file        = "/consul/tls/agent-key.pem"
    verify_incoming = true
    verify_outgoing = true
  }
  internal_rpc {
    verify_server_hostname = true
  }
  https {
    verify_incoming = false
  }
}

encrypt_verify_incoming = true
encrypt_verify_outgoing = true

# The UI operators open (https://127.0.0.1:8500/ui in compose): this agent stays up when a server
# goes down.
ui_config {
  enabled = true
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
