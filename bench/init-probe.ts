import { pathToFileURL } from 'node:url'

/**
 * Run in a fresh Node process by bench/cold-start.ts: imports one Lambda bundle, which runs its
 * module-level init (clients, config, top-level await), and prints how long that took.
 */
const bundle = process.argv[2]
if (bundle === undefined) throw new Error('usage: init-probe.ts <bundle.mjs>')
const started = performance.now()
const module = (await import(pathToFileURL(bundle).href)) as { handler?: unknown }
const initMs = performance.now() - started
if (typeof module.handler !== 'function') throw new Error(`${bundle} exports no handler`)
process.stdout.write(JSON.stringify({ initMs }))
// Pipes are written synchronously on Linux; a handle the init left open must not keep the probe alive.
process.exit(0)
