/**
 * docs/security.md over HTTP, token-level categories: SIG, HDR, CLM, ISS and the single-request DOS
 * cases, against Fastify, Express 5 and Express 4, single-token and both two-token slots.
 * The rows live in catalogue/tokens.ts; the runner in support/catalogue.ts.
 */
import { CLM_ROWS, DOS_ROWS, HDR_ROWS, ISS_ROWS, SIG_ROWS } from './catalogue/tokens.js'
import { defineCatalogue } from './support/catalogue.js'

defineCatalogue('catalogue over HTTP: tokens (SIG, HDR, CLM, ISS, DOS)', [...SIG_ROWS, ...HDR_ROWS, ...CLM_ROWS, ...ISS_ROWS, ...DOS_ROWS])
