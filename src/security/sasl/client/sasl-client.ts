/**
 * The client side of one SASL mechanism for one authentication, as the broker uses it towards other brokers
 * (Kafka's SaslClient): the initial response, then an answer to each server challenge, null once the client
 * is done. The same shape as src/network's SaslClient, which the broker assembly hands these to.
 */
export interface SaslClient {
  readonly mechanism: string
  initialResponse(): Promise<Buffer>
  evaluateChallenge(challenge: Buffer): Promise<Buffer | null>
}

/** The broker's own login for a mechanism, from the `username` and `password` of its JAAS entry. */
export interface SaslLogin {
  readonly username: string
  readonly password: string
}
