// Module resolution hook: adds the "source" export condition, so that running the CLI from the
// TypeScript sources resolves workspace packages (@consent-guard/core) to their src/ entry points,
// the same as `node --conditions=source`. Registered by src/cli.ts only when it runs as .ts.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('source') ? context.conditions : [...context.conditions, 'source']
  return nextResolve(specifier, { ...context, conditions })
}
