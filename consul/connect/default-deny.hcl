# Consul Connect: nothing in the mesh may reach anything unless an intention below allows it.
# (With ACLs on and default_policy = "deny" this is Consul's default already; written out so a
# cluster without ACLs, like a dev agent, denies too.)
Kind = "service-intentions"
Name = "*"
Sources = [
  {
    Name   = "*"
    Action = "deny"
  }
]
