/** Which argv main.ts hands to the client program (client-program.ts), kept apart so routing loads nothing heavy. */

/** The nouns this program serves; main.ts sends these to it. */
export const CLIENT_COMMANDS = [
  'topic',
  'produce',
  'consume',
  'group',
  'config',
  'acl',
  'user',
  'quota',
  'partition',
  'version'
] as const

/** `cluster` subcommands served here; the others (start, stop, ...) belong to cluster-command.ts. */
export const CLIENT_CLUSTER_SUBCOMMANDS = ['info', 'health'] as const

export const CLIENT_USAGE = `Client commands (any Kafka-compatible cluster; each has --help):
  topic       create | list | describe | delete | alter-config | add-partitions
  produce     produce lines from stdin or a file
  consume     consume records as a group member or from assigned partitions
  group       list | describe | reset-offsets | delete
  config      describe | alter broker and topic configs
  acl         create | list | delete
  user        create | delete | list SCRAM users
  quota       describe | alter client quotas
  cluster     info | health
  partition   reassign (generate | execute | verify) | elect-leaders
  version     print the version

Connection: --brokers host:port,... (env SAMSA_BROKERS, -X brokers=...), --tls-enabled --tls-ca --tls-cert
--tls-key, --sasl-mechanism --user --password, or a profile (--profile, ~/.config/samsa/profile.yaml).`
