import { describe, expect, it } from 'vitest'
import { parseJsonObject } from '@consent-guard/core/pipeline'

describe('duplicate JSON members', () => {
  it.each([
    ['{"a":1,"a":2}', true],
    ['{"a":1,"\\u0061":2}', true],
    ['{"a":{"b":1,"b":2}}', true],
    ['{"a":[{"b":1},{"b":2}]}', false],
    ['{"a":"\\"a\\":1","b":{"a":1}}', false],
    ['{"a\\\\":1,"a":2}', false],
    ['{"x":[1,{"y":1,"z":[{"y":2}]}],"y":3}', false],
  ])('%s → duplicate: %s', (text, duplicate) => {
    expect(parseJsonObject(text) === undefined).toBe(duplicate)
  })
})
