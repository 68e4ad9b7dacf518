"""One module per resource; each handler loads, authorises (through ``allow``), calls one use case."""
