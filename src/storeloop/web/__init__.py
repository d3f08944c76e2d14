"""HTTP layer: the FastAPI app, error format and routers."""
