import { parseJsonObject } from '@consent-guard/core/pipeline'

/**
 * The token as given on the command line or on stdin (`-`): surrounding space, a `Bearer ` prefix
 * and JSON quotes (an Altinn 2 token exchange answers with a JSON string) are removed.
 */
export async function readToken(argument: string, stdin: AsyncIterable<unknown>): Promise<string> {
  let token = argument
  if (token === '-') {
    const chunks: Buffer[] = []
    for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer))
    token = Buffer.concat(chunks).toString('utf8')
  }
  return token
    .trim()
    .replace(/^Bearer\s+/i, '')
    .replace(/^"(.*)"$/, '$1')
}

/** A decoded header or payload segment. */
export interface Segment {
  readonly value: Record<string, unknown> | undefined
  /** The segment is a JSON object whose members repeat (the core refuses it; parsers disagree on which value counts). */
  readonly duplicates: boolean
}

/** Decodes one segment without judging it (the core's checks do that). */
export function decodeSegment(segment: string | undefined): Segment {
  if (segment === undefined) return { value: undefined, duplicates: false }
  try {
    const text = Buffer.from(segment, 'base64url').toString('utf8')
    const value = JSON.parse(text) as unknown
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { value: undefined, duplicates: false }
    return { value: value as Record<string, unknown>, duplicates: parseJsonObject(text) === undefined }
  } catch {
    return { value: undefined, duplicates: false }
  }
}
