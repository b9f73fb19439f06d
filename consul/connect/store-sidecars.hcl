# Consul Connect for the compose stack: sidecar proxies for PostgreSQL and Redis, beside their
# services in consul/config/infrastructure.hcl (which stays as it is). Their proxies
# (docker-compose.mesh.yml: postgres-sidecar, redis-sidecar) accept mutual-TLS connections from the
# apps' sidecars as the intentions in this directory allow. Mounted by docker-compose.mesh.yml.
services = [
  {
    kind    = "connect-proxy"
    id      = "switchboard-postgres-sidecar-proxy"
    name    = "postgres-sidecar-proxy"
    address = "postgres"
    port    = 21000
    proxy = {
      destination_service_name = "postgres"
      destination_service_id   = "switchboard-postgres"
      local_service_port       = 5432
    }
  },
  {
    kind    = "connect-proxy"
    id      = "switchboard-redis-sidecar-proxy"
    name    = "redis-sidecar-proxy"
    address = "redis"
    port    = 21000
    proxy = {
      destination_service_name = "redis"
      destination_service_id   = "switchboard-redis"
      local_service_port       = 6379
    }
  }
]
