"""The pure core of inloop: items, policies, routes and the routing decision. No I/O lives here."""
