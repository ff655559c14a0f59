/**
 * Runs tasks with at most `limit` in flight and waits for all of them, reporting each failure by
 * task index instead of stopping at the first: a batch commits everything it can, then reports
 * where it stopped.
 */
export async function settleAll(tasks: ReadonlyArray<() => Promise<unknown>>, limit: number, onError: (error: unknown, task: number) => void): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < tasks.length) {
      const task = next++
      try {
        await tasks[task]!()
      } catch (error) {
        onError(error, task)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker))
}
