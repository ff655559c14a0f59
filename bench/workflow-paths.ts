/**
 * Walks a state machine's ASL definition along one path, as Step Functions bills it: every state
 * entered is one state transition. Choice states are decided by `input`, Task states that time out
 * take their `States.Timeout` catcher. Only what the case workflow uses is understood (StringEquals
 * on a `$.a.b` path); anything else is an error rather than a guess.
 */
interface State {
  readonly Type: string
  readonly Next?: string
  readonly End?: boolean
  readonly Default?: string
  readonly Choices?: ReadonlyArray<{ readonly Variable?: string; readonly StringEquals?: string; readonly Next: string }>
  readonly Catch?: ReadonlyArray<{ readonly ErrorEquals: readonly string[]; readonly Next: string }>
  readonly Resource?: string
}

export interface Definition {
  readonly StartAt: string
  readonly States: Readonly<Record<string, State>>
}

export interface PathSpec {
  /** What the Choice states read, e.g. `{ decision: { outcome: 'block' }, verdict: { outcome: 'fraud' } }`. */
  readonly input: unknown
  /** Task states whose wait times out. */
  readonly timeouts?: readonly string[]
}

export interface Path {
  readonly states: readonly string[]
  readonly transitions: number
  /** Task states that invoke a Lambda function (directly or with a task token). */
  readonly lambdaInvocations: number
}

export function walk(definition: Definition, spec: PathSpec): Path {
  const states: string[] = []
  let lambdaInvocations = 0
  for (let name: string | undefined = definition.StartAt; name !== undefined; ) {
    const state: State | undefined = definition.States[name]
    if (state === undefined) throw new Error(`the definition has no state ${name}`)
    if (states.length > 100) throw new Error(`the path loops at ${name}`)
    states.push(name)
    if (state.Type === 'Task' && state.Resource?.includes(':lambda:')) lambdaInvocations++
    name = successor(name, state, spec)
  }
  return { states, transitions: states.length, lambdaInvocations }
}

function successor(name: string, state: State, spec: PathSpec): string | undefined {
  if (state.Type === 'Succeed' || state.Type === 'Fail' || state.End === true) return undefined
  if (state.Type === 'Choice') {
    for (const choice of state.Choices ?? []) {
      if (choice.Variable === undefined || choice.StringEquals === undefined) throw new Error(`${name}: only StringEquals choices are understood`)
      if (read(spec.input, choice.Variable) === choice.StringEquals) return choice.Next
    }
    if (state.Default === undefined) throw new Error(`${name}: no choice matches and there is no Default`)
    return state.Default
  }
  if (spec.timeouts?.includes(name)) {
    const catcher = state.Catch?.find((c) => c.ErrorEquals.includes('States.Timeout') || c.ErrorEquals.includes('States.ALL'))
    if (catcher === undefined) throw new Error(`${name} has no catcher for States.Timeout`)
    return catcher.Next
  }
  if (state.Next === undefined) throw new Error(`${name} has neither Next nor End`)
  return state.Next
}

function read(input: unknown, path: string): unknown {
  if (!path.startsWith('$.')) throw new Error(`only $.a.b paths are understood, not ${path}`)
  let value = input
  for (const key of path.slice(2).split('.')) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined
  return value
}
