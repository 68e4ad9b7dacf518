"""Reports rendered from domain results: pictures and documents, as strings (the caller writes them)."""
