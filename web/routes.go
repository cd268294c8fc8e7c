package web

import "net/http"

// routes is the one table of every path Steward serves.
func (s *Server) routes(mux *http.ServeMux) {
	mux.Handle("GET /static/", staticHandler())
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("/", s.notFound)
}
