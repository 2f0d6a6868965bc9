import { connect, type Socket } from 'node:net'
import { decodeResponseFrame, encodeRequestFrame } from '../protocol/frame.js'

/** Client id of forwarded requests: a broker that is not the controller answers them, never re-forwards. */
export const FORWARDED_CLIENT_ID_PREFIX = 'samsa-forwarded-by-'

const FORWARD_TIMEOUT_MS = 15_000

/** Where the active controller is, as this broker knows it. */
export interface ControllerLocator {
  /** This broker is the active controller (always true for a cluster of one). */
  isActiveController(): boolean
  /** The active controller's node id, -1 while none is elected. */
  controllerId(): number
  /** The advertised host and port of a live broker, undefined when it is unknown or fenced. */
  endpointOf(nodeId: number): { host: string; port: number } | undefined
}

/**
 * Sends one request to `endpoint` on a connection of its own and resolves with the decoded response body.
 * The broker assembly gives the inter-broker listener's secured client; the default speaks plain TCP.
 */
export type ForwardTransport = (
  endpoint: { host: string; port: number },
  clientId: string,
  request: { apiKey: number; apiVersion: number; body: unknown },
  timeoutMs: number
) => Promise<unknown>

/** The request header fields forwarding needs (a RequestHeader fits). */
export interface ForwardedRequest {
  readonly requestApiKey: number
  readonly requestApiVersion: number
  readonly clientId?: string | null
  /**
   * Who the forwarding broker serves (the client's principal and address): the controller authorizes the
   * request as theirs, as Kafka's Envelope carries them (KIP-590).
   */
  readonly onBehalfOf?: ForwardedIdentity
}

export interface ForwardedIdentity {
  readonly principal: string
  readonly host: string
}

const ON_BEHALF_OF = ' on-behalf-of='

/** The identity a forwarded request's client id carries, or null for a request that was not forwarded. */
export function forwardedIdentity(clientId: string | null | undefined): ForwardedIdentity | null {
  if (!clientId?.startsWith(FORWARDED_CLIENT_ID_PREFIX)) return null
  const at = clientId.indexOf(ON_BEHALF_OF)
  if (at < 0) return null
  const [principal, host] = clientId.slice(at + ON_BEHALF_OF.length).split(' ')
  if (principal === undefined || host === undefined) return null
  try {
    return { principal: decodeURIComponent(principal), host: decodeURIComponent(host) }
  } catch {
    return null
  }
}

/** The client id a broker forwards with: its own node id, and the client it serves when there is one. */
export const forwardedClientId = (localNodeId: number, id: ForwardedIdentity | undefined): string =>
  `${FORWARDED_CLIENT_ID_PREFIX}${localNodeId}${
    id ? `${ON_BEHALF_OF}${encodeURIComponent(id.principal)} ${encodeURIComponent(id.host)}` : ''
  }`

/**
 * Sends controller-only admin requests (CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs,
 * IncrementalAlterConfigs, auto topic creation) from a broker that is not the controller to the one that is,
 * as Kafka does since KIP-590, but without the Envelope: the request is re-sent as-is at the client's version,
 * which the controller (running the same code) supports. Requests that were forwarded once are never
 * forwarded again, so two brokers with stale views of the controller cannot bounce a request between them.
 *
 * Event loop: one short-lived connection per forwarded request; admin requests are rare, and a fresh
 * connection always reaches the controller the metadata names now.
 */
export class ControllerChannel {
  constructor(
    private readonly localNodeId: number,
    private readonly locator: ControllerLocator,
    private readonly transport: ForwardTransport = plainTransport
  ) {}

  isActiveController(): boolean {
    return this.locator.isActiveController()
  }

  controllerId(): number {
    return this.locator.controllerId()
  }

  /**
   * For requests only the active controller may handle: null on the active controller (the caller handles the
   * request itself); on any other broker the controller's response, or the caller's NOT_CONTROLLER answer
   * built from `notController` when the request cannot be forwarded.
   */
  async forwardUnlessController<Res>(
    request: ForwardedRequest,
    body: unknown,
    notController: (errorMessage: string) => Res
  ): Promise<Res | null> {
    if (this.isActiveController()) return null
    const forwarded = await this.forward<Res>(request, body)
    return (
      forwarded ??
      notController(
        `Broker ${this.localNodeId} is not the controller; the controller is ${this.controllerId()}.`
      )
    )
  }

  /**
   * The controller's response to `body`, or null when the request cannot be forwarded (no controller known,
   * it already was forwarded, the controller is unreachable): the caller then answers NOT_CONTROLLER and the
   * client retries against the controller it learns from Metadata.
   */
  async forward<Res>(request: ForwardedRequest, body: unknown): Promise<Res | null> {
    if (request.clientId?.startsWith(FORWARDED_CLIENT_ID_PREFIX)) return null
    const controllerId = this.locator.controllerId()
    if (controllerId < 0 || controllerId === this.localNodeId) return null
    const endpoint = this.locator.endpointOf(controllerId)
    if (!endpoint) return null
    try {
      return (await this.transport(
        endpoint,
        forwardedClientId(this.localNodeId, request.onBehalfOf),
        { apiKey: request.requestApiKey, apiVersion: request.requestApiVersion, body },
        FORWARD_TIMEOUT_MS
      )) as Res
    } catch {
      return null
    }
  }
}

let plainCorrelationId = 0

/** Plain TCP: the request frame, then the response decoded at the same version. */
const plainTransport: ForwardTransport = async (endpoint, clientId, request, timeoutMs) => {
  plainCorrelationId = (plainCorrelationId + 1) & 0x7fffffff
  const correlationId = plainCorrelationId
  const frame = encodeRequestFrame(
    {
      requestApiKey: request.apiKey,
      requestApiVersion: request.apiVersion,
      correlationId,
      clientId
    },
    request.body
  )
  const payload = await roundTrip(endpoint.host, endpoint.port, frame, timeoutMs)
  const decoded = decodeResponseFrame(request.apiKey, request.apiVersion, payload)
  if (decoded.correlationId !== correlationId) throw new Error('unexpected correlation id')
  return decoded.body
}

/** Sends one request frame and resolves with the response payload (after its size prefix). */
function roundTrip(host: string, port: number, frame: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0)
    const socket: Socket = connect({ host, port })
    const done = (err: Error | null, payload?: Buffer): void => {
      clearTimeout(timer)
      socket.destroy()
      if (err) reject(err)
      else resolve(payload!)
    }
    const timer = setTimeout(() => done(new Error(`no answer from ${host}:${port}`)), timeoutMs)
    socket.once('error', (err) => done(err))
    socket.once('close', () => done(new Error(`${host}:${port} closed the connection`)))
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      if (buffered.length < 4) return
      const size = buffered.readInt32BE(0)
      if (buffered.length >= 4 + size) done(null, buffered.subarray(4, 4 + size))
    })
    socket.write(frame)
  })
}
