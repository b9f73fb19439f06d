# Consul Connect: who may open a connection to redis, through the sidecars. Only the four apps
# need it; everyone else is refused by default-deny.hcl.
Kind = "service-intentions"
Name = "redis"
Sources = [
  { Name = "api-gateway", Action = "allow" },
  { Name = "instance-manager", Action = "allow" },
  { Name = "intelligent-router", Action = "allow" },
  { Name = "load-balancer", Action = "allow" },
]
