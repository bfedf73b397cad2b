"""Project policy data that is not code of a stack: the checkov skip records (``policy.checkov_skips``)."""
