"""The backup email address: set up and verified with a mailed code, then a way to sign in with a mailed code."""
