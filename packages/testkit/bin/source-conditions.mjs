// Module resolution hook: adds the "@consent-guard/source" export condition, so that running the CLI from the
// TypeScript sources resolves workspace packages (@consent-guard/core) to their src/ entry points,
// the same as `node --conditions=@consent-guard/source`. Registered by src/cli.ts only when it runs as .ts.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('@consent-guard/source')
    ? context.conditions
    : [...context.conditions, '@consent-guard/source']
  return nextResolve(specifier, { ...context, conditions })
}
