/**
 * Entry point of the `samsa` command (bin/samsa.js): dispatches to a subcommand and sets the exit code. Each
 * subcommand's module is imported only when it runs, so a client command does not load the broker.
 */

import { CLIENT_CLUSTER_SUBCOMMANDS, CLIENT_COMMANDS, CLIENT_USAGE } from './client-routing.js'

async function usage(): Promise<string> {
  const [{ BROKER_USAGE }, { CLUSTER_USAGE }, { STORAGE_USAGE }, { CERTS_USAGE }, { IAM_USAGE }] =
    await Promise.all([
      import('./broker-command.js'),
      import('./cluster-command.js'),
      import('./storage-command.js'),
      import('./certs-command.js'),
      import('./iam-command.js')
    ])
  return `Usage: samsa <command> [options]

Commands:
  broker    run a broker
  cluster   start or stop a local multi-broker cluster (etcd + brokers on loopback)
  storage   format a broker's storage before its first start (meta.properties, first SCRAM users)
  certs     create a development CA with broker and client certificates
  iam       manage the AWS access keys of AWS_MSK_IAM clients

${CLIENT_USAGE}

${BROKER_USAGE}

${CLUSTER_USAGE}

${STORAGE_USAGE}

${CERTS_USAGE}

${IAM_USAGE}`
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  if (
    (CLIENT_COMMANDS as readonly string[]).includes(command ?? '') ||
    (command === 'cluster' && (CLIENT_CLUSTER_SUBCOMMANDS as readonly string[]).includes(rest[0] ?? ''))
  )
    return (await import('./client-program.js')).runClientProgram(argv)
  switch (command) {
    case 'broker':
      return (await import('./broker-command.js')).runBroker(rest)
    case 'cluster':
      return (await import('./cluster-command.js')).runCluster(rest)
    case 'storage':
      return (await import('./storage-command.js')).runStorage(rest)
    case 'certs':
      return (await import('./certs-command.js')).runCerts(rest)
    case 'iam':
      return (await import('./iam-command.js')).runIam(rest)
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(`${await usage()}\n`)
      return command === undefined ? 1 : 0
    default:
      process.stderr.write(`samsa: unknown command ${command}\n${await usage()}\n`)
      return 1
  }
}

process.on('uncaughtException', (err) => {
  process.stderr.write(`samsa: uncaught exception: ${err.stack ?? err.message}\n`)
  process.exit(1)
})

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`samsa: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  }
)
