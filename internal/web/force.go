package web

// forceRoutes registers the use-of-force routes.
func (s *Server) forceRoutes() {}
