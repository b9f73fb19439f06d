# PostgreSQL and Redis of the compose stack as Consul services, so the UI shows the whole system.
# Loaded by consul-server-1 (docker-compose.yml mounts this file); the agent itself runs the TCP
# checks against the compose host names. With ACLs the agent registers them with its own token,
# which policy switchboard-agent (consul/acl/agent.hcl) allows for exactly these two names.
services = [
  {
    id   = "switchboard-postgres"
    name = "postgres"
    port = 5432
    address = "postgres"
    tags = ["switchboard", "infrastructure"]
    meta = { role = "database", registered_by = "switchboard" }
    check = {
      id       = "switchboard-postgres:tcp"
      name     = "postgres accepts connections"
      tcp      = "postgres:5432"
      interval = "10s"
      timeout  = "2s"
    }
  },
  {
    id   = "switchboard-redis"
    name = "redis"
    port = 6379
    address = "redis"
    tags = ["switchboard", "infrastructure"]
    meta = { role = "cache and events", registered_by = "switchboard" }
    check = {
      id       = "switchboard-redis:tcp"
      name     = "redis accepts connections"
      tcp      = "redis:6379"
      interval = "10s"
      timeout  = "2s"
    }
  }
]
