/** What the group protocols (classic and KIP-848) need to know about a request besides its body. */
export interface GroupRequestContext {
  readonly apiVersion: number
  readonly clientId: string
  readonly clientHost: string
}
