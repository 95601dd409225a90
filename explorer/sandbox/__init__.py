"""A local RapidPro-compatible API server with demo data. No Qt."""
