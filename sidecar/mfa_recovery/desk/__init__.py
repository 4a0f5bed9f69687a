"""The recovery desk: an administrator locked out of their own MFA files a recovery request with documents (a KvK
extract, an identity document masked on their own device, a selfie); operators review it. Documents are kept
encrypted and only until the case is decided or its retention period ends."""
