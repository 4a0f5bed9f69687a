"""The text of every mail the sidecar sends, in English and Dutch: one module per mail, ``layout`` for the rest."""
