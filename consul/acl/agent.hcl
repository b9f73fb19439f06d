# Policy "switchboard-agent": the token each Consul agent (server or client) uses for its own
# work: registering its node, anti-entropy sync, coordinate updates.
# Attach with `consul acl set-agent-token agent <secret>` on every agent.

# Agents write their own node entry. The prefix "" covers every agent with one token; in
# production prefer one token per agent (`consul acl token create -node-identity <node>:dc1`).
node_prefix "" {
  policy = "write"
}

# Anti-entropy reads the services registered on the node to sync them to the catalog.
service_prefix "" {
  policy = "read"
}

# consul/config/infrastructure.hcl: the agent registers PostgreSQL and Redis from its config files.
service "postgres" {
  policy = "write"
}
service "redis" {
  policy = "write"
}
