import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
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
    // Counting member names against the parsed value: spacing, escapes and look-alike strings.
    ['{"a" : 1, "a"\n:2}', true],
    ['{"__proto__":1,"__proto__":2}', true],
    ['{"__proto__":{"a":1},"b":{"a":1}}', false],
    ['{"k":"x\\":y","a":"\\":"}', false],
    ['{"a":{"\\":1,"\\":2}}', true],
    ['{"a":["b",":","c"],"d":{"e":{"f":{"e":1}}}}', false],
  ])('%s → duplicate: %s', (text, duplicate) => {
    expect(parseJsonObject(text) === undefined).toBe(duplicate)
  })
})

describe('duplicate JSON members, generated', () => {
  it('finds none in serialised objects, and finds one member written twice anywhere', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), fc.jsonValue(), (object, name, extra) => {
        const text = JSON.stringify(object)
        expect(parseJsonObject(text)).toBeDefined()
        // The same name again at the end: a duplicate exactly when the object already had it.
        const member = `${JSON.stringify(name)}:${JSON.stringify(extra)}`
        const twice = text === '{}' ? `{${member},${member}}` : `${text.slice(0, -1)},${member}}`
        const duplicated = text === '{}' || Object.hasOwn(object, name)
        expect(parseJsonObject(twice) === undefined).toBe(duplicated)
      }),
      { numRuns: 300 },
    )
  })
})
