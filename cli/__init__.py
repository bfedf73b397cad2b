"""The command-line entry points' shared code: process set-up, the app builders, atomic synth.

``main.py`` (the four-stack app) and ``bootstrap.py`` (the remote-state stack) are thin
wrappers around :func:`cli.entry.run`. Nothing here imports cdktf at module level: the
config is validated before the (slow) jsii runtime starts.
"""
