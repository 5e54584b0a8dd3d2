"""Posted web forms into the services' data, with field errors in Norwegian."""
