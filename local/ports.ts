/** The local runtime's ports, the ones `npm start` listens on: a module of its own, so clients (the CLI) need not load the runtime to know them. */
export const defaultPorts = { dynamodb: 8000, kinesis: 4567, api: 3000, stepFunctions: 8083 } as const

