"""Notification mails: an outbox in the store, filled by the sign-in path and drained by a sender."""
