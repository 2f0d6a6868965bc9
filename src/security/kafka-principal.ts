/** Who a connection acts as, in Kafka's terms: a principal type and a name (`User:alice`). */

export interface KafkaPrincipal {
  readonly principalType: string
  readonly name: string
}

export const USER_TYPE = 'User'

/** Connections that did not authenticate: PLAINTEXT, and SSL without a client certificate. */
export const ANONYMOUS: KafkaPrincipal = Object.freeze({ principalType: USER_TYPE, name: 'ANONYMOUS' })

export function userPrincipal(name: string): KafkaPrincipal {
  return { principalType: USER_TYPE, name }
}

export function formatPrincipal(p: KafkaPrincipal): string {
  return `${p.principalType}:${p.name}`
}
