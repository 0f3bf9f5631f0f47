/**
 * The event log and the projection tables it feeds. Every projection row is written in the
 * same transaction as the events that produced it, so the two never disagree.
 */
export default `
CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  payload TEXT NOT NULL
);
CREATE TABLE tasks (
  id INTEGER PRIMARY KEY,
  status TEXT NOT NULL,
  group_name TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  json TEXT NOT NULL
);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  task_id INTEGER NOT NULL,
  status TEXT NOT NULL,
  json TEXT NOT NULL
);
CREATE INDEX runs_by_task ON runs (task_id);
CREATE TABLE groups (
  name TEXT PRIMARY KEY,
  json TEXT NOT NULL
);
CREATE TABLE settings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  json TEXT NOT NULL
);
CREATE TABLE engine_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`
