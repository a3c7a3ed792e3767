/** The server variants of `pnpm bench` and what each server process is told. */
export interface ServerConfig {
  readonly variant: string
  readonly issuer: string
  readonly jwksUri: string
  /** The issuer's public JWK (for @fastify/jwt, which takes a key rather than a key set). */
  readonly publicJwk: Record<string, unknown>
  readonly audience: string
  /**
   * `overload` options of the guard variants; omitted, the guard's defaults. The overload run may
   * set some (see bench/run.ts), the other runs leave the defaults.
   */
  readonly overload?: Record<string, number | false>
}

export const VARIANTS = [
  'fastify-open',
  'fastify-guard-single',
  'fastify-guard-single-nocache',
  'fastify-guard-two',
  'fastify-guard-two-nocache',
  'fastify-jwt-one',
  'express-open',
  'express-guard-single',
  'express-guard-single-nocache',
  'express-guard-two',
  'express-guard-two-nocache',
  'express-auth0-one',
] as const
