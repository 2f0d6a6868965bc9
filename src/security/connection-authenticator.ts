/**
 * Authentication at the connection, before any handler sees a request (Kafka's SaslServerAuthenticator).
 * On a SASL listener a connection may send only ApiVersions, SaslHandshake and SaslAuthenticate until it has
 * authenticated; anything else closes it. SaslHandshake v0 is followed by raw SASL tokens in size-prefixed
 * frames instead of SaslAuthenticate, as Kafka still accepts. A failed authentication is answered with
 * SASL_AUTHENTICATION_FAILED and the connection is closed after connection.failed.authentication.delay.ms.
 *
 * KIP-368: with connections.max.reauth.ms (or a credential lifetime) the session expires; SaslAuthenticate
 * v1+ tells the client when, it re-authenticates with a new SaslHandshake + SaslAuthenticate on the same
 * connection (same mechanism, same principal), and an expired connection is closed on its next request.
 */

import type { Logger } from '../common/logger.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { decodeRequestFrame, encodeResponseFrame } from '../protocol/index.js'
import type {
  SaslAuthenticateRequest,
  SaslAuthenticateResponse
} from '../protocol/messages/sasl-authenticate.js'
import type { SaslHandshakeRequest } from '../protocol/messages/sasl-handshake.js'
import { formatPrincipal, type KafkaPrincipal, userPrincipal } from './kafka-principal.js'
import type { ListenerSecurity } from './listener-security.js'
import { SaslAuthenticationError, type SaslServer } from './sasl/sasl-server.js'

const SASL_HANDSHAKE = 17
const API_VERSIONS = 18
const SASL_AUTHENTICATE = 36

/** Frames, size prefix included, or null for no response. */
export type Outcome = readonly Buffer[] | null

/** The connection must be closed now (after the responses before this request). */
export class AuthenticationCloseError extends Error {
  override readonly name = 'AuthenticationCloseError'
}

export interface AuthenticatorContext {
  readonly connectionId: string
  readonly clientAddress: string
  /** Closes the connection gracefully: responses already handed over are written first. */
  readonly close: () => void
  readonly logger: Logger
  readonly now?: () => number
  /** Called once, when the connection first authenticates. */
  readonly onAuthenticated?: () => void
  /** Every completed or failed (re-)authentication, for the authentication metrics. */
  readonly onAuthenticationResult?: (mechanism: string, success: boolean) => void
}

interface Exchange {
  readonly mechanism: string
  readonly server: SaslServer
  /** SaslHandshake v0: tokens come raw, not in SaslAuthenticate. */
  readonly raw: boolean
}

export class ConnectionAuthenticator {
  private principalValue: KafkaPrincipal | null
  private exchange: Exchange | null = null
  private mechanism: string | null = null
  private expiresAt: number | null = null
  /** The session lifetime the last successful exchange granted (KIP-368), for SaslAuthenticate. */
  private sessionLifetimeMs = 0
  private failed = false
  /**
   * The step of an initial authentication being evaluated. Kafka reads nothing more from a connection while it
   * authenticates, so requests a client pipelines behind its SaslAuthenticate wait for the outcome here.
   */
  private step: Promise<unknown> | null = null
  private readonly now: () => number

  constructor(
    private readonly security: ListenerSecurity,
    private readonly ctx: AuthenticatorContext,
    /** The principal TLS established (mTLS or ANONYMOUS); SASL replaces it. */
    tlsPrincipal: KafkaPrincipal
  ) {
    this.now = ctx.now ?? Date.now
    this.principalValue = security.saslMechanisms === null ? tlsPrincipal : null
  }

  /** The authenticated principal; null while a SASL connection has not authenticated. */
  get principal(): KafkaPrincipal | null {
    return this.principalValue
  }

  get authenticated(): boolean {
    return this.principalValue !== null
  }

  /** Serves `payload` itself or hands it to `next` (the request pipeline) once the connection may use it. */
  async process(payload: Buffer, next: (payload: Buffer) => Promise<Outcome>): Promise<Outcome> {
    while (this.step !== null) await this.step
    if (this.failed) throw new AuthenticationCloseError('authentication failed')
    if (!this.authenticated && this.exchange !== null) return this.serialized(this.dispatch(payload, next))
    return this.dispatch(payload, next)
  }

  private serialized(outcome: Promise<Outcome>): Promise<Outcome> {
    const step: Promise<void> = outcome.then(
      () => this.stepDone(step),
      () => this.stepDone(step)
    )
    this.step = step
    return outcome
  }

  private stepDone(step: Promise<void>): void {
    if (this.step === step) this.step = null
  }

  private async dispatch(payload: Buffer, next: (payload: Buffer) => Promise<Outcome>): Promise<Outcome> {
    if (this.exchange?.raw) return this.rawToken(payload)
    if (this.security.saslMechanisms === null || payload.length < 8) return next(payload)
    const apiKey = payload.readInt16BE(0)
    if (apiKey === SASL_HANDSHAKE && this.exchange === null) return this.handshake(payload)
    if (apiKey === SASL_AUTHENTICATE && this.exchange !== null) return this.authenticate(payload)
    if (this.authenticated) {
      if (this.expiresAt !== null && this.now() >= this.expiresAt) {
        this.ctx.logger.info(
          { connectionId: this.ctx.connectionId, clientAddress: this.ctx.clientAddress },
          'closing connection whose SASL session expired'
        )
        throw new AuthenticationCloseError('SASL session expired')
      }
      return next(payload)
    }
    if (apiKey === API_VERSIONS && this.exchange === null) return next(payload)
    throw new AuthenticationCloseError(
      `unexpected request with api key ${apiKey} before SASL authentication completed`
    )
  }

  private handshake(payload: Buffer): Outcome {
    const { header, body } = decodeRequestFrame(payload)
    const request = body as SaslHandshakeRequest
    const mechanisms = this.security.saslMechanisms!
    const factory = mechanisms.get(request.mechanism)
    const reauthenticating = this.authenticated
    let errorCode: number = ErrorCode.NONE
    if (!factory) errorCode = ErrorCode.UNSUPPORTED_SASL_MECHANISM
    // KIP-368: a re-authentication keeps the mechanism; Kafka refuses a change as an illegal state.
    else if (reauthenticating && request.mechanism !== this.mechanism)
      errorCode = ErrorCode.ILLEGAL_SASL_STATE
    // Re-authentication exists only with SaslAuthenticate (handshake v1+).
    else if (reauthenticating && header.requestApiVersion === 0) errorCode = ErrorCode.ILLEGAL_SASL_STATE
    const response = encodeResponseFrame(SASL_HANDSHAKE, header.requestApiVersion, header.correlationId, {
      errorCode,
      mechanisms: [...mechanisms.keys()]
    })
    if (errorCode !== ErrorCode.NONE || !factory) {
      this.fail(request.mechanism, `SaslHandshake refused (error ${errorCode})`, 0)
      return response
    }
    this.exchange = {
      mechanism: request.mechanism,
      server: factory.create({
        listenerName: this.security.listenerName,
        clientAddress: this.ctx.clientAddress
      }),
      raw: header.requestApiVersion === 0
    }
    return response
  }

  private async authenticate(payload: Buffer): Promise<Outcome> {
    const { header, body } = decodeRequestFrame(payload)
    const exchange = this.exchange!
    const reply = (r: SaslAuthenticateResponse) =>
      encodeResponseFrame(SASL_AUTHENTICATE, header.requestApiVersion, header.correlationId, r)
    try {
      const challenge = await this.evaluate(exchange, (body as SaslAuthenticateRequest).authBytes)
      const lifetime = this.exchange === null && this.expiresAt !== null ? this.sessionLifetimeMs : 0
      return [
        ...reply({
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          authBytes: challenge,
          sessionLifetimeMs: BigInt(Math.max(0, lifetime))
        })
      ]
    } catch (err) {
      const message = err instanceof SaslAuthenticationError ? err.message : 'Authentication failed'
      if (!(err instanceof SaslAuthenticationError)) this.ctx.logger.error({ err }, 'SASL mechanism failed')
      this.fail(exchange.mechanism, message, this.security.failedAuthenticationDelayMs)
      return reply({
        errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
        errorMessage: message,
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0n
      })
    }
  }

  /** A raw token after SaslHandshake v0; the challenge goes back size-prefixed, failures just close. */
  private async rawToken(token: Buffer): Promise<Outcome> {
    const exchange = this.exchange!
    try {
      const challenge = await this.evaluate(exchange, token)
      const size = Buffer.alloc(4)
      size.writeInt32BE(challenge.length)
      return [size, challenge]
    } catch (err) {
      const message = err instanceof SaslAuthenticationError ? err.message : 'Authentication failed'
      this.fail(exchange.mechanism, message, this.security.failedAuthenticationDelayMs)
      return null
    }
  }

  /** One step of the exchange; on completion the session starts (or, re-authenticating, is renewed). */
  private async evaluate(exchange: Exchange, token: Buffer): Promise<Buffer> {
    const challenge = await exchange.server.evaluateResponse(token)
    if (!exchange.server.complete) return challenge
    const principal = userPrincipal(exchange.server.authorizationId())
    const previous = this.principalValue
    if (previous !== null && formatPrincipal(previous) !== formatPrincipal(principal)) {
      throw new SaslAuthenticationError(
        `Cannot change principals during re-authentication from ${formatPrincipal(previous)} to ${formatPrincipal(principal)}`
      )
    }
    this.exchange = null
    this.mechanism = exchange.mechanism
    this.principalValue = principal
    if (previous === null) this.ctx.onAuthenticated?.()
    this.ctx.onAuthenticationResult?.(exchange.mechanism, true)
    this.expiresAt = this.sessionExpiry(exchange.server)
    this.ctx.logger.debug(
      {
        connectionId: this.ctx.connectionId,
        principal: formatPrincipal(principal),
        mechanism: exchange.mechanism,
        reauthentication: previous !== null
      },
      'authenticated'
    )
    return challenge
  }

  private sessionExpiry(server: SaslServer): number | null {
    const credential = server.sessionLifetimeMs?.()
    const max = this.security.maxReauthMs
    const lifetimes = [credential, max > 0 ? max : undefined].filter((n): n is number => n !== undefined)
    if (lifetimes.length === 0) return null
    // SaslAuthenticate reports this lifetime as computed here, at the end of the exchange, as Kafka does
    // (not re-derived from the expiry later, which would lose a millisecond to the clock).
    this.sessionLifetimeMs = Math.min(...lifetimes)
    return this.now() + this.sessionLifetimeMs
  }

  /** Logs one line (never a secret), refuses further requests and closes after `delayMs`. */
  private fail(mechanism: string, reason: string, delayMs: number): void {
    this.failed = true
    this.exchange = null
    this.ctx.onAuthenticationResult?.(mechanism, false)
    this.ctx.logger.warn(
      {
        connectionId: this.ctx.connectionId,
        clientAddress: this.ctx.clientAddress,
        listener: this.security.listenerName,
        mechanism,
        reason
      },
      'failed authentication'
    )
    // Delaying the close slows down password guessing without holding a request slot.
    setTimeout(() => this.ctx.close(), delayMs).unref()
  }
}
