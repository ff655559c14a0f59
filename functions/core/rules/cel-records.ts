import type { Environment } from '@marcbachmann/cel-js'

/** A CEL object schema: a field's CEL type name, or a nested object's schema. */
export interface CelSchema {
  [field: string]: string | CelSchema
}

/** Turns a plain value into the record CEL knows by its type's constructor. */
export type ToRecord = (value: object) => object

/**
 * Declares `schema` to CEL as object type `name` (a nested object as `name.field`), so the
 * checker knows each field's type, and returns the conversion of a plain value into it.
 *
 * The values are converted once per transaction into instances of a class of the type's own:
 * cel-js reads such a record as it is, where a plain object under a declared schema is wrapped
 * again field by field on every evaluation of every rule (three times slower scoring). An `int`
 * field holding a JavaScript number is handed over as a BigInt, CEL's int, so the type the
 * checker assumed is the type the rule runs on.
 */
export function registerRecordType(environment: Environment, name: string, schema: CelSchema): ToRecord {
  const Record = { [name]: class {} }[name]!
  const fields: { [field: string]: string } = {}
  const names: string[] = []
  // Per field, in the order of names: the nested type's conversion, 'int', or undefined (as it is).
  const conversions: Array<ToRecord | 'int' | undefined> = []
  for (const [field, type] of Object.entries(schema)) {
    names.push(field)
    if (typeof type === 'string') {
      fields[field] = type
      conversions.push(type === 'int' ? 'int' : undefined)
    } else {
      fields[field] = `${name}.${field}`
      conversions.push(registerRecordType(environment, fields[field], type))
    }
  }
  environment.registerType({ name, ctor: Record, fields })
  return (value) => {
    // Every field assigned, absent ones as undefined (which CEL reads as absent), in one order: one object shape.
    const record = new Record() as { [field: string]: unknown }
    for (let i = 0; i < names.length; i++) {
      const v = (value as { [field: string]: unknown })[names[i]!]
      const conversion = conversions[i]
      // A value of another type than declared is left as it is: the rule reading it errors.
      if (conversion === 'int') record[names[i]!] = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v
      else if (conversion && typeof v === 'object' && v !== null) record[names[i]!] = conversion(v)
      else record[names[i]!] = v
    }
    return record
  }
}
