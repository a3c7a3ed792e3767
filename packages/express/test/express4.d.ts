// Express 4 is installed under the alias `express4` (devDependency "express4": "npm:express@^4")
// so tests can run the middleware under both majors. Its API is typed with the Express 5 types,
// which cover everything the tests call.
declare module 'express4' {
  import express from 'express'
  export default express
}
