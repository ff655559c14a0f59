/** True for the error DynamoDB returns when a write's condition does not hold. */
export const isConditionalCheckFailure = (error: unknown): boolean => (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException'
