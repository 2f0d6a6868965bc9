/** The authorizer a broker's configuration asks for (authorizer.class.name, super.users, ...), or none. */

import type { KafkaConfig } from '../../config/kafka-config.js'
import { StandardAuthorizer } from './standard-authorizer.js'

/** `super.users`: principals separated by semicolons (`User:admin;User:broker`), blanks ignored. */
export function parseSuperUsers(value: string | null): Set<string> {
  return new Set(
    (value ?? '')
      .split(';')
      .map((p) => p.trim())
      .filter((p) => p !== '')
  )
}

export function authorizerFromConfig(config: KafkaConfig): StandardAuthorizer | null {
  const className = config.getString('authorizer.class.name') ?? ''
  if (className.trim() === '') return null
  return new StandardAuthorizer({
    superUsers: parseSuperUsers(config.getString('super.users')),
    allowEveryoneIfNoAclFound: config.getBoolean('allow.everyone.if.no.acl.found')
  })
}
