/**
 * Kafka's authorizer keys. `authorizer.class.name` names Kafka's own ACL authorizers (either enables
 * Samsa's StandardAuthorizer, whose semantics both share); empty means no authorizer: every request is
 * allowed and the ACL APIs answer SECURITY_DISABLED. `super.users` is semicolon-separated, as in Kafka.
 */

import type { ConfigKey } from './config-def.js'

export const STANDARD_AUTHORIZER_CLASS = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'
export const ACL_AUTHORIZER_CLASS = 'kafka.security.authorizer.AclAuthorizer'

export const AUTHORIZER_CONFIG_KEYS: readonly ConfigKey[] = [
  {
    name: 'authorizer.class.name',
    type: 'string',
    default: '',
    validValues: ['', STANDARD_AUTHORIZER_CLASS, ACL_AUTHORIZER_CLASS]
  },
  { name: 'super.users', type: 'string', default: null },
  { name: 'allow.everyone.if.no.acl.found', type: 'boolean', default: 'false' }
]
