"""Alert channels behind one small interface: the in-app inbox is the alert row; e-mail goes over SMTP."""
