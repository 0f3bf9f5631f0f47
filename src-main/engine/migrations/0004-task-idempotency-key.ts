/**
 * The key a task was submitted with (`task.submit`'s `idempotencyKey`), copied out of its JSON by
 * the task upsert, with a unique index: two tasks can never hold one key, even if the engine's
 * own check (which answers a repeated key with the existing task) were wrong. The row's deletion
 * (`task.clean`) frees the key. Rows stored before this column have none (NULL, not indexed).
 */
export default `
ALTER TABLE tasks ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX tasks_by_idempotency_key ON tasks (idempotency_key) WHERE idempotency_key IS NOT NULL;
`
