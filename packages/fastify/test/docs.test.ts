import { checkDocSnippets } from '../../../test/support/doc-snippets.js'

checkDocSnippets(['docs/fastify.md', 'packages/fastify/README.md'])
