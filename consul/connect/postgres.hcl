# Consul Connect: who may open a connection to postgres, through the sidecars. Only the four apps
# and the migration runner need it; everyone else is refused by default-deny.hcl.
Kind = "service-intentions"
Name = "postgres"
Sources = [
  { Name = "api-gateway", Action = "allow" },
  { Name = "instance-manager", Action = "allow" },
  { Name = "intelligent-router", Action = "allow" },
  { Name = "load-balancer", Action = "allow" },
  { Name = "migrate", Action = "allow" },
]
