/**
 * The kernel boot each recorded process belongs to (/proc/sys/kernel/random/boot_id, without
 * dashes): pids and start times count from boot, so after a reboot a recorded pid and start time
 * may name anyone's process, and none of the recorded ones can still run. Rows recorded before
 * this column have none (NULL): the restart-time cleanup gives them its strict rule only.
 */
export default `
ALTER TABLE run_processes ADD COLUMN boot_id TEXT;
`
