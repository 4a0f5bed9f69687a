"""Backup codes (NIST SP 800-63B look-up secrets): generation, hashing, verification."""
