"""stockbot tests: unit/, integration/, e2e/ mirror the packages; fakes/ are network doubles."""
