# Policy "switchboard-anonymous": attached to the built-in anonymous token, used by requests
# that carry no token (DNS lookups, the UI before login). Read-only discovery; no KV, no
# sessions, no agent endpoints, no ACL data.

service_prefix "" {
  policy = "read"
}

node_prefix "" {
  policy = "read"
}
