/** A broker configuration that cannot be used. The message names the key, the bad value and what is allowed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'

  static invalidValue(key: string, value: string, reason: string): ConfigError {
    return new ConfigError(`Invalid value ${value} for configuration ${key}: ${reason}`)
  }
}
