/**
 * Operating-system identity of each running process (pid, process group, start time), so
 * that after a crash the engine can kill the leftovers of its own runs and no one else's
 * (pids are reused). Not part of the event log: it describes processes, not task state.
 */
export default `
CREATE TABLE run_processes (
  run_id INTEGER PRIMARY KEY,
  pid INTEGER NOT NULL,
  start_ticks TEXT
);
`
