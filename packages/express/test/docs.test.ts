import { checkDocSnippets } from '../../../test/support/doc-snippets.js'

checkDocSnippets(['docs/express.md', 'packages/express/README.md'])
