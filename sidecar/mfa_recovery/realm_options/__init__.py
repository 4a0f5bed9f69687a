"""Per-realm options of account recovery: code count, warning threshold, setup prompt, OTP re-enrolment,
the backup email method and the supervisor attribute."""
