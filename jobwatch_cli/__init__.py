"""jobwatch's operator command line: status, preview, send-test, retry-abandoned and doctor."""
