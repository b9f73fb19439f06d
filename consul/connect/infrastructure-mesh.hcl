# consul/config/infrastructure.hcl with Consul Connect: PostgreSQL and Redis each get a sidecar
# service, whose proxy (docker-compose.mesh.yml: postgres-sidecar, redis-sidecar) accepts mutual-TLS
# connections from the apps' sidecars as consul/connect/*.hcl intentions allow. Mounted in place of
# infrastructure.hcl by docker-compose.mesh.yml.
services = [
  {
    id   = "switchboard-postgres"
    name = "postgres"
    port = 5432
    address = "postgres"
    tags = ["switchboard", "infrastructure"]
    meta = { role = "database", registered_by = "switchboard" }
    connect = { sidecar_service = { port = 21000 } }
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
    connect = { sidecar_service = { port = 21000 } }
    check = {
      id       = "switchboard-redis:tcp"
      name     = "redis accepts connections"
      tcp      = "redis:6379"
      interval = "10s"
      timeout  = "2s"
    }
  }
]
