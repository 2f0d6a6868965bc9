/** Entry point of the `samsa` command (bin/samsa.js): dispatches to a subcommand and sets the exit code. */

import { BROKER_USAGE, runBroker } from './broker-command.js'
import { CERTS_USAGE, runCerts } from './certs-command.js'
import {
  CLIENT_CLUSTER_SUBCOMMANDS,
  CLIENT_COMMANDS,
  CLIENT_USAGE,
  runClientProgram
} from './client-program.js'
import { CLUSTER_USAGE, runCluster } from './cluster-command.js'
import { IAM_USAGE, runIam } from './iam-command.js'
import { runStorage, STORAGE_USAGE } from './storage-command.js'

const USAGE = `Usage: samsa <command> [options]

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

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  if ((CLIENT_COMMANDS as readonly string[]).includes(command ?? '')) return runClientProgram(argv)
  if (command === 'cluster' && (CLIENT_CLUSTER_SUBCOMMANDS as readonly string[]).includes(rest[0] ?? ''))
    return runClientProgram(argv)
  switch (command) {
    case 'broker':
      return runBroker(rest)
    case 'cluster':
      return runCluster(rest)
    case 'storage':
      return runStorage(rest)
    case 'certs':
      return runCerts(rest)
    case 'iam':
      return runIam(rest)
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`)
      return command === undefined ? 1 : 0
    default:
      process.stderr.write(`samsa: unknown command ${command}\n${USAGE}\n`)
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
