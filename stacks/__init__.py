"""The four stacks of the app, composed from constructs_lib and an EnvironmentConfig.

Importing this package loads cdktf and the provider bindings; load and validate
the config first (see main.py).
"""
