"""Environment configuration: YAML files in this folder, validated before any construct is built."""

from config.loader import CONFIG_ENV, DEFAULT_CONFIG, ConfigError, config_path, load_config, parse_config
from config.schema import EnvironmentConfig

__all__ = ["CONFIG_ENV", "DEFAULT_CONFIG", "ConfigError", "EnvironmentConfig", "config_path", "load_config", "parse_config"]
