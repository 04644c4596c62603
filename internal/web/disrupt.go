package web

// disruptRoutes registers the disruption-order routes.
func (s *Server) disruptRoutes() {}
