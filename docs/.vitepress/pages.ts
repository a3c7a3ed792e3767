/** The guide's pages: the same file names under docs/guide/en/ and docs/guide/nb/, in reading order. */
export const guidePages = [
  { file: 'index', en: 'Overview', nb: 'Oversikt' },
  { file: 'how-consent-works', en: 'How consent works', nb: 'Slik virker samtykke' },
  { file: 'quick-start', en: 'Quick start', nb: 'Kom i gang' },
  { file: 'declaring-routes', en: 'Declaring routes', nb: 'Beskrive ruter' },
  { file: 'tt02-to-production', en: 'From TT02 to production', nb: 'Fra TT02 til produksjon' },
  { file: 'errors', en: 'Error reference', nb: 'Feilkoder' },
  { file: 'operations', en: 'Operations', nb: 'Drift' },
  { file: 'testing', en: 'Testing with the testkit', nb: 'Testing med testkit' },
  { file: 'migration', en: 'Migration from Altinn 2', nb: 'Migrering fra Altinn 2' },
  { file: 'security', en: 'Security model', nb: 'Sikkerhetsmodell' },
  { file: 'disclosure-log', en: 'Disclosure log', nb: 'Utleveringslogg' },
  { file: 'glossary', en: 'Glossary', nb: 'Ordliste' },
] as const

/** The reference pages in docs/ (English), shown in the site's sidebar. */
export const referencePages = [
  { file: 'install', title: 'Install' },
  { file: 'core', title: 'Core' },
  { file: 'fastify', title: 'Fastify' },
  { file: 'express', title: 'Express' },
  { file: 'one-time-consent', title: 'One-time consent' },
  { file: 'operations', title: 'Operations' },
  { file: 'errors', title: 'Error codes' },
  { file: 'disclosure-log', title: 'Disclosure log' },
  { file: 'testkit', title: 'Testkit' },
  { file: 'migration', title: 'Migration' },
  { file: 'security', title: 'Security' },
  { file: 'benchmarks', title: 'Benchmarks' },
] as const
