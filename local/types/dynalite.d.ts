/**
 * Types for dynalite 4 (a DynamoDB API server on LevelDB; it ships JSDoc but no declarations).
 * Only what `local/emulators.ts` uses; see node_modules/dynalite/index.js.
 */
declare module 'dynalite' {
  interface DynaliteOptions {
    /** LevelDB directory; in memory when absent. */
    path?: string
    /** Milliseconds a table stays CREATING / DELETING / UPDATING (default 500 each). */
    createTableMs?: number
    deleteTableMs?: number
    updateTableMs?: number
    /** Maximum item size in KB (default 400). */
    maxItemSizeKb?: number
    ssl?: boolean
    key?: string | Buffer
    cert?: string | Buffer
    ca?: string | Buffer
    /** Process-wide once set: dynalite keeps these flags in module state. */
    verbose?: boolean
    debug?: boolean
  }

  /** An unstarted `http.Server`; its `close` also closes the store (and `listen` again recreates it). */
  function dynalite(options?: DynaliteOptions): import('node:http').Server

  export = dynalite
}
