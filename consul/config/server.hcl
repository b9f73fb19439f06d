# Consul 1.22 server agent: one of the three servers of the Switchboard cluster
# (compose services consul-server-1..3, see docker-compose.yml). Every server loads this
# same file; the node name comes from the command line (-node=consul-server-N).
#
# No secret lives in this file. consul/scripts/start_consul_cluster.sh start bootstraps the ACL
# system once a leader exists (`acl bootstrap` with a SecretID it saved first), creates the
# policies of consul/acl/ and the tokens, and gives every agent its agent token through the API
# (`consul acl set-agent-token agent`), persisted in data_dir because enable_token_persistence is
# on. Tokens land in consul/secrets/secrets.env (mode 0600); the apps' and Prometheus' also in .env.
# A management token pre-seeded as CONSUL_MANAGEMENT_TOKEN in .env before the first start reaches
# acl.tokens.initial_management through CONSUL_LOCAL_CONFIG (docker-compose.yml); the script then
# uses it instead of bootstrapping. Manual steps: consul/acl/README.md.
#
# Gossip encryption and TLS. consul/scripts/start_consul_cluster.sh start generates the gossip key,
# a CA and one certificate per agent into consul/secrets/ (consul/scripts/secure_cluster.sh);
# docker-compose.yml mounts the agent's own files at /consul/tls and the gossip key as
# /consul/config/gossip.hcl (encrypt = "..."). Neither is in this file.

datacenter = "dc1"
data_dir   = "/consul/data"
log_level  = "INFO"

server           = true
bootstrap_expect = 3

# Where the other servers are is the deployment's business: docker-compose.yml passes
# -retry-join for each (a list here could not be replaced, only extended, by another config).

# HTTPS and DNS listen on all interfaces so other containers (and the published ports) reach
# them; access is still governed by ACLs (default deny below).
client_addr = "0.0.0.0"

# HTTPS only: plain HTTP would carry ACL tokens in clear text. No gRPC: nothing here uses Consul's
# service mesh or peering, and a closed port needs no certificate policy.
ports {
  http     = -1
  https    = 8501
  grpc     = -1
  grpc_tls = -1
}

tls {
  defaults {
    ca_file   = "/consul/tls/ca.pem"
    cert_file = "/consul/tls/agent.pem"
    key_file  = "/consul/tls/agent-key.pem"
    # Agents talk to each other only with certificates signed by this CA, both ways.
    verify_incoming = true
    verify_outgoing = true
  }
  internal_rpc {
    # A server certificate names server.<dc>.consul: a client certificate cannot pose as a server.
    verify_server_hostname = true
  }
  https {
    # HTTPS callers (apps, Prometheus, the UI, the CLI) prove who they are with ACL tokens; they
    # need the CA to trust the agent, not a client certificate of their own.
    verify_incoming = false
  }
}

# Gossip from an agent without the key (encrypt, from gossip.hcl) is dropped. Both default to
# true; set here so that a rolling key introduction cannot be left half-done by accident.
encrypt_verify_incoming = true
encrypt_verify_outgoing = true

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
